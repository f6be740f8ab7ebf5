"""A reply that failed part-way (its venue after its text) is retried from there: nothing twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from tests.fakes.telegram import ChatMessage
from tests.telegram_stack import TelegramCitizen, running


async def test_a_venue_failing_after_its_text_is_sent_alone_when_the_outbox_retries(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as stack:
        fake = stack.fake
        citizen = TelegramCitizen(fake, 7600)
        await citizen.up_to_assessment()
        fake.fail_next("sendVenue", status=500, count=4)  # every attempt of the sender fails
        await citizen.press("Non")  # the results: texts, a counter's venue, the next steps

        def venues() -> list[ChatMessage]:
            return [m for m in fake.sent(7600) if m.kind == "venue"]

        await fake.wait_for(venues, timeout=20)  # the outbox tried again a second later
        await asyncio.sleep(1.0)
        assert len(venues()) == 1
        assert [t for t, n in Counter(fake.texts(7600)).items() if n > 1] == []
        failed = [c for c in fake.calls_to("sendVenue") if c.response_status == 500]
        assert len(failed) == 4
        assert fake.violations == []
