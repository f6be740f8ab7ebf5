"""The web chat channel: replies go out as `message` frames on the citizen's WebSockets.

A reply is delivered once a socket of its chat acknowledged its `seq` (the outbox row's id):
until then it stays in the outbox. A chat with no socket open is away, not an outage
(`RecipientAway`): its replies wait until it connects again and the courier is woken.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from bot.core.conversation import Button, ChatRef, Place, Reply
from bot.services.ports import Delivery, DeliveryFailed, JsonObject, RecipientAway

log = logging.getLogger(__name__)
CHANNEL = "web"
ACK_SECONDS = 10.0  # a socket that does not acknowledge a message by then is taken as gone
EXPORT_FILENAME = "mes-donnees-comptoir.json"
CHECK = "✅ "  # the engine marks a ticked option in its label: the page draws its own mark
TYPING = json.dumps({"type": "typing"})
MAX_LATE = 10_000  # messages whose ack may still come late, remembered
Waker = Callable[[str], Coroutine[Any, Any, None]]


class Socket(Protocol):
    """A WebSocket as the channel uses it (aiohttp's `WebSocketResponse` is one)."""

    @property
    def closed(self) -> bool:
        """Whether it is closed or closing."""

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send one text frame."""

    async def close(self, *, code: int = 1000, message: bytes = b"", drain: bool = True) -> bool:
        """Close it (at shutdown)."""


def map_url(place: Place) -> str:
    """The OpenStreetMap page of a place, pinned."""
    lat, lon = f"{place.latitude:.5f}", f"{place.longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def button_json(button: Button) -> JsonObject:
    """A button as the page shows it; a ticked option's label without the engine's mark."""
    label = button.label
    if button.selected and label.startswith(CHECK):
        label = label[len(CHECK) :]
    return {"label": label, "value": button.data, "selected": button.selected}


def message_frame(delivery: Delivery) -> JsonObject:
    """The `message` frame of a delivery (see bot/web/PROTOCOL.md)."""
    reply = delivery.reply
    place: JsonObject | None = None
    if reply.place is not None:
        p = reply.place
        place = {
            "name": p.name,
            "latitude": p.latitude,
            "longitude": p.longitude,
            "address": p.address,
            "map_url": map_url(p),
        }
    document: JsonObject | None = None
    if reply.document is not None:
        document = {
            "filename": EXPORT_FILENAME,
            "media_type": "application/json",
            "content": reply.document,
        }
    return {
        "type": "message",
        "seq": delivery.seq,
        "text": reply.text,
        "buttons": [[button_json(b) for b in row] for row in reply.buttons],
        "replaces": reply.replaces_keyboard,
        "lasting": reply.lasting,
        "multiple": reply.multiple,
        "expects": reply.expects,
        "location": reply.location_button,
        "place": place,
        "document": document,
    }


class WebChat:
    """The `web` channel's `Outbound`: the open sockets of each chat, and their acks."""

    channel = CHANNEL

    def __init__(self, ack_seconds: float = ACK_SECONDS, wake: Waker | None = None) -> None:
        self.ack_seconds = ack_seconds
        self.wake = wake  # the courier's: a recipient is back, send what waits for them
        self._sockets: dict[str, set[Socket]] = defaultdict(set)
        self._acks: dict[tuple[str, int], asyncio.Future[None]] = {}
        self._late: set[tuple[str, int]] = set()  # given up waiting for their ack
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    # -- sockets ---------------------------------------------------------------------------

    def attach(self, chat_id: str, socket: Socket) -> None:
        """A socket of this chat is open (after its `hello`)."""
        self._sockets[chat_id].add(socket)

    def detach(self, chat_id: str, socket: Socket) -> None:
        """A socket closed; with none left, what waits for an ack is given back at once."""
        sockets = self._sockets.get(chat_id)
        if sockets is None:
            return
        sockets.discard(socket)
        if sockets:
            return
        del self._sockets[chat_id]
        for (chat, _), future in list(self._acks.items()):
            if chat == chat_id and not future.done():
                future.set_exception(RecipientAway())

    def acknowledge(self, chat_id: str, seq: int) -> None:
        """A socket of the chat showed message `seq`.

        An ack that comes after we gave up waiting (a slow tab) means the chat is there after
        all: what waits behind that message goes now (it is sent again, and dropped as shown).
        """
        future = self._acks.get((chat_id, seq))
        if future is not None and not future.done():
            future.set_result(None)
        elif (chat_id, seq) in self._late:
            self._late.discard((chat_id, seq))
            if self.wake is not None:
                self._spawn(self.wake(f"{CHANNEL}:{chat_id}"))

    def connected(self, chat_id: str) -> int:
        """How many sockets of the chat are open."""
        return len(self._sockets.get(chat_id, ()))

    @property
    def sockets(self) -> list[Socket]:
        """Every open socket (to close them at shutdown)."""
        return [socket for sockets in self._sockets.values() for socket in sockets]

    # -- the Outbound port -----------------------------------------------------------------

    def compose(self, replies: Sequence[Reply]) -> list[Reply]:
        """Replies as they are: a browser has no pace to respect."""
        return list(replies)

    def working(self, chat: ChatRef) -> None:
        """Tell the chat's sockets the bot is working (best effort)."""
        for socket in list(self._sockets.get(chat.chat_id, ())):
            self._spawn(_send(socket, TYPING))

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work, name="web chat")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        """Shutdown: start no new send; those waiting for an ack give up (they stay queued)."""
        self._closing = True
        for future in self._acks.values():
            if not future.done():
                future.set_exception(DeliveryFailed())

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send the message to every socket of its chat; return once one acknowledged it."""
        if self._closing:
            raise DeliveryFailed()
        chat_id, seq = delivery.chat.chat_id, delivery.seq
        if seq is None:
            raise DeliveryFailed()  # a web message without a seq could not be acknowledged
        sockets = [s for s in self._sockets.get(chat_id, ()) if not s.closed]
        if not sockets:
            raise RecipientAway()
        key = (chat_id, seq)
        future = self._acks.get(key)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._acks[key] = future
        frame = json.dumps(message_frame(delivery), ensure_ascii=False)
        try:
            sent = [await _send(socket, frame) for socket in sockets]
            if not any(sent):
                raise RecipientAway()
            async with asyncio.timeout(self.ack_seconds):
                await asyncio.shield(future)
        except TimeoutError:
            if len(self._late) >= MAX_LATE:
                self._late.clear()
            self._late.add(key)
            raise RecipientAway() from None  # shown nowhere: it goes again on the next hello
        finally:
            if self._acks.get(key) is future:
                del self._acks[key]
            if not future.done():
                future.cancel()
            with contextlib.suppress(BaseException):
                future.exception()  # retrieved: no « never retrieved » warning
        return str(seq)


async def _send(socket: Socket, frame: str) -> bool:
    """Send one frame; False when the socket is gone."""
    if socket.closed:
        return False
    try:
        await socket.send_str(frame)
    except (ConnectionError, RuntimeError):  # closing under our feet
        return False
    return True


def frame_text(frame: dict[str, Any]) -> str:
    """A server frame as the text sent on the socket."""
    return json.dumps(frame, ensure_ascii=False)
