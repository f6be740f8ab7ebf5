"""The dashboard's sign-in on every store: passwords, throttling, sessions, one-time links."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.services.accounts import AccountError
from bot.services.ports import Retention, Storage
from bot.services.signin import (
    FAILURES_PER_EMAIL,
    LinkGone,
    Refused,
    SignedIn,
    SignIn,
    check_password,
)
from tests.lead_stores import Clock

PASSWORD = "une phrase de passe solide"
ADDRESS = "192.0.2.7"


@pytest.fixture
def signin(lead_storage: Storage, lead_clock: Clock) -> SignIn:
    """The sign-in service over the store under test."""
    return SignIn(lead_storage, lead_clock)


async def advisor(storage: Storage, clock: Clock, email: str = "camille@exemple.fr") -> int:
    """An advisor of one counter, without a password yet; their id."""
    person = await storage.accounts.add_person(
        email, "Camille Martin", "advisor", ["comptoir-nancy"], clock()
    )
    return person.id


async def test_a_password_is_stored_as_an_argon2id_hash_and_opens_a_session(
    signin: SignIn, lead_storage: Storage, lead_clock: Clock
) -> None:
    person_id = await advisor(lead_storage, lead_clock)
    person = await lead_storage.accounts.person(person_id)
    assert person is not None
    assert await signin.sign_in(person.email, PASSWORD, ADDRESS) == Refused("wrong")
    await signin.set_password(person, PASSWORD)
    held = await lead_storage.credentials.credential(person_id)
    assert held.password_hash is not None and held.password_hash.startswith("$argon2id$")
    assert PASSWORD not in held.password_hash
    signed = await signin.sign_in("  CAMILLE@exemple.fr ", PASSWORD, ADDRESS)
    assert isinstance(signed, SignedIn) and signed.person.id == person_id
    assert await signin.session_person(person_id, signed.generation) == signed.person
    assert await signin.sign_in(person.email, PASSWORD + "!", ADDRESS) == Refused("wrong")


async def test_five_wrong_passwords_pause_the_e_mail_even_for_the_right_one(
    signin: SignIn, lead_storage: Storage, lead_clock: Clock
) -> None:
    person = await lead_storage.accounts.person(await advisor(lead_storage, lead_clock))
    assert person is not None
    await signin.set_password(person, PASSWORD)
    for _ in range(FAILURES_PER_EMAIL):
        assert await signin.sign_in(person.email, "mauvais mot de passe", ADDRESS) == Refused(
            "wrong"
        )
    assert await signin.sign_in(person.email, PASSWORD, "198.51.100.1") == Refused("throttled")
    lead_clock.advance(minutes=16)  # the window has passed
    assert isinstance(await signin.sign_in(person.email, PASSWORD, ADDRESS), SignedIn)


async def test_an_unknown_e_mail_reads_as_a_wrong_password_and_counts(signin: SignIn) -> None:
    for _ in range(FAILURES_PER_EMAIL):
        assert await signin.sign_in("personne@exemple.fr", PASSWORD, ADDRESS) == Refused("wrong")
    assert await signin.sign_in("personne@exemple.fr", PASSWORD, ADDRESS) == Refused("throttled")


async def test_a_new_password_or_a_disable_ends_older_sessions(
    signin: SignIn, lead_storage: Storage, lead_clock: Clock
) -> None:
    person = await lead_storage.accounts.person(await advisor(lead_storage, lead_clock))
    assert person is not None
    await signin.set_password(person, PASSWORD)
    first = await signin.sign_in(person.email, PASSWORD, ADDRESS)
    assert isinstance(first, SignedIn)
    await signin.set_password(person, PASSWORD + " neuve")
    assert await signin.session_person(person.id, first.generation) is None
    second = await signin.sign_in(person.email, PASSWORD + " neuve", ADDRESS)
    assert isinstance(second, SignedIn)
    await signin.sign_out_everywhere(person)
    assert await signin.session_person(person.id, second.generation) is None
    third = await signin.sign_in(person.email, PASSWORD + " neuve", ADDRESS)
    assert isinstance(third, SignedIn)
    await lead_storage.accounts.disable(person.email, lead_clock())
    assert await signin.session_person(person.id, third.generation) is None
    assert await signin.sign_in(person.email, PASSWORD + " neuve", ADDRESS) == Refused("wrong")


async def test_the_first_start_link_creates_the_staff_account_once_and_only_once(
    signin: SignIn, lead_storage: Storage
) -> None:
    token = await signin.first_start()
    assert token is not None and await signin.setup_usable(token)
    with pytest.raises(AccountError, match="identiques"):
        await signin.create_first_staff(token, "dominique@exemple.fr", "Dominique", "a" * 12, "b")
    assert await signin.setup_usable(token)  # a refused form does not use the link
    signed = await signin.create_first_staff(
        token, "dominique@exemple.fr", "Dominique Petit", PASSWORD, PASSWORD
    )
    assert signed.person.role == "staff"
    assert await signin.session_person(signed.person.id, signed.generation) == signed.person
    assert not await signin.setup_usable(token)
    with pytest.raises(LinkGone):
        await signin.create_first_staff(token, "autre@exemple.fr", "Autre", PASSWORD, PASSWORD)
    assert await signin.first_start() is None  # a staff member exists: no new link
    assert [p.email for p in await lead_storage.accounts.people()] == ["dominique@exemple.fr"]


async def test_two_first_start_links_used_at_once_make_one_staff_member(
    signin: SignIn, lead_storage: Storage
) -> None:
    tokens = [await signin.first_start(), await signin.first_start()]
    assert None not in tokens
    outcomes = await asyncio.gather(
        *(
            signin.create_first_staff(
                str(t), f"p{i}@exemple.fr", f"Personne {i}", PASSWORD, PASSWORD
            )
            for i, t in enumerate(tokens)
        ),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["LinkGone", "SignedIn"]
    assert len([p for p in await lead_storage.accounts.people() if p.role == "staff"]) == 1


async def test_the_first_start_link_expires_after_24_hours(
    signin: SignIn, lead_clock: Clock
) -> None:
    token = await signin.first_start()
    assert token is not None
    lead_clock.advance(hours=24, seconds=1)
    assert not await signin.setup_usable(token)
    with pytest.raises(LinkGone):
        await signin.create_first_staff(token, "d@exemple.fr", "Dominique", PASSWORD, PASSWORD)


async def test_an_invitation_sets_a_password_once_and_resets_one_later(
    signin: SignIn, lead_storage: Storage, lead_clock: Clock
) -> None:
    person = await lead_storage.accounts.person(await advisor(lead_storage, lead_clock))
    assert person is not None
    token = await signin.invite(person)
    assert await signin.invited(token) == person
    with pytest.raises(AccountError, match="au moins 12"):
        await signin.accept_invitation(token, "court", "court")
    signed = await signin.accept_invitation(token, PASSWORD, PASSWORD)
    assert signed.person.id == person.id
    assert await signin.invited(token) is None
    with pytest.raises(LinkGone):
        await signin.accept_invitation(token, PASSWORD, PASSWORD)
    reset = await signin.invite(person)  # a forgotten password: a new link
    again = await signin.accept_invitation(
        reset, "une autre phrase de passe", "une autre phrase de passe"
    )
    assert await signin.session_person(person.id, signed.generation) is None
    assert await signin.session_person(person.id, again.generation) is not None
    assert await signin.sign_in(person.email, PASSWORD, ADDRESS) == Refused("wrong")


async def test_an_invitation_of_a_disabled_person_is_refused(
    signin: SignIn, lead_storage: Storage, lead_clock: Clock
) -> None:
    person = await lead_storage.accounts.person(await advisor(lead_storage, lead_clock))
    assert person is not None
    token = await signin.invite(person)
    await lead_storage.accounts.disable(person.email, lead_clock())
    assert await signin.invited(token) is None
    with pytest.raises(LinkGone):
        await signin.accept_invitation(token, PASSWORD, PASSWORD)


async def test_an_invitation_expires_after_seven_days(
    signin: SignIn, lead_storage: Storage, lead_clock: Clock
) -> None:
    person = await lead_storage.accounts.person(await advisor(lead_storage, lead_clock))
    assert person is not None
    token = await signin.invite(person)
    lead_clock.advance(days=7, seconds=1)
    with pytest.raises(LinkGone):
        await signin.accept_invitation(token, PASSWORD, PASSWORD)


@pytest.mark.parametrize(
    ("password", "confirmation", "message"),
    [
        ("a" * 11, "a" * 11, "au moins 12"),
        ("a" * 257, "a" * 257, "au plus 256"),
        ("camille@exemple.fr", "camille@exemple.fr", "adresse e-mail"),
        (PASSWORD, PASSWORD + "x", "identiques"),
    ],
)
def test_a_weak_or_mistyped_password_is_refused_in_french(
    password: str, confirmation: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        check_password(password, confirmation, "Camille@exemple.fr")


async def test_wrong_passwords_are_forgotten_by_the_daily_purge(
    signin: SignIn, lead_storage: Storage, lead_clock: Clock
) -> None:
    await signin.sign_in("personne@exemple.fr", PASSWORD, ADDRESS)
    key = lead_storage.keys.of("sign-in:email:personne@exemple.fr")
    since = lead_clock() - dt.timedelta(hours=1)
    assert await lead_storage.credentials.sign_in_failures(key, since) == 1
    lead_clock.advance(days=1, minutes=1)
    await lead_storage.privacy.purge(lead_clock(), Retention())
    assert await lead_storage.credentials.sign_in_failures(key, since) == 0
