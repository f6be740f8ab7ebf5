"""What the advisors' dashboard needs from storage: passwords, sign-in throttling, lead search.

`storage.credentials` is the `Credentials`, `storage.lead_search` the `LeadSearch`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.services.clock import FRANCE
from bot.services.ports_advisors import CodeKind, LinkCode, Person

# -- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credential:
    """A person's password hash (Argon2id, never the password) and their session generation.

    A session cookie names the generation it was issued in: setting a password, signing out
    everywhere or disabling the person moves it on, and older cookies stop working.
    """

    person_id: int
    password_hash: str | None  # None: no password yet (invited, or Telegram only)
    generation: int
    password_set_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class LeadQuery:
    """Which leads a list or an export shows: whose (scope), and the filters chosen."""

    scope: tuple[str, ...] | None  # the counters one may see; None: all of them (staff)
    statuses: tuple[str, ...] = ()  # empty: every status
    counter: str | None = None  # one counter; "" for the staff queue (no counter)
    department: str | None = None  # « 54 », « 2A », « 971 »
    theme: str | None = None  # a theme slug
    since: dt.date | None = None  # filed on or after (Europe/Paris days)
    until: dt.date | None = None  # filed on or before
    text: str = ""  # words searched in the reference, the commune, the idea, the first name

    def period(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The instants the filing dates span: from `since`'s midnight to after `until`'s day."""

        def midnight(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(), FRANCE).astimezone(dt.UTC)

        start = None if self.since is None else midnight(self.since)
        end = None if self.until is None else midnight(self.until + dt.timedelta(days=1))
        return start, end


@dataclass(frozen=True, slots=True)
class LeadLine:
    """One lead as a list or an export shows it: plain values, no validation on the way."""

    id: int
    reference: str
    created_at: dt.datetime
    status: str
    status_at: dt.datetime
    counter_id: str | None
    commune: str  # the commune's name (« Nancy »)
    department: str
    carrier: str
    stage: str
    themes: tuple[str, ...]
    needs: tuple[str, ...]
    amount: int | None
    idea: str | None  # None once anonymised
    first_name: str | None
    taken_by: int | None
    version: int


@dataclass(frozen=True, slots=True)
class LeadPage:
    """A page of a lead list: its lines, newest first, and how many leads match in all."""

    lines: tuple[LeadLine, ...]
    total: int
    page: int  # from 1
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the matching leads fill (1 when none match)."""
        return max(1, -(-self.total // self.per_page))


# -- storage ----------------------------------------------------------------------------------


class Credentials(Protocol):
    """Passwords, session generations, sign-in failures and dashboard links (by hash)."""

    async def credential(self, person_id: int) -> Credential:
        """A person's password hash and session generation (generation 0, no hash, if none)."""

    async def set_password(self, person_id: int, password_hash: str, at: dt.datetime) -> int:
        """Store a new hash; the session generation moves on (returned): old cookies die."""

    async def end_sessions(self, person_id: int) -> int:
        """Move the session generation on (signing out everywhere); the new one."""

    async def sign_in_failed(self, key_hash: str, at: dt.datetime) -> None:
        """Record a wrong password for a throttling key (an e-mail's or an address's hash)."""

    async def sign_in_failures(self, key_hash: str, since: dt.datetime) -> int:
        """Wrong passwords for this key since `since`."""

    async def peek_code(
        self, code_hash: str, at: dt.datetime, kinds: Sequence[CodeKind]
    ) -> LinkCode | None:
        """A code still usable (unused, unexpired, of these kinds), without using it."""

    async def create_first_staff(
        self,
        code_hash: str,
        email: str,
        name: str,
        password_hash: str,
        at: dt.datetime,
    ) -> Person | None:
        """Use a first-start code and create the first staff member, in one transaction.

        None when the code is unknown, used or expired, or when a staff member exists already.
        """

    async def accept_invitation(
        self, code_hash: str, password_hash: str, at: dt.datetime
    ) -> Person | None:
        """Use an invitation code and set its person's password, in one transaction.

        None when the code is unknown, used or expired, or its person is disabled.
        """

    async def staff_exists(self) -> bool:
        """Whether an active staff member exists."""


class LeadSearch(Protocol):
    """Leads as the dashboard lists, counts and exports them (reads off the event loop)."""

    async def page(self, query: LeadQuery, page: int, per_page: int) -> LeadPage:
        """One page of the matching leads, newest first, with the total."""

    async def lines(self, query: LeadQuery, after_id: int | None, limit: int) -> list[LeadLine]:
        """Matching leads with an id below `after_id` (None: from the newest), newest first."""

    async def departments(self, scope: tuple[str, ...] | None) -> list[str]:
        """The départements of the leads in scope, sorted (the filter's choices)."""
