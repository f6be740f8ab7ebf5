"""Fault injection: errors on the next calls or at random, and late answers."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus

from tests.fakes.telegram.errors import BLOCKED, ApiError


@dataclass
class _Fault:
    method: str | None
    status: int
    retry_after: int | None
    description: str | None
    remaining: int


class Faults:
    """The faults FakeTelegram injects into its answers."""

    def __init__(self) -> None:
        super().__init__()
        self._faults: list[_Fault] = []
        self._fault_rate = 0.0
        self._fault_statuses: tuple[int, ...] = ()
        self._fault_retry_after = 0
        self._fault_rng = random.Random()
        self._delay = 0.0
        self._delay_method: str | None = None

    def fail_next(
        self,
        method: str | None = None,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        *,
        description: str | None = None,
    ) -> None:
        """Answer the next `count` calls of `method` (None: any but getUpdates) with an error.

        Nothing is delivered for a failed call, so a retried send arrives exactly once.
        """
        self._faults.append(
            _Fault(method, status, retry_after if status == 429 else None, description, count)
        )

    def fault_rate(
        self,
        rate: float,
        statuses: Iterable[int] = (429, 500, 502),
        seed: int | None = None,
        retry_after: int = 0,
    ) -> None:
        """Fail this share of send*/edit* calls at random with one of `statuses` (0: stop).

        A 429 carries `retry_after`; with 0, python-telegram-bot raises a NetworkError rather
        than RetryAfter (it only honours a positive retry_after), which keeps retries fast.
        """
        self._fault_rate = rate
        self._fault_statuses = tuple(statuses)
        self._fault_retry_after = retry_after
        self._fault_rng = random.Random(seed)

    def delay(self, seconds: float, *, method: str | None = None) -> None:
        """Answer calls (of `method`; None: all but getUpdates) `seconds` late; 0 stops it.

        The effect happens at once and only the answer is late, as when Telegram is slow: a
        client that times out and retries sends the message twice.
        """
        self._delay = seconds
        self._delay_method = method

    def _delay_applies(self, method: str) -> bool:
        return self._delay_method is None or self._delay_method.lower() == method.lower()

    def _take_fault(self, method: str) -> ApiError | None:
        for fault in self._faults:
            if fault.method is None and method == "getUpdates":
                continue
            if fault.method is not None and fault.method.lower() != method.lower():
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            return self._fault_error(fault.status, fault.retry_after, fault.description)
        if (
            self._fault_rate > 0
            and self._fault_statuses
            and method.startswith(("send", "edit"))
            and self._fault_rng.random() < self._fault_rate
        ):
            status = self._fault_rng.choice(self._fault_statuses)
            return self._fault_error(status, self._fault_retry_after, None)
        return None

    @staticmethod
    def _fault_error(status: int, retry_after: int | None, description: str | None) -> ApiError:
        if status == 429:
            seconds = retry_after or 0
            return ApiError(
                429, description or f"Too Many Requests: retry after {seconds}", seconds
            )
        if description is None:
            if status == 403:
                description = BLOCKED
            elif status == 400:
                description = "Bad Request: injected fault"
            else:
                try:
                    description = HTTPStatus(status).phrase
                except ValueError:
                    description = "Unknown error"
        return ApiError(status, description)
