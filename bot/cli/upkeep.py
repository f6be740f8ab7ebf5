"""The staff's upkeep list: `kb upkeep [--json] [--check-links]` (placeholder)."""

from __future__ import annotations

import argparse


def register_kb(kb: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's `kb` actions."""
