"""Update delivery: the getUpdates queue and long polls, the webhook and its sender."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.fakes.telegram.errors import (
    POLL_TERMINATED,
    SECRET_CHARS,
    SECRET_TOO_LONG,
    WEBHOOK_ACTIVE,
    ApiError,
    _bad,
)
from tests.fakes.telegram.limits import MAX_SECRET_TOKEN, NOT_DEFAULT_UPDATES, SECRET_TOKEN_RE
from tests.fakes.telegram.records import JSON, WebhookDelivery


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class Updates:
    """How updates reach the bot: held for getUpdates, or posted to the webhook."""

    # Set by FakeTelegram from its arguments.
    webhook_max_attempts: int
    webhook_retry_delay: float
    webhook_timeout: float
    _next_update_id: int
    _clock: Callable[[], float]

    def __init__(self) -> None:
        super().__init__()
        self.updates: list[JSON] = []
        self.webhook_deliveries: list[WebhookDelivery] = []

        self._pending: list[JSON] = []  # updates waiting for getUpdates
        self._allowed_updates: list[str] | None = None
        self._poll_waiters: list[asyncio.Future[str]] = []
        self._webhook: _Webhook | None = None
        self._outbox: deque[JSON] = deque()  # updates waiting for the webhook
        self._outbox_ready = asyncio.Event()
        self._webhook_inflight = 0
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        # A load balancer in front of replicas: webhook calls spread over these URLs (a retry
        # goes to the next one), up to `_spread_at_once` calls at once (Telegram's
        # max_connections), started in update order without waiting for the previous answer.
        self._spread: list[str] = []
        self._spread_at_once = 1
        self._spread_next = 0
        self._spread_tasks: set[asyncio.Task[None]] = set()

    @property
    def webhook_url(self) -> str | None:
        """The webhook URL currently set, if any."""
        return self._webhook.url if self._webhook else None

    @property
    def waiting_polls(self) -> int:
        """How many getUpdates long polls are waiting right now."""
        return sum(not waiter.done() for waiter in self._poll_waiters)

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed through getUpdates or not yet sent to the webhook."""
        return [*self._pending, *self._outbox]

    def _deliver(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.updates.append(update)
        allowed = self._webhook.allowed_updates if self._webhook else self._allowed_updates
        if (allowed and kind not in allowed) or (not allowed and kind in NOT_DEFAULT_UPDATES):
            return update
        if self._webhook is not None:
            self._outbox.append(update)
            self._outbox_ready.set()
        else:
            self._pending.append(update)
            self._wake_pollers("update")
        return update

    def _wake_pollers(self, reason: str) -> None:
        for waiter in self._poll_waiters:
            if not waiter.done():
                waiter.set_result(reason)

    async def _get_updates(self, params: dict[str, Any]) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = params.get("offset")
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout")
        timeout = max(timeout, 0) if isinstance(timeout, int) else 0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        if isinstance(offset, int) and offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._pending = self._pending[offset:]
        # Telegram answers the older of two concurrent long polls with 409.
        self._wake_pollers("terminated")
        if not self._pending and timeout > 0:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiters.append(waiter)
            try:
                done, _ = await asyncio.wait({waiter}, timeout=timeout)
            finally:
                self._poll_waiters.remove(waiter)
                waiter.cancel()
            reason = waiter.result() if done else "timeout"
            if reason == "terminated":
                raise ApiError(409, POLL_TERMINATED)
            if reason == "webhook":
                raise ApiError(409, WEBHOOK_ACTIVE)
        return self._pending[:limit]

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token") or None
        if secret is not None:
            secret = str(secret)
            if len(secret) > MAX_SECRET_TOKEN:
                raise _bad(SECRET_TOO_LONG)
            if not SECRET_TOKEN_RE.fullmatch(secret):
                raise _bad(SECRET_CHARS)
        if url and not url.startswith(("http://", "https://")):
            raise _bad("Bad Request: bad webhook: HTTPS url must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        if not url:
            self._remove_webhook()
            return True
        allowed = params.get("allowed_updates")
        max_connections = params.get("max_connections")
        self._webhook = _Webhook(
            url=url,
            secret_token=secret,
            max_connections=max_connections if isinstance(max_connections, int) else 40,
            allowed_updates=[str(a) for a in allowed] if isinstance(allowed, list) else None,
        )
        self._wake_pollers("webhook")
        self._outbox.extend(self._pending)
        self._pending.clear()
        self._outbox_ready.set()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self._remove_webhook()
        return True

    def _remove_webhook(self) -> None:
        self._webhook = None
        self._pending.extend(self._outbox)
        self._outbox.clear()

    def _drop_pending(self) -> None:
        self._pending.clear()
        self._outbox.clear()

    async def _get_webhook_info(self, params: dict[str, Any]) -> JSON:
        info: JSON = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending_updates) + self._webhook_inflight,
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.allowed_updates is not None:
                info["allowed_updates"] = self._webhook.allowed_updates
            if self._webhook.last_error_date is not None:
                info["last_error_date"] = self._webhook.last_error_date
                info["last_error_message"] = self._webhook.last_error_message
        return info

    def spread(self, urls: list[str], at_once: int = 40) -> None:
        """Act as a load balancer: send the webhook calls to these URLs in turn, `at_once`
        of them at a time, each update as soon as it comes (no waiting for an answer)."""
        self._spread = list(urls)
        self._spread_at_once = at_once

    async def _webhook_sender(self) -> None:
        """Send queued updates to the webhook one at a time, in order, retrying like Telegram
        (or spread over several replicas, several at once: `spread`)."""
        while True:
            await self._outbox_ready.wait()
            while self._outbox and self._webhook is not None:
                if self._spread and self._webhook_inflight >= self._spread_at_once:
                    await asyncio.sleep(0.001)
                    continue
                update = self._outbox.popleft()
                self._webhook_inflight += 1
                if self._spread:
                    first = self._spread_next
                    self._spread_next += 1
                    task = asyncio.create_task(self._post_counted(update, first))
                    self._spread_tasks.add(task)
                    task.add_done_callback(self._spread_tasks.discard)
                    continue
                try:
                    await self._post_update(update)
                finally:
                    self._webhook_inflight -= 1
            self._outbox_ready.clear()

    async def _post_counted(self, update: JSON, first: int) -> None:
        try:
            await self._post_update(update, first)
        finally:
            self._webhook_inflight -= 1

    async def _post_update(self, update: JSON, first: int = 0) -> None:
        assert self._session is not None
        for attempt in range(1, self.webhook_max_attempts + 1):
            webhook = self._webhook
            if webhook is None:  # deleted meanwhile: back to getUpdates
                self._pending.append(update)
                self._wake_pollers("update")
                return
            url = webhook.url
            if self._spread:  # the balancer: a retry goes to the next replica
                url = self._spread[(first + attempt - 1) % len(self._spread)]
            headers = {}
            if webhook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
            status: int | None = None
            error: str | None = None
            try:
                async with self._session.post(
                    url,
                    json=update,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                ) as response:
                    status = response.status
                    await response.read()
                    if not 200 <= status < 300:
                        error = f"Wrong response from the webhook: {status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc!r}"
            self.webhook_deliveries.append(
                WebhookDelivery(
                    update["update_id"],
                    url,
                    attempt,
                    status,
                    webhook.secret_token,
                    time.monotonic(),
                    error,
                )
            )
            if error is None:
                return
            webhook.last_error_date = int(self._clock())
            webhook.last_error_message = error
            if attempt < self.webhook_max_attempts:
                await asyncio.sleep(self.webhook_retry_delay * attempt)
