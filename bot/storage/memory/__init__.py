"""Storage in memory, honouring the same contracts as the SQL stores (tests, demos)."""

from bot.services.clock import Clock, utc_now
from bot.services.ports import Storage
from bot.storage.memory.accounts import MemoryAccounts
from bot.storage.memory.arrivals import MemoryArrivals
from bot.storage.memory.content_log import MemoryContentLog
from bot.storage.memory.conversations import MemoryConversations
from bot.storage.memory.credentials import MemoryCredentials
from bot.storage.memory.inbox import MemoryInbox
from bot.storage.memory.lead_search import MemoryLeadSearch
from bot.storage.memory.leads import MemoryLeads
from bot.storage.memory.leases import MemoryLeases
from bot.storage.memory.observatory import MemoryObservatory
from bot.storage.memory.outbox import MemoryOutbox
from bot.storage.memory.privacy import MemoryPrivacy
from bot.storage.memory.state import MemoryDatabase
from bot.storage.memory.upkeep import MemoryUpkeep
from bot.storage.pseudonyms import Pseudonyms
from bot.storage.signals import NoSignals


def memory_storage(*, clock: Clock = utc_now, pseudonyms: Pseudonyms | None = None) -> Storage:
    """Fresh stores over one in-memory database."""
    database = MemoryDatabase(clock=clock, pseudonyms=pseudonyms)
    return Storage(
        conversations=MemoryConversations(database),
        outbox=MemoryOutbox(database),
        privacy=MemoryPrivacy(database),
        inbox=MemoryInbox(database),
        accounts=MemoryAccounts(database),
        leads=MemoryLeads(database),
        database=database,
        keys=database.pseudonyms,
        credentials=MemoryCredentials(database),
        lead_search=MemoryLeadSearch(database),
        content_log=MemoryContentLog(database),
        observatory=MemoryObservatory(database),
        upkeep=MemoryUpkeep(database),
        leases=MemoryLeases(),
        arrivals=MemoryArrivals(),
        signals=NoSignals(),
    )


__all__ = ["MemoryDatabase", "memory_storage"]
