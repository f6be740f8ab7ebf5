"""« Ce qui est gardé sur vous »: the citizen's data, as a file made in the page itself."""

from __future__ import annotations

import json
from pathlib import Path

from tests.browser.chat import Chat
from tests.browser.journeys import ASKS_THEMES, to_the_idea

IDEA = "Un repair café dans la salle des fêtes"


async def test_the_citizen_s_data_is_downloaded_from_the_chat(chat: Chat) -> None:
    await to_the_idea(chat)
    await chat.send(IDEA, expect=ASKS_THEMES)
    seq = await chat.newest_seq()
    await chat.page.get_by_role("button", name="Ce qui est gardé sur vous").click()
    await chat.wait_reply(seq)
    link = chat.page.locator("#log li.msg.bot a.download").last
    await link.wait_for()
    filename = await link.get_attribute("download")
    assert filename and filename.endswith(".json"), filename
    assert (await link.get_attribute("href") or "").startswith("blob:" + chat.url)
    async with chat.page.expect_download() as started:
        await link.click()
    download = await started.value
    assert download.suggested_filename == filename
    data = json.loads(Path(await download.path()).read_text(encoding="utf-8"))
    assert IDEA in json.dumps(data, ensure_ascii=False)
