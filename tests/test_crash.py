"""A crash between any two messages loses nothing: the next message resumes the conversation."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ["1", "Une recyclerie de quartier", "Valider", "Arras", "3", "2", "1", "Valider", "15k"]
PROMPT = b"> "


class Chat:
    """`comptoir chat` in a child process, talked to through its standard input."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> str:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "chat", "--chat-id", "crash-test",
            "--database", self.database,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
        )  # fmt: skip
        return await self._until_prompt()

    async def _until_prompt(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        data = await asyncio.wait_for(self.process.stdout.readuntil(PROMPT), timeout=60)
        return data.decode()

    async def say(self, line: str) -> str:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()
        return await self._until_prompt()

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


def _typed(screen: str, answer: str) -> str:
    """Typing a button's label is done by its number, as a person at a terminal would."""
    if answer != "Valider":
        return answer
    for line in screen.splitlines():
        number, _, label = line.strip().partition(". ")
        if label == "Valider" and number.isdigit():
            return number
    raise AssertionError(f"no Valider in {screen}")


@pytest.mark.parametrize("crash_after", [1, 3, 5, 8])
async def test_sigkill_between_messages_then_restart_resumes_with_answers(
    tmp_path: Path, crash_after: int
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/crash.sqlite3"
    chat = Chat(database)
    screen = await chat.start()
    for answer in ANSWERS[:crash_after]:
        screen = await chat.say(_typed(screen, answer))
    await chat.kill()

    chat = Chat(database)
    screen = await chat.start()  # `/start` on restart shows the current question again
    for answer in ANSWERS[crash_after:]:
        screen = await chat.say(_typed(screen, answer))
    assert "Avant vos résultats, une proposition facultative" in screen  # every answer was kept
    screen = await chat.say("2")  # « Non »: the results come
    assert "Budget citoyen du Pas-de-Calais" in screen
    await chat.kill()
