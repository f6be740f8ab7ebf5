"""The citizen's turn alone, in process: CPU per turn with its replies delivered, by store.

No network: the replies go to an `Outbound` that keeps nothing, so what is measured is the
engine, the service and the storage of a turn (claim, load, save, events, outbox in, outbox
out). The memory store is the baseline: the ratio is what durability costs on SQLite.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence

from bot.bootstrap import Comptoir
from bot.channels.telegram.render import merge_lead_ins
from bot.core.content import Content
from bot.core.conversation import ChatRef, Inbound, Reply
from bot.services.ports import Delivery, Storage
from bot.storage import open_storage
from bot.storage.memory import memory_storage

Row = tuple[str, str, str, str, str]
SCRIPT = [
    ("text", "/start"),
    ("button", "consent|oui"),
    ("text", "On veut ouvrir une recyclerie pour réparer et revendre des objets"),
    ("button", "themes|_ok"),
    ("text", "Arras"),
    ("button", "carrier|association"),
    ("button", "stage|emergence"),
    ("button", "needs|financement"),
    ("button", "needs|_ok"),
    ("text", "15 000 €"),
    ("button", "assess_offer|no"),
]
CHATS = 200


class _Nowhere:
    """An Outbound that sends nothing (Telegram's grouping of replies, though)."""

    channel = "telegram"

    def compose(self, replies: Sequence[Reply]) -> list[Reply]:
        return merge_lead_ins(replies)

    async def deliver(self, delivery: Delivery) -> None:
        return None

    def working(self, chat: ChatRef) -> None:
        return None

    def close(self) -> None:
        return None


async def _turns(content: Content, storage: Storage) -> list[float]:
    comptoir = Comptoir.assemble(content, storage)
    comptoir.courier.add(_Nowhere())
    update_ids = iter(range(1, 10**9))
    timings: list[float] = []
    try:
        for chat in range(CHATS):
            ref = ChatRef("telegram", str(900_000 + chat))
            for kind, value in SCRIPT:
                inbound = Inbound(ref, update_id=next(update_ids), **{kind: value})  # type: ignore[arg-type]
                started = time.process_time()
                await comptoir.conversations.handle(inbound)
                await comptoir.courier.settled(ref.key, 5.0)
                timings.append((time.process_time() - started) * 1000)
    finally:
        await comptoir.close()
    return timings


async def bench_turns(content: Content, row: Callable[[Row], object]) -> None:
    """CPU per turn (replies delivered) on memory and on SQLite, and their ratio."""
    gc.collect()
    gc.freeze()
    memory = await _turns(content, memory_storage())
    with tempfile.TemporaryDirectory() as folder:
        sqlite = await _turns(content, await open_storage(f"sqlite+aiosqlite:///{folder}/t.db"))
    base, lite = statistics.median(memory), statistics.median(sqlite)
    turns = len(memory)
    row(
        (
            "turn, memory store (baseline)",
            f"{base:.2f} ms CPU",
            "baseline",
            "ok",
            f"median of {turns} turns",
        )
    )
    row(
        (
            "turn, SQLite store",
            f"{lite:.2f} ms CPU ({lite / base:.1f}× memory)",
            "—",
            "info",
            "what durability costs a turn: claim, load, save, events, outbox in and out",
        )
    )


def main() -> int:
    """Run this benchmark alone and print its rows."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    content = Content.load(root / "knowledge", root / "dialogs")
    rows: list[Row] = []
    asyncio.run(bench_turns(content, rows.append))
    for found in rows:
        print("  ".join(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
