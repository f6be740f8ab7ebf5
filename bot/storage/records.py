"""Between rows and records: conversations and pre-applications as the services see them."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.core.filing import Contact, Filing, MarkerLevel
from bot.core.matching import MatchSnapshot, Profile
from bot.core.matching.snapshot import CommuneView
from bot.services.ports import Conversation, JsonObject, PreApplication


def conversation(chat_key: str, row: Any) -> Conversation:
    """A conversation from a row with its columns (state, tree_version, node…)."""
    return Conversation(
        chat_key=chat_key,
        state=row.state,
        tree_version=row.tree_version,
        node=row.node,
        version=row.version,
        language=row.language,
        campaign=row.campaign,
        updated_at=row.updated_at,
    )


def filing_columns(filing: Filing) -> dict[str, Any]:
    """The columns of `pre_applications` that hold a filing."""
    return {
        "idempotency_key": filing.idempotency_key,
        "profile": filing.profile.model_dump(mode="json"),
        "idea": filing.idea,
        "assessment": [a.model_dump(mode="json") for a in filing.assessment] or None,
        "match_snapshot": filing.snapshot.model_dump(mode="json"),
        "contact": filing.contact.model_dump(mode="json"),
        "consent_at": filing.consent_at,
        "consent_version": filing.consent_version,
        "counter_id": filing.counter_id,
        "campaign": filing.campaign,
    }


def pre_application(row: Any) -> PreApplication:
    """A pre-application from a row of `pre_applications`."""
    profile = Profile.model_validate(row.profile)
    filing = Filing(
        idempotency_key=row.idempotency_key,
        profile=profile,
        idea=row.idea,
        assessment=tuple(MarkerLevel.model_validate(a) for a in row.assessment or ()),
        snapshot=_snapshot(row.match_snapshot, profile),
        contact=Contact.model_validate(row.contact or {}),
        consent_at=row.consent_at,
        consent_version=row.consent_version,
        counter_id=row.counter_id,
        campaign=row.campaign,
    )
    return PreApplication(
        reference=row.reference,
        chat_key=row.chat_key,
        filing=filing,
        status=row.status,
        created_at=row.created_at,
    )


def _snapshot(data: JsonObject, profile: Profile) -> MatchSnapshot:
    """The stored match; a snapshot of the first schema (no criteria kept) reads as empty."""
    try:
        return MatchSnapshot.model_validate(data)
    except ValidationError:
        found = data.get("commune")
        commune: JsonObject = found if isinstance(found, dict) else {}
        view = CommuneView(
            insee=str(commune.get("insee", profile.commune)),
            name=str(commune.get("name", profile.commune)),
            department=str(commune.get("department", "")),
        )
        return MatchSnapshot(commune=view, notice=None, schemes=(), near_misses=(), counters=())
