"""Telegram limits enforced by our rendering, whatever the content says."""

from __future__ import annotations

import pytest
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
    rows = markup["inline_keyboard"]
    assert all(len(r) <= 8 for r in rows)
    assert sum(len(r) for r in rows) == 100


def test_buttons_whose_data_is_too_long_are_never_sent() -> None:
    markup = keyboard(Reply("?", buttons=((Button("ok", "n|ok"), Button("é" * 40, "é" * 40)),)))
    assert markup is not None
    assert [b["callback_data"] for r in markup["inline_keyboard"] for b in r] == ["n|ok"]


async def test_one_busy_chat_never_holds_up_another() -> None:
    import asyncio

    from bot.channels.telegram import Pace, Sender

    sender = Sender(Pace(per_chat_interval=0.5, overall_per_second=1000, per_chat_burst=1))
    done: list[str] = []

    async def send(chat: int, name: str) -> None:
        async def request() -> None:
            done.append(name)

        await sender.call(chat, request)

    await send(1, "a1")
    await asyncio.gather(send(1, "a2"), send(2, "b1"))
    assert done == ["a1", "b1", "a2"]  # b1 does not wait for chat 1's second


async def test_a_chat_may_burst_a_few_messages_then_one_per_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from bot.channels.telegram import Pace, Sender
    from bot.channels.telegram import sender as pacing

    clock = [100.0]

    async def sleep(seconds: float) -> None:  # a virtual clock: sleeping moves it on
        clock[0] += seconds

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    pace = Pace(per_chat_interval=1.0, overall_per_second=1000, per_chat_burst=3)
    sender = Sender(pace, clock=lambda: clock[0])
    sent: list[tuple[int, float]] = []

    async def send(chat: int) -> None:
        async def request() -> None:
            sent.append((chat, clock[0]))

        await sender.call(chat, request)

    for _ in range(5):
        await send(1)
    await send(2)  # another chat has its own burst
    assert [round(at - 100, 2) for chat, at in sent if chat == 1] == [0, 0, 0, 1, 2]
    assert sent[-1][0] == 2 and round(sent[-1][1] - 100, 2) == 2
    clock[0] += 10  # after a quiet moment the burst is available again
    await asyncio.gather(send(1), send(1), send(1))
    assert [round(at - 100, 2) for _, at in sent[-3:]] == [12, 12, 12]


async def test_a_group_gets_at_most_twenty_messages_a_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.channels.telegram import Pace, Sender
    from bot.channels.telegram import sender as pacing

    clock = [100.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    sender = Sender(Pace(overall_per_second=1000), clock=lambda: clock[0])
    sent: list[float] = []

    async def request() -> None:
        sent.append(clock[0])

    for _ in range(45):
        await sender.call(-1001, request)  # a group: no burst, one every 3.05 s
    for start in sent:
        assert sum(start <= at < start + 60 for at in sent) <= 20
    assert round(sent[1] - sent[0], 2) == 3.05
    last_group = sent[-1]
    await sender.call(7001, request)  # a private chat is not held by the group's pace
    assert len(sent) == 46 and sent[-1] - last_group < 0.01


def test_short_lead_ins_join_the_next_message_and_nothing_else_does() -> None:
    from bot.channels.telegram import merge_lead_ins
    from bot.core.conversation import Place

    question = Reply("Qui porte le projet ?", buttons=((Button("Une association", "q|a"),),))
    noted = Reply("Noté : Arras (62).")
    merged = merge_lead_ins([noted, question])
    assert [r.text for r in merged] == ["Noté : Arras (62).\n\nQui porte le projet ?"]
    assert merged[0].buttons == question.buttons

    long_card = Reply("Fonds d'amorçage " * 40)  # over the lead-in length: a message of its own
    pin = Reply("Comptoir d'Arras", place=Place("Comptoir", 50.29, 2.78, "Arras"))
    assert merge_lead_ins([long_card, pin]) == [long_card, pin]
    assert merge_lead_ins([noted, pin])[0].place == pin.place  # the text joins the pin's message
    assert merge_lead_ins([pin, noted]) == [pin, noted]  # a pin is never merged into
    toggle = Reply("Quelle aide ?", replaces_keyboard=True)
    assert merge_lead_ins([noted, toggle]) == [noted, toggle]
    huge = Reply("x" * (MAX_TEXT - 5), buttons=question.buttons)
    assert merge_lead_ins([noted, huge]) == [noted, huge]  # would not fit in one message
    assert merge_lead_ins([noted]) == [noted]


def test_an_entity_is_never_cut_between_two_messages() -> None:
    from tests.fakes.telegram import parse_html

    chunks = split_text("&" * 1000 + " " + "<b>" * 900)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= MAX_TEXT
        parse_html(chunk)  # valid Telegram HTML: every entity whole
    assert "".join(parse_html(c)[0] for c in chunks).replace(" ", "") == "&" * 1000 + "<b>" * 900


@given(st.text(alphabet="&<> ab\n", max_size=12_000))
def test_any_text_of_special_characters_splits_into_valid_html(text: str) -> None:
    from tests.fakes.telegram import parse_html

    for chunk in split_text(text):
        assert 0 < len(chunk) <= MAX_TEXT
        parse_html(chunk)
