"""`comptoir observatory`: the observatory's figures as JSON (placeholder)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the observatory command to the parser."""
