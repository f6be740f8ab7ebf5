"""Matching a project to schemes and counters: decisions, their wording, one JSON snapshot."""

from bot.core.matching.matcher import Matcher
from bot.core.matching.results import (
    Assessment,
    CounterMatch,
    Criterion,
    MatchResult,
    Profile,
    ProfileError,
    SchemeMatch,
    Verdict,
)
from bot.core.matching.snapshot import MatchSnapshot, snapshot

__all__ = [
    "Assessment",
    "CounterMatch",
    "Criterion",
    "MatchResult",
    "MatchSnapshot",
    "Matcher",
    "Profile",
    "ProfileError",
    "SchemeMatch",
    "Verdict",
    "snapshot",
]
