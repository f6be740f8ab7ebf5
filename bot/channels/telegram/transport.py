"""python-telegram-bot's HTTP transport on aiohttp: the same Bot API calls for less CPU each.

PTB's default transport is httpx. Under the Telegram load benchmark (`make bench`, 300
citizens, about 4 Bot API calls per update) moving to aiohttp, already the server's library,
took the bot's CPU from 13.3 to 8.9 ms per update. Requests without files go out as one JSON
body, as Telegram accepts; uploads as multipart form data.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import aiohttp
from telegram import Bot
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class JsonPayload:
    """Bot API parameters already in JSON form, shaped as the `RequestData` a request reads.

    `RequestData` is final and built by PTB's `Bot` methods only; this stands in for it with
    the attributes every `BaseRequest` uses (ours reads `parameters`, httpx's the others).
    """

    contains_files = False

    def __init__(self, parameters: dict[str, Any]) -> None:
        self.parameters = parameters
        self.multipart_data: dict[str, Any] = {}

    @property
    def json_parameters(self) -> dict[str, str]:
        """Each value JSON-encoded, strings as they are (PTB's convention)."""
        return {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in self.parameters.items()
        }


async def api_call(
    bot: Bot,
    method: str,
    *,
    request: BaseRequest | None = None,
    read_timeout: float | None = None,
    **parameters: Any,
) -> Any:
    """Call a Bot API method with JSON-ready parameters; return its JSON result as is.

    For the calls of every turn (sendMessage, editMessageReplyMarkup): PTB's `Bot` methods
    build full `Message` objects from each result, a fifth of the bot's CPU under load, for a
    `message_id` at most. Errors are PTB's own (`RetryAfter`, `BadRequest`, `TimedOut`…), from
    the same request object, so pacing and retries treat both kinds of call alike.
    """
    payload = JsonPayload({key: value for key, value in parameters.items() if value is not None})
    url = f"{bot.base_url}/{method}"
    transport = request or bot.request
    if read_timeout is None:
        return await transport.post(url, request_data=cast(Any, payload))
    return await transport.post(url, request_data=cast(Any, payload), read_timeout=read_timeout)


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` over one aiohttp session with a bounded connection pool."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout, in seconds (PTB adds the long-poll time to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | DefaultValue[Any] | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | DefaultValue[Any] | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | DefaultValue[Any] | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | DefaultValue[Any] | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; the status code and the raw body come back to PTB.

        aiohttp has no write timeout: a stalled upload is bounded by the read timeout.
        """
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        body: dict[str, Any] = {}
        if request_data is not None and request_data.contains_files:
            body["data"] = _form(request_data)
        elif request_data is not None:
            body["data"] = json.dumps(request_data.parameters).encode()
            body["headers"] = {"Content-Type": "application/json"}
        try:
            async with self._session.request(method, url, timeout=timeout, **body) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as error:
            # The URL holds the bot's token: the message names the method, never the URL.
            method_name = url.rsplit("/", 1)[-1]
            detail = str(error).replace(url, f"…/{method_name}")
            raise NetworkError(
                f"aiohttp.{type(error).__name__} ({method_name}): {detail}"
            ) from None


def _given(value: float | DefaultValue[Any] | None, default: float) -> float | None:
    """A timeout passed by the caller, or ours when PTB passes its DEFAULT_NONE marker."""
    return default if isinstance(value, DefaultValue) else value


def _form(request_data: RequestData) -> aiohttp.FormData:
    """Multipart form data: JSON-encoded parameters, then the files."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
