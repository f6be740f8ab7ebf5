"""The `Accounts` contract: people, their Telegram accounts, groups, one-time link codes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.services.ports import Purged, Retention, Storage
from bot.services.ports_advisors import CodeKind, DuplicatePerson, Group, LinkCode, Person
from bot.storage.errors import NestedTransaction
from tests.contracts import CHAT, COUNTER, SQL_KINDS, T0, raw_rows
from tests.contracts.conftest import Backend

MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)
PARIS = dt.timezone(dt.timedelta(hours=1))
GROUP = -1001234567890  # Telegram supergroup ids are negative and beyond 32 bits
STAFF_GROUP = -1009876543210
ADVISOR_TELEGRAM = 5123456789
ANY: tuple[CodeKind, ...] = ("person", "counter", "staff")


async def add_camille(storage: Storage) -> Person:
    return await storage.accounts.add_person(
        "Camille.Martin@Example.org", "Camille Martin", "advisor", ["b-counter", COUNTER], T0
    )


# --- people ----------------------------------------------------------------------------------


async def test_a_person_is_stored_with_a_lower_case_e_mail_and_found_every_way(
    storage: Storage,
) -> None:
    added = await storage.accounts.add_person(
        " Camille.Martin@Example.org ",
        "Camille Martin",
        "advisor",
        [COUNTER, "b-counter", COUNTER],
        dt.datetime(2026, 3, 2, 10, 30, tzinfo=PARIS),
    )
    assert added == Person(
        id=added.id,
        email="camille.martin@example.org",
        name="Camille Martin",
        role="advisor",
        counters=("b-counter", COUNTER),
        telegram_user_id=None,
        created_at=T0,
    )
    assert added.created_at.utcoffset() == dt.timedelta()
    assert added.active and added.first_name == "Camille"
    assert await storage.accounts.person(added.id) == added
    assert await storage.accounts.person_by_email("CAMILLE.martin@example.ORG") == added
    assert await storage.accounts.person(added.id + 1000) is None
    assert await storage.accounts.person_by_email("dominique@example.org") is None
    assert await storage.accounts.person_by_telegram(ADVISOR_TELEGRAM) is None


async def test_people_are_listed_by_e_mail(storage: Storage) -> None:
    staff = await storage.accounts.add_person("zoe@example.org", "Zoé Leroy", "staff", [], T0)
    advisor = await add_camille(storage)
    assert await storage.accounts.people() == [advisor, staff]
    assert staff.counters == () and staff.role == "staff"


async def test_an_e_mail_is_taken_once_whatever_its_case(storage: Storage) -> None:
    first = await add_camille(storage)
    with pytest.raises(DuplicatePerson):
        await storage.accounts.add_person(
            "CAMILLE.MARTIN@example.org", "Camille M.", "staff", ["other"], T0 + MINUTE
        )
    assert await storage.accounts.people() == [first]


async def test_a_role_outside_the_list_is_refused_with_the_allowed_values(
    storage: Storage,
) -> None:
    with pytest.raises(ValueError, match="advisor, staff"):
        await storage.accounts.add_person("x@example.org", "X", "boss", [], T0)  # type: ignore[arg-type]
    assert await storage.accounts.people() == []


async def test_a_disabled_person_keeps_everything_and_is_still_found(storage: Storage) -> None:
    camille = await add_camille(storage)
    await storage.accounts.link_person(camille.id, ADVISOR_TELEGRAM, T0)
    disabled = await storage.accounts.disable("Camille.Martin@example.org", T0 + DAY)
    assert disabled is not None and not disabled.active
    assert disabled.disabled_at == T0 + DAY
    assert disabled.counters == camille.counters
    assert await storage.accounts.person_by_telegram(ADVISOR_TELEGRAM) == disabled
    assert await storage.accounts.person(camille.id) == disabled
    # Disabling again keeps the first date.
    assert await storage.accounts.disable(camille.email, T0 + 2 * DAY) == disabled
    assert await storage.accounts.disable("nobody@example.org", T0) is None


async def test_a_telegram_account_is_linked_to_one_person_at_a_time(storage: Storage) -> None:
    camille = await add_camille(storage)
    dominique = await storage.accounts.add_person(
        "dominique@example.org", "Dominique Petit", "staff", [], T0
    )
    await storage.accounts.link_person(camille.id, ADVISOR_TELEGRAM, T0)
    linked = await storage.accounts.person_by_telegram(ADVISOR_TELEGRAM)
    assert linked is not None and linked.id == camille.id
    assert linked.telegram_user_id == ADVISOR_TELEGRAM

    # The account moves to Dominique (a shared phone handed over): Camille loses it.
    await storage.accounts.link_person(dominique.id, ADVISOR_TELEGRAM, T0 + MINUTE)
    moved = await storage.accounts.person_by_telegram(ADVISOR_TELEGRAM)
    assert moved is not None and moved.id == dominique.id
    unlinked = await storage.accounts.person(camille.id)
    assert unlinked is not None and unlinked.telegram_user_id is None

    # Dominique links a new account: the old one finds nobody.
    await storage.accounts.link_person(dominique.id, ADVISOR_TELEGRAM + 1, T0 + DAY)
    assert await storage.accounts.person_by_telegram(ADVISOR_TELEGRAM) is None
    relinked = await storage.accounts.person_by_telegram(ADVISOR_TELEGRAM + 1)
    assert relinked is not None and relinked.id == dominique.id

    with pytest.raises(LookupError, match="no person"):
        await storage.accounts.link_person(dominique.id + 1000, 42, T0)
    assert await storage.accounts.person_by_telegram(42) is None


# --- link codes ------------------------------------------------------------------------------


async def test_a_code_is_redeemed_once(storage: Storage) -> None:
    expires = T0 + DAY
    await storage.accounts.add_code("hash-1", "counter", COUNTER, expires, T0)
    redeemed = await storage.accounts.redeem("hash-1", T0 + MINUTE, ANY)
    assert redeemed == LinkCode(kind="counter", target=COUNTER, expires_at=expires)
    assert await storage.accounts.redeem("hash-1", T0 + 2 * MINUTE, ANY) is None
    assert await storage.accounts.redeem("unknown", T0, ANY) is None


async def test_a_code_of_another_kind_is_refused_and_stays_usable(storage: Storage) -> None:
    await storage.accounts.add_code("hash-1", "person", "7", T0 + DAY, T0)
    # A person's code typed in a group (where only group codes link): refused, not used up.
    assert await storage.accounts.redeem("hash-1", T0, ("counter", "staff")) is None
    assert await storage.accounts.redeem("hash-1", T0, ()) is None
    assert await storage.accounts.redeem("hash-1", T0, ("person",)) == LinkCode(
        "person", "7", T0 + DAY
    )
    assert await storage.accounts.redeem("hash-1", T0, ANY) is None


async def test_an_expired_code_is_refused_from_its_expiry_on(storage: Storage) -> None:
    expires = dt.datetime(2026, 3, 3, 10, 30, tzinfo=PARIS)
    await storage.accounts.add_code("late", "person", "12", expires, T0)
    await storage.accounts.add_code("just-in-time", "staff", "", expires, T0)
    assert await storage.accounts.redeem("late", expires, ANY) is None
    in_time = await storage.accounts.redeem("just-in-time", expires - dt.timedelta(seconds=1), ANY)
    assert in_time == LinkCode(kind="staff", target="", expires_at=expires)
    assert in_time.expires_at.utcoffset() == dt.timedelta()
    # A refused redeem does not use the code up (as seen by a clock still before its expiry).
    assert await storage.accounts.redeem("late", expires - DAY, ANY) is not None


async def test_a_code_hash_is_stored_once_and_its_kind_checked(storage: Storage) -> None:
    await storage.accounts.add_code("hash-1", "counter", COUNTER, T0 + DAY, T0)
    with pytest.raises(ValueError, match="already exists"):
        await storage.accounts.add_code("hash-1", "staff", "", T0 + DAY, T0)
    with pytest.raises(ValueError, match="person, counter, staff"):
        await storage.accounts.add_code("hash-2", "group", "", T0 + DAY, T0)  # type: ignore[arg-type]
    assert await storage.accounts.redeem("hash-1", T0, ANY) == LinkCode(
        "counter", COUNTER, T0 + DAY
    )
    assert await storage.accounts.redeem("hash-2", T0, ANY) is None


async def test_concurrent_redeems_of_one_code_succeed_once(backend: Backend) -> None:
    # On SQL kinds, one storage per redeem: as many processes as far as the database can tell.
    stores = [await backend.open() for _ in range(4)]
    await stores[0].accounts.add_code("hash-1", "person", "7", T0 + DAY, T0)
    results = await asyncio.gather(*(s.accounts.redeem("hash-1", T0, ANY) for s in stores))
    assert [r for r in results if r is not None] == [LinkCode("person", "7", T0 + DAY)]


# --- groups ----------------------------------------------------------------------------------


async def test_a_group_is_linked_to_a_counter_and_relinked_to_another(storage: Storage) -> None:
    linked = await storage.accounts.link_group(GROUP, COUNTER, T0)
    assert linked == Group(chat_id=GROUP, counter_id=COUNTER, digest=False, linked_at=T0)
    assert await storage.accounts.group(GROUP) == linked
    await storage.accounts.set_digest(GROUP, True)
    relinked = await storage.accounts.link_group(GROUP, "other-counter", T0 + DAY)
    # A new counter; the group's digest setting stays.
    assert relinked == Group(GROUP, "other-counter", True, T0 + DAY)
    assert await storage.accounts.groups() == [relinked]
    await storage.accounts.set_digest(GROUP, False)
    assert await storage.accounts.group(GROUP) == Group(GROUP, "other-counter", False, T0 + DAY)


async def test_there_is_one_staff_group(storage: Storage) -> None:
    counter_group = await storage.accounts.link_group(GROUP, COUNTER, T0)
    await storage.accounts.link_group(STAFF_GROUP, None, T0)
    await storage.accounts.set_digest(STAFF_GROUP, True)
    # The same group linked again as the staff group stays, with its setting.
    again = await storage.accounts.link_group(STAFF_GROUP, None, T0 + MINUTE)
    assert again == Group(STAFF_GROUP, None, True, T0 + MINUTE)
    # Another group becomes the staff group: it replaces the first.
    new_staff = await storage.accounts.link_group(-100555, None, T0 + DAY)
    assert await storage.accounts.group(STAFF_GROUP) is None
    assert await storage.accounts.groups() == sorted(
        [counter_group, new_staff], key=lambda g: g.chat_id
    )
    # A counter's group made the staff group leaves its counter.
    staff = await storage.accounts.link_group(GROUP, None, T0 + 2 * DAY)
    assert await storage.accounts.groups() == [staff]


async def test_set_digest_on_an_unknown_group_links_nothing(storage: Storage) -> None:
    await storage.accounts.set_digest(GROUP, True)
    assert await storage.accounts.group(GROUP) is None
    assert await storage.accounts.groups() == []


# --- wrong codes -----------------------------------------------------------------------------


async def test_wrong_codes_are_counted_per_chat_within_the_hour(storage: Storage) -> None:
    accounts = storage.accounts
    assert [
        await accounts.wrong_code(GROUP, T0),
        await accounts.wrong_code(GROUP, T0 + 10 * MINUTE),
        await accounts.wrong_code(ADVISOR_TELEGRAM, T0 + 20 * MINUTE),
        await accounts.wrong_code(GROUP, T0 + 60 * MINUTE),  # T0 is exactly an hour before
        await accounts.wrong_code(GROUP, T0 + 61 * MINUTE),  # T0 is not within the hour
    ] == [1, 2, 1, 3, 3]
    assert await accounts.wrong_codes(GROUP, T0) == 4
    assert await accounts.wrong_codes(GROUP, T0 + 10 * MINUTE) == 3
    assert await accounts.wrong_codes(GROUP, T0 + DAY) == 0
    assert await accounts.wrong_codes(ADVISOR_TELEGRAM, T0) == 1
    assert await accounts.wrong_codes(42, T0) == 0


async def test_purge_drops_day_old_wrong_codes_and_month_old_spent_codes(
    storage: Storage,
) -> None:
    now = T0 + 40 * DAY
    accounts = storage.accounts
    await accounts.wrong_code(GROUP, now - DAY - MINUTE)
    await accounts.wrong_code(GROUP, now - DAY + MINUTE)
    await accounts.add_code("used-long-ago", "person", "1", now, now - 35 * DAY)
    assert await accounts.redeem("used-long-ago", now - 31 * DAY, ANY) is not None
    await accounts.add_code("used-lately", "person", "1", now, now - 35 * DAY)
    assert await accounts.redeem("used-lately", now - 29 * DAY, ANY) is not None
    await accounts.add_code("expired-long-ago", "staff", "", now - 31 * DAY, now - 32 * DAY)
    await accounts.add_code("expired-lately", "staff", "", now - 29 * DAY, now - 32 * DAY)
    await accounts.add_code("waiting", "counter", COUNTER, now + DAY, now - 35 * DAY)

    purged = await storage.privacy.purge(now, Retention())

    assert purged == Purged(updates=3)  # counted with the updates: what chats sent
    assert await accounts.wrong_codes(GROUP, T0) == 1
    # A purged hash can be given again; a kept one cannot.
    for gone in ("used-long-ago", "expired-long-ago"):
        await accounts.add_code(gone, "staff", "", now + DAY, now)
    for kept in ("used-lately", "expired-lately", "waiting"):
        with pytest.raises(ValueError, match="already exists"):
            await accounts.add_code(kept, "staff", "", now + DAY, now)
    assert await accounts.redeem("waiting", now, ANY) is not None
    assert await storage.privacy.purge(now, Retention()) == Purged()


# --- the rules every store call follows ------------------------------------------------------


async def test_naive_datetimes_are_refused(storage: Storage) -> None:
    naive = dt.datetime(2026, 3, 2, 9, 30)
    camille = await add_camille(storage)
    accounts = storage.accounts
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: accounts.add_person("x@example.org", "X", "staff", [], naive),
        lambda: accounts.disable(camille.email, naive),
        lambda: accounts.link_person(camille.id, 1, naive),
        lambda: accounts.add_code("h", "staff", "", naive, T0),
        lambda: accounts.add_code("h", "staff", "", T0, naive),
        lambda: accounts.redeem("h", naive, ANY),
        lambda: accounts.link_group(GROUP, None, naive),
        lambda: accounts.wrong_code(GROUP, naive),
        lambda: accounts.wrong_codes(GROUP, naive),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="naive datetime"):
            await call()
    assert await accounts.people() == [camille]
    assert await accounts.groups() == []


async def test_account_calls_inside_a_chat_block_are_refused_instead_of_waiting(
    storage: Storage,
) -> None:
    accounts = storage.accounts
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: accounts.add_person("x@example.org", "X", "staff", [], T0),
        lambda: accounts.person(1),
        lambda: accounts.person_by_email("x@example.org"),
        lambda: accounts.person_by_telegram(1),
        lambda: accounts.disable("x@example.org", T0),
        lambda: accounts.link_person(1, 1, T0),
        lambda: accounts.add_code("h", "staff", "", T0, T0),
        lambda: accounts.redeem("h", T0, ANY),
        lambda: accounts.link_group(GROUP, None, T0),
        lambda: accounts.group(GROUP),
        lambda: accounts.set_digest(GROUP, True),
        lambda: accounts.wrong_code(GROUP, T0),
        lambda: accounts.wrong_codes(GROUP, T0),
    ]
    async with storage.conversations.chat(CHAT):
        for call in calls:
            with pytest.raises(NestedTransaction):
                await call()
        # Lists are read apart.
        assert await accounts.people() == []
        assert await accounts.groups() == []


@pytest.mark.parametrize("backend", SQL_KINDS, indirect=True)
async def test_accounts_survive_reopening_and_keep_e_mails_lower_case(backend: Backend) -> None:
    storage = await backend.open()
    camille = await add_camille(storage)
    await storage.accounts.link_person(camille.id, ADVISOR_TELEGRAM, T0)
    group = await storage.accounts.link_group(GROUP, COUNTER, T0)
    await storage.accounts.add_code("hash-1", "counter", COUNTER, T0 + DAY, T0)
    rows = await raw_rows(storage, "SELECT email, telegram_user_id FROM people")
    assert [tuple(row) for row in rows] == [("camille.martin@example.org", ADVISOR_TELEGRAM)]

    reopened = await backend.reopen(storage)

    assert await reopened.accounts.person_by_telegram(ADVISOR_TELEGRAM) == Person(
        camille.id, camille.email, camille.name, "advisor", camille.counters, ADVISOR_TELEGRAM, T0
    )
    assert await reopened.accounts.groups() == [group]
    assert await reopened.accounts.redeem("hash-1", T0, ANY) is not None
