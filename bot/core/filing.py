"""A pre-application as the qualification files it: the project, the match, the contact."""

from __future__ import annotations

import datetime as dt

from bot.core.matching.results import Profile
from bot.core.matching.snapshot import MatchSnapshot
from bot.core.models import Language, Record


class Contact(Record):
    """How the citizen asked to be called back (given only when they asked)."""

    first_name: str | None = None
    contact: str | None = None  # an e-mail address or a phone number
    preferred_time: str | None = None
    language: Language = "fr"


class MarkerLevel(Record):
    """One answer of the indicative self-assessment: a marker and a level on its scale."""

    marker: str
    level: int


class Filing(Record):
    """What a conversation files; `idempotency_key` makes a double tap file once."""

    idempotency_key: str
    profile: Profile
    idea: str | None
    assessment: tuple[MarkerLevel, ...] = ()
    snapshot: MatchSnapshot
    contact: Contact
    consent_at: dt.datetime
    consent_version: str
    counter_id: str | None  # where the filing turn said it goes (None: the staff)
    campaign: str | None = None
