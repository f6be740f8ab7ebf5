"""The backup and its restore, rehearsed: `deploy/backup.sh` dumps a PostgreSQL database full of
conversations, leads and observatory roll-ups, `deploy/restore.sh` restores it into a scratch
database, and every row of every table comes back; old backups are deleted, the files are the
owner's only."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.storage import open_storage
from bot.storage.connection import create_engine
from bot.storage.tables import Base
from tests.lead_stores import KEY, POSTGRES, Clock
from tests.observatory_seed import TODAY, seed
from tests.postgres import fresh_database

pytestmark = pytest.mark.skipif(POSTGRES is None, reason="set COMPTOIR_TEST_POSTGRES_URL")
DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
COMPTOIR = Path(sys.executable).with_name("comptoir")


def run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COMPTOIR_PSEUDONYM_KEY": KEY.hex(), **env}
    return subprocess.run(
        [str(DEPLOY / script), *args], env=environment, capture_output=True, text=True, timeout=120
    )


async def every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in primary-key order."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            found = {}
            for table in Base.metadata.sorted_tables:
                query = select(table).order_by(*table.primary_key.columns)
                found[table.name] = [tuple(row) for row in await connection.execute(query)]
            return found
    finally:
        await engine.dispose()


async def test_a_backup_restores_every_row_into_a_scratch_database(tmp_path: Path) -> None:
    assert POSTGRES is not None
    folder = tmp_path / "backups"
    async with fresh_database(POSTGRES) as source, fresh_database(POSTGRES) as scratch:
        storage = await open_storage(source, clock=Clock(TODAY), pseudonym_key=KEY)
        try:
            await seed(storage)
            assert await storage.observatory.roll_up(TODAY) > 0
            filed = sorted((lead.reference, lead.filing) for lead in await storage.leads.leads())
        finally:
            await storage.close()
        before = await every_row(source)
        assert before["pre_applications"] and before["events"] and before["idea_days"]

        made = await asyncio.to_thread(
            run, "backup.sh", COMPTOIR_DATABASE_URL=source, COMPTOIR_BACKUP_DIR=str(folder)
        )
        assert made.returncode == 0, made.stderr
        dump = Path(made.stdout.strip())
        assert dump.parent == folder and dump.stat().st_size > 0
        assert stat.S_IMODE(dump.stat().st_mode) == 0o600  # personal data: the owner's only

        for _ in range(2):  # a second restore replaces the first: same rows
            restored = await asyncio.to_thread(
                run, "restore.sh", str(dump), scratch, COMPTOIR_BIN=str(COMPTOIR)
            )
            assert restored.returncode == 0, restored.stderr
            assert await every_row(scratch) == before

        again = await open_storage(scratch, clock=Clock(TODAY), pseudonym_key=KEY)
        try:
            leads = await again.leads.leads()  # read back through the stores, contacts included
            assert sorted((lead.reference, lead.filing) for lead in leads) == filed
            assert len(filed) == 7
        finally:
            await again.close()


async def test_backups_older_than_the_kept_days_are_deleted(tmp_path: Path) -> None:
    assert POSTGRES is not None
    folder = tmp_path / "backups"
    folder.mkdir()
    old, recent, other = (
        folder / "comptoir-20260101T023000Z.dump",
        folder / "comptoir-20261120T023000Z.dump",
        folder / "notes.txt",
    )
    for file in (old, recent, other):
        file.write_text("x")
    long_ago = time.time() - 40 * 86400
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    async with fresh_database(POSTGRES) as source:
        made = await asyncio.to_thread(
            run,
            "backup.sh",
            COMPTOIR_DATABASE_URL=source,
            COMPTOIR_BACKUP_DIR=str(folder),
            COMPTOIR_BACKUP_KEEP_DAYS="30",
        )
    assert made.returncode == 0, made.stderr
    assert not old.exists()
    assert recent.exists() and other.exists()  # only the backups' own files are deleted
    assert len(list(folder.glob("comptoir-*.dump"))) == 2


def test_the_backup_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    sqlite = run(
        "backup.sh",
        COMPTOIR_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3",
        COMPTOIR_BACKUP_DIR=str(tmp_path),
    )
    assert sqlite.returncode == 2 and "only PostgreSQL" in sqlite.stderr
    wrong = run(
        "backup.sh",
        COMPTOIR_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        COMPTOIR_BACKUP_DIR=str(tmp_path),
        COMPTOIR_BACKUP_KEEP_DAYS="a month",
    )
    assert wrong.returncode == 2 and "number of days" in wrong.stderr
    unreachable = run(
        "backup.sh",
        COMPTOIR_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:1/none",
        COMPTOIR_BACKUP_DIR=str(tmp_path / "b"),
    )
    assert unreachable.returncode != 0
    assert list((tmp_path / "b").iterdir()) == []  # no partial file left behind
