"""FakeTelegram: the aiohttp server, its routes and lifecycle, and reading what it recorded."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from tests.fakes.telegram.citizens import Citizens
from tests.fakes.telegram.decoding import read_params
from tests.fakes.telegram.errors import ApiError
from tests.fakes.telegram.faults import Faults
from tests.fakes.telegram.methods import BotApi
from tests.fakes.telegram.records import JSON, Call, CallbackQueryRecord, ChatMessage

T = TypeVar("T")

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


FAKE_TOKEN = "123:ABC"  # a well-formed token for tests that need no particular one


class FakeTelegram(BotApi, Citizens, Faults):
    """A Telegram Bot API server for tests: serves the bot, records, injects faults, plays users."""

    def __init__(
        self,
        token: str = FAKE_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "comptoir_test_bot",
        first_name: str = "Comptoir",
        strict_html: bool = True,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 10.0,
        first_update_id: int = 500_000_001,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123
        self.username = username
        self.first_name = first_name
        self.strict_html = strict_html
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self._host = host
        self._port = port
        self._clock = clock
        super().__init__()  # each part (chats, updates, faults…) sets up its state
        self._next_update_id = first_update_id

        # What tests read.
        self.calls: list[Call] = []
        self.violations: list[Call] = []

        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendLocation": self._send_location,
                "sendVenue": self._send_venue,
                "sendDocument": self._send_document,
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getFile": self._get_file,
            }.items()
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on host:port (port 0: a free one) and start the webhook sender."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation: a long poll whose client went away stops waiting at once.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_sender(), name="fake-webhook")

    async def stop(self) -> None:
        """Answer pending long polls, stop the webhook sender, close the server."""
        self._wake_pollers("closing")
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        for task in list(self._spread_tasks):
            task.cancel()
        await asyncio.gather(*self._spread_tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port> once started."""
        if self._url is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """For Bot(base_url=…) / ApplicationBuilder.base_url(…): PTB appends token/method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For Bot(base_file_url=…) / ApplicationBuilder.base_file_url(…)."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ reading the record

    def sent(self, chat_id: int) -> list[ChatMessage]:
        """What the bot sent to this chat, in order, as it was sent (see `messages` for edits)."""
        return list(self._sent.get(int(chat_id), []))

    def texts(self, chat_id: int) -> list[str]:
        """The displayed texts the bot sent to this chat, in order."""
        return [m.text for m in self.sent(chat_id) if m.text is not None]

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method (case-insensitive, like Telegram)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def unanswered_callbacks(self) -> list[CallbackQueryRecord]:
        """Button presses the bot has not answered with answerCallbackQuery."""
        return [q for q in self.callback_queries.values() if not q.answered]

    async def wait_for(
        self, predicate: Callable[[], T], timeout: float = 10.0, *, interval: float = 0.01
    ) -> T:
        """Poll `predicate` until it is truthy and return its value; AssertionError on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() >= deadline:
                raise AssertionError(
                    f"condition not met within {timeout}s; last calls:\n{self._summary()}"
                )
            await asyncio.sleep(interval)

    async def wait_sent(
        self, chat_id: int, count: int = 1, timeout: float = 10.0
    ) -> list[ChatMessage]:
        """Wait until the bot has sent at least `count` messages to the chat; return them all."""
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)

    async def webhook_idle(self, timeout: float = 10.0) -> None:
        """Wait until every update queued for the webhook was delivered (or given up)."""
        await self.wait_for(lambda: not self._outbox and self._webhook_inflight == 0, timeout)

    def _summary(self, last: int = 15) -> str:
        lines = []
        for call in self.calls[-last:]:
            params = {k: v for k, v in call.params.items() if k != "document"}
            lines.append(f"  {call.method} -> {call.response_status} {params}")
        return "\n".join(lines) or "  (none)"

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        path = request.match_info["path"]
        for file_path, content in self._files.values():
            if file_path == path:
                return web.Response(body=content)
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle_api(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        params = await read_params(request)
        name = request.match_info["method"]
        method, handler = self._methods.get(name.lower(), (name, None))
        injected = False
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if handler is None:
                raise ApiError(404, "Not Found")
            fault = self._take_fault(method)
            if fault is not None:
                injected = True
                raise fault
            body: JSON = {"ok": True, "result": await handler(params)}
            status = 200
        except ApiError as error:
            body, status = error.body(), error.status
        call = Call(method, params, at, status, body, injected)
        self.calls.append(call)
        if status == 400 and not injected:
            self.violations.append(call)
        if self._delay > 0 and method != "getUpdates" and self._delay_applies(method):
            await asyncio.sleep(self._delay)
        return web.json_response(body, status=status)
