"""The dashboard's sign-in: Argon2id passwords, throttling, first-start and invitation links."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.services.accounts import AccountError
from bot.services.clock import Clock
from bot.services.ports import Storage
from bot.services.ports_advisors import Person

log = logging.getLogger(__name__)
SETUP_VALID = dt.timedelta(hours=24)  # the first start's link
INVITATION_VALID = dt.timedelta(days=7)  # an invitation, or a new password
THROTTLE_WINDOW = dt.timedelta(minutes=15)
FAILURES_PER_EMAIL = 5  # wrong passwords for one e-mail in the window, then a pause
FAILURES_PER_ADDRESS = 20  # for one client address, whatever the e-mails tried
PASSWORD_MIN = 12
PASSWORD_MAX = 256
LINK_DOMAIN = "dashboard-link:"  # keyed hashes of links never equal a pseudonym or a code
THROTTLE_DOMAIN = "sign-in:"
SETUP_PATH = "/conseillers/premier-acces/"
INVITATION_PATH = "/conseillers/invitation/"


class LinkGone(LookupError):
    """A link that is unknown, used already or expired (or whose account was disabled)."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A person who proved their password, and the session generation their cookie names."""

    person: Person
    generation: int


@dataclass(frozen=True, slots=True)
class Refused:
    """A sign-in refused: a wrong e-mail or password (never said which), or too many tries."""

    reason: Literal["wrong", "throttled"]


def check_password(password: str, confirmation: str, email: str) -> None:
    """Refuse a password too short, too long, unconfirmed or equal to the e-mail, in French."""
    if password != confirmation:
        raise AccountError("les deux mots de passe ne sont pas identiques")
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"le mot de passe doit compter au moins {PASSWORD_MIN} caractères")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"le mot de passe doit compter au plus {PASSWORD_MAX} caractères")
    if password.strip().casefold() == email.strip().casefold():
        raise AccountError("le mot de passe ne peut pas être l'adresse e-mail")


class SignIn:
    """Checks passwords (off the event loop), counts failures, issues and redeems links."""

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.accounts = storage.accounts
        self.credentials = storage.credentials
        self.keys = storage.keys
        self.clock = clock
        self.hasher = PasswordHasher()  # Argon2id with the library's (RFC 9106) parameters
        self._decoy: str | None = None  # verified for unknown e-mails: the same time spent

    async def hash(self, password: str) -> str:
        """An Argon2id hash of a password, computed in a worker thread."""
        return await asyncio.to_thread(self.hasher.hash, password)

    async def sign_in(self, email: str, password: str, address: str) -> SignedIn | Refused:
        """Check an e-mail and password; five wrong ones per e-mail (20 per address) pause."""
        now = self.clock()
        since = now - THROTTLE_WINDOW
        by_email = self.keys.of(THROTTLE_DOMAIN + "email:" + email.strip().lower())
        by_address = self.keys.of(THROTTLE_DOMAIN + "address:" + address)
        if (
            await self.credentials.sign_in_failures(by_email, since) >= FAILURES_PER_EMAIL
            or await self.credentials.sign_in_failures(by_address, since) >= FAILURES_PER_ADDRESS
        ):
            return Refused("throttled")
        person = await self.accounts.person_by_email(email)
        held = None if person is None else await self.credentials.credential(person.id)
        stored = None if held is None else held.password_hash
        if stored is None:
            if self._decoy is None:
                self._decoy = await self.hash(secrets.token_hex(16))
            stored = self._decoy
        good = await asyncio.to_thread(self._verify, stored, password)
        if not good or person is None or held is None or held.password_hash is None:
            await self.credentials.sign_in_failed(by_email, now)
            await self.credentials.sign_in_failed(by_address, now)
            return Refused("wrong")
        if not person.active:
            return Refused("wrong")
        return SignedIn(person, held.generation)

    async def session_person(self, person_id: int, generation: int) -> Person | None:
        """The active person a session cookie names, if its generation is still theirs."""
        person = await self.accounts.person(person_id)
        if person is None or not person.active:
            return None
        held = await self.credentials.credential(person_id)
        return person if held.generation == generation and held.password_hash else None

    async def sign_out_everywhere(self, person: Person) -> None:
        """End every session of a person (this browser's and the others')."""
        await self.credentials.end_sessions(person.id)

    async def first_start(self) -> str | None:
        """A new first-start link's token (24 h, once) when no staff member exists; else None."""
        if await self.credentials.staff_exists():
            return None
        return await self._link("setup", "", SETUP_VALID)

    async def invite(self, person: Person) -> str:
        """An invitation link's token (7 days, once) to set, or reset, a person's password."""
        if not person.active:
            raise AccountError(f"{person.email} est désactivé(e)")
        return await self._link("invite", str(person.id), INVITATION_VALID)

    async def setup_usable(self, token: str) -> bool:
        """Whether a first-start link can still create the first staff member."""
        code = await self.credentials.peek_code(self._hashed(token), self.clock(), ("setup",))
        return code is not None and not await self.credentials.staff_exists()

    async def invited(self, token: str) -> Person | None:
        """The active person an invitation link is for, while it is usable."""
        code = await self.credentials.peek_code(self._hashed(token), self.clock(), ("invite",))
        if code is None:
            return None
        person = await self.accounts.person(int(code.target))
        return person if person is not None and person.active else None

    async def create_first_staff(
        self, token: str, email: str, name: str, password: str, confirmation: str
    ) -> SignedIn:
        """Create the first staff member through the first-start link (once, ever)."""
        email, name = email.strip(), " ".join(name.split())
        if not _looks_like_email(email):
            raise AccountError(f"adresse e-mail invalide : « {email} »")
        if not 2 <= len(name) <= 120:
            raise AccountError("le nom doit faire entre 2 et 120 caractères")
        check_password(password, confirmation, email)
        hashed = await self.hash(password)
        person = await self.credentials.create_first_staff(
            self._hashed(token), email, name, hashed, self.clock()
        )
        if person is None:
            raise LinkGone("first-start link unknown, used or expired, or staff exists")
        log.info("the first staff account was created (person %d)", person.id)
        return SignedIn(person, (await self.credentials.credential(person.id)).generation)

    async def accept_invitation(self, token: str, password: str, confirmation: str) -> SignedIn:
        """Set a password through an invitation link (once)."""
        person = await self.invited(token)
        if person is None:
            raise LinkGone("invitation unknown, used or expired")
        check_password(password, confirmation, person.email)
        hashed = await self.hash(password)
        accepted = await self.credentials.accept_invitation(
            self._hashed(token), hashed, self.clock()
        )
        if accepted is None:
            raise LinkGone("invitation used meanwhile")
        log.info("person %d set a password through an invitation", accepted.id)
        return SignedIn(accepted, (await self.credentials.credential(accepted.id)).generation)

    async def set_password(self, person: Person, password: str) -> None:
        """Set a person's password directly (`comptoir users add --password-stdin`)."""
        check_password(password, password, person.email)
        await self.credentials.set_password(person.id, await self.hash(password), self.clock())

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return bool(self.hasher.verify(stored, password))
        except (VerificationError, InvalidHashError):
            return False

    async def _link(
        self, kind: Literal["setup", "invite"], target: str, valid: dt.timedelta
    ) -> str:
        token = secrets.token_urlsafe(24)
        now = self.clock()
        await self.accounts.add_code(self._hashed(token), kind, target, now + valid, now)
        return token

    def _hashed(self, token: str) -> str:
        return self.keys.of(LINK_DOMAIN + token)


def _looks_like_email(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(local and at and "." in domain.strip(".") and not any(c.isspace() for c in text))
