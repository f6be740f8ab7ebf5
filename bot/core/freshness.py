"""How fresh a record's facts are: never verified, or not for 12 months, means « à vérifier »."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from bot.core.knowledge import Knowledge, Problem
from bot.core.models import Counter, Scheme

STALE_AFTER = dt.timedelta(days=365)  # a verification older than this no longer counts


def needs_check(record: Scheme | Counter, today: dt.date) -> bool:
    """Whether the record's facts are to be checked: never verified, or not for 12 months."""
    verified = record.verified
    return verified is None or today - verified.on > STALE_AFTER


def warnings(knowledge: Knowledge, today: dt.date) -> Iterator[Problem]:
    """One warning per record never verified or verified more than 12 months ago."""
    records: list[Scheme | Counter] = [*knowledge.schemes, *knowledge.counters]
    for record in records:
        if not needs_check(record, today):
            continue
        file, line = knowledge.places.get((type(record).__name__, record.id), (record.id, 1))
        if record.verified is None:
            message = (
                f"jamais vérifiée sur une page officielle (compilée le {_day(record.compiled)}) :"
                " le bot présente ses faits comme « à vérifier »"
            )
        else:
            message = (
                f"dernière vérification le {_day(record.verified.on)}, il y a plus de 12 mois :"
                " le bot présente ses faits comme « à vérifier »"
            )
        yield Problem(file, line, "verified", f"avertissement : {message}")


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")
