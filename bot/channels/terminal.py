"""The terminal channel: the real conversation in a shell, buttons shown as numbered choices."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import TextIO

from bot.core.conversation import Button, ChatRef, Inbound, Reply
from bot.services.conversations import ConversationService
from bot.services.outbox import Courier
from bot.services.ports import Delivery, DeliveryFailed

CHANNEL = "terminal"


class Terminal:
    """A person at a terminal: typed lines in, replies printed as the courier delivers them."""

    channel = CHANNEL

    def __init__(
        self, service: ConversationService, courier: Courier, out: TextIO, chat_id: str = "local"
    ) -> None:
        self.service = service
        self.courier = courier
        self.out = out
        self.chat = ChatRef(CHANNEL, chat_id)
        self.buttons: list[Button] = []
        courier.add(self)

    # -- the Outbound port ------------------------------------------------------------------

    def compose(self, replies: Sequence[Reply]) -> list[Reply]:
        """Replies as they are: a terminal has no pace to respect."""
        return list(replies)

    def working(self, chat: ChatRef) -> None:
        """No « typing… » in a terminal."""

    def close(self) -> None:
        """Nothing is ever waiting in a terminal."""

    async def deliver(self, delivery: Delivery) -> None:
        """Print one reply; numbered buttons replace the previous ones."""
        if delivery.chat != self.chat:  # another terminal's conversation: leave it queued
            raise DeliveryFailed()
        self.render([delivery.reply])

    # -- the person -------------------------------------------------------------------------

    def inbound(self, line: str) -> Inbound:
        """A typed line as an Inbound: a number picks a button of the last question."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return Inbound(self.chat, button=self.buttons[int(text) - 1].data)
        return Inbound(self.chat, text=text)

    def render(self, replies: Iterable[Reply]) -> None:
        """Print replies; numbered buttons replace the previous ones.

        Lasting buttons (« Détails 2 ») are not numbered: they would replace the question's.
        They are shown as « » Détails 2 », their label, which typed asks the same.
        """
        for reply in replies:
            print(reply.text, file=self.out)
            if reply.lasting:
                labels = [button.label for row in reply.buttons for button in row]
                if labels:
                    print("  » " + " · ".join(labels), file=self.out)
            elif reply.buttons:
                self.buttons = [button for row in reply.buttons for button in row]
                for index, button in enumerate(self.buttons, 1):
                    print(f"  {index}. {button.label}", file=self.out)
            if reply.place is not None:
                place = reply.place
                print(
                    f"  📍 {place.name} ({place.latitude:.4f}, {place.longitude:.4f})",
                    file=self.out,
                )
            if reply.document:
                print(reply.document, file=self.out)

    async def send(self, line: str) -> None:
        """Send one typed line and print what comes back."""
        inbound = self.inbound(line)
        if inbound.button is None:
            self.buttons = []
        await self.service.handle(inbound)
        await self.courier.drain(self.chat.key)
        print(file=self.out, flush=True)

    async def run_script(self, lines: Iterable[str]) -> None:
        """Replay a transcript: each line is echoed, then sent."""
        await self.send("/start")
        for line in lines:
            if line.strip() and not line.lstrip().startswith("#"):
                print(f"> {line.strip()}", file=self.out)
                await self.send(line)

    async def run_interactive(self, stream: TextIO) -> None:
        """Converse with a person until end of input (Ctrl-D)."""
        await self.send("/start")
        while True:
            print("> ", end="", file=self.out, flush=True)
            line = await asyncio.to_thread(stream.readline)
            if not line:
                return
            if line.strip():
                await self.send(line)
