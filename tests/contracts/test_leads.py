"""The `Leads` contract: a transaction locked on one lead, its timeline, its cards, erasure."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.core.filing import Contact
from bot.services.ports import Notice, QueuedNotice, Retention, Storage
from bot.services.ports_advisors import (
    Awaiting,
    Card,
    Group,
    Lead,
    LeadEvent,
    LeadSession,
    StaleLead,
    UnknownLead,
)
from bot.storage.errors import NestedTransaction
from tests.contracts import (
    CHAT,
    COUNTER,
    OTHER,
    SQL_KINDS,
    T0,
    change_lead,
    every_pre_application,
    file_lead,
    filing,
)
from tests.contracts.conftest import Backend

MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)
PARIS = dt.timezone(dt.timedelta(hours=1))
GROUP = -1001234567890
ADVISOR = 5123456789  # an advisor's private chat
OTHER_COUNTER = "bge-hauts-de-france"


def event(lead_id: int, kind: str, at: dt.datetime, **detail: object) -> LeadEvent:
    return LeadEvent(lead_id, kind, "system", at, dict(detail))


# --- reading a lead --------------------------------------------------------------------------


async def test_a_filed_pre_application_reads_as_a_new_lead(storage: Storage) -> None:
    filed = await file_lead(storage)
    assert filed == Lead(
        id=filed.id,
        reference="CPT-2026-000001",
        chat_key=CHAT,
        filing=filing(),
        status="nouveau",
        status_at=T0,
        created_at=T0,
        version=1,
    )
    # The filing's suggested counter is not an assignment.
    assert filed.counter_id is None and filed.filing.counter_id == COUNTER
    assert await storage.leads.get(filed.id) == filed
    assert await storage.leads.find("CPT-2026-000001") == filed
    assert await storage.leads.get(filed.id + 1000) is None
    assert await storage.leads.find("CPT-2026-999999") is None


async def test_a_save_writes_every_changeable_field(storage: Storage) -> None:
    filed = await file_lead(storage)
    camille = await storage.accounts.add_person(
        "camille@example.org", "Camille Martin", "advisor", [OTHER_COUNTER], T0
    )
    in_paris = dt.datetime(2026, 3, 2, 11, 30, tzinfo=PARIS)
    async with storage.leads.lead(filed.id) as session:
        assert await session.lead() == filed
        changed = dataclasses.replace(
            filed,
            status="pris",
            status_at=in_paris,
            version=2,
            counter_id=OTHER_COUNTER,
            reason="couvre Arras au niveau du département",
            assigned_at=in_paris,
            taken_by=camille.id,
            relay_open=True,
            citizen_told=True,
            reminded_on=dt.date(2026, 3, 4),
            escalated_at=in_paris,
            excluded=(COUNTER, "another"),
            awaiting=Awaiting(person_id=camille.id, action="reoriente"),
        )
        await session.save(changed)
        utc = dataclasses.replace(
            changed, status_at=T0 + DAY / 24, assigned_at=T0 + DAY / 24, escalated_at=T0 + DAY / 24
        )
        assert await session.lead() == utc
    stored = await storage.leads.get(filed.id)
    assert stored == utc
    assert stored is not None and stored.status_at.utcoffset() == dt.timedelta()
    # The citizen's side sees the status; the filing (its suggested counter) is unchanged.
    (record,) = await every_pre_application(storage)
    assert (record.status, record.filing) == ("pris", filing())
    # Cleared fields are written too.
    cleared = await change_lead(
        storage,
        filed.id,
        counter_id=None,
        reason=None,
        assigned_at=None,
        taken_by=None,
        relay_open=False,
        reminded_on=None,
        escalated_at=None,
        excluded=(),
        awaiting=None,
    )
    assert await storage.leads.get(filed.id) == cleared


async def test_a_save_that_is_not_the_next_version_is_refused(storage: Storage) -> None:
    filed = await file_lead(storage)
    for wrong in (1, 3, 0):
        with pytest.raises(StaleLead, match="expected 2"):
            async with storage.leads.lead(filed.id) as session:
                await session.save(dataclasses.replace(filed, version=wrong, status="perdu"))
    assert await storage.leads.get(filed.id) == filed
    async with storage.leads.lead(filed.id) as session:
        await session.save(dataclasses.replace(filed, version=2, status="pris"))
        await session.save(dataclasses.replace(filed, version=3, status="en_cours"))
        with pytest.raises(StaleLead, match="expected 4"):
            await session.save(dataclasses.replace(filed, version=3, status="perdu"))
    stored = await storage.leads.get(filed.id)
    assert stored is not None and (stored.version, stored.status) == (3, "en_cours")


async def test_a_session_refuses_another_leads_records(storage: Storage) -> None:
    first = await file_lead(storage, key="a")
    second = await file_lead(storage, key="b")
    with pytest.raises(ValueError, match="does not hold"):
        async with storage.leads.lead(first.id) as session:
            await session.save(dataclasses.replace(second, version=2))
    with pytest.raises(ValueError, match="does not hold"):
        async with storage.leads.lead(first.id) as session:
            await session.log([event(second.id, "note", T0)])
    assert await storage.leads.get(second.id) == second
    assert await storage.leads.events(second.id) == []


async def test_an_unknown_lead_cannot_be_opened(storage: Storage) -> None:
    with pytest.raises(UnknownLead):
        async with storage.leads.lead(404):
            pass
    filed = await file_lead(storage)
    with pytest.raises(UnknownLead):
        async with storage.leads.lead(filed.id + 1):
            pass


async def test_a_failed_block_leaves_nothing_behind(storage: Storage) -> None:
    filed = await file_lead(storage)
    with pytest.raises(RuntimeError, match="service crashed"):
        async with storage.leads.lead(filed.id) as session:
            await session.save(dataclasses.replace(filed, version=2, status="pris"))
            await session.log([event(filed.id, "taken", T0)])
            await session.enqueue([Notice("lead_card", COUNTER, {"id": filed.id})], T0)
            raise RuntimeError("service crashed")
    assert await storage.leads.get(filed.id) == filed
    assert await storage.leads.events(filed.id) == []
    assert await storage.outbox.recipients("", T0 + DAY, 10) == []


# --- what a session writes -------------------------------------------------------------------


async def test_a_session_enqueues_messages_delivered_after_commit(storage: Storage) -> None:
    filed = await file_lead(storage)
    notices = [
        Notice("relay_out", CHAT, {"text": "Bonjour, ici Camille."}),
        Notice("lead_card", COUNTER, {"lead": filed.id, "version": 2}),
    ]
    async with storage.leads.lead(filed.id) as session:
        written = await session.enqueue(notices, T0)
        assert await session.enqueue([], T0) == []
    assert [(q.kind, q.recipient, q.payload, q.attempts, q.created_at) for q in written] == [
        (n.kind, n.recipient, n.payload, 0, T0) for n in notices
    ]
    assert written[0].id < written[1].id
    assert await storage.outbox.queued(COUNTER, T0, 10) == [written[1]]
    (to_citizen,) = await storage.outbox.queued(CHAT, T0, 10)
    assert to_citizen == QueuedNotice(written[0].id, "relay_out", CHAT, notices[0].payload, 0, T0)


async def test_events_make_a_timeline_oldest_first(storage: Storage) -> None:
    filed = await file_lead(storage)
    other = await file_lead(storage, OTHER)
    async with storage.leads.lead(filed.id) as session:
        await session.log(
            [
                event(filed.id, "routed", T0, counter=COUNTER, reason="couvre Arras « local »"),
                event(filed.id, "taken", T0 + 2 * MINUTE),
            ]
        )
        await session.log([])
    async with storage.leads.lead(other.id) as session:
        await session.log([event(other.id, "routed", T0)])
    async with storage.leads.lead(filed.id) as session:
        paris = (T0 + MINUTE).astimezone(PARIS)
        status = LeadEvent(
            filed.id, "status", "person:12", paris, {"from": "nouveau", "to": "pris"}
        )
        await session.log([status, event(filed.id, "note", T0 + 2 * MINUTE)])
    timeline = await storage.leads.events(filed.id)
    assert [(e.kind, e.at) for e in timeline] == [
        ("routed", T0),
        ("status", T0 + MINUTE),
        ("taken", T0 + 2 * MINUTE),  # same instant: in logging order
        ("note", T0 + 2 * MINUTE),
    ]
    assert timeline[0].detail == {"counter": COUNTER, "reason": "couvre Arras « local »"}
    assert (timeline[1].actor, timeline[1].detail) == (
        "person:12",
        {"from": "nouveau", "to": "pris"},
    )
    assert timeline[1].at.utcoffset() == dt.timedelta()
    assert [e.kind for e in await storage.leads.events(other.id)] == ["routed"]
    assert await storage.leads.events(404) == []


# --- finding leads ---------------------------------------------------------------------------


async def test_cards_are_one_per_chat_and_find_their_lead(storage: Storage) -> None:
    filed = await file_lead(storage)
    other = await file_lead(storage, OTHER)
    await storage.leads.add_card(Card(filed.id, GROUP, 10, version=1))
    await storage.leads.add_card(Card(filed.id, ADVISOR, 11))
    await storage.leads.add_card(Card(other.id, GROUP, 12, version=1))
    assert await storage.leads.by_card(GROUP, 10) == filed
    # Sent again in the group (the old card deleted): the new message replaces the old one.
    await storage.leads.add_card(Card(filed.id, GROUP, 20, version=3))
    assert await storage.leads.cards(filed.id) == [
        Card(filed.id, GROUP, 20, version=3),
        Card(filed.id, ADVISOR, 11, version=0),
    ]
    assert await storage.leads.by_card(GROUP, 10) is None
    assert await storage.leads.by_card(GROUP, 20) == filed
    assert await storage.leads.by_card(GROUP, 12) == other
    assert await storage.leads.by_card(ADVISOR, 12) is None
    assert await storage.leads.cards(other.id) == [Card(other.id, GROUP, 12, version=1)]
    assert await storage.leads.cards(404) == []
    with pytest.raises(UnknownLead):
        await storage.leads.add_card(Card(other.id + 1000, GROUP, 30))


async def test_a_group_that_became_a_supergroup_takes_its_link_and_cards_along(
    storage: Storage,
) -> None:
    supergroup = -1_009_876_543_210
    filed = await file_lead(storage)
    other = await file_lead(storage, OTHER)
    await storage.accounts.link_group(GROUP, COUNTER, T0)
    await storage.accounts.set_digest(GROUP, True)
    await storage.leads.add_card(Card(filed.id, GROUP, 10, version=2))
    await storage.leads.add_card(Card(other.id, GROUP, 12, version=1))
    await storage.leads.add_card(Card(other.id, supergroup, 30, version=4))  # shown there already
    moved = await storage.accounts.move_group(GROUP, supergroup)
    assert moved == Group(supergroup, COUNTER, True, T0)
    assert await storage.accounts.groups() == [moved]
    assert await storage.leads.cards(filed.id) == [Card(filed.id, supergroup, 10, version=2)]
    assert await storage.leads.cards(other.id) == [Card(other.id, supergroup, 30, version=4)]
    assert await storage.leads.by_card(supergroup, 10) == filed
    assert await storage.accounts.move_group(GROUP, supergroup) == moved  # told twice: the same
    assert await storage.accounts.move_group(-5, -6) is None  # not ours


async def test_a_group_linked_again_before_its_migration_was_seen_keeps_the_new_link(
    storage: Storage,
) -> None:
    supergroup = -1_009_876_543_210
    await storage.accounts.link_group(GROUP, COUNTER, T0)
    relinked = await storage.accounts.link_group(supergroup, "other-counter", T0 + dt.timedelta(1))
    assert await storage.accounts.move_group(GROUP, supergroup) == relinked
    assert await storage.accounts.groups() == [relinked]


async def test_awaiting_finds_the_newest_lead_waiting_for_a_persons_reason(
    storage: Storage,
) -> None:
    first = await file_lead(storage, key="a")
    second = await file_lead(storage, key="b")
    assert await storage.leads.awaiting(12) is None
    await change_lead(storage, first.id, awaiting=Awaiting(12, "pas_pour_nous"))
    await change_lead(storage, second.id, awaiting=Awaiting(12, "reoriente"))
    found = await storage.leads.awaiting(12)
    assert found is not None and (found.id, found.awaiting) == (
        second.id,
        Awaiting(12, "reoriente"),
    )
    assert await storage.leads.awaiting(13) is None
    await change_lead(storage, second.id, awaiting=None)
    found = await storage.leads.awaiting(12)
    assert found is not None and found.id == first.id


async def test_relaying_finds_the_citizens_newest_open_relay(storage: Storage) -> None:
    first = await file_lead(storage, key="a")
    second = await file_lead(storage, key="b")
    other = await file_lead(storage, OTHER)
    assert await storage.leads.relaying(CHAT) is None
    await change_lead(storage, first.id, relay_open=True)
    await change_lead(storage, other.id, relay_open=True)
    found = await storage.leads.relaying(CHAT)
    assert found is not None and found.id == first.id
    await change_lead(storage, second.id, relay_open=True)
    found = await storage.leads.relaying(CHAT)
    assert found is not None and found.id == second.id
    await change_lead(storage, second.id, relay_open=False)
    found = await storage.leads.relaying(CHAT)
    assert found is not None and found.id == first.id
    assert await storage.leads.relaying("telegram:never-seen") is None


async def test_leads_are_listed_newest_first_by_status_and_counter(storage: Storage) -> None:
    a = await change_lead(storage, (await file_lead(storage, key="a")).id, counter_id=COUNTER)
    b = await change_lead(
        storage, (await file_lead(storage, key="b")).id, counter_id=COUNTER, status="pris"
    )
    c = await change_lead(storage, (await file_lead(storage, OTHER)).id, status="pris")
    d = await file_lead(storage, OTHER, key="d")
    leads = storage.leads

    def ids(found: list[Lead]) -> list[int]:
        return [lead.id for lead in found]

    assert ids(await leads.leads()) == [d.id, c.id, b.id, a.id]
    assert await leads.leads() == [d, *(await leads.leads())[1:]]
    assert ids(await leads.leads(["pris"])) == [c.id, b.id]
    assert ids(await leads.leads(["nouveau", "pris"])) == [d.id, c.id, b.id, a.id]
    assert ids(await leads.leads(counter_id=COUNTER)) == [b.id, a.id]
    assert ids(await leads.leads(["nouveau"], COUNTER)) == [a.id]
    assert ids(await leads.leads(["perdu"])) == []
    assert ids(await leads.leads([])) == []
    assert ids(await leads.leads(counter_id="nobody")) == []


async def test_a_tally_counts_the_leads_of_each_status(storage: Storage) -> None:
    assert await storage.leads.tally() == {}
    a = await file_lead(storage, key="a")
    await file_lead(storage, key="b")
    await change_lead(storage, (await file_lead(storage, OTHER, key="c")).id, status="pris")
    assert await storage.leads.tally() == {"nouveau": 2, "pris": 1}
    await change_lead(storage, a.id, status="pris")
    assert await storage.leads.tally() == {"nouveau": 1, "pris": 2}


# --- erasure ---------------------------------------------------------------------------------


async def test_forget_closes_the_relay_and_the_awaited_reason_and_keeps_the_timeline(
    storage: Storage,
) -> None:
    filed = await file_lead(storage)
    kept = await file_lead(storage, OTHER)
    await change_lead(storage, kept.id, relay_open=True, awaiting=Awaiting(13, "reoriente"))
    async with storage.leads.lead(filed.id) as session:
        await session.log([event(filed.id, "taken", T0)])
    worked = await change_lead(
        storage, filed.id, status="pris", relay_open=True, awaiting=Awaiting(12, "pas_pour_nous")
    )

    async with storage.conversations.chat(CHAT) as session:
        await session.forget(T0 + DAY)

    erased = await storage.leads.get(filed.id)
    assert erased == dataclasses.replace(
        worked,
        chat_key=None,
        filing=filing().model_copy(update={"contact": Contact(), "idea": None, "assessment": ()}),
        relay_open=False,
        awaiting=None,
    )
    assert await storage.leads.relaying(CHAT) is None
    assert await storage.leads.awaiting(12) is None
    assert [e.kind for e in await storage.leads.events(filed.id)] == ["taken"]
    # Another citizen's lead is untouched.
    found = await storage.leads.relaying(OTHER)
    assert found is not None and found.id == kept.id
    assert await storage.leads.awaiting(13) == found


async def test_purge_anonymises_an_old_lead_with_its_relay_closed(storage: Storage) -> None:
    filed = await file_lead(storage)
    await change_lead(storage, filed.id, relay_open=True, awaiting=Awaiting(12, "reoriente"))
    # No conversation was saved: the lead is an orphan, anonymised a year after filing.
    await storage.privacy.purge(T0 + 366 * DAY, Retention())
    erased = await storage.leads.get(filed.id)
    assert erased is not None and erased.chat_key is None
    assert (erased.relay_open, erased.awaiting) == (False, None)


# --- batches ---------------------------------------------------------------------------------


async def test_a_batch_holds_the_leads_that_exist_by_id(storage: Storage) -> None:
    a = await file_lead(storage, key="a")
    b = await file_lead(storage, key="b")
    c = await file_lead(storage, OTHER)
    async with storage.leads.batch([c.id, a.id, c.id + 1000, a.id]) as batch:
        assert await batch.leads() == [a, c]
        await batch.save(dataclasses.replace(c, version=2, reminded_on=dt.date(2026, 3, 3)))
        await batch.save(dataclasses.replace(a, version=2, escalated_at=T0 + DAY))
        assert [lead.version for lead in await batch.leads()] == [2, 2]
        await batch.log([event(a.id, "escalated", T0 + DAY), event(c.id, "reminder", T0 + DAY)])
        (queued,) = await batch.enqueue([Notice("reminder", COUNTER, {"leads": [a.id]})], T0)
        with pytest.raises(StaleLead, match="expected 3"):
            await batch.save(dataclasses.replace(a, version=2))
        # A lead the batch does not hold is refused.
        with pytest.raises(ValueError, match="does not hold"):
            await batch.save(dataclasses.replace(b, version=2))
        with pytest.raises(ValueError, match="does not hold"):
            await batch.log([event(b.id, "reminder", T0)])
    assert await storage.leads.get(a.id) == dataclasses.replace(a, version=2, escalated_at=T0 + DAY)
    stored_c = await storage.leads.get(c.id)
    assert stored_c is not None and stored_c.reminded_on == dt.date(2026, 3, 3)
    assert await storage.leads.get(b.id) == b
    assert [e.kind for e in await storage.leads.events(c.id)] == ["reminder"]
    assert await storage.outbox.queued(COUNTER, T0, 10) == [queued]
    async with storage.leads.batch([]) as empty:
        assert await empty.leads() == []


async def test_a_failed_batch_leaves_nothing_behind(storage: Storage) -> None:
    a = await file_lead(storage, key="a")
    b = await file_lead(storage, key="b")
    with pytest.raises(RuntimeError, match="reminders crashed"):
        async with storage.leads.batch([a.id, b.id]) as batch:
            for lead in await batch.leads():
                await batch.save(
                    dataclasses.replace(lead, version=2, reminded_on=dt.date(2026, 3, 3))
                )
            await batch.log([event(a.id, "reminder", T0)])
            await batch.enqueue([Notice("reminder", COUNTER, {})], T0)
            raise RuntimeError("reminders crashed")
    assert await storage.leads.leads() == [b, a]
    assert await storage.leads.events(a.id) == []
    assert await storage.outbox.recipients("", T0 + DAY, 10) == []


async def test_a_batch_waits_for_a_session_on_one_of_its_leads(backend: Backend) -> None:
    first_storage, second_storage = await backend.open(), await backend.open()
    a = await file_lead(first_storage, key="a")
    b = await file_lead(first_storage, key="b")
    inside, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with first_storage.leads.lead(b.id) as session:
            await session.save(dataclasses.replace(b, version=2, status="pris"))
            inside.set()
            await release.wait()

    async def remind() -> list[Lead]:
        async with second_storage.leads.batch([a.id, b.id]) as batch:
            return await batch.leads()

    holder = asyncio.create_task(hold())
    await inside.wait()
    reminder = asyncio.create_task(remind())
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reminder), 0.3)
    finally:
        release.set()
    await asyncio.wait_for(holder, 5)
    seen = await asyncio.wait_for(reminder, 5)
    assert [(lead.id, lead.status) for lead in seen] == [(a.id, "nouveau"), (b.id, "pris")]


# --- locking and the rules every store call follows -----------------------------------------


async def test_two_sessions_on_one_lead_run_one_after_the_other(backend: Backend) -> None:
    # On SQL kinds, two storages: two processes as far as the database can tell.
    first_storage, second_storage = await backend.open(), await backend.open()
    filed = await file_lead(first_storage)
    first_inside, release, second_inside = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def work(storage: Storage, inside: asyncio.Event, hold: asyncio.Event | None) -> int:
        async with storage.leads.lead(filed.id) as session:
            inside.set()
            seen = await session.lead()
            if hold is not None:
                await hold.wait()
            await session.save(dataclasses.replace(seen, version=seen.version + 1))
            return seen.version + 1

    first = asyncio.create_task(work(first_storage, first_inside, release))
    await first_inside.wait()
    second = asyncio.create_task(work(second_storage, second_inside, None))
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(second_inside.wait(), 0.3)
    finally:
        release.set()
        results = await asyncio.gather(first, second, return_exceptions=True)
    assert list(results) == [2, 3]


async def test_reads_do_not_wait_for_a_locked_lead(backend: Backend) -> None:
    storage = await backend.open()
    reader = await backend.open()
    filed = await file_lead(storage)
    inside, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with storage.leads.lead(filed.id) as session:
            await session.save(dataclasses.replace(filed, version=2, status="pris"))
            inside.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await inside.wait()
    try:
        # Lists are read apart, and see what is committed only.
        assert await asyncio.wait_for(reader.leads.leads(), 5) == [filed]
        assert await asyncio.wait_for(reader.leads.events(filed.id), 5) == []
        if backend.kind == "postgresql":
            # No write lock on PostgreSQL: short reads go through too.
            assert await asyncio.wait_for(reader.leads.get(filed.id), 5) == filed
    finally:
        release.set()
    await asyncio.wait_for(holder, 5)
    stored = await reader.leads.get(filed.id)
    assert stored is not None and stored.status == "pris"


async def test_store_calls_inside_a_lead_or_chat_block_are_refused_instead_of_waiting(
    storage: Storage,
) -> None:
    filed = await file_lead(storage)
    leads = storage.leads
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: leads.find(filed.reference),
        lambda: leads.get(filed.id),
        lambda: leads.by_card(GROUP, 1),
        lambda: leads.awaiting(12),
        lambda: leads.relaying(CHAT),
        lambda: leads.cards(filed.id),
        lambda: leads.add_card(Card(filed.id, GROUP, 1)),
        lambda: storage.outbox.recipients("", T0, 10),
    ]

    async def refused(session: object) -> None:
        with pytest.raises(NestedTransaction):
            async with leads.lead(filed.id):
                pass
        with pytest.raises(NestedTransaction):
            async with leads.batch([filed.id]):
                pass
        with pytest.raises(NestedTransaction):
            async with storage.conversations.chat(OTHER):
                pass
        for call in calls:
            with pytest.raises(NestedTransaction):
                await call()
        assert await leads.leads() == [filed]
        assert await leads.events(filed.id) == []

    async with leads.lead(filed.id) as session:
        await refused(session)
    async with leads.batch([filed.id]) as batch:
        await refused(batch)
    async with storage.conversations.chat(CHAT) as chat:
        await refused(chat)
    assert await leads.cards(filed.id) == []


async def test_naive_datetimes_are_refused(storage: Storage) -> None:
    filed = await file_lead(storage)
    naive = dt.datetime(2026, 3, 2, 9, 30)
    attempts: list[Callable[[LeadSession], Awaitable[object]]] = [
        lambda s: s.save(dataclasses.replace(filed, version=2, status_at=naive)),
        lambda s: s.save(dataclasses.replace(filed, version=2, assigned_at=naive)),
        lambda s: s.save(dataclasses.replace(filed, version=2, escalated_at=naive)),
        lambda s: s.log([event(filed.id, "note", naive)]),
        lambda s: s.enqueue([Notice("lead_card", COUNTER, {})], naive),
    ]
    for attempt in attempts:
        with pytest.raises(ValueError, match="naive datetime"):
            async with storage.leads.lead(filed.id) as session:
                await attempt(session)
    assert await storage.leads.get(filed.id) == filed
    assert await storage.leads.events(filed.id) == []


@pytest.mark.parametrize("backend", SQL_KINDS, indirect=True)
async def test_a_worked_lead_survives_reopening_the_database(backend: Backend) -> None:
    storage = await backend.open()
    filed = await file_lead(storage)
    worked = await change_lead(
        storage, filed.id, status="pris", reminded_on=dt.date(2026, 3, 3), excluded=("x",)
    )
    await storage.leads.add_card(Card(filed.id, GROUP, 10))
    async with storage.leads.lead(filed.id) as session:
        await session.log([event(filed.id, "taken", T0, by=12)])

    reopened = await backend.reopen(storage)

    assert await reopened.leads.get(filed.id) == worked
    assert await reopened.leads.by_card(GROUP, 10) == worked
    assert await reopened.leads.events(filed.id) == [event(filed.id, "taken", T0, by=12)]
