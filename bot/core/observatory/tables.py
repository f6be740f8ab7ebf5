"""Every view of the observatory as a table of text cells: the pages' data tables, the CSV
downloads and the command line's summary all read these, so they show the same figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.observatory.delays import duration, percent
from bot.core.observatory.figures import Figures

HIDDEN = "masqué (moins de 5 demandes)"


@dataclass(frozen=True, slots=True)
class Table:
    """A view: its name in URLs (« manques »), title, column headers and rows of cells."""

    name: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int]  # the columns of numbers (right-aligned)


def _numbers(headers: tuple[str, ...], first: int) -> frozenset[int]:
    return frozenset(range(first, len(headers)))


def ideas_departments(f: Figures) -> Table:
    """Qualified ideas by département."""
    headers = ("Département", "Idées qualifiées")
    rows = tuple((b.label, str(b.count)) for b in f.ideas.departments)
    return Table(
        "idees-departements",
        "Idées qualifiées par département",
        headers,
        rows,
        _numbers(headers, 1),
    )


def ideas_themes(f: Figures) -> Table:
    """Qualified ideas by theme."""
    headers = ("Thème", "Idées qualifiées")
    rows = tuple((b.label, str(b.count)) for b in f.ideas.themes)
    return Table("idees-themes", "Idées qualifiées par thème", headers, rows, _numbers(headers, 1))


def ideas_cells(f: Figures) -> Table:
    """Qualified ideas by département and theme."""
    headers = ("Département", "Thème", "Idées qualifiées")
    rows = tuple((c.department_label, c.theme_label, str(c.count)) for c in f.ideas.cells)
    return Table(
        "idees-territoires-themes",
        "Idées qualifiées par département et thème",
        headers,
        rows,
        _numbers(headers, 2),
    )


def ideas_months(f: Figures) -> Table:
    """Qualified ideas by month."""
    headers = ("Mois", "Idées qualifiées")
    rows = tuple((b.label, str(b.count)) for b in f.ideas.months)
    return Table("idees-mois", "Idées qualifiées par mois", headers, rows, _numbers(headers, 1))


def ideas_month_themes(f: Figures) -> Table:
    """Qualified ideas by month and theme."""
    headers = ("Mois", "Thème", "Idées qualifiées")
    rows = tuple((m, t, str(n)) for m, t, n in f.ideas.month_themes)
    return Table(
        "idees-mois-themes",
        "Idées qualifiées par mois et par thème",
        headers,
        rows,
        _numbers(headers, 2),
    )


def funnel(f: Figures) -> Table:
    """The conversation node by node."""
    headers = ("Question", "Arrivées", "Réponses", "Réponses non comprises", "Abandons")
    rows = tuple(
        (s.label, str(s.entered), str(s.answered), str(s.invalid), str(s.abandoned))
        for s in f.funnel.steps
    )
    return Table(
        "parcours", "Le parcours, question par question", headers, rows, _numbers(headers, 1)
    )


def gaps(f: Figures) -> Table:
    """Territory × theme crossings with nothing local."""
    headers = (
        "Département",
        "Thème",
        "Conversations",
        "Sans dispositif local",
        "Sans structure locale",
    )
    rows = tuple(
        (
            g.department_label,
            g.theme_label,
            str(g.conversations),
            str(g.without_scheme),
            str(g.without_counter),
        )
        for g in f.gaps.cells
    )
    return Table(
        "manques",
        "Manques : territoires et thèmes sans solution locale",
        headers,
        rows,
        _numbers(headers, 2),
    )


def gap_ideas(f: Figures) -> Table:
    """The ideas behind the gaps, anonymised."""
    headers = (
        "Département",
        "Mois",
        "Thèmes",
        "Porteur",
        "Avancement",
        "Besoins",
        "Sans dispositif local",
        "Sans structure locale",
        "Idée",
    )
    rows = tuple(
        (
            i.department_label,
            i.month,
            ", ".join(i.themes),
            i.carrier,
            i.stage,
            ", ".join(i.needs),
            _yes(i.without_scheme),
            _yes(i.without_counter),
            i.idea or "(texte effacé)",
        )
        for i in f.gaps.ideas
    )
    return Table(
        "manques-idees", "Les idées derrière les manques (anonymisées)", headers, rows, frozenset()
    )


def unheard(f: Figures) -> Table:
    """The typed answers not understood most often."""
    headers = ("Question", "Réponse tapée", "Fois", "Conversations")
    rows = tuple((u.label, u.text, str(u.times), str(u.conversations)) for u in f.gaps.unheard)
    return Table(
        "incomprises",
        "Les réponses que le bot n'a pas comprises",
        headers,
        rows,
        _numbers(headers, 2),
    )


def leads(f: Figures) -> Table:
    """Leads by counter and status."""
    headers = ("Structure", *(label for _, label in f.leads.statuses), "Total")
    rows = tuple((c.name, *(str(n) for n in c.statuses), str(c.total)) for c in f.leads.counters)
    total = ("Total", *(str(n) for n in f.leads.by_status), str(f.leads.total))
    return Table(
        "demandes",
        "Demandes par structure et par statut",
        headers,
        (*rows, total) if rows else (),
        _numbers(headers, 1),
    )


def delays(f: Figures) -> Table:
    """How fast leads were taken."""
    d = f.leads.delays
    median = HIDDEN if d.median_hours is None else duration(d.median_hours)
    share = HIDDEN if d.share_within is None else percent(d.share_within)
    rows = (
        ("Demandes prises en charge", str(d.taken)),
        ("Délai médian du dépôt à la prise en charge", median),
        ("Demandes dont le délai de 5 jours ouvrés est connu", str(d.judged)),
        ("Prises en charge en 5 jours ouvrés au plus", str(d.within)),
        ("Part prise en charge en 5 jours ouvrés au plus", share),
    )
    return Table(
        "delais", "Délais de prise en charge", ("Indicateur", "Valeur"), rows, frozenset({1})
    )


def assessment(f: Figures) -> Table:
    """The self-assessment by marker and level."""
    a = f.assessment
    headers = ("Repère", *a.scale, "Réponses")
    rows = tuple((m.label, *(str(n) for n in m.levels), str(m.answered)) for m in a.markers)
    return Table(
        "autoevaluation",
        "Auto-positionnement sur les repères de l'innovation sociale",
        headers,
        rows,
        _numbers(headers, 1),
    )


def _yes(value: bool) -> str:
    return "oui" if value else "non"


VIEWS: dict[str, Callable[[Figures], Table]] = {
    "idees-departements": ideas_departments,
    "idees-themes": ideas_themes,
    "idees-territoires-themes": ideas_cells,
    "idees-mois": ideas_months,
    "idees-mois-themes": ideas_month_themes,
    "parcours": funnel,
    "manques": gaps,
    "manques-idees": gap_ideas,
    "incomprises": unheard,
    "demandes": leads,
    "delais": delays,
    "autoevaluation": assessment,
}
"""Every view by its name in URLs (`/conseillers/observatoire/<name>.csv`)."""


def table(figures: Figures, name: str) -> Table | None:
    """One view of the figures; None for a name that is none."""
    view = VIEWS.get(name)
    return None if view is None else view(figures)
