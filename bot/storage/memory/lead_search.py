"""Leads as the dashboard lists and exports them, in memory: the same filters as in SQL."""

from __future__ import annotations

from bot.core.search import folded, found, terms
from bot.services.ports_advisors import Lead
from bot.services.ports_dashboard import LeadLine, LeadPage, LeadQuery
from bot.storage.memory.state import MemoryDatabase


def line(lead: Lead) -> LeadLine:
    """A list's line from a stored lead."""
    filing = lead.filing
    profile = filing.profile
    commune = filing.snapshot.commune
    return LeadLine(
        id=lead.id,
        reference=lead.reference,
        created_at=lead.created_at,
        status=lead.status,
        status_at=lead.status_at,
        counter_id=lead.counter_id,
        commune=commune.name,
        department=commune.department,
        carrier=str(profile.carrier),
        stage=str(profile.stage),
        themes=tuple(profile.themes),
        needs=tuple(str(n) for n in profile.needs),
        amount=profile.amount,
        idea=filing.idea,
        first_name=filing.contact.first_name,
        taken_by=lead.taken_by,
        version=lead.version,
    )


def matches(query: LeadQuery, lead: Lead) -> bool:
    """Whether a lead is one the query lists."""
    commune = lead.filing.snapshot.commune
    start, end = query.period()
    return (
        (query.scope is None or lead.counter_id in query.scope)
        and (not query.statuses or lead.status in query.statuses)
        and (query.counter is None or lead.counter_id == (query.counter or None))
        and (not query.department or commune.department == query.department)
        and (not query.theme or query.theme in lead.filing.profile.themes)
        and (start is None or lead.created_at >= start)
        and (end is None or lead.created_at < end)
        and found(
            terms(query.text),
            folded(lead.reference, commune.name),
            folded(lead.filing.idea, lead.filing.contact.first_name),
        )
    )


class MemoryLeadSearch:
    """Lead lists, counts and exports over the memory database."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._db = database

    def _matching(self, query: LeadQuery) -> list[Lead]:
        leads = sorted((s.lead for s in self._db.leads), key=lambda lead: -lead.id)
        return [lead for lead in leads if matches(query, lead)]

    async def page(self, query: LeadQuery, page: int, per_page: int) -> LeadPage:
        """One page of the matching leads, newest first, with the total."""
        matching = self._matching(query)
        number = max(1, page)
        chosen = matching[(number - 1) * per_page : number * per_page]
        return LeadPage(tuple(map(line, chosen)), len(matching), number, per_page)

    async def lines(self, query: LeadQuery, after_id: int | None, limit: int) -> list[LeadLine]:
        """Matching leads with an id below `after_id` (None: from the newest), newest first."""
        matching = self._matching(query)
        below = [lead for lead in matching if after_id is None or lead.id < after_id]
        return [line(lead) for lead in below[:limit]]

    async def departments(self, scope: tuple[str, ...] | None) -> list[str]:
        """The départements of the leads in scope, sorted (the filter's choices)."""
        leads = self._matching(LeadQuery(scope=scope))
        return sorted({d for lead in leads if (d := lead.filing.snapshot.commune.department)})
