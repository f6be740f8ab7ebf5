"""Telegram limits enforced by our rendering, whatever the content says."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.telegram import MAX_TEXT, keyboard, split_text
from bot.core.conversation import Button, Reply


def test_long_texts_split_on_paragraphs_under_4096() -> None:
    paragraphs = [f"Paragraphe {i} " + "mot " * 300 for i in range(8)]
    chunks = split_text("\n\n".join(paragraphs))
    assert all(0 < len(c) <= MAX_TEXT for c in chunks)
    assert all(c.startswith("Paragraphe") for c in chunks)
    assert " ".join(chunks).split() == "\n\n".join(paragraphs).split()


@given(st.text(max_size=20_000))
def test_any_text_splits_into_valid_messages(text: str) -> None:
    chunks = split_text(text)
    assert chunks and all(0 < len(c) <= MAX_TEXT for c in chunks)


def test_keyboards_keep_to_8_a_row_and_100_in_all() -> None:
    row = tuple(Button(f"Choix {i}", f"n|{i}") for i in range(150))
    markup = keyboard(Reply("?", buttons=(row,)))
    assert markup is not None
    rows = markup.inline_keyboard
    assert all(len(r) <= 8 for r in rows)
    assert sum(len(r) for r in rows) == 100


def test_buttons_whose_data_is_too_long_are_never_sent() -> None:
    markup = keyboard(Reply("?", buttons=((Button("ok", "n|ok"), Button("é" * 40, "é" * 40)),)))
    assert markup is not None
    assert [b.callback_data for r in markup.inline_keyboard for b in r] == ["n|ok"]


async def test_one_busy_chat_never_holds_up_another() -> None:
    import asyncio

    from bot.channels.telegram import Pace, Sender

    sender = Sender(Pace(per_chat_interval=0.5, overall_per_second=1000))
    done: list[str] = []

    async def send(chat: int, name: str) -> None:
        async def request() -> None:
            done.append(name)

        await sender.call(chat, request)

    await send(1, "a1")
    await asyncio.gather(send(1, "a2"), send(2, "b1"))
    assert done == ["a1", "b1", "a2"]  # b1 does not wait for chat 1's second
