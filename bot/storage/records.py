"""Between rows and records: conversations, pre-applications and leads as the services see them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from bot.core.filing import Contact, Filing, MarkerLevel
from bot.core.matching import MatchSnapshot, Profile
from bot.core.matching.snapshot import CommuneView
from bot.core.search import folded, theme_key
from bot.services.ports import Conversation, JsonObject, PreApplication
from bot.services.ports_advisors import Awaiting, Lead


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
        ephemeral=bool(row.ephemeral),
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


def line_columns(
    lead_id: int, reference: str, filing: Filing, status: str, at: dt.datetime
) -> dict[str, Any]:
    """The `lead_lines` row of a lead just filed (see `LeadLineRow`)."""
    commune = filing.snapshot.commune
    profile = filing.profile
    return {
        "lead_id": lead_id,
        "reference": reference,
        "created_at": at,
        "status": status,
        "status_at": at,
        "counter_id": None,
        "taken_by": None,
        "version": 1,
        "commune_name": commune.name,
        "department": commune.department or None,
        "carrier": str(profile.carrier),
        "stage": str(profile.stage),
        "themes_key": theme_key(profile.themes),
        "needs_key": theme_key(str(n) for n in profile.needs),
        "amount": profile.amount,
        "idea": filing.idea,
        "first_name": filing.contact.first_name,
        "search_public": folded(reference, commune.name),
        "search": folded(reference, commune.name, filing.idea, filing.contact.first_name),
        "no_local_scheme": not filing.snapshot.local_scheme(),
        "no_local_counter": not filing.snapshot.local_counter(),
    }


def lead_line_changes(lead: Lead) -> dict[str, Any]:
    """The `lead_lines` columns a lead's work changes."""
    return {
        "status": lead.status,
        "status_at": lead.status_at,
        "counter_id": lead.counter_id,
        "taken_by": lead.taken_by,
        "version": lead.version,
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
        counter_id=row.assigned_counter_id if row.assigned_at is not None else row.counter_id,
    )


def lead(row: Any) -> Lead:
    """A lead from a row of `pre_applications` with its id and lead columns."""
    filed = pre_application(row)
    awaiting = None
    if row.awaiting_person_id is not None:
        awaiting = Awaiting(person_id=row.awaiting_person_id, action=row.awaiting_action or "")
    return Lead(
        id=row.id,
        reference=filed.reference,
        chat_key=filed.chat_key,
        filing=filed.filing,
        status=filed.status,
        status_at=row.status_at,
        created_at=filed.created_at,
        version=row.version,
        counter_id=row.assigned_counter_id,
        reason=row.assignment_reason,
        assigned_at=row.assigned_at,
        taken_by=row.taken_by,
        relay_open=bool(row.relay_open),
        citizen_told=bool(row.citizen_told),
        reminded_on=row.reminded_on,
        escalated_at=row.escalated_at,
        excluded=tuple(row.excluded or ()),
        awaiting=awaiting,
    )


def lead_columns(lead: Lead) -> dict[str, Any]:
    """The columns of `pre_applications` a lead's work changes (the filing never does)."""
    return {
        "status": lead.status,
        "status_at": lead.status_at,
        "version": lead.version,
        "assigned_counter_id": lead.counter_id,
        "assignment_reason": lead.reason,
        "assigned_at": lead.assigned_at,
        "taken_by": lead.taken_by,
        "relay_open": lead.relay_open,
        "citizen_told": lead.citizen_told,
        "reminded_on": lead.reminded_on,
        "escalated_at": lead.escalated_at,
        "excluded": list(lead.excluded),
        "awaiting_person_id": None if lead.awaiting is None else lead.awaiting.person_id,
        "awaiting_action": None if lead.awaiting is None else lead.awaiting.action,
    }


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
