"""Shared fixtures: the real shipped knowledge base, loaded once per test session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.catalog import DEFAULT_KNOWLEDGE, Catalog

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load(DEFAULT_KNOWLEDGE)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the shipped knowledge (the geo table is linked, not copied)."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE, target, ignore=shutil.ignore_patterns("geo"))
    (target / "geo").symlink_to(DEFAULT_KNOWLEDGE / "geo")
    yield target
