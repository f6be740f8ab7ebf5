"""The `Conversations` contract: one transaction per turn, locked on its chat, all or nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.core.conversation import Event
from bot.core.filing import Contact
from bot.services.ports import ChatSession, Forgotten, Notice, PersonalData, Retention, Storage
from bot.storage.errors import NestedTransaction, StaleConversation
from tests.contracts import (
    CHAT,
    COUNTER,
    EMAIL,
    OTHER,
    SQL_KINDS,
    T0,
    Clock,
    conversation,
    every_pre_application,
    filing,
    lead,
    reply,
    save_turn,
)
from tests.contracts.conftest import Backend

LATER = T0 + dt.timedelta(days=1)

# --- updates and conversations ---------------------------------------------------------------


async def test_a_repeated_update_id_is_refused_per_chat(storage: Storage) -> None:
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(41) is True
        assert await session.claim_update(41) is False
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(41) is False
        assert await session.claim_update(42) is True
    async with storage.conversations.chat(OTHER) as session:
        assert await session.claim_update(41) is True


async def test_an_unknown_chat_has_no_conversation(storage: Storage) -> None:
    for _ in range(2):  # opening a chat does not make a conversation of it
        async with storage.conversations.chat(CHAT) as session:
            assert await session.conversation() is None
    assert (await storage.privacy.export(CHAT)).conversation is None


async def test_the_json_state_round_trips_accents_nested_lists_and_floats(
    storage: Storage,
) -> None:
    state = {
        "answers": {"commune": "62041", "amount": 15000.5, "themes": ["alimentation", "énergie"]},
        "history": [{"node": "start", "at": "2026-03-02T09:30:00+00:00"}, [None, [True, 0.1]]],
        "note": "Épicerie solidaire « Le Panier » — 100 % bénévole",
    }
    paris = dt.timezone(dt.timedelta(hours=1))
    saved = conversation(
        1,
        state=state,
        node="ask_amount",
        language="en",
        campaign="flyer-arras",
        updated_at=dt.datetime(2026, 3, 2, 10, 30, tzinfo=paris),
    )
    async with storage.conversations.chat(CHAT) as session:
        await session.save(saved)
    async with storage.conversations.chat(CHAT) as session:
        loaded = await session.conversation()
    assert loaded == dataclasses.replace(saved, updated_at=T0)
    assert loaded is not None and loaded.updated_at is not None
    assert loaded.updated_at.utcoffset() == dt.timedelta()


async def test_a_save_without_a_time_is_stamped_by_the_store_clock(
    storage: Storage, clock: Clock
) -> None:
    clock.now = T0 + dt.timedelta(minutes=5)
    async with storage.conversations.chat(CHAT) as session:
        await session.save(conversation(1))
    async with storage.conversations.chat(CHAT) as session:
        stored = await session.conversation()
    assert stored is not None and stored.updated_at == T0 + dt.timedelta(minutes=5)


async def test_a_stale_version_is_refused(storage: Storage) -> None:
    await save_turn(storage, CHAT, 1, 1)
    for wrong in (1, 3, 0):
        with pytest.raises(StaleConversation, match="expected 2"):
            async with storage.conversations.chat(CHAT) as session:
                await session.save(conversation(wrong, node="lost"))
    async with storage.conversations.chat(CHAT) as session:
        assert await session.conversation() == conversation(1, updated_at=T0)
        await session.save(conversation(2))
        await session.save(conversation(3))
    async with storage.conversations.chat(CHAT) as session:
        stored = await session.conversation()
    assert stored is not None and stored.version == 3


async def test_a_first_save_must_be_version_one(storage: Storage) -> None:
    with pytest.raises(StaleConversation, match="expected 1"):
        async with storage.conversations.chat(CHAT) as session:
            await session.save(conversation(2))


async def test_a_failed_block_leaves_nothing_behind(storage: Storage) -> None:
    with pytest.raises(RuntimeError, match="engine crashed"):
        async with storage.conversations.chat(CHAT) as session:
            assert await session.claim_update(7)
            await session.save(conversation(1))
            await session.log([Event("answered", "ask_commune")], T0)
            await session.file(filing(), T0)
            await session.enqueue([reply(), lead()], T0)
            raise RuntimeError("engine crashed")
    exported = await storage.privacy.export(CHAT)
    assert (exported.conversation, exported.pre_applications) == (None, ())
    assert (exported.events, exported.queued) == (0, 0)
    assert await storage.outbox.recipients("", LATER, 10) == []
    assert await every_pre_application(storage) == []
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(7) is True
        assert await session.conversation() is None
        # The reference the failed block took is given again: numbers have no gaps.
        assert (await session.file(filing(), T0)).reference == "CPT-2026-000001"


async def test_a_session_refuses_a_conversation_of_another_chat(storage: Storage) -> None:
    with pytest.raises(ValueError, match="another chat"):
        async with storage.conversations.chat(CHAT) as session:
            await session.save(conversation(1, chat_key=OTHER))
    assert (await storage.privacy.export(OTHER)).conversation is None


async def test_naive_datetimes_are_refused_without_quoting_personal_data(
    storage: Storage,
) -> None:
    naive = dt.datetime(2026, 3, 2, 9, 30)
    in_session: list[Callable[[ChatSession], Awaitable[object]]] = [
        lambda session: session.save(conversation(1, updated_at=naive)),
        lambda session: session.log([Event("answered", "ask_commune")], naive),
        lambda session: session.file(filing(), naive),
        lambda session: session.file(filing(consent_at=naive), T0),
        lambda session: session.enqueue([reply(text=EMAIL)], naive),
        lambda session: session.forget(naive),
    ]
    outbox, privacy = storage.outbox, storage.privacy
    outside: list[Callable[[], Awaitable[object]]] = [
        lambda: outbox.recipients("telegram:", naive, 10),
        lambda: outbox.queued(CHAT, naive, 10),
        lambda: outbox.delivered([1], naive),
        lambda: outbox.failed(1, naive, "timeout"),
        lambda: outbox.dead(1, naive, "refused"),
        lambda: outbox.unreachable(CHAT, naive, "blocked"),
        lambda: outbox.retry_now("telegram:", naive),
        lambda: privacy.purge(naive, Retention()),
    ]
    for attempt in in_session:
        with pytest.raises(ValueError, match="naive datetime") as refused:
            async with storage.conversations.chat(CHAT) as session:
                await attempt(session)
        assert "camille" not in str(refused.value) and "123456789" not in str(refused.value)
    for call in outside:
        with pytest.raises(ValueError, match="naive datetime"):
            await call()
    assert await storage.privacy.export(CHAT) == PersonalData(None, (), events=0, queued=0)


# --- pre-applications ------------------------------------------------------------------------


async def test_filing_twice_with_the_same_key_files_once_and_keeps_the_reference(
    storage: Storage,
) -> None:
    async with storage.conversations.chat(CHAT) as session:
        first = await session.file(filing(), T0)
        again_in_the_same_turn = await session.file(filing(), T0 + dt.timedelta(seconds=1))
    async with storage.conversations.chat(CHAT) as session:
        other_contact = filing(contact=Contact(first_name="Quelqu'un d'autre"))
        double_tap = await session.file(other_contact, T0 + dt.timedelta(minutes=1))
    assert first.reference == "CPT-2026-000001"
    assert (first.chat_key, first.filing, first.status, first.created_at) == (
        CHAT,
        filing(),
        "nouveau",
        T0,
    )
    assert again_in_the_same_turn == first
    assert double_tap == first
    assert (await storage.privacy.export(CHAT)).pre_applications == (first,)


async def test_a_different_key_files_a_second_pre_application(storage: Storage) -> None:
    async with storage.conversations.chat(CHAT) as session:
        first = await session.file(filing("file-1"), T0)
        second = await session.file(filing("file-2"), T0)
    async with storage.conversations.chat(OTHER) as session:
        same_key_other_chat = await session.file(filing("file-1"), T0)
    assert [first.reference, second.reference, same_key_other_chat.reference] == [
        "CPT-2026-000001",
        "CPT-2026-000002",
        "CPT-2026-000003",
    ]
    assert (await storage.privacy.export(CHAT)).pre_applications == (first, second)


async def test_references_increase_and_restart_each_utc_year(storage: Storage) -> None:
    references = []
    for number, chat_key in enumerate(["telegram:1", "telegram:2", "web:3"]):
        async with storage.conversations.chat(chat_key) as session:
            filed = await session.file(filing(), T0 + dt.timedelta(days=number))
            references.append(filed.reference)
    # 00:30 in Paris on New Year's Day is still 2026 in UTC.
    new_year_in_paris = dt.datetime(2027, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    async with storage.conversations.chat("telegram:4") as session:
        references.append((await session.file(filing(), new_year_in_paris)).reference)
    async with storage.conversations.chat("telegram:5") as session:
        at = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
        references.append((await session.file(filing(), at)).reference)
    assert references == [
        "CPT-2026-000001",
        "CPT-2026-000002",
        "CPT-2026-000003",
        "CPT-2026-000004",
        "CPT-2027-000001",
    ]


# --- the outbox, as a turn sees it -----------------------------------------------------------


async def test_undelivered_counts_only_this_chats_waiting_replies(storage: Storage) -> None:
    async with storage.conversations.chat(CHAT) as session:
        replies = [reply(text=f"message {n}") for n in range(4)]
        await session.enqueue([*replies, Notice("receipt", CHAT, {}), reply(OTHER)], T0)
        assert await session.undelivered() == 4  # its own writes included
    delivered, dead, failed, _waiting, receipt = await storage.outbox.queued(CHAT, T0, 10)
    assert receipt.kind == "receipt"
    await storage.outbox.delivered([delivered.id], T0)
    await storage.outbox.dead(dead.id, T0, "refused")
    await storage.outbox.failed(failed.id, LATER, "timeout")
    async with storage.conversations.chat(CHAT) as session:
        assert await session.undelivered() == 2  # the failed one waits for its retry
    async with storage.conversations.chat(OTHER) as session:
        assert await session.undelivered() == 1
    async with storage.conversations.chat("web:never-seen") as session:
        assert await session.undelivered() == 0


# --- erasure ---------------------------------------------------------------------------------


async def fill(storage: Storage, chat_key: str) -> None:
    """A chat with a conversation, an update, events, two filings and messages."""
    async with storage.conversations.chat(chat_key) as session:
        assert await session.claim_update(1)
        await session.save(conversation(1, chat_key))
        await session.log([Event("node_entered", "start"), Event("answered", "start")], T0)
        await session.file(filing("a"), T0)
        await session.file(filing("b", counter_id=None), T0)
        await session.enqueue(
            [reply(chat_key), reply(chat_key), Notice("receipt", chat_key, {})], T0
        )
        await session.enqueue([lead()], T0)
    (_, _, receipt) = await storage.outbox.queued(chat_key, T0, 10)
    await storage.outbox.delivered([receipt.id], T0)  # delivered rows go too


async def test_forget_erases_the_chat_and_anonymises_its_pre_applications(
    storage: Storage,
) -> None:
    await fill(storage, CHAT)
    await fill(storage, OTHER)
    other_before = await storage.privacy.export(OTHER)

    async with storage.conversations.chat(CHAT) as session:
        forgotten = await session.forget(LATER)
        assert await session.conversation() is None
        assert await session.undelivered() == 0

    assert sorted(forgotten.references) == [("CPT-2026-000001", COUNTER), ("CPT-2026-000002", None)]
    exported = await storage.privacy.export(CHAT)
    assert (exported.conversation, exported.pre_applications) == (None, ())
    assert (exported.events, exported.queued) == (0, 0)
    assert await storage.privacy.export(OTHER) == other_before
    assert await storage.outbox.recipients("telegram:", LATER, 10) == []
    # The counters' leads are not the citizen's messages: they stay.
    assert [n.kind for n in await storage.outbox.queued(COUNTER, LATER, 10)] == ["lead", "lead"]
    kept = {p.reference: p for p in await every_pre_application(storage)}
    originals = {"CPT-2026-000001": filing("a"), "CPT-2026-000002": filing("b", counter_id=None)}
    for reference, original in originals.items():
        anonymised = kept[reference]
        assert anonymised.chat_key is None
        assert anonymised.filing == original.model_copy(
            update={"contact": Contact(), "idea": None, "assessment": ()}
        )
        assert anonymised.status == "nouveau"
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(1) is True
        refiled = await session.file(filing("a"), LATER)
    assert refiled.reference == "CPT-2026-000005"
    async with storage.conversations.chat("telegram:never-seen") as session:
        assert await session.forget(LATER) == Forgotten(())


async def test_what_is_written_after_forget_in_the_same_session_survives(
    storage: Storage,
) -> None:
    await fill(storage, CHAT)
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(2)
        forgotten = await session.forget(LATER)
        notices = [
            Notice("lead_forgotten", COUNTER, {"reference": r}) for r, _ in forgotten.references
        ]
        await session.enqueue([*notices, reply(text="Vos données sont effacées.")], LATER)
        assert await session.claim_update(1) is True
        assert await session.claim_update(2) is True
        assert await session.undelivered() == 1
        await session.save(conversation(1))
        await session.log([Event("node_entered", "start")], LATER)
        refiled = await session.file(filing("a"), LATER)
    assert refiled.chat_key == CHAT and refiled.reference == "CPT-2026-000003"
    (goodbye,) = await storage.outbox.queued(CHAT, LATER, 10)
    assert goodbye.payload == {"text": "Vos données sont effacées."}
    kinds = [n.kind for n in await storage.outbox.queued(COUNTER, LATER, 10)]
    assert kinds == ["lead", "lead_forgotten", "lead_forgotten"]
    exported = await storage.privacy.export(CHAT)
    assert exported.conversation is not None and exported.pre_applications == (refiled,)
    assert (exported.events, exported.queued) == (1, 1)
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(1) is False
        assert await session.claim_update(2) is False


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.parametrize("existing", [False, True], ids=["new-chat", "existing-chat"])
async def test_two_concurrent_turns_on_one_chat_run_one_after_the_other(
    backend: Backend, existing: bool
) -> None:
    # On SQL kinds, two storages: two processes as far as the database can tell.
    first_storage, second_storage = await backend.open(), await backend.open()
    if existing:
        await save_turn(first_storage, CHAT, 1, 1)
    start = 1 if existing else 0
    first_inside, release, second_inside = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def turn(storage: Storage, inside: asyncio.Event, hold: asyncio.Event | None) -> int:
        async with storage.conversations.chat(CHAT) as session:
            inside.set()
            seen = await session.conversation()
            version = 1 + (0 if seen is None else seen.version)
            if hold is not None:
                await hold.wait()
            await session.save(conversation(version))
            return version

    first = asyncio.create_task(turn(first_storage, first_inside, release))
    await first_inside.wait()
    second = asyncio.create_task(turn(second_storage, second_inside, None))
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(second_inside.wait(), 0.3)
        assert not second.done()
    finally:
        release.set()
        results = await asyncio.gather(first, second, return_exceptions=True)
    assert list(results) == [start + 1, start + 2]


async def test_turns_on_different_chats_do_not_wait_for_each_other(backend: Backend) -> None:
    storage = await backend.open()
    inside, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with storage.conversations.chat(CHAT) as session:
            await session.save(conversation(1))
            inside.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await inside.wait()
    other = asyncio.create_task(save_turn(storage, OTHER, 1, 1))
    try:
        if backend.kind == "sqlite":
            # SQLite has one writer at a time: the other chat waits, then goes through.
            await asyncio.sleep(0.05)
        else:
            await asyncio.wait_for(asyncio.shield(other), 5)
    finally:
        release.set()
    await asyncio.wait_for(asyncio.gather(holder, other), 5)
    for chat_key in (CHAT, OTHER):
        assert (await storage.privacy.export(chat_key)).conversation is not None


async def test_a_storage_call_inside_a_chat_block_is_refused_instead_of_waiting_for_itself(
    storage: Storage,
) -> None:
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: storage.outbox.recipients("", T0, 10),
        lambda: storage.outbox.queued(CHAT, T0, 10),
        lambda: storage.outbox.delivered([1], T0),
        lambda: storage.outbox.failed(1, T0, "timeout"),
        lambda: storage.outbox.dead(1, T0, "refused"),
        lambda: storage.outbox.unreachable(CHAT, T0, "blocked"),
        lambda: storage.outbox.retry_now("", T0),
        lambda: storage.privacy.purge(T0, Retention()),
        storage.privacy.compact,
    ]
    async with storage.conversations.chat(CHAT) as session:
        await session.save(conversation(1))
        with pytest.raises(NestedTransaction, match=r"store\.chat\(\) called inside"):
            async with storage.conversations.chat(OTHER):
                pass
        for call in calls:
            with pytest.raises(NestedTransaction):
                await call()
        # An export reads apart, and sees what is committed only.
        assert (await storage.privacy.export(CHAT)).conversation is None
    assert (await storage.privacy.export(CHAT)).conversation is not None
    async with storage.conversations.chat(OTHER) as session:
        assert await session.conversation() is None


@pytest.mark.parametrize("backend", SQL_KINDS, indirect=True)
async def test_committed_turns_survive_reopening_the_database(backend: Backend) -> None:
    storage = await backend.open()
    async with storage.conversations.chat(CHAT) as session:
        assert await session.claim_update(1)
        await session.save(conversation(1))
        await session.log([Event("node_entered", "start")], T0)
        filed = await session.file(filing(), T0)
        await session.enqueue([reply(), lead()], T0)
    before = await storage.privacy.export(CHAT)

    reopened = await backend.reopen(storage)

    async with reopened.conversations.chat(CHAT) as session:
        assert await session.claim_update(1) is False
        assert await session.conversation() == conversation(1, updated_at=T0)
        assert await session.file(filing(), LATER) == filed
    assert await reopened.privacy.export(CHAT) == before
    assert (before.events, before.queued, before.pre_applications) == (1, 1, (filed,))
    assert await reopened.outbox.recipients("", T0, 10) == [CHAT, COUNTER]
