"""PLACEHOLDER: `rapportbot bench` (its owner replaces this module)."""
from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> object:
    subparsers.add_parser("bench", help="measure speed and memory")
    return sys.modules[__name__]


def run(args: argparse.Namespace, settings: object) -> int:
    print("rapportbot bench: not built yet")
    return 1
