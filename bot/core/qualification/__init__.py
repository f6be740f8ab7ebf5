"""The qualification conversation: what a citizen's answers say about their project."""

from bot.core.qualification.domain import (
    Qualification,
    QualificationMemo,
    QualificationState,
    checks,
)

__all__ = ["Qualification", "QualificationMemo", "QualificationState", "checks"]
