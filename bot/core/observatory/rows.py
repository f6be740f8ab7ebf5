"""The rows storage hands the observatory: exact counts, already grouped, nothing personal.

Every count here is exact; only `figures` are shown, and they hide counts from 1 to 4.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Event kinds the funnel counts, in the order its columns show them.
FUNNEL_KINDS = ("node_entered", "answered", "invalid_input", "abandoned")


@dataclass(frozen=True, slots=True)
class Tallied:
    """A key (a département, a theme, a month « 2026-03 ») and how many conversations."""

    key: str
    count: int


@dataclass(frozen=True, slots=True)
class MonthTheme:
    """Conversations of a month whose project has a theme."""

    month: str
    theme: str
    count: int


@dataclass(frozen=True, slots=True)
class PlaceTheme:
    """Conversations matched in a département for a theme (None: no theme chosen), and how
    many of them found no local scheme, no local counter."""

    department: str
    theme: str | None
    conversations: int
    without_scheme: int
    without_counter: int


@dataclass(frozen=True, slots=True)
class IdeaRows:
    """Qualified ideas (conversations with a match), each counted once per group."""

    total: int
    departments: tuple[Tallied, ...]
    themes: tuple[Tallied, ...]
    months: tuple[Tallied, ...]
    month_themes: tuple[MonthTheme, ...]
    places: tuple[PlaceTheme, ...]
    first: dt.datetime | None  # the first and last match of the scope (the months shown)
    last: dt.datetime | None


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """One kind of event at one node: how many events, how many conversations."""

    node: str
    kind: str  # one of FUNNEL_KINDS
    events: int
    conversations: int


@dataclass(frozen=True, slots=True)
class UnheardRow:
    """A typed answer the bot did not understand (folded, masked), at a node."""

    node: str
    text: str
    times: int
    conversations: int


@dataclass(frozen=True, slots=True)
class GapIdeaRow:
    """A filed project whose match found no local scheme or no local counter.

    `idea` is its text while the lead keeps it (its citizen asked for it to be passed on to an
    advisor); None once anonymised. No name, contact, commune, reference or chat.
    """

    department: str
    themes: tuple[str, ...]
    carrier: str
    stage: str
    needs: tuple[str, ...]
    idea: str | None
    filed_at: dt.datetime
    without_scheme: bool
    without_counter: bool


@dataclass(frozen=True, slots=True)
class LeadRow:
    """Leads filed in the scope, by the counter they are at (None: the staff) and status."""

    counter_id: str | None
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class TakingRow:
    """A lead filed in the scope, and when it was first taken (« pris en charge »), if ever."""

    lead_id: int
    department: str | None
    filed_at: dt.datetime
    taken_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class MarkerRow:
    """Self-assessments that put a marker at a level."""

    marker: str
    level: int
    count: int


@dataclass(frozen=True, slots=True)
class AssessmentRows:
    """The self-assessments of the leads filed in the scope."""

    assessed: int  # leads with at least one answer
    levels: tuple[MarkerRow, ...]
