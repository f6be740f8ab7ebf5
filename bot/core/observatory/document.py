"""The figures as one JSON document (`comptoir observatory --json`).

A count is an integer, or the string « < 5 » for 1 to 4 people; a median or a share based on
fewer than 5 leads is null. Keys are English; labels are the French ones the pages show.
"""

from __future__ import annotations

from typing import Any

from bot.core.observatory.figures import SMALL, THRESHOLD, Bar, Count, Figures

RULE = (
    f"Les effectifs de 1 à {THRESHOLD - 1} sont donnés comme « {SMALL} » ; la médiane et la "
    f"part sont nulles (masquées) quand elles portent sur moins de {THRESHOLD} demandes."
)


def document(figures: Figures) -> dict[str, Any]:
    """The JSON document of the figures."""
    f = figures
    i, g, leads, a = f.ideas, f.gaps, f.leads, f.assessment
    d = leads.delays
    return {
        "period": f.period,
        "territory": f.territory,
        "computed_at": f.computed_at.isoformat(),
        "rule": RULE,
        "ideas": {
            "total": i.total.json(),
            "departments": [_bar(b, "department") for b in i.departments],
            "themes": [_bar(b, "theme") for b in i.themes],
            "months": [_bar(b, "month") for b in i.months],
            "crossings": [
                {
                    "department": c.department,
                    "department_label": c.department_label,
                    "theme": c.theme or None,
                    "theme_label": c.theme_label,
                    "count": c.count.json(),
                }
                for c in i.cells
            ],
            "month_themes": [
                {"month": m, "theme": t, "count": n.json()} for m, t, n in i.month_themes
            ],
        },
        "funnel": {
            "territorial": f.funnel.territorial,
            "steps": [
                {
                    "node": s.node,
                    "label": s.label,
                    "entered": s.entered.json(),
                    "answered": s.answered.json(),
                    "invalid": s.invalid.json(),
                    "abandoned": s.abandoned.json(),
                }
                for s in f.funnel.steps
            ],
        },
        "gaps": {
            "crossings": [
                {
                    "department": c.department,
                    "department_label": c.department_label,
                    "theme": c.theme or None,
                    "theme_label": c.theme_label,
                    "conversations": c.conversations.json(),
                    "without_local_scheme": c.without_scheme.json(),
                    "without_local_counter": c.without_counter.json(),
                }
                for c in g.cells
            ],
            "ideas": [
                {
                    "department": idea.department_label,
                    "month": idea.month,
                    "themes": list(idea.themes),
                    "carrier": idea.carrier,
                    "stage": idea.stage,
                    "needs": list(idea.needs),
                    "without_local_scheme": idea.without_scheme,
                    "without_local_counter": idea.without_counter,
                    "idea": idea.idea,
                }
                for idea in g.ideas
            ],
            "unheard": [
                {
                    "node": u.node,
                    "label": u.label,
                    "text": u.text,
                    "times": u.times.json(),
                    "conversations": u.conversations.json(),
                }
                for u in g.unheard
            ],
        },
        "leads": {
            "counters": [
                {
                    "counter": c.counter_id,
                    "name": c.name,
                    "statuses": _statuses(leads.statuses, c.statuses),
                    "total": c.total.json(),
                }
                for c in leads.counters
            ],
            "by_status": _statuses(leads.statuses, leads.by_status),
            "total": leads.total.json(),
            "delays": {
                "taken": d.taken.json(),
                "median_hours": None if d.median_hours is None else round(d.median_hours, 2),
                "judged": d.judged.json(),
                "within_5_working_days": d.within.json(),
                "share_within_5_working_days": (
                    None if d.share_within is None else round(d.share_within, 4)
                ),
            },
        },
        "assessment": {
            "assessed": a.assessed.json(),
            "scale": list(a.scale),
            "markers": [
                {
                    "marker": m.marker,
                    "label": m.label,
                    "levels": [n.json() for n in m.levels],
                    "answered": m.answered.json(),
                }
                for m in a.markers
            ],
        },
    }


def _bar(bar: Bar, key: str) -> dict[str, Any]:
    return {key: bar.key, "label": bar.label, "count": bar.count.json()}


def _statuses(statuses: tuple[tuple[str, str], ...], counts: tuple[Count, ...]) -> dict[str, Any]:
    return {status: n.json() for (status, _), n in zip(statuses, counts, strict=True)}
