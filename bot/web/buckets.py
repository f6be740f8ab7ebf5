"""Token buckets: how many messages a connection or an address may send, and when again."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Bucket:
    """`rate` tokens a second up to `burst`; each message takes one (the time is given)."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    at: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def _refill(self, now: float) -> None:
        if now > self.at:
            self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.rate)
            self.at = now

    def wait(self, now: float) -> float:
        """Seconds until a message may go (0: now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend one token (after `wait` said 0)."""
        self._refill(now)
        self.tokens -= 1

    def full(self, now: float) -> bool:
        """Whether it is back to its burst (it may be forgotten)."""
        self._refill(now)
        return self.tokens >= self.burst


class Buckets:
    """A bucket per key (a client address), forgetting the full ones when there are many."""

    def __init__(self, rate: float, burst: int, keep: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.keep = keep
        self._buckets: dict[str, Bucket] = {}

    def of(self, key: str, now: float) -> Bucket:
        """The bucket of `key` (a new one is full)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.keep:
                self._buckets = {k: b for k, b in self._buckets.items() if not b.full(now)}
            bucket = self._buckets[key] = Bucket(self.rate, self.burst, at=now)
        return bucket


def admit(buckets: list[Bucket], now: float) -> float:
    """Take a token from every bucket if all have one: 0; else the seconds to wait (none taken)."""
    wait = max(bucket.wait(now) for bucket in buckets)
    if wait == 0:
        for bucket in buckets:
            bucket.take(now)
    return wait
