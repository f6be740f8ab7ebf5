"""Durable storage on SQLite (embedded default) or PostgreSQL, migrated by Alembic.

`open_storage` gives the stores by role (`bot.services.ports`); `memory.memory_storage` gives
in-memory fakes honouring the same contracts.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.clock import Clock, utc_now
from bot.services.ports import Storage
from bot.storage.accounts import SqlAccounts
from bot.storage.arrivals import SqlArrivals
from bot.storage.connection import LoopConnection, SqlDatabase, backend
from bot.storage.content_log import SqlContentLog
from bot.storage.conversations import SqlConversations
from bot.storage.credentials import SqlCredentials
from bot.storage.errors import MissingSecret
from bot.storage.inbox import SqlInbox
from bot.storage.lead_search import SqlLeadSearch
from bot.storage.leads import SqlLeads
from bot.storage.leases import SqlLeases
from bot.storage.migrate import upgrade_connection, upgrade_engine
from bot.storage.observatory import SqlObservatory
from bot.storage.outbox import SqlOutbox
from bot.storage.privacy import SqlPrivacy
from bot.storage.pseudonyms import Pseudonyms, stored_key
from bot.storage.signals import NoSignals, PgSignals
from bot.storage.upkeep import SqlUpkeep

log = logging.getLogger(__name__)


async def open_storage(
    url: str, *, clock: Clock = utc_now, pseudonym_key: bytes | None = None
) -> Storage:
    """The stores over the database at `url`, migrated to the newest revision first.

    `pseudonym_key` keys the event log's pseudonyms: required with PostgreSQL (production);
    with SQLite, when none is given, one is generated and kept beside the database file.
    """
    database = SqlDatabase.open(url)
    try:
        pseudonyms = Pseudonyms(pseudonym_key or _embedded_key(database, url))
        await migrate(database)
    except BaseException:
        await database.close()
        raise
    log.info("storage opened on %s", database.dialect)
    return Storage(
        conversations=SqlConversations(database, pseudonyms, clock),
        outbox=SqlOutbox(database),
        privacy=SqlPrivacy(database, pseudonyms),
        inbox=SqlInbox(database),
        accounts=SqlAccounts(database),
        leads=SqlLeads(database),
        database=database,
        keys=pseudonyms,
        credentials=SqlCredentials(database),
        lead_search=SqlLeadSearch(database),
        content_log=SqlContentLog(database),
        observatory=SqlObservatory(database),
        upkeep=SqlUpkeep(database),
        leases=SqlLeases(database),
        arrivals=SqlArrivals(database),
        signals=PgSignals(database) if database.dialect == "postgresql" else NoSignals(),
    )


async def migrate(database: SqlDatabase) -> None:
    """Bring the database to the newest revision (DatabaseTooNew if it is newer)."""
    if database.dialect == "sqlite":
        async with database.transaction() as connection:
            assert isinstance(connection, LoopConnection)
            upgrade_connection(connection.sync)
    else:
        assert isinstance(database.engine, AsyncEngine)
        await upgrade_engine(database.engine)


def _embedded_key(database: SqlDatabase, url: str) -> bytes:
    if backend(url) != "sqlite" or database.file is None:
        raise MissingSecret(
            "COMPTOIR_PSEUDONYM_KEY is required with PostgreSQL: 32 random bytes as hex, "
            "e.g. from `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    return stored_key(database.file.parent)
