"""From the rows storage counted to the figures staff read: labels, order, « < 5 »."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from bot.core.observatory.figures import (
    ZERO,
    Assessment,
    Bar,
    Cell,
    Count,
    CounterLeads,
    Delays,
    Funnel,
    Gap,
    GapIdea,
    Gaps,
    Ideas,
    Leads,
    MarkerLevels,
    Step,
    Unheard,
)
from bot.core.observatory.names import Names
from bot.core.observatory.rows import (
    AssessmentRows,
    FunnelRow,
    GapIdeaRow,
    IdeaRows,
    LeadRow,
    Tallied,
    UnheardRow,
)
from bot.core.observatory.scope import month_label, month_of
from bot.core.observatory.unheard import masked

KIND_COLUMNS = {"node_entered": 0, "answered": 1, "invalid_input": 2, "abandoned": 3}


def ideas(rows: IdeaRows, months: Sequence[str], names: Names) -> Ideas:
    """Qualified ideas by département, theme, crossing and month (every month of `months`)."""
    by_month = {t.key: t.count for t in rows.months}
    cells = [
        Cell(
            p.department,
            names.department(p.department),
            p.theme or "",
            names.theme(p.theme),
            Count.of(p.conversations),
        )
        for p in rows.places
    ]
    cells.sort(key=lambda c: (-c.count.known, c.department_label, c.theme_label))
    month_themes = sorted(
        ((m.month, names.theme(m.theme), Count.of(m.count)) for m in rows.month_themes),
        key=lambda item: (item[0], -item[2].known, item[1]),
    )
    return Ideas(
        total=Count.of(rows.total),
        departments=_bars(rows.departments, names.department),
        themes=_bars(rows.themes, names.theme),
        months=tuple(Bar(m, month_label(m), Count.of(by_month.get(m, 0))) for m in months),
        cells=tuple(cells),
        month_themes=tuple((month_label(m), theme, n) for m, theme, n in month_themes),
    )


def _bars(rows: Iterable[Tallied], label: Callable[[str], str]) -> tuple[Bar, ...]:
    bars = [Bar(t.key, label(t.key), Count.of(t.count)) for t in rows]
    return tuple(sorted(bars, key=lambda b: (-b.count.known, b.label)))


def funnel(rows: Iterable[FunnelRow], names: Names, territorial: bool) -> Funnel:
    """Each question and end in the dialog's order (nodes of older dialogs after them)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        column = KIND_COLUMNS.get(row.kind)
        if column is not None:
            # Invalid answers are counted as answers; the others as conversations.
            counts[row.node][column] = row.events if column == 2 else row.conversations
    known = [node for node, _ in names.steps]
    labels = dict(names.steps)
    # A node the dialog no longer has is shown after the others; one that asks nothing is not.
    older = sorted(node for node in counts if node not in labels and node not in names.silent)
    steps = tuple(
        Step(node, labels.get(node, node), *(Count.of(n) for n in counts.get(node, [0, 0, 0, 0])))
        for node in (*known, *older)
    )
    return Funnel(steps, territorial)


def gaps(
    rows: IdeaRows,
    ideas: Iterable[GapIdeaRow],
    unheard: Iterable[UnheardRow],
    names: Names,
) -> Gaps:
    """The crossings where matching found nothing local, their ideas, the unheard answers."""
    cells = [
        Gap(
            p.department,
            names.department(p.department),
            p.theme or "",
            names.theme(p.theme),
            Count.of(p.conversations),
            Count.of(p.without_scheme),
            Count.of(p.without_counter),
        )
        for p in rows.places
        if p.without_scheme or p.without_counter
    ]
    cells.sort(
        key=lambda g: (
            -(g.without_scheme.known + g.without_counter.known),
            g.department_label,
            g.theme_label,
        )
    )
    behind = [
        GapIdea(
            department_label=names.department(i.department),
            month=month_label(month_of(i.filed_at)),
            themes=tuple(names.theme(t) for t in i.themes),
            carrier=names.carriers.get(i.carrier, i.carrier),
            stage=names.stages.get(i.stage, i.stage),
            needs=tuple(names.needs.get(n, n) for n in i.needs),
            idea=masked(" ".join(i.idea.split())) if i.idea else None,
            without_scheme=i.without_scheme,
            without_counter=i.without_counter,
        )
        for i in ideas
    ]
    labels = dict(names.steps)
    heard = [
        Unheard(
            u.node, labels.get(u.node, u.node), u.text, Count.of(u.times), Count.of(u.conversations)
        )
        for u in unheard
    ]
    heard.sort(key=lambda u: (-u.times.known, u.label, u.text))
    return Gaps(tuple(cells), tuple(behind), tuple(heard))


def leads(rows: Iterable[LeadRow], delays: Delays, names: Names) -> Leads:
    """Leads by counter and status (the busiest counter first), with their delays."""
    statuses = tuple(names.statuses.items())
    column = {status: index for index, (status, _) in enumerate(statuses)}
    table: dict[str | None, list[int]] = defaultdict(lambda: [0] * len(statuses))
    for row in rows:
        if row.status in column:
            table[row.counter_id][column[row.status]] += row.count
    counters = [
        CounterLeads(
            counter_id,
            names.counter(counter_id),
            tuple(Count.of(n) for n in counts),
            Count.of(sum(counts)),
        )
        for counter_id, counts in table.items()
    ]
    counters.sort(key=lambda c: (-c.total.known, c.name))
    sums = [sum(counts[i] for counts in table.values()) for i in range(len(statuses))]
    return Leads(
        statuses=statuses,
        counters=tuple(counters),
        by_status=tuple(Count.of(n) for n in sums),
        total=Count.of(sum(sums)),
        delays=delays,
    )


def assessment(rows: AssessmentRows, names: Names) -> Assessment:
    """Each marker asked (or answered) by level, in the knowledge's order."""
    levels: dict[str, list[int]] = defaultdict(lambda: [0] * len(names.scale))
    for row in rows.levels:
        if 0 <= row.level < len(names.scale):
            levels[row.marker][row.level] += row.count
    known = dict(names.markers)
    shown = [m for m, _ in names.markers if m in names.asked_markers or m in levels]
    shown += sorted(m for m in levels if m not in known)
    markers = tuple(
        MarkerLevels(
            marker,
            known.get(marker, marker),
            tuple(Count.of(n) for n in levels.get(marker, [0] * len(names.scale))),
            Count.of(sum(levels.get(marker, []))),
        )
        for marker in shown
    )
    return Assessment(names.scale, markers, Count.of(rows.assessed))


def no_delays() -> Delays:
    """The delays of no lead."""
    return Delays(ZERO, None, ZERO, ZERO, None)
