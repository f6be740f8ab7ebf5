"""Editing the knowledge from the command line: `kb history|reload|export|import`."""

from __future__ import annotations

import argparse


def register_kb(kb: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's `kb` actions."""
