"""/metrics: what the services count and what the stores hold at scrape time, in Prometheus text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.config import Settings
from bot.web.app import COMPTOIR, create_app
from bot.web.metrics import Metrics
from tests.clients import Citizen
from tests.telegram_stack import TelegramCitizen, running

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape by name and labels."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(client: TestClient[web.Request, web.Application] | str) -> Samples:
    if isinstance(client, str):
        async with aiohttp.ClientSession() as session, session.get(client + "/metrics") as got:
            assert got.status == 200
            assert got.headers["Content-Type"].startswith("text/plain")
            return samples(await got.text())
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return samples(await response.text())


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/metrics.sqlite3",
        pseudonym_key=SecretStr("5e" * 32),
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def test_a_conversation_that_files_is_counted_and_its_lead_read_at_scrape(
    client: TestClient[web.Request, web.Application],
) -> None:
    before = await scrape(client)
    assert before[("comptoir_pre_applications_filed_total", ())] == 0
    assert before[("comptoir_leads", (("status", "nouveau"),))] == 0
    assert before[("comptoir_outbox_backlog", ())] == 0
    citizen = Citizen(client.app[COMPTOIR])
    await citizen.qualify(
        "On veut ouvrir une recyclerie pour réparer et revendre des objets",
        "Arras",
        "Une association",
        "Ça prend forme",
        ["Un financement"],
        "15 000 €",
    )
    await citizen.results()
    await citizen.call_me_back("Sam", "sam@example.org", "Peu importe")
    said = await citizen.press("Confirmer")
    assert "CPT-2026-" in said
    turns = len(citizen.transcript)
    after = await scrape(client)
    channel = (("channel", "test"),)
    assert after[("comptoir_updates_total", channel)] == turns
    assert after[("comptoir_turn_seconds_count", channel)] == turns
    assert after[("comptoir_turn_seconds_sum", channel)] > 0
    assert after[("comptoir_pre_applications_filed_total", ())] == 1
    assert after[("comptoir_matches_without_results_total", ())] == 0
    assert after[("comptoir_leads", (("status", "nouveau"),))] == 1
    assert after[("comptoir_leads", (("status", "pris_en_charge"),))] == 0
    # The filed lead's routing waits in the outbox (no advisor channel here): it is counted.
    assert after[("comptoir_outbox_backlog", ())] == 1


async def test_a_match_without_any_scheme_is_counted(
    client: TestClient[web.Request, web.Application],
) -> None:
    citizen = Citizen(client.app[COMPTOIR])
    await citizen.qualify(
        "Un festival de musique",
        "Metz",
        "Une collectivité",
        "On veut essaimer ailleurs",
        ["Un local"],
    )
    said = await citizen.results()
    assert "Je n'ai trouvé aucun dispositif" in said
    after = await scrape(client)
    assert after[("comptoir_matches_without_results_total", ())] == 1
    assert after[("comptoir_pre_applications_filed_total", ())] == 0


async def test_telegram_updates_and_delivery_failures_are_counted_by_channel(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as stack:
        citizen = TelegramCitizen(stack.fake, 7600)
        await citizen.say("/start")
        fake = stack.fake
        before = len(fake.sent(7600))
        # The sender's own retries all fail: the courier counts one failure, and tries again.
        fake.fail_next("sendMessage", status=500, count=4)
        await citizen.press("Oui")
        await fake.wait_for(lambda: len(fake.sent(7600)) > before, timeout=20)
        found = await scrape(stack.url)
        telegram = (("channel", "telegram"),)
        assert found[("comptoir_updates_total", telegram)] == 2
        assert found[("comptoir_turn_seconds_count", telegram)] == 2
        assert found[("comptoir_outbox_delivery_failures_total", telegram)] == 1
        assert found[("comptoir_outbox_backlog", ())] == 0


def test_each_application_counts_in_a_registry_of_its_own() -> None:
    first, second = Metrics(), Metrics()
    first.update("telegram")
    first.delivery_failed("telegram")
    assert samples(first.render().decode())[("comptoir_updates_total", (("channel", "telegram"),))]
    assert ("comptoir_updates_total", (("channel", "telegram"),)) not in samples(
        second.render().decode()
    )
