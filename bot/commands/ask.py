"""PLACEHOLDER: `rapportbot ask` (its owner replaces this module)."""
from __future__ import annotations

import argparse

from ingest.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, settings: Settings) -> int:
    print("rapportbot ask: not built yet")
    return 1
