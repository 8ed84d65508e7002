"""PLACEHOLDER: `rapportbot eval` (its owner replaces this module)."""
from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> object:
    subparsers.add_parser("eval", help="evaluate answers against a question set")
    return sys.modules[__name__]


def run(args: argparse.Namespace, settings: object) -> int:
    print("rapportbot eval: not built yet")
    return 1
