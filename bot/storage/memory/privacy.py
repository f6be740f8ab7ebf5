"""Access and retention in memory, as the SQL stores do them."""

from __future__ import annotations

import datetime as dt

from bot.services.ports import PersonalData, Purged, Retention, StoredConversation
from bot.storage.guard import refuse_nesting
from bot.storage.keys import SPENT_CODES_KEPT, WRONG_CODES_KEPT, json_copy
from bot.storage.memory.conversations import anonymise
from bot.storage.memory.state import MemoryDatabase, utc


class MemoryPrivacy:
    """Export, purge; nothing to compact in memory."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._db = database

    async def export(self, chat_key: str) -> PersonalData:
        """Everything stored about a chat."""
        db = self._db
        stored = db.conversations.get(chat_key)
        pseudonym = db.pseudonyms.of(chat_key)
        conversation = None
        if stored is not None:
            c = stored.conversation
            conversation = StoredConversation(
                state=json_copy(c.state),
                language=c.language,
                campaign=c.campaign,
                created_at=stored.created_at,
                updated_at=c.updated_at,
                ephemeral=c.ephemeral,
            )
        return PersonalData(
            conversation=conversation,
            pre_applications=tuple(s.record for s in db.leads if s.chat_key == chat_key),
            events=sum(1 for e in db.events if e.pseudonym == pseudonym),
            queued=len(db.waiting(chat_key)),
        )

    async def purge(self, now: dt.datetime, retention: Retention) -> Purged:
        """Apply the retention limits as of `now` (wrong and spent link codes among `updates`)."""
        refuse_nesting("purge")
        db, when = self._db, utc(now)
        idle_since = when - retention.conversations
        unkept_since = when - retention.unkept
        old = {
            key
            for key, stored in db.conversations.items()
            if (stored.conversation.updated_at or stored.created_at)
            < (unkept_since if stored.conversation.ephemeral else idle_since)
        }
        unkept = {
            db.pseudonyms.of(key) for key in old if db.conversations[key].conversation.ephemeral
        }
        for key in old:
            del db.conversations[key]
        before = len(db.processed)
        limit = when - retention.updates
        db.processed = {k: at for k, at in db.processed.items() if k[0] not in old and at >= limit}
        updates = before - len(db.processed)
        leads = 0
        for stored in db.leads:
            if stored.chat_key is None:
                continue
            orphan = stored.chat_key not in db.conversations
            too_old = stored.record.created_at < when - retention.pre_applications
            if stored.chat_key in old or (orphan and too_old):
                anonymise(db, stored, when)
                leads += 1
        before = len(db.inbox)
        db.inbox = {k: v for k, v in db.inbox.items() if v[1] >= when - retention.inbox}
        updates += before - len(db.inbox)
        before = len(db.wrong_codes)
        db.wrong_codes = [(c, t) for c, t in db.wrong_codes if t >= when - WRONG_CODES_KEPT]
        failures = len(db.sign_in_failures)
        db.sign_in_failures = [
            (k, t) for k, t in db.sign_in_failures if t >= when - WRONG_CODES_KEPT
        ]
        spent = when - SPENT_CODES_KEPT
        before_codes = len(db.codes)
        db.codes = {
            h: c
            for h, c in db.codes.items()
            if not (c.used_at is not None and c.used_at < spent) and c.expires_at >= spent
        }
        updates += before - len(db.wrong_codes) + before_codes - len(db.codes)
        updates += failures - len(db.sign_in_failures)
        before = len(db.events)
        db.events = [
            e for e in db.events if e.at >= when - retention.events and e.pseudonym not in unkept
        ]
        events = before - len(db.events)
        before = len(db.outbox)
        db.outbox = {
            i: n
            for i, n in db.outbox.items()
            if n.notice.recipient not in old
            and not (n.dead_at is not None and n.dead_at < when - retention.dead_notices)
            and not (
                n.delivered_at is not None and n.delivered_at < when - retention.delivered_notices
            )
            and not (n.delivered_at is None and n.created_at < idle_since)
        }
        notices = before - len(db.outbox)
        return Purged(len(old), updates, leads, events, notices)

    async def compact(self) -> None:
        """Nothing is written anywhere (refused inside a `chat()` block, as in SQL)."""
        refuse_nesting("compact")
