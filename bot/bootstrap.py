"""The composition root: content, storage, courier and services, wired once for every entry point.

`comptoir serve`, `comptoir chat`, the other CLI commands and the tests all build the bot here,
so that a part is never assembled two ways.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.core.content import Content
from bot.core.knowledge import ContentError, Problem
from bot.services.accounts import AccountService
from bot.services.cards import CARD, PARIS, CardPrinter
from bot.services.clock import Clock, utc_now
from bot.services.conversations import ConversationService
from bot.services.desk import LeadDesk
from bot.services.editing import Checker, Editor
from bot.services.leadership import Leadership
from bot.services.leads import LeadService
from bot.services.meter import NO_METER, Meter
from bot.services.outbox import Courier
from bot.services.ports import Storage
from bot.services.privacy import RetentionKeeper
from bot.services.publishing import Loader, Publisher, fingerprint
from bot.services.relay import Relay
from bot.services.reminders import Reminders
from bot.services.signin import SignIn
from bot.services.worklist import Worklist
from bot.storage import open_storage

log = logging.getLogger(__name__)
OUTBOX_SIGNAL = "comptoir_outbox"  # a recipient's messages were queued on another replica


def _no_folders() -> Content:
    raise ContentError([Problem("-", 1, "-", "aucun dossier de contenu à recharger")])


def load_content(settings: Settings, today: dt.date | None = None) -> Content:
    """The knowledge and the citizens' dialog, loaded and checked together (ContentError)."""
    return Content.load(settings.knowledge_dir, settings.dialogs_dir, settings.dialog, today)


async def open_stores(settings: Settings, clock: Clock = utc_now) -> Storage:
    """The configured database's stores, migrated first."""
    return await open_storage(
        settings.database_url, clock=clock, pseudonym_key=settings.pseudonym_bytes()
    )


@dataclass
class Comptoir:
    """A running bot's parts: what it knows, where it keeps things, how it answers."""

    content: Content
    storage: Storage
    courier: Courier
    conversations: ConversationService
    retention: RetentionKeeper
    leads: LeadService
    relay: Relay
    accounts: AccountService
    reminders: Reminders
    leadership: Leadership
    cards: CardPrinter
    signin: SignIn
    worklist: Worklist
    publisher: Publisher
    editor: Editor | None  # None: no knowledge folder to edit (a bot assembled in memory)
    # Told of every publication, once it is served (the Telegram menu follows the commands).
    listeners: list[Callable[[Content], None]] = field(default_factory=list)

    @classmethod
    def assemble(
        cls,
        content: Content,
        storage: Storage,
        clock: Clock = utc_now,
        meter: Meter = NO_METER,
        folders: tuple[Path, ...] = (),
        load: Loader | None = None,
        check: Checker | None = None,
    ) -> Comptoir:
        """Wire the services over loaded content and opened storage; `meter` counts for ops.

        `load` loads the content `folders` again for a publication (none: nothing to publish);
        `check` loads a knowledge folder beside them, to check a staff member's edit.
        """
        courier = Courier(storage.outbox, clock=clock, meter=meter)
        courier.elsewhere = lambda recipient: storage.signals.send(OUTBOX_SIGNAL, recipient)
        storage.signals.listen(OUTBOX_SIGNAL, courier.heard)
        holder: list[Comptoir] = []

        def current() -> Content:  # what the advisors' services read: the published content
            return holder[0].content if holder else content

        leads = LeadService(current, storage, courier, clock)
        relay = Relay(leads)
        cards = CardPrinter(current, storage.accounts, storage.leads, PARIS)
        courier.consume(LeadDesk(leads, relay))
        courier.prepare(CARD, cards.prepare, cards.receive)
        comptoir = cls(
            content=content,
            storage=storage,
            courier=courier,
            conversations=ConversationService(content, storage, courier, clock, meter=meter),
            retention=RetentionKeeper(storage.privacy, clock=clock, leases=storage.leases),
            leads=leads,
            relay=relay,
            accounts=AccountService(current, storage, clock),
            reminders=Reminders(leads, cluster=True),
            leadership=Leadership(storage.leases, courier, clock),
            cards=cards,
            signin=SignIn(storage, clock),
            worklist=Worklist(leads, relay, storage.lead_search, cards),
            publisher=Publisher(
                load or _no_folders,
                lambda new: holder[0].publish(new),
                storage.content_log,
                lambda: fingerprint(*folders),
                clock,
            ),
            editor=(
                Editor(folders[0], check, storage.content_log, clock) if folders and check else None
            ),
        )
        holder.append(comptoir)
        return comptoir

    @classmethod
    async def start(
        cls, settings: Settings, clock: Clock = utc_now, meter: Meter = NO_METER
    ) -> Comptoir:
        """Load the content, open the storage, wire the services."""
        content = load_content(settings)
        storage = await open_stores(settings, clock)
        folders = (settings.knowledge_dir, settings.dialogs_dir)
        comptoir = cls.assemble(
            content,
            storage,
            clock,
            meter,
            folders,
            lambda: load_content(settings),
            lambda knowledge: Content.load(knowledge, settings.dialogs_dir, settings.dialog),
        )
        try:
            await comptoir.publisher.start()
        except BaseException:
            await storage.close()
            raise
        return comptoir

    def publish(self, content: Content) -> None:
        """Serve new content from the next turn on (it was loaded and checked as a whole).

        One assignment per reader, no await between them: a turn sees the old content or the
        new, never a mix; a conversation of a changed dialog resumes at its node, or at the
        nearest one it visited that still exists.
        """
        self.content = content
        self.conversations.content = content
        gc.freeze()  # the new knowledge joins the old out of the collector's sight (app.py)
        for listener in self.listeners:
            listener(content)

    async def close(self, timeout: float = 5.0) -> None:
        """Stop delivering (sends under way get `timeout` seconds) and release the storage;
        undelivered messages stay queued."""
        self.reminders.stop()
        self.leadership.stop()
        await self.courier.stop(timeout)
        await self.leadership.hand_over()
        with contextlib.suppress(Exception):  # the database may be what failed
            waiting = await self.storage.outbox.backlog(self.courier.clock())
            if waiting:
                log.info("outbox: %d message(s) wait for the next start", waiting)
        await self.conversations.eraser.wait()
        await self.storage.signals.stop()
        await self.storage.close()
