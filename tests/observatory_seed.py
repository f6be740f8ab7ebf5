"""A small world for the observatory's tests, written through the stores as turns write it.

Conversations (each a chat of its own, its events under its pseudonym):
- 7 « a » in the Pas-de-Calais (62), March 2026, theme alimentation, matched with no local
  scheme (one local counter); a0 is matched twice. a0…a5 typed « Je sais pas ! » at the
  commune (a0 twice).
- 3 « b » in the 62, April 2026, alimentation and numérique, a local scheme, no local counter.
- 6 « c » in the Nord (59), March, no theme, local schemes and counters; c0 and c1 typed
  « bof » at the carrier question.
- 2 « d » in the Gironde (33), March, culture-sport-loisirs, nothing local.
- 4 « e » that stopped at the idea, before any matching (no territory).
Every matched conversation entered and answered the consent and the idea questions.

Leads (filed in Arras on Monday 2 March 2026 at 10:00 UTC):
- 0…4: no local scheme; taken 1 h, 2 h, 1 day, 3 days and 10 days later, at Pas-de-Calais
  Actif; self-assessed (0…2: collectif 2 and gouvernance 1; 3…4: collectif 3).
- 5: a local scheme, no local counter, no idea text; left new for the staff.
- 6: a local scheme and a local counter (no gap); left new for the staff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.core.conversation import Event
from bot.core.filing import MarkerLevel
from bot.core.matching.snapshot import SchemeView
from bot.services.ports import Storage
from bot.services.ports_advisors import LeadEvent
from tests.contracts import filing

MARCH = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday
APRIL = dt.datetime(2026, 4, 6, 10, 0, tzinfo=dt.UTC)
TODAY = dt.datetime(2026, 4, 15, 8, 0, tzinfo=dt.UTC)
COUNTER = "pas-de-calais-actif"
EMAIL = "sam.durand@example.org"
TAKEN_AFTER = (
    dt.timedelta(hours=1),
    dt.timedelta(hours=2),
    dt.timedelta(days=1),
    dt.timedelta(days=3),
    dt.timedelta(days=10),
)


def match(department: str, themes: list[str], schemes: int, counters: int) -> Event:
    """A `match_run` event as the qualification logs it."""
    return Event(
        "match_run",
        "match",
        {
            "schemes": 3,
            "near_misses": 0,
            "counters": 2,
            "department": department,
            "themes": themes,
            "local_schemes": schemes,
            "local_counters": counters,
            "scheme_ids": [],
            "counter_ids": [],
        },
    )


def walked(*nodes: str) -> list[Event]:
    """Entering and answering these questions."""
    return [e for node in nodes for e in (Event("node_entered", node), Event("answered", node))]


def unheard(node: str, typed: str) -> Event:
    """An answer not understood, as the walk logs it."""
    return Event("invalid_input", node, {"reason": "invalid_choice", "typed": typed})


async def log(storage: Storage, chat: str, events: list[Event], at: dt.datetime) -> None:
    """Events of one chat, in a turn of their own."""
    async with storage.conversations.chat(chat) as session:
        await session.log(events, at)


async def seed_conversations(storage: Storage) -> None:
    """The conversations above."""
    for i in range(7):
        events = [*walked("consent", "idea"), match("62", ["alimentation"], 0, 1)]
        if i == 0:
            events += [match("62", ["alimentation"], 0, 1), unheard("where", "je sais pas")]
        if i < 6:
            events.append(unheard("where", "je sais pas"))
        await log(storage, f"telegram:a{i}", events, MARCH + dt.timedelta(hours=i))
    for i in range(3):
        events = [*walked("consent", "idea"), match("62", ["alimentation", "numerique"], 1, 0)]
        await log(storage, f"telegram:b{i}", events, APRIL + dt.timedelta(hours=i))
    for i in range(6):
        events = [*walked("consent", "idea"), match("59", [], 2, 2)]
        if i < 2:
            events.append(unheard("carrier", "bof"))
        await log(storage, f"web:c{i}", events, MARCH + dt.timedelta(days=1, hours=i))
    for i in range(2):
        events = [*walked("consent", "idea"), match("33", ["culture-sport-loisirs"], 0, 0)]
        await log(storage, f"web:d{i}", events, MARCH + dt.timedelta(days=2, hours=i))
    for i in range(4):
        events = [
            *walked("consent"),
            Event("node_entered", "idea"),
            Event("abandoned", "idea", {"idle_days": 3}),
        ]
        await log(storage, f"web:e{i}", events, MARCH + dt.timedelta(days=3, hours=i))


def _local_scheme() -> SchemeView:
    return SchemeView(
        id="pas-de-calais-budget-citoyen",
        name="Budget citoyen",
        funder="Département du Pas-de-Calais",
        score=1.0,
        level="department",
        reason="couvre le Pas-de-Calais",
        criteria=(),
        remedy=None,
        checks=(),
        deadline=None,
        url="https://www.pasdecalais.fr/",
    )


async def seed_leads(storage: Storage) -> None:
    """The leads above, their takings and self-assessments."""
    model = filing()
    counter = model.snapshot.counters[0]
    for i in range(7):
        snapshot = model.snapshot
        if i == 5:
            national = counter.model_copy(update={"level": "national"})
            snapshot = snapshot.model_copy(
                update={"schemes": (_local_scheme(),), "counters": (national,)}
            )
        elif i == 6:
            local = counter.model_copy(update={"level": "department"})
            snapshot = snapshot.model_copy(
                update={"schemes": (_local_scheme(),), "counters": (local,)}
            )
        else:
            local = counter.model_copy(update={"level": "department"})
            snapshot = snapshot.model_copy(update={"counters": (local,)})
        assessment: tuple[MarkerLevel, ...] = ()
        if i < 3:
            assessment = (
                MarkerLevel(marker="collectif", level=2),
                MarkerLevel(marker="gouvernance", level=1),
            )
        elif i < 5:
            assessment = (MarkerLevel(marker="collectif", level=3),)
        idea = None if i == 5 else f"Une épicerie solidaire n°{i} ; écrire à {EMAIL}"
        filed = model.model_copy(
            update={
                "idempotency_key": f"lead-{i}",
                "snapshot": snapshot,
                "assessment": assessment,
                "idea": idea,
            }
        )
        async with storage.conversations.chat(f"telegram:lead{i}") as session:
            record = await session.file(filed, MARCH)
        if i >= 5:
            continue
        lead = await storage.leads.find(record.reference)
        assert lead is not None
        taken = MARCH + TAKEN_AFTER[i]
        async with storage.leads.lead(lead.id) as work:
            current = await work.lead()
            await work.save(
                dataclasses.replace(
                    current,
                    status="pris_en_charge",
                    status_at=taken,
                    counter_id=COUNTER,
                    assigned_at=MARCH,
                    version=current.version + 1,
                )
            )
            await work.log([LeadEvent(lead.id, "taken", "cli", taken, {})])


async def seed(storage: Storage) -> None:
    """The whole world."""
    await seed_conversations(storage)
    await seed_leads(storage)
