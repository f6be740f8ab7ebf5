"""The web chat benchmark's citizens: a lean /ws client along the known path to a filing.

Each citizen is a person on the protocol of bot/web/PROTOCOL.md: a socket without cookie,
`hello` with `last: 0` (a new conversation), then the path of tests/advisors.py's
`file_in_arras`: the buttons it presses are found by their label among the buttons the bot
sent, their values taken from those frames; the idea, the commune « Arras », the amount, the
name and the address are typed. Every `message` frame is acked at once. Once its reference
`CPT-…` is shown, the socket closes and the citizen comes back as a new person.

Lean, because it shares the cores with the server: one coroutine per citizen reading its own
socket (no other task), frames pre-encoded, acks formatted, frames read with the standard
`json` and no schema validation. aiohttp's client offers permessage-deflate, as browsers do.
Only the standard library at the top (aiohttp is imported where it is used).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SEED = 20261202
TURN_TIMEOUT = 10.0  # an answer not complete by then is unanswered
CONNECT_TIMEOUT = 10.0
QUIET = 0.5  # learning: a turn is over when nothing came for this long
COMPRESS = 15  # permessage-deflate offered, as browsers do

IDEA = "On veut ouvrir une recyclerie pour réparer et revendre des objets"
EMAIL = "\0email"  # typed as sam.<citizen>@example.org
# The known path to a filed pre-application: (hello, say or press, text or a button's label).
PATH: tuple[tuple[str, str], ...] = (
    ("hello", ""),
    ("press", "Oui"),
    ("say", IDEA),
    ("press", "Valider"),
    ("say", "Arras"),
    ("press", "Une association"),
    ("press", "Ça prend forme"),
    ("press", "Un financement"),
    ("press", "Valider"),
    ("say", "15 000 €"),
    ("press", "Non"),  # no self-assessment: the results, then the offer to be called back
    ("press", "Oui"),
    ("say", "Sam"),
    ("say", EMAIL),
    ("press", "Le matin"),
    ("press", "Confirmer"),  # filed: the reference CPT-…
)
HELLO = '{"type": "hello", "last": 0}'
ACK = '{"type": "ack", "seq": %d}'

Step = tuple[str, str, int]  # kind, text or label, message frames that answer it


def step_name(step: Step) -> str:
    """A step as the table names it."""
    kind, what, _ = step
    return kind if kind == "hello" else ("the address" if what == EMAIL else f"« {what[:16]} »")


class Broken(Exception):
    """A conversation that went wrong: refused, closed, or a button that is not there."""


@dataclass(slots=True)
class Sent:
    """One frame a citizen sent (monotonic seconds)."""

    at: float
    step: int  # its index in the plan
    counted: bool  # answered by message frames: one of the messages of the rate
    behind: float  # how long its due time came before the previous answer was complete
    lag: float  # how late the load generator sent it, the previous answer being there
    first: float | None = None  # the first message frame of its answer


class Crowd:
    """The citizens of one run, on one aiohttp session, each keeping to its schedule.

    Open loop: every send is due a think time after the previous one's *due* time, not after
    the answer, so N citizens thinking θ on average offer N / θ frames a second whatever the
    server does; a send due before the answer to the previous one was complete is « behind ».
    """

    def __init__(self, session: Any, url: str, plan: Sequence[Step], think: tuple[float, float]):
        import aiohttp

        self.session = session
        self.url = url
        self.plan = plan
        self.think = think
        self.stop_at = float("inf")
        self.sent: list[Sent] = []
        self.errors: Counter[str] = Counter()
        self.filed = 0
        self.conversations = 0
        self._texts = {w: json.dumps({"type": "text", "text": w}) for k, w, _ in plan if k == "say"}
        self._buttons: dict[str, str] = {}
        self._failures = (TimeoutError, OSError, ValueError, aiohttp.ClientError, Broken)

    def _button(self, value: str) -> str:
        frame = self._buttons.get(value)
        if frame is None:
            frame = self._buttons[value] = json.dumps({"type": "button", "value": value})
        return frame

    async def citizen(self, number: int, due: float) -> None:
        """One person after another, from `due` until the crowd stops."""
        rng = random.Random(SEED * 1_000_003 + number)
        while due < self.stop_at:
            try:
                due = await self._conversation(number, rng, due)
            except self._failures as error:  # counted; the next person comes
                what = str(error)[:60] if isinstance(error, Broken) else type(error).__name__
                self.errors[what] += 1
                due = max(due, time.monotonic()) + rng.uniform(*self.think)

    async def _conversation(self, number: int, rng: random.Random, due: float) -> float:
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        if due >= self.stop_at:
            return due
        self.conversations += 1
        async with asyncio.timeout(CONNECT_TIMEOUT):
            ws = await self.session.ws_connect(self.url, compress=COMPRESS)
        ready = time.monotonic()  # the previous answer, for the hello: the socket open
        shown: list[dict[str, Any]] = []
        answer: list[dict[str, Any]] = []
        try:
            for index, (kind, what, expected) in enumerate(self.plan):
                if index:
                    due += rng.uniform(*self.think)
                    if due >= self.stop_at:
                        return due
                    if (delay := due - time.monotonic()) > 0:
                        await asyncio.sleep(delay)
                if kind == "hello":
                    frame = HELLO
                elif what == EMAIL:
                    frame = json.dumps({"type": "text", "text": f"sam.{number}@example.org"})
                elif kind == "say":
                    frame = self._texts[what]
                else:
                    frame = self._button(value(shown, what))
                now = time.monotonic()
                sent = Sent(now, index, expected > 0, max(0.0, ready - due), now - max(ready, due))
                await ws.send_str(frame)
                self.sent.append(sent)
                answer = await turn(ws, sent, expected, kind == "hello", TURN_TIMEOUT)
                ready = time.monotonic()
                shown = [*answer, *shown][:12] if answer else shown
            if not filed(answer):
                raise Broken("no reference shown after « Confirmer »")
            self.filed += 1
        finally:
            await ws.close()
        return due + rng.uniform(*self.think)


def filed(answer: Sequence[dict[str, Any]]) -> bool:
    """Whether an answer shows a filing's reference."""
    return any("CPT-" in (message.get("text") or "") for message in answer)


def value(shown: Sequence[dict[str, Any]], label: str) -> str:
    """The value of the newest button whose label starts with `label` (a ticked ✅ aside)."""
    for message in shown:
        for row in message.get("buttons") or ():
            for button in row:
                if str(button.get("label", "")).lstrip("✅ ").startswith(label):
                    return str(button["value"])
    raise Broken(f"no button « {label} »")


async def turn(
    ws: Any, sent: Sent, expected: int, hello: bool, timeout: float, quiet: float | None = None
) -> list[dict[str, Any]]:
    """Read the answer to one frame, acking each message: `expected` message frames (and
    `ready` for a hello), or with `quiet` set, whatever comes until nothing does. Newest first."""
    from aiohttp import WSMsgType

    messages: list[dict[str, Any]] = []
    waiting_ready = hello
    async with asyncio.timeout(timeout):
        while waiting_ready or len(messages) < expected or quiet is not None:
            try:
                received = await ws.receive(timeout=None if waiting_ready else quiet)
            except TimeoutError:
                if quiet is None:
                    raise
                break
            if received.type is not WSMsgType.TEXT:
                raise Broken(f"socket {received.type.name.lower()}")
            frame = json.loads(received.data)
            if not isinstance(frame, dict):
                raise Broken("a frame that is not an object")
            kind = frame.get("type")
            if kind == "message":
                if sent.first is None:
                    sent.first = time.monotonic()
                await ws.send_str(ACK % int(frame.get("seq", -1)))
                messages.insert(0, frame)
            elif kind == "ready":
                waiting_ready = False
            elif kind == "refused":
                raise Broken(f"refused {frame.get('reason')}")
    return messages


async def learn(session: Any, url: str) -> tuple[Step, ...]:
    """The plan: how many message frames answer each step, from a conversation at leisure."""
    async with asyncio.timeout(CONNECT_TIMEOUT):
        ws = await session.ws_connect(url, compress=COMPRESS)
    plan: list[Step] = []
    shown: list[dict[str, Any]] = []
    answer: list[dict[str, Any]] = []
    try:
        path = list(PATH)
        while path:
            kind, what = path.pop(0)
            if kind == "hello":
                frame = HELLO
            elif kind == "say":
                text = "sam.warm@example.org" if what == EMAIL else what
                frame = json.dumps({"type": "text", "text": text})
            else:
                frame = json.dumps({"type": "button", "value": value(shown, what)})
            sent = Sent(time.monotonic(), len(plan), True, 0.0, 0.0)
            await ws.send_str(frame)
            answer = await turn(ws, sent, 0, kind == "hello", 60, QUIET)
            plan.append((kind, what, len(answer)))
            if kind == "hello" and not answer:  # the server waits for /start: say it
                path.insert(0, ("say", "/start"))
            elif not answer:
                raise Broken(f"nothing answered « {what[:20]} »")
            shown = [*answer, *shown][:12]
        if not filed(answer):
            raise Broken("no reference shown after « Confirmer »")
    finally:
        await ws.close()
    return tuple(plan)
