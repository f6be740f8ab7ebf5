"""What citizens type for amounts, e-mails and phone numbers is understood."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.parsing import is_email, is_french_phone, parse_amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("15k", 15_000),
        ("15 k€", 15_000),
        ("15 000 €", 15_000),
        ("15000", 15_000),
        ("15.000 euros", 15_000),
        ("entre 5 et 10 000", 10_000),
        ("entre 5 000 et 10 000 €", 10_000),
        ("1,5 M€", 1_500_000),
        ("environ 8000 euros", 8_000),
        ("3 millions", 3_000_000),
    ],
)
def test_amounts_as_people_write_them(text: str, amount: int) -> None:
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["", "beaucoup", "0", "zéro euro", "1000000000000"])
def test_no_amount_is_invented(text: str) -> None:
    assert parse_amount(text) is None


@given(st.text(max_size=500))
def test_the_amount_parser_never_raises(text: str) -> None:
    amount = parse_amount(text)
    assert amount is None or 0 < amount <= 100_000_000


@pytest.mark.parametrize(
    "phone", ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "01.23.45.67.89"]
)
def test_french_phone_numbers(phone: str) -> None:
    assert is_french_phone(phone)


@pytest.mark.parametrize("text", ["12345", "06 12 34", "+44 20 7946 0958", "camille@example.org"])
def test_not_french_phone_numbers(text: str) -> None:
    assert not is_french_phone(text)


def test_email_addresses() -> None:
    assert is_email("camille.dupont@example.org")
    assert not is_email("camille@")
    assert not is_email("pas un e-mail")
