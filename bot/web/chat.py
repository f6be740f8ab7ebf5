"""The web chat's routes: the page, its files, the commune suggestions and the `/ws` socket."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import WSCloseCode, WSMsgType, web

from bot.channels.webchat import CHANNEL, WebChat, frame_text
from bot.config import Settings
from bot.core.conversation import ChatRef, Inbound, Location
from bot.core.dialog.schema import Dialog
from bot.web.buckets import Bucket, Buckets, admit
from bot.web.frames import Frame, Refusal, read_frame, valid_token
from bot.web.keys import COMPTOIR, SETTINGS, SHUTDOWN

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "comptoir_chat"
COOKIE_MAX_AGE = 365 * 24 * 3600  # the conversations' retention
TEXT_MARGIN = 1000  # characters allowed beyond the dialog's longest answer
MAX_MESSAGE = 1024 * 1024  # aiohttp's own limit, well above ours: ours answers kindly
HEARTBEAT = 25.0  # seconds: a vanished browser is noticed (its replies wait for it)


@dataclass
class ChatRoom:
    """What the chat's routes share: the channel, the limits and the per-address buckets."""

    webchat: WebChat
    max_text: int
    addresses: Buckets
    page: bytes
    workers: set[asyncio.Task[None]] = field(default_factory=set)  # each socket's turns
    turning: int = 0  # hellos and turns received and not yet processed, on every socket


ROOM = web.AppKey("web chat", ChatRoom)


def add_chat(app: web.Application) -> None:
    """Serve the web chat: routes, security headers, and its channel once the bot started."""
    app.router.add_get("/", index)
    app.router.add_get("/ws", socket)
    app.router.add_get("/api/communes", communes)
    app.router.add_static("/static/", STATIC)
    app.on_response_prepare.append(security_headers)
    app.cleanup_ctx.append(chat_context)
    app.on_shutdown.append(close_sockets)


def longest_answer(dialog: Dialog) -> int:
    """The longest answer the dialog accepts (the idea's `max_length`)."""
    return max(node.max_length for node in dialog.nodes.values())


async def chat_context(app: web.Application) -> AsyncIterator[None]:
    """Register the web channel with the courier (its waiting replies go to who connects)."""
    comptoir, settings = app[COMPTOIR], app[SETTINGS]
    webchat = WebChat(wake=comptoir.courier.wake)
    app[ROOM] = ChatRoom(
        webchat=webchat,
        max_text=longest_answer(comptoir.content.dialog) + TEXT_MARGIN,
        addresses=Buckets(settings.web_rate_per_address, settings.web_burst_per_address),
        page=(STATIC / "index.html").read_bytes(),
    )
    comptoir.courier.add(webchat, here=lambda chat_id: webchat.connected(chat_id) > 0)
    try:
        yield
    finally:
        webchat.close()
        workers = set(app[ROOM].workers)
        if workers:  # turns under way end (their replies stay queued); then the services stop
            _, late = await asyncio.wait(workers, timeout=app[SHUTDOWN].for_turns())
            for worker in late:
                worker.cancel()
            await asyncio.gather(*late, return_exceptions=True)


async def close_sockets(app: web.Application) -> None:
    """At shutdown, say goodbye to every open socket (the page reconnects later)."""
    room = app.get(ROOM)
    if room is not None:
        for ws in room.webchat.sockets:
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.GOING_AWAY)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """A strict Content-Security-Policy and no sniffing nor referrer, on every answer."""
    origins = " ".join(sorted(request.app[SETTINGS].allowed_origins()))
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; frame-ancestors 'self'{' ' + origins if origins else ''}; "
        "base-uri 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")


def _scheme(request: web.Request, settings: Settings) -> str:
    if settings.trust_proxy:
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if forwarded in ("http", "https"):
            return forwarded
    return request.scheme


def client_address(request: web.Request, settings: Settings) -> str:
    """The client's address: the request's peer, or the trusted proxy's X-Forwarded-For."""
    if settings.trust_proxy:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]  # the address the proxy saw: the earlier ones are the client's
    return request.remote or ""


def chat_ref(token: str) -> ChatRef:
    """The conversation of a bearer token: the database never holds the token itself."""
    return ChatRef(CHANNEL, hashlib.sha256(token.encode()).hexdigest()[:32])


async def index(request: web.Request) -> web.Response:
    """The chat page; a new visitor gets the conversation's cookie."""
    settings = request.app[SETTINGS]
    response = web.Response(
        body=request.app[ROOM].page,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )
    if not valid_token(request.cookies.get(COOKIE)):
        secure = _scheme(request, settings) == "https" or bool(
            settings.public_url and settings.public_url.startswith("https:")
        )
        response.set_cookie(
            COOKIE,
            secrets.token_urlsafe(32),
            max_age=COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
    return response


async def communes(request: web.Request) -> web.Response:
    """Communes whose name or postcode starts with `q`, best first (at most `limit`, ≤ 20)."""
    query = request.query.get("q", "")
    try:
        limit = int(request.query.get("limit", "8"))
    except ValueError:
        limit = 8
    suggestions = request.app[COMPTOIR].content.catalog.suggestions.suggest(query, limit)
    return web.json_response(
        {
            "communes": [
                {
                    "code": s.code,
                    "name": s.name,
                    "label": s.label,
                    "department": s.department,
                    "postcode": s.postcode,
                }
                for s in suggestions
            ]
        },
        headers={"Cache-Control": "public, max-age=3600"},
    )


def origin_allowed(request: web.Request, settings: Settings) -> bool:
    """A browser's socket must come from our own page or from a site allowed to embed it."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser: nothing to protect against cross-site use
    origin = origin.strip().rstrip("/").lower()
    own = f"{_scheme(request, settings)}://{request.host}".lower()
    return origin == own or origin in {o.lower() for o in settings.allowed_origins()}


async def socket(request: web.Request) -> web.StreamResponse:
    """The chat's WebSocket (PROTOCOL.md): frames in, `message` frames out as delivered."""
    settings = request.app[SETTINGS]
    if not origin_allowed(request, settings):
        return web.Response(status=403, text="Origin not allowed")
    # No permessage-deflate: frames are a few hundred bytes, and each socket's zlib contexts
    # cost about half a megabyte (`make bench`: 181 → 275 MB at 180 sockets with it).
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, heartbeat=HEARTBEAT, compress=False)
    await ws.prepare(request)
    connection = Connection(request, ws)
    try:
        await connection.run()
    except ConnectionError:  # the client went away while we answered: nothing to tell it
        pass
    finally:
        await connection.end()
    return ws


class Connection:
    """One open socket: its pace, its conversation once it said hello, its turns in order."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse) -> None:
        app = request.app
        settings = app[SETTINGS]
        self.app = app
        self.ws = ws
        self.room = app[ROOM]
        self.cookie = request.cookies.get(COOKIE)
        loop = asyncio.get_running_loop()
        self.clock = loop.time
        now = self.clock()
        self.pace = [
            Bucket(settings.web_rate_per_connection, settings.web_burst_per_connection, at=now),
            self.room.addresses.of(client_address(request, settings), now),
        ]
        self.chat: ChatRef | None = None
        # Each turn with the client's id of its frame (a turn that fails is refused by it).
        self.turns: asyncio.Queue[tuple[Inbound, str | None] | None] = asyncio.Queue()

    async def run(self) -> None:
        """Read frames until the socket closes; a bad frame is refused, never fatal."""
        async for message in self.ws:
            if message.type == WSMsgType.TEXT:
                await self.receive(message.data)
            elif message.type == WSMsgType.BINARY:
                await self.refuse(Refusal("malformed"))
            elif message.type == WSMsgType.ERROR:
                return

    async def receive(self, data: str) -> None:
        """One text frame."""
        try:
            frame = read_frame(data, self.room.max_text)
            if frame.type == "ack":
                if self.chat is not None and frame.seq is not None:
                    self.room.webchat.acknowledge(self.chat.chat_id, frame.seq)
                return
            wait = admit(self.pace, self.clock())
            if wait > 0:
                raise Refusal("too_fast", frame.id, retry_after=wait)
            if frame.type == "hello":
                await self.hello(frame)
            elif self.chat is None:
                raise Refusal("malformed", frame.id)  # « hello » comes first
            else:
                self.queue(self.inbound(self.chat, frame), frame.id)
        except Refusal as refusal:
            await self.refuse(refusal)

    async def hello(self, frame: Frame) -> None:
        """Identify the conversation, answer `ready`, send what waits, re-ask when needed."""
        ready: dict[str, object] = {"type": "ready"}
        if self.chat is None:
            token = self.cookie if valid_token(self.cookie) else None
            if token is None:
                token = frame.conversation or secrets.token_urlsafe(32)
                ready["conversation"] = token
            self.chat = chat_ref(token)
            worker = asyncio.create_task(self.work(), name="web chat turns")
            self.room.workers.add(worker)
            worker.add_done_callback(self.room.workers.discard)
        self.room.turning += 1  # counted from before `ready` until its work is under way
        try:
            await self.ws.send_str(frame_text(ready))
            self.room.webchat.attach(self.chat.chat_id, self.ws)
            try:
                await self.app[COMPTOIR].courier.wake(self.chat.key)
            except Exception:  # the database is away: the courier finds them when they are due
                log.exception("web chat: could not look for the messages waiting")
            if frame.last == 0:  # a page showing nothing: the current question again, or start
                self.queue(Inbound(self.chat, text="/start", language=frame.language))
        finally:
            self.room.turning -= 1

    def queue(self, inbound: Inbound, frame_id: str | None = None) -> None:
        """A turn to process after those already received on this socket."""
        self.room.turning += 1
        self.turns.put_nowait((inbound, frame_id))

    @staticmethod
    def inbound(chat: ChatRef, frame: Frame) -> Inbound:
        """What the conversation service is given for a frame."""
        if frame.type == "button":
            return Inbound(chat, button=frame.value)
        if frame.type == "location":
            assert frame.latitude is not None and frame.longitude is not None
            return Inbound(chat, location=Location(frame.latitude, frame.longitude))
        return Inbound(chat, text=frame.text)

    async def work(self) -> None:
        """The socket's turns one after the other, while its acks keep being read."""
        service = self.app[COMPTOIR].conversations
        while (turn := await self.turns.get()) is not None:
            inbound, frame_id = turn
            try:
                await service.handle(inbound)
            except Exception:  # rolled back: the page gives the citizen their message back
                log.exception("a web chat turn failed")
                await self.refuse(Refusal("unavailable", frame_id))
            finally:
                self.room.turning -= 1

    async def refuse(self, refusal: Refusal) -> None:
        """Say why a frame was not processed (the socket stays open)."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.send_str(frame_text(refusal.frame()))

    async def end(self) -> None:
        """The socket closed: what it was sent and did not acknowledge waits for the next one.

        Turns already received are still processed (their replies wait in the outbox).
        """
        if self.chat is not None:
            self.room.webchat.detach(self.chat.chat_id, self.ws)
        self.turns.put_nowait(None)
