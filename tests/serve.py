"""`comptoir serve` as a child process, against the fake Bot API or without Telegram (web only)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp

from tests.fakes.telegram import FakeTelegram
from tests.telegram_stack import free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "5550001:AAHcomptoirTESTtokenNOTsecretXYZ0123456"
WEBHOOK_SECRET = "w3bhook-secret_Value"


class Server:
    """One `python -m bot serve` process; its output goes to a log file the test can read."""

    def __init__(self, process: asyncio.subprocess.Process, url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    @classmethod
    async def start(
        cls,
        fake: FakeTelegram | None,
        folder: Path,
        *,
        database: str | None = None,
        per_chat_interval: float = 1.0,
        overall_per_second: float = 30.0,
        base_url: str | None = None,
        ready: bool = True,
        extra: dict[str, str] | None = None,
        port: int | None = None,
        token: str | None = TOKEN,
    ) -> Server:
        """Start the server (Telegram's production pacing by default) and wait until ready.

        Without `fake` (None) or with `token=None`, the server runs with no Telegram token
        (the variable is not set at all): the web chat only.
        """
        port = port or free_port()
        log = folder / f"serve-{port}.log"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
        telegram: dict[str, str] = {}
        if fake is not None and token:
            telegram = {
                "COMPTOIR_TELEGRAM_TOKEN": token,
                "COMPTOIR_TELEGRAM_BASE_URL": base_url or fake.base_url,
            }
        env = {
            **inherited,
            "PYTHONUNBUFFERED": "1",
            "COMPTOIR_DATABASE_URL": database or f"sqlite+aiosqlite:///{folder}/serve.sqlite3",
            **telegram,
            "COMPTOIR_PORT": str(port),
            "COMPTOIR_TELEGRAM_PER_CHAT_INTERVAL": str(per_chat_interval),
            "COMPTOIR_TELEGRAM_OVERALL_PER_SECOND": str(overall_per_second),
            "COMPTOIR_PSEUDONYM_KEY": "5e" * 32,
            **(extra or {}),
        }
        with log.open("ab") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "serve",
                cwd=ROOT, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        server = cls(process, f"http://127.0.0.1:{port}", log)
        if ready:
            await server.wait_ready()
        return server

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Until /readyz answers 200 (the bot is initialised and polling or hooked)."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(
                        f"serve exited {self.process.returncode}:\n{self.output()}"
                    )
                try:
                    async with session.get(self.url + "/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"serve not ready within {timeout}s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: the process dies at once, wherever it is."""
        self.process.send_signal(signal.SIGKILL)

    async def stop(self, timeout: float = 30.0) -> tuple[int, float]:
        """SIGTERM, then wait: the exit code and how long it took."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        return code, time.monotonic() - started

    async def wait(self) -> int:
        return await self.process.wait()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")
