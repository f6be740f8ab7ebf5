"""One way to talk to Comptoir in tests: a citizen driving the real services, replies recorded."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Sequence

from bot.bootstrap import Comptoir
from bot.core.conversation import ChatRef, Inbound, Reply
from bot.services.ports import Delivery

CHANNEL = "test"
_update_ids = itertools.count(10_000_000)


class Recorder:
    """An `Outbound` that keeps what it is given to deliver, per chat."""

    channel = CHANNEL

    def __init__(self) -> None:
        self.delivered: dict[str, list[Delivery]] = defaultdict(list)
        self.hints = 0

    def compose(self, replies: Sequence[Reply]) -> list[Reply]:
        return list(replies)

    async def deliver(self, delivery: Delivery) -> None:
        self.delivered[delivery.chat.chat_id].append(delivery)

    def working(self, chat: ChatRef) -> None:
        self.hints += 1

    def close(self) -> None:
        pass

    def replies(self, chat_id: str) -> list[Reply]:
        return [d.reply for d in self.delivered[chat_id]]


def recorded(comptoir: Comptoir) -> Recorder:
    """The recorder serving the test channel of a Comptoir (added on first use)."""
    outbound = comptoir.courier.outbound(CHANNEL)
    if isinstance(outbound, Recorder):
        return outbound
    recorder = Recorder()
    comptoir.courier.add(recorder)
    return recorder


class Citizen:
    """A citizen typing and pressing buttons, through the conversation service like a channel."""

    def __init__(self, comptoir: Comptoir, chat_id: str | None = None) -> None:
        self.comptoir = comptoir
        self.recorder = recorded(comptoir)
        self.chat = ChatRef(CHANNEL, chat_id or f"citizen-{uuid.uuid4().hex[:12]}")
        self.replies: list[Reply] = []
        self.transcript: list[str] = []

    async def send(
        self, text: str | None = None, button: str | None = None, update_id: int | None = None
    ) -> str:
        """Send a message; what the bot delivered in answer (after the outbox)."""
        before = len(self.recorder.delivered[self.chat.chat_id])
        inbound = Inbound(
            self.chat, text=text, button=button, update_id=update_id or next(_update_ids)
        )
        await self.comptoir.conversations.handle(inbound)
        await self.comptoir.courier.drain(self.chat.key)
        new = self.recorder.replies(self.chat.chat_id)[before:]
        if new:
            self.replies = new
        said = "\n".join(r.text for r in new)
        self.transcript.append(f"> {text or button}\n{said}")
        return said

    def button(self, label_start: str) -> str:
        """The data of the newest button whose label starts with `label_start`."""
        for reply in reversed(self.recorder.replies(self.chat.chat_id)):
            for row in reply.buttons:
                for button in row:
                    if button.label.lstrip("✅ ").startswith(label_start):
                        return button.data
        raise AssertionError(f"no button « {label_start} » in:\n" + "\n".join(self.transcript))

    async def press(self, label_start: str) -> str:
        return await self.send(button=self.button(label_start))

    async def qualify(
        self, idea: str, where: str, carrier: str, stage: str, needs: list[str], amount: str = ""
    ) -> str:
        await self.send("/start")
        await self.press("Oui")
        await self.send(idea)
        await self.press("Valider")
        await self.send(where)
        await self.press(carrier)
        await self.press(stage)
        for need in needs:
            await self.press(need)
        said = await self.press("Valider")
        if amount:
            said = await self.send(amount)
        return said

    async def results(self) -> str:
        return await self.press("Non")  # no self-assessment: the results come

    async def call_me_back(self, name: str, contact: str, when: str) -> str:
        """From the call-back offer to the recap."""
        await self.press("Oui")
        await self.send(name)
        await self.send(contact)
        return await self.press(when)
