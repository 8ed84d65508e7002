"""`rapportbot`: the command line. Commands live in `bot.commands.*`; other packages (eval) add theirs
through the `rapportbot.commands` entry point group, so `bot` never imports them."""
from __future__ import annotations

import argparse
import errno
import importlib
import sys
from importlib.metadata import entry_points

from ingest.errors import RapportbotError
from ingest.settings import get_settings

# name -> (module, one-line help)
BUILTIN_COMMANDS = {
    "clean": ("bot.commands.clean", "print a document's cleaned text"),
    "ingest": ("bot.commands.ingest", "build the store from the bundled report or given files"),
    "ask": ("bot.commands.ask", "ask the report a question"),
    "serve": ("bot.commands.serve", "start the chat page and HTTP API"),
    "feedback": ("bot.commands.feedback", "export feedback given on the page"),
}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(prog="rapportbot", description="Ask the report; answers quote it verbatim.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, object] = {}
    for name, (module_name, help_text) in BUILTIN_COMMANDS.items():
        module = importlib.import_module(module_name)
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
        modules[name] = module
    for ep in entry_points(group="rapportbot.commands"):
        register = ep.load()
        modules[ep.name] = register(sub)
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        settings = get_settings()
        return int(modules[args.command].run(args, settings) or 0)
    except RapportbotError as err:
        print(f"rapportbot: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("rapportbot: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        if err.errno not in _DISK_ERRORS:
            raise
        # A full or read-only disk is the operator's to fix: say where, not a traceback.
        where = f" ({err.filename})" if err.filename else ""
        print(f"rapportbot: cannot write{where}: {_DISK_ERRORS[err.errno]}", file=sys.stderr)
        return 2


_DISK_ERRORS = {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
                errno.EACCES: "permission denied", errno.EDQUOT: "the disk quota is exceeded"}


if __name__ == "__main__":
    sys.exit(main())
