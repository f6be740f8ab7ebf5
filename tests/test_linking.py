"""Linking Telegram with one-time codes (single use, expiry, hashing, rate limit); the texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import Comptoir
from bot.core.advisors import load_advisor_texts
from bot.core.knowledge import ContentError
from bot.services.accounts import CODE_ALPHABET, CODE_DOMAIN, AccountError, normal_code
from tests.advisors import ARRAS_COUNTER
from tests.lead_stores import Clock

DIALOGS = Path(__file__).resolve().parents[1] / "dialogs"
GROUP, OTHER_GROUP = -1001, -1002
CAMILLE, DOMINIQUE = 7001, 7002


async def test_a_group_code_links_the_group_once(comptoir: Comptoir) -> None:
    texts = comptoir.content.advisors.answers
    code = await comptoir.accounts.counter_code(ARRAS_COUNTER)
    assert len(code) == 9 and code[4] == "-"
    assert set(normal_code(code)) <= set(CODE_ALPHABET)
    linked = await comptoir.accounts.link(GROUP, True, CAMILLE, code.lower().replace("-", " "))
    assert linked.ok
    assert linked.answer == texts.linked_counter.format(
        counter="Comptoirs à initiatives citoyennes du Pas-de-Calais"
    )
    group = await comptoir.storage.accounts.group(GROUP)
    assert group is not None and group.counter_id == ARRAS_COUNTER
    again = await comptoir.accounts.link(OTHER_GROUP, True, CAMILLE, code)
    assert not again.ok and again.answer == texts.wrong_code
    assert await comptoir.storage.accounts.group(OTHER_GROUP) is None


async def test_the_staff_code_links_the_staff_group(comptoir: Comptoir) -> None:
    code = await comptoir.accounts.counter_code(None)
    linked = await comptoir.accounts.link(GROUP, True, CAMILLE, code)
    assert linked.ok and linked.answer == comptoir.content.advisors.answers.linked_staff
    group = await comptoir.storage.accounts.group(GROUP)
    assert group is not None and group.counter_id is None


async def test_a_personal_code_links_the_account_in_private(comptoir: Comptoir) -> None:
    person, code = await comptoir.accounts.add_person(
        "camille@example.org", "Camille  Martin", "advisor", [ARRAS_COUNTER]
    )
    assert person.name == "Camille Martin" and person.telegram_user_id is None
    linked = await comptoir.accounts.link(CAMILLE, False, CAMILLE, code)
    assert linked.ok and "Camille Martin" in linked.answer
    found = await comptoir.accounts.person_of(CAMILLE)
    assert found is not None and found.id == person.id and found.counters == (ARRAS_COUNTER,)
    assert await comptoir.accounts.person_of(DOMINIQUE) is None


async def test_a_counter_code_does_nothing_in_a_private_chat(comptoir: Comptoir) -> None:
    texts = comptoir.content.advisors.answers
    code = await comptoir.accounts.counter_code(ARRAS_COUNTER)
    refused = await comptoir.accounts.link(CAMILLE, False, CAMILLE, code)
    assert not refused.ok and refused.answer == texts.wrong_code
    linked = await comptoir.accounts.link(GROUP, True, CAMILLE, code)  # still good in its group
    assert linked.ok


async def test_codes_expire_after_seven_days(comptoir: Comptoir, lead_clock: Clock) -> None:
    texts = comptoir.content.advisors.answers
    late = await comptoir.accounts.counter_code(ARRAS_COUNTER)
    in_time = await comptoir.accounts.counter_code(ARRAS_COUNTER)
    lead_clock.advance(days=6, hours=23)
    assert (await comptoir.accounts.link(GROUP, True, CAMILLE, in_time)).ok
    lead_clock.advance(hours=2)
    expired = await comptoir.accounts.link(OTHER_GROUP, True, CAMILLE, late)
    assert not expired.ok and expired.answer == texts.wrong_code


async def test_a_disabled_persons_code_links_nothing(comptoir: Comptoir, lead_clock: Clock) -> None:
    person, code = await comptoir.accounts.add_person(
        "dominique@example.org", "Dominique Roy", "staff", []
    )
    await comptoir.storage.accounts.disable(person.email, lead_clock())
    refused = await comptoir.accounts.link(DOMINIQUE, False, DOMINIQUE, code)
    assert not refused.ok
    assert await comptoir.accounts.person_of(DOMINIQUE) is None


async def test_five_wrong_codes_an_hour_then_a_pause(comptoir: Comptoir, lead_clock: Clock) -> None:
    texts = comptoir.content.advisors.answers
    code = await comptoir.accounts.counter_code(ARRAS_COUNTER)
    for attempt in range(5):
        wrong = await comptoir.accounts.link(GROUP, True, CAMILLE, f"AAAA-AAA{attempt + 2}")
        assert wrong.answer == texts.wrong_code
    paused = await comptoir.accounts.link(GROUP, True, CAMILLE, code)
    assert not paused.ok and paused.answer == texts.too_many_codes
    other_chat = await comptoir.accounts.link(OTHER_GROUP, True, DOMINIQUE, "AAAA-AAAZ")
    assert other_chat.answer == texts.wrong_code  # the limit is per chat
    lead_clock.advance(hours=1, minutes=1)
    assert (await comptoir.accounts.link(GROUP, True, CAMILLE, code)).ok  # not used meanwhile


async def test_an_empty_code_gets_the_usage_not_a_strike(comptoir: Comptoir) -> None:
    texts = comptoir.content.advisors.answers
    for _ in range(6):
        assert (await comptoir.accounts.link(GROUP, True, CAMILLE, "  ")).answer == texts.link_usage
    code = await comptoir.accounts.counter_code(ARRAS_COUNTER)
    assert (await comptoir.accounts.link(GROUP, True, CAMILLE, code)).ok


async def test_codes_are_stored_keyed_and_hashed(comptoir: Comptoir, lead_clock: Clock) -> None:
    code = await comptoir.accounts.counter_code(ARRAS_COUNTER)
    store, now = comptoir.storage.accounts, lead_clock()
    for plain in (code, normal_code(code)):
        assert await store.redeem(plain, now, ["counter"]) is None
    hashed = comptoir.storage.keys.of(CODE_DOMAIN + normal_code(code))
    assert hashed != normal_code(code) and len(hashed) >= 32
    redeemed = await store.redeem(hashed, now, ["counter"])
    assert redeemed is not None and redeemed.target == ARRAS_COUNTER


@pytest.mark.parametrize(
    ("email", "name", "role", "counters", "message"),
    [
        ("pas-une-adresse", "Camille Martin", "advisor", [ARRAS_COUNTER], "adresse e-mail"),
        ("c@example.org", "C", "advisor", [ARRAS_COUNTER], "entre 2 et 120"),
        ("c@example.org", "Camille Martin", "advisor", [], "au moins une structure"),
        ("c@example.org", "Camille Martin", "advisor", ["nulle-part"], "structure inconnue"),
    ],
)
async def test_people_are_checked_before_they_are_created(
    comptoir: Comptoir, email: str, name: str, role: str, counters: list[str], message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        await comptoir.accounts.add_person(email, name, role, counters)  # type: ignore[arg-type]
    assert await comptoir.storage.accounts.people() == []


async def test_one_email_one_person(comptoir: Comptoir) -> None:
    await comptoir.accounts.add_person("c@example.org", "Camille Martin", "staff", [])
    with pytest.raises(AccountError, match="déjà"):
        await comptoir.accounts.add_person(" c@example.org", "Camille Roy", "staff", [])


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            'title: "📋 Demande {reference}"',
            'title: "📋 Demande {référence}"',
            "card.title: variable inconnue {référence} (variables permises ici : {reference})",
        ),
        (
            'help: "Commandes',
            'help: "Commandes {',
            "answers.help: variable inconnue { (variables permises ici : aucune)",
        ),
    ],
)
def test_a_staff_edit_of_the_advisors_texts_is_checked_not_crashed_on(
    tmp_path: Path, before: str, after: str, message: str
) -> None:
    shipped = (DIALOGS / "advisors.yaml").read_text(encoding="utf-8")
    assert before in shipped
    edited = tmp_path / "advisors.yaml"
    edited.write_text(shipped.replace(before, after, 1), encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_advisor_texts(edited)
    line = next(n for n, text in enumerate(shipped.splitlines(), 1) if before in text)
    assert [str(p) for p in raised.value.problems] == [f"dialogs/advisors.yaml:{line}: {message}"]
