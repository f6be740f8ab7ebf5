"""The observatory's figures as staff read them: every count of people from 1 to 4 is « < 5 ».

A `Count` never holds a number from 1 to 4: it is masked when made, so that no page, CSV,
chart or JSON document built from figures can show it. Medians and shares based on fewer
than 5 leads are None (hidden). In JSON a count is an integer, or the string « < 5 ».
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

THRESHOLD = 5
SMALL = "< 5"


@dataclass(frozen=True, slots=True)
class Count:
    """A number of people or answers as shown: exact from 5 on and for 0, else « < 5 »."""

    value: int | None  # None: between 1 and 4, never kept exactly

    @classmethod
    def of(cls, number: int) -> Count:
        """The shown count of an exact number."""
        return cls(None if 0 < number < THRESHOLD else number)

    @property
    def hidden(self) -> bool:
        """Whether it stands for 1 to 4."""
        return self.value is None

    @property
    def known(self) -> int:
        """The value a sort or a chart may use: 0 for a hidden count (it orders nothing)."""
        return 0 if self.value is None else self.value

    def json(self) -> int | str:
        """An integer, or « < 5 »."""
        return SMALL if self.value is None else self.value

    def __str__(self) -> str:
        return SMALL if self.value is None else str(self.value)


ZERO = Count(0)


@dataclass(frozen=True, slots=True)
class Bar:
    """One group of a figure: its key, its French label, its count."""

    key: str
    label: str
    count: Count


@dataclass(frozen=True, slots=True)
class Cell:
    """A département × theme crossing."""

    department: str
    department_label: str
    theme: str  # "" when no theme was chosen
    theme_label: str
    count: Count


@dataclass(frozen=True, slots=True)
class Ideas:
    """Qualified ideas (conversations that reached the matching), each counted once."""

    total: Count
    departments: tuple[Bar, ...]
    themes: tuple[Bar, ...]
    months: tuple[Bar, ...]  # every month of the scope, in order
    cells: tuple[Cell, ...]
    month_themes: tuple[tuple[str, str, Count], ...]  # (month label, theme label, count)


@dataclass(frozen=True, slots=True)
class Step:
    """One question (or end) of the conversation, as conversations went through it."""

    node: str
    label: str
    entered: Count  # conversations that reached it
    answered: Count  # conversations that answered it
    invalid: Count  # answers not understood (events)
    abandoned: Count  # conversations left there


@dataclass(frozen=True, slots=True)
class Funnel:
    """The conversation, node by node, in the dialog's order."""

    steps: tuple[Step, ...]
    territorial: bool  # only conversations whose matching ran in the territory


@dataclass(frozen=True, slots=True)
class Gap:
    """A département × theme where matching found no local scheme or no local counter."""

    department: str
    department_label: str
    theme: str
    theme_label: str
    conversations: Count  # matched there for this theme
    without_scheme: Count
    without_counter: Count


@dataclass(frozen=True, slots=True)
class GapIdea:
    """An idea behind a gap, anonymised: no name, contact, commune, date to the day or chat."""

    department_label: str
    month: str  # « mars 2026 »
    themes: tuple[str, ...]
    carrier: str
    stage: str
    needs: tuple[str, ...]
    idea: str | None  # its text while its lead keeps it; None once anonymised
    without_scheme: bool
    without_counter: bool


@dataclass(frozen=True, slots=True)
class Unheard:
    """A typed answer the bot did not understand, typed in at least 5 conversations."""

    node: str
    label: str
    text: str
    times: Count
    conversations: Count


@dataclass(frozen=True, slots=True)
class Gaps:
    """Where matching found nothing local, the ideas behind it, and the answers not understood."""

    cells: tuple[Gap, ...]
    ideas: tuple[GapIdea, ...]
    unheard: tuple[Unheard, ...]


@dataclass(frozen=True, slots=True)
class CounterLeads:
    """A counter's leads (None: the staff's queue), by status in `Leads.statuses` order."""

    counter_id: str | None
    name: str
    statuses: tuple[Count, ...]
    total: Count


@dataclass(frozen=True, slots=True)
class Delays:
    """How fast leads were taken: the median and the share within 5 working days."""

    taken: Count  # leads taken
    median_hours: float | None  # filing → first « pris en charge »; None below 5 taken leads
    judged: Count  # leads taken, or left untaken past 5 working days
    within: Count  # of them, taken within 5 working days
    share_within: float | None  # within / judged; None below 5 judged leads


@dataclass(frozen=True, slots=True)
class Leads:
    """Leads filed in the scope by counter and status, and how fast they were taken."""

    statuses: tuple[tuple[str, str], ...]  # (status, French label), the columns
    counters: tuple[CounterLeads, ...]
    by_status: tuple[Count, ...]
    total: Count
    delays: Delays


@dataclass(frozen=True, slots=True)
class MarkerLevels:
    """How many self-assessments put a marker at each level of the scale."""

    marker: str
    label: str
    levels: tuple[Count, ...]  # one per level of `Assessment.scale`
    answered: Count


@dataclass(frozen=True, slots=True)
class Assessment:
    """The social-innovation self-assessment of the leads filed in the scope (indicative)."""

    scale: tuple[str, ...]
    markers: tuple[MarkerLevels, ...]
    assessed: Count


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything the observatory shows for one period and territory."""

    period: str  # « du 01/03/2026 au 31/03/2026 »
    territory: str  # « Pas-de-Calais (62) »
    computed_at: dt.datetime
    ideas: Ideas
    funnel: Funnel
    gaps: Gaps
    leads: Leads
    assessment: Assessment
