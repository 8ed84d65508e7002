"""`rapportbot eval`: evaluate answers against a question set (format and metrics: eval/README.md).

Registered through the `rapportbot.commands` entry point; heavy imports happen inside `run`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "evaluate answers against a question set and write a report with plots"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--questions", type=Path, metavar="FILE", action="append",
                        help="question set: JSON list, JSONL, YAML or CSV (default: eval/questions.yaml); repeat "
                             "to join sets, e.g. the committed set plus exported feedback")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="run directory (default: eval/reports/<UTC time>/)")
    parser.add_argument("--baseline", metavar="FILE|RUN_DIR",
                        help="compare with this summary.json or run directory (default: eval/baseline.json; "
                             "'none' to skip)")
    parser.add_argument("--compare", action="store_true",
                        help="also score the lexical-only, dense-only and naive-chunking baselines")
    parser.add_argument("--url", metavar="URL", help="evaluate a deployed rapportbot through POST URL/api/ask")
    parser.add_argument("--token", metavar="T", help="bearer token for --url (or RAPPORTBOT_EVAL_TOKEN)")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N questions")
    parser.add_argument("--extractive", action="store_true", help="answer without an LLM even if one is configured")
    parser.add_argument("--judge", choices=("auto", "on", "off"), default="auto",
                        help="LLM judge for faithfulness/correctness (auto: when an LLM is configured)")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="original report text quotes are checked against (default: the bundled report)")
    parser.add_argument("--check", nargs="?", const="default", metavar="THRESHOLDS",
                        help="exit 1 when a headline metric is below its floor in eval/thresholds.json (or this file)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("--split", choices=("train", "dev", "test"),
                        help="the bank's single questions and conversations of one split (eval/bank/splits.json); "
                             "test prints totals only")


def register(subparsers: argparse._SubParsersAction) -> object:
    add_arguments(subparsers.add_parser("eval", help=HELP, description=HELP))
    return sys.modules[__name__]


def run(args: argparse.Namespace, settings) -> int:
    import os

    from eval.evaluate import DEFAULT_QUESTIONS, evaluate
    from ingest.errors import InputError
    from ingest.settings import BUNDLED_REPORT, LLMSettings

    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1")
    if args.token and not args.url:
        raise InputError("--token needs --url")
    report = args.report or BUNDLED_REPORT
    if not Path(report).is_file():
        raise InputError(f"{report}: no such report file")
    judge_settings = settings  # the judge may use the configured LLM even when answers are extractive
    if args.extractive:
        settings = settings.model_copy(update={"llm": LLMSettings(provider="none")})
    judge = {"auto": None, "on": True, "off": False}[args.judge]
    if judge and not judge_settings.llm.enabled:
        raise InputError("--judge on needs an LLM: set OPENAI_BASE_URL and/or OPENAI_API_KEY")
    baseline: object = "default"
    if args.baseline:
        baseline = None if args.baseline.lower() == "none" else Path(args.baseline)
    minimum = None
    if args.check:
        from eval.compare import load_thresholds
        from ingest.settings import PROJECT_ROOT

        minimum = load_thresholds(PROJECT_ROOT / "eval" / "thresholds.json" if args.check == "default" else args.check)
    questions = args.questions or DEFAULT_QUESTIONS
    sealed = args.split == "test"
    if args.split:
        from eval.questions import split_files

        if args.questions:
            raise InputError("--split and --questions exclude each other")
        questions = split_files(args.split)
    if sealed:
        import tempfile

        args.out, baseline = Path(tempfile.mkdtemp(prefix="rapportbot-sealed-")), None
    token = args.token or os.environ.get("RAPPORTBOT_EVAL_TOKEN")
    service = None
    if args.split and not args.url:
        from bot.service import AnswerService

        service = AnswerService(settings)  # one engine, models loaded once, for the singles and the conversations
    summary = evaluate(settings, questions, args.out, url=args.url, token=token, limit=args.limit,
                       with_baselines=args.compare, baseline=baseline, judge=judge,
                       progress=not args.no_progress, report_path=Path(report), judge_settings=judge_settings,
                       service=service)
    dialogue = None
    if args.split:
        from eval.conversations import evaluate_conversations

        dialogue = evaluate_conversations(split_files(args.split, conversations=True), service, Path(report),
                                          None if sealed else Path(summary["run"]["out_dir"]), url=args.url,
                                          token=token, progress=not args.no_progress)
    if sealed:
        import shutil

        shutil.rmtree(args.out, ignore_errors=True)  # per-question results of the sealed test are never kept
        _print_totals(summary, dialogue)
    else:
        _print_summary(summary, args, dialogue)
    if minimum is not None:
        from eval.compare import below_thresholds

        failed = below_thresholds(summary["metrics"]["all"], minimum)
        for line in failed:
            print(f"below threshold: {line}", file=sys.stderr)
        return 1 if failed else 0
    return 0


def _print_totals(summary: dict, dialogue: dict | None = None) -> None:
    """The sealed test: totals only, so nobody learns its questions from a run."""
    allm = summary["metrics"]["all"]
    print(f"sealed test: {allm['n']} questions, {allm['errors']} errors")
    for name, value in summary["headline"].items():
        print(f"  {name:<18} {value if value is not None else '-'}")
    print(f"  near misses refused {allm.get('refusal_recall')}  refusals right {allm.get('refusal_precision')}")
    for lang, values in sorted(summary["metrics"].get("by_lang", {}).items()):
        print(f"  {lang}: quote_hit {values.get('quote_hit')}  support {values.get('support')}  "
              f"decisions {values.get('decision_accuracy')}")
    if dialogue is not None:
        from eval.conversations import conversation_lines

        print(f"sealed test conversations: {dialogue['all']['n']} turns, {dialogue['all']['errors']} errors")
        print("\n".join(conversation_lines(dialogue, by_follow=False)))


def _print_summary(summary: dict, args: argparse.Namespace, dialogue: dict | None = None) -> None:
    allm = summary["metrics"]["all"]
    print(f"{allm['n']} questions, {allm['errors']} errors")
    for name, value in summary["headline"].items():
        print(f"  {name:<18} {value if value is not None else '-'}")
    print(f"  latency p50/p95    {allm['latency_p50_ms']} / {allm['latency_p95_ms']} ms")
    for name, base in (summary.get("baselines") or {}).items():
        b = base["all"]
        print(f"  baseline {name:<8} support {b['support']}  hit@5 {b['hit@5']}  decision {b['decision_accuracy']}")
    comparison = summary.get("comparison")
    if comparison:
        print(f"vs {comparison['against']}: {len(comparison['worse'])} questions worse, "
              f"{len(comparison['better'])} better")
        for item in comparison["worse"][:20]:
            print(f"  worse {item['id']}: {'; '.join(item['reasons'])}")
    if dialogue is not None:
        from eval.conversations import conversation_lines

        print(f"conversations: {dialogue['all']['n']} turns, {dialogue['all']['errors']} errors "
              f"(results: {summary['run']['out_dir']}/conversations.jsonl)")
        print("\n".join(conversation_lines(dialogue)))
    print(f"report: {summary['run']['out_dir']}/report.md")
