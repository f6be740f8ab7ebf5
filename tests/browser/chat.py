"""A citizen in the web chat, through the page's DOM contract (web.md section 3) only."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Protocol

from playwright.async_api import Locator, Page, TimeoutError

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
REFERENCE = re.compile(r"CPT-\d{4}-\d{6}")
WAIT_MS = 15_000

_NEWEST_SEQ = """() => Math.max(0, ...Array.from(
    document.querySelectorAll('#log li.msg.bot[data-seq]'), (li) => Number(li.dataset.seq)))"""

# The page sets French typography (a no-break space before « : », between digit groups): the
# driver reads texts with plain spaces, as the bot wrote them.
_PLAIN = "(t) => t.replace(/[\\u00a0\\u202f]/g, ' ')"

_ARRIVED = f"""({{after, containing}}) => Array.from(
    document.querySelectorAll('#log li.msg.bot[data-seq]')).some((li) =>
        Number(li.dataset.seq) > after
        && (containing === null || ({_PLAIN})(li.textContent).includes(containing)))"""

_SAID_AFTER = f"""(after) => Array.from(document.querySelectorAll('#log li.msg.bot[data-seq]'))
    .filter((li) => Number(li.dataset.seq) > after)
    .map((li) => ({_PLAIN})(li.innerText)).join('\\n')"""

_FOCUSED = """() => {
    const e = document.activeElement;
    return e ? {tag: e.tagName.toLowerCase(), id: e.id, text: (e.textContent || '').trim(),
                pressed: e.getAttribute('aria-pressed'), role: e.getAttribute('role')} : null;
}"""


def label_pattern(label: str) -> re.Pattern[str]:
    """A button's label as the page may show it: the start of the label, after any check mark."""
    return re.compile(r"^\s*(?:✅\s*)?" + re.escape(label))


def plain(text: str) -> str:
    """A text shown by the page with plain spaces where it set no-break ones."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def first_line(text: str) -> str:
    """An option's label, without what the page shows under or beside it (the postcode)."""
    return text.strip().splitlines()[0].strip() if text.strip() else ""


class Chat:
    """Drives one tab of the chat: buttons by label, typed answers, suggestions, screenshots."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.log = page.locator("#log")
        self.input = page.locator("#input")
        self.composer = page.locator("#composer")
        self.suggestions = page.locator("#suggestions [role=option]")
        self.notices = page.locator("#log li.msg.notice[role=alert]")

    async def open(self, expect: str | None = None) -> str:
        """Load the page and wait for the bot's first messages (up to the one saying `expect`)."""
        await self.page.goto(self.url + "/")
        return await self.wait_reply(0, expect)

    async def reload(self) -> None:
        """Reload the tab (the transcript comes back from sessionStorage, then the socket)."""
        await self.page.reload()
        await self.page.wait_for_function(_ARRIVED, arg={"after": 0, "containing": None})

    async def newest_seq(self) -> int:
        """The highest `data-seq` the page shows (0 when it shows no bot message)."""
        return int(await self.page.evaluate(_NEWEST_SEQ))

    async def wait_reply(self, after: int, containing: str | None = None) -> str:
        """Until a bot message newer than `after` (and saying `containing`) is shown.

        What the newer messages show: their texts, buttons and places.
        """
        try:
            await self.page.wait_for_function(
                _ARRIVED, arg={"after": after, "containing": containing}, timeout=WAIT_MS
            )
        except TimeoutError:
            shown = "\n---\n".join((await self.transcript())[-4:])
            raise AssertionError(
                f"no message after seq {after} saying « {containing} »; the chat ends with:\n"
                + shown
            ) from None
        return str(await self.page.evaluate(_SAID_AFTER, after))

    def button(self, label: str) -> Locator:
        """The newest pressable button whose label starts with `label`."""
        buttons = self.page.locator("#log li.msg.bot .buttons button:enabled")
        return buttons.filter(has_text=label_pattern(label)).last

    async def press(self, label: str, expect: str | None = None) -> str:
        """Click a button; the bot's next message (the one saying `expect`, when given)."""
        seq = await self.newest_seq()
        await self.button(label).click()
        return await self.wait_reply(seq, expect)

    async def toggle(self, label: str) -> bool:
        """Click an option of a multiple choice; its new `aria-pressed` state, once shown."""
        before = await self.button(label).get_attribute("aria-pressed")
        assert before in {"true", "false"}, f"« {label} » is not a multiple-choice option"
        await self.button(label).click()
        after = "false" if before == "true" else "true"
        pressed = self.page.locator(f"#log li.msg.bot .buttons button[aria-pressed={after}]")
        await pressed.filter(has_text=label_pattern(label)).last.wait_for(timeout=WAIT_MS)
        return after == "true"

    async def send(self, text: str, expect: str | None = None) -> str:
        """Type `text` in the composer and press Enter; the bot's next message."""
        seq = await self.newest_seq()
        await self.input.fill(text)
        await self.input.press("Enter")
        return await self.wait_reply(seq, expect)

    async def suggest(self, typed: str) -> list[str]:
        """Type the start of a commune: the suggestions the page offers, once shown."""
        await self.input.fill(typed)
        await self.suggestions.first.wait_for(timeout=WAIT_MS)
        return [first_line(text) for text in await self.suggestions.all_inner_texts()]

    async def pick_suggestion(self, typed: str, label: str, expect: str | None = None) -> str:
        """Type `typed`, then ArrowDown to the suggestion `label` and Enter; the bot's reply."""
        offered = await self.suggest(typed)
        assert label in offered, f"« {label} » not suggested for « {typed} »: {offered}"
        seq = await self.newest_seq()
        for _ in range(len(offered)):
            await self.page.keyboard.press("ArrowDown")
            if await self.active_suggestion() == label:
                break
        assert await self.active_suggestion() == label
        await self.page.keyboard.press("Enter")
        return await self.wait_reply(seq, expect)

    async def active_suggestion(self) -> str | None:
        """The text of the option `aria-activedescendant` points at, if any."""
        active = await self.input.get_attribute("aria-activedescendant")
        if not active:
            return None
        return first_line(await self.page.locator(f"#{active}").inner_text())

    async def question(self) -> str:
        """The text of the bot's newest message."""
        return plain(await self.page.locator("#log li.msg.bot .text").last.inner_text()).strip()

    async def transcript(self) -> list[str]:
        """Every message of the log, bot's and citizen's, as shown."""
        return [plain(t).strip() for t in await self.page.locator("#log li.msg").all_inner_texts()]

    async def seqs(self) -> list[int]:
        """The `data-seq` of every bot message shown, in order."""
        values = await self.page.locator("#log li.msg.bot[data-seq]").evaluate_all(
            "(items) => items.map((li) => Number(li.dataset.seq))"
        )
        return [int(v) for v in values]

    async def focused(self) -> dict[str, Any] | None:
        """What has the keyboard focus: tag, id, text, aria-pressed, role."""
        focused: dict[str, Any] | None = await self.page.evaluate(_FOCUSED)
        return focused

    async def tab_to(self, label: str, *, backwards: bool = False, limit: int = 60) -> None:
        """Press Tab (or Shift+Tab) until a button whose label starts with `label` has focus."""
        pattern = label_pattern(label)
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(limit):
            focused = await self.focused()
            if focused and focused["tag"] == "button" and pattern.match(focused["text"]):
                return
            await self.page.keyboard.press(key)
        raise AssertionError(f"« {label} » not reached with {key} in {limit} presses")

    async def screenshot(self, name: str) -> Path:
        """What the citizen sees now, saved as tests/artifacts/<name>.png."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=str(path))
        return path


class OpenChat(Protocol):
    """Opens the chat in a new browser context (a new citizen: its own cookie and storage)."""

    def __call__(
        self,
        *,
        width: int = ...,
        height: int = ...,
        geolocation: dict[str, float] | None = ...,
        load: bool = ...,
    ) -> Awaitable[Chat]: ...
