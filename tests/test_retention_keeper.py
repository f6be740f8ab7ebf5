"""The retention run at start and every day: the database files are rewritten (PostgreSQL's
VACUUM FULL locks each table meanwhile) only when the run removed something."""

from __future__ import annotations

import datetime as dt

from bot.core.conversation import Event
from bot.services.ports import Privacy, Storage
from bot.services.privacy import RetentionKeeper
from tests.lead_stores import Clock
from tests.observatory_seed import log


class Counted:
    """The store's privacy port, counting its compactions."""

    def __init__(self, privacy: Privacy) -> None:
        self.privacy = privacy
        self.compactions = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.privacy, name)

    async def compact(self) -> None:
        self.compactions += 1
        await self.privacy.compact()


async def test_a_run_that_removes_nothing_leaves_the_files_alone(
    lead_storage: Storage, lead_clock: Clock
) -> None:
    await log(lead_storage, "web:recent", [Event("node_entered", "idea")], lead_clock())
    privacy = Counted(lead_storage.privacy)
    keeper = RetentionKeeper(privacy, clock=lead_clock)  # type: ignore[arg-type]

    assert (await keeper.purge()).events == 0
    assert privacy.compactions == 0

    old = lead_clock() - dt.timedelta(days=400)
    await log(lead_storage, "web:old", [Event("node_entered", "idea")], old)
    assert (await keeper.purge()).events == 1
    assert privacy.compactions == 1
