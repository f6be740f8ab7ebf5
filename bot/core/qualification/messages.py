"""What the qualification says with its results: scheme cards, near misses, counters, details."""

from __future__ import annotations

import re

from bot.core.conversation import Button, Place, Reply
from bot.core.dialog.render import ASIDE, SEPARATOR
from bot.core.dialog.schema import Texts
from bot.core.matching.snapshot import CounterView, MatchSnapshot, SchemeView
from bot.core.models import Language, Marker, MarkersFile
from bot.core.vocabulary import ResultTexts

MAX_SCHEMES, MAX_COUNTERS = 5, 3
MAX_TO_STRENGTHEN = 2  # markers offered to strengthen after the self-assessment
MAX_CHECKS = 2  # on a card; « Détails » shows them all
MAX_SUMMARY = 280  # characters of the summary on a card: its first sentence, cut if longer
MAX_DATA = 64  # Telegram's limit for a button's data, in UTF-8 bytes
DETAILS_BY_ID, DETAILS_BY_NUMBER = "d:", "n:"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ«])")


def shown(snapshot: MatchSnapshot) -> list[SchemeView]:
    """The schemes as numbered on the cards: eligible ones, then near misses."""
    return [*snapshot.schemes[:MAX_SCHEMES], *snapshot.near_misses[:MAX_SCHEMES]]


def details_data(scheme: SchemeView, number: int) -> str:
    """A « Détails » button's data: the scheme's id, or its number when the id is too long."""
    data = f"{ASIDE}{SEPARATOR}{DETAILS_BY_ID}{scheme.id}"
    if len(data.encode("utf-8")) <= MAX_DATA:
        return data
    return f"{ASIDE}{SEPARATOR}{DETAILS_BY_NUMBER}{number}"


def results(
    snapshot: MatchSnapshot | None, texts: Texts, words: ResultTexts, language: Language
) -> list[Reply]:
    """The match results as messages: one card per scheme, near misses, counters with pins."""
    if snapshot is None:
        return [Reply(texts.results_none.get(language))]
    schemes = snapshot.schemes[:MAX_SCHEMES]
    if schemes:
        intro = texts.results_intro.format(
            language, commune=snapshot.commune.name, count=len(schemes)
        )
        replies = [Reply("\n".join(filter(None, (intro, snapshot.notice))))]
    else:  # one clear message: nothing fits, and what to do next (the structures below)
        replies = [Reply(texts.results_none.get(language))]
    for number, scheme in enumerate(schemes, 1):
        label = words.details_button.format(language, number=number)
        button = Button(label, details_data(scheme, number))
        replies.append(
            Reply(card(scheme, number, texts, words, language), buttons=((button,),), lasting=True)
        )
    near = snapshot.near_misses[:MAX_SCHEMES]
    if near:
        lines = [texts.results_near_title.get(language)]
        buttons = []
        for number, miss in enumerate(near, len(schemes) + 1):
            lines.append(
                texts.results_near.format(
                    language, number=number, name=miss.name, remedy=miss.remedy or ""
                )
            )
            label = words.details_button.format(language, number=number)
            buttons.append(Button(label, details_data(miss, number)))
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        replies.append(Reply("\n".join(lines), buttons=rows, lasting=True))
    replies.extend(_counters(snapshot, bool(schemes), texts, words, language))
    return replies


def card(
    scheme: SchemeView, number: int, texts: Texts, words: ResultTexts, language: Language
) -> str:
    """A scheme's compact card: what it is, why it fits, what to check, how much, when, link."""
    details = {c.name: c.detail for c in scheme.criteria}
    amount = details.get("amount", "")
    if scheme.expenses:
        paid = words.card_expenses.format(language, expenses=" ; ".join(scheme.expenses))
        amount = f"{amount}\n{paid}"
    checks = "".join(
        texts.results_check.format(language, check=check) + "\n"
        for check in scheme.checks[:MAX_CHECKS]
    )
    return texts.results_scheme.format(
        language,
        number=number,
        name=scheme.name,
        funder=scheme.funder,
        summary=_first_sentence(scheme.summary or ""),
        reason=scheme.reason,
        amount=amount,
        calendar=details.get("calendar", ""),
        checks=checks,
        url=scheme_link(scheme, words, language),
    ).replace("\n\n", "\n")


def details(scheme: SchemeView, number: int, words: ResultTexts, language: Language) -> Reply:
    """Everything about one scheme: each criterion, what it pays for, amount, calendar, checks."""
    w = words
    lines = [w.details_title.format(language, number=number, name=scheme.name)]
    lines.append(w.details_funder.format(language, funder=scheme.funder))
    if scheme.summary:
        lines.append(scheme.summary)
    lines += ["", w.details_criteria.get(language)]
    icons = {
        "met": w.verdict_met,
        "partial": w.verdict_partial,
        "unknown": w.verdict_unknown,
        "not_met": w.verdict_not_met,
    }
    for criterion in scheme.criteria:
        icon = icons.get(criterion.verdict, w.verdict_unknown).get(language)
        lines.append(f"{icon} {criterion.detail}")
    if scheme.expenses:
        lines += ["", w.details_expenses.get(language), *(f"• {e}" for e in scheme.expenses)]
    if scheme.amount_note:
        lines += ["", w.details_amount.format(language, note=scheme.amount_note)]
    if scheme.calendar_note:
        lines += ["", w.details_calendar.format(language, note=scheme.calendar_note)]
    said = " ".join(c.detail for c in scheme.criteria)
    checks = [c for c in scheme.checks if c not in said]  # a carrier's condition, said above
    if checks:
        lines += ["", w.details_checks.get(language), *(f"• {c}" for c in checks)]
    link = w.details_link if scheme.official else w.details_unofficial_link
    lines += ["", link.format(language, url=scheme.url)]
    if scheme.provenance:
        lines.append(scheme.provenance)
    return Reply("\n".join(lines))


def scheme_link(scheme: SchemeView, words: ResultTexts, language: Language) -> str:
    """A scheme's link as shown: its official page, or a source said to be one."""
    if scheme.official:
        return scheme.url
    return words.card_unofficial_link.format(language, url=scheme.url)


def _counters(
    snapshot: MatchSnapshot, found: bool, texts: Texts, words: ResultTexts, language: Language
) -> list[Reply]:
    """The structures to talk to; with no scheme found, the national networks too."""
    counters = snapshot.counters[: MAX_COUNTERS if found else MAX_COUNTERS + 2]
    if not counters:
        return []
    national = all(c.level == "national" for c in counters)
    title = words.counters_national_only if national else texts.results_counters_title
    text = [title.get(language)]
    text += [_counter(c, texts, words, language) for c in counters]
    replies = [Reply("\n".join(text))]
    replies.extend(
        Reply(c.name, place=Place(c.name, c.pin.lat, c.pin.lon, c.where))
        for c in counters
        if c.pin is not None
    )
    return replies


def _counter(counter: CounterView, texts: Texts, words: ResultTexts, language: Language) -> str:
    how = " ".join(filter(None, (counter.how, *counter.notes)))
    line = texts.results_counter.format(
        language,
        name=counter.name,
        reasons=" · ".join(counter.reasons[:2]),
        url=counter.url
        if counter.official
        else words.counter_unofficial_link.format(language, url=counter.url),
        how=how,
    )
    return line.rstrip()


def _first_sentence(text: str) -> str:
    sentence = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    if len(sentence) <= MAX_SUMMARY:
        return sentence
    return sentence[: MAX_SUMMARY - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def assessment(
    levels: list[tuple[str, int]], markers: MarkersFile, texts: Texts, language: Language
) -> list[Reply]:
    """The indicative self-assessment given back: what the project shows, what to strengthen.

    A marker answered on the upper half of the scale is one the project already shows; of the
    others, the one or two answered lowest are offered to strengthen, each with its meaning.
    A marker the knowledge does not mark verified is no ground for a conclusion: left out.
    """
    known = {m.id: m for m in markers.markers if m.status == "verified"}
    scale = markers.scale
    given = [(known[m], level) for m, level in levels if m in known and 0 <= level < len(scale)]
    if not given:
        return []
    strong = len(scale) // 2  # 4 levels: « En bonne partie » and « Pleinement »

    def line(marker: Marker, level: int) -> str:
        return texts.assessment_line.format(
            language,
            marker=marker.label.get(language),
            level=scale[level].get(language).lower(),
            meaning=marker.meaning.get(language),
        )

    shown = [(m, level) for m, level in given if level >= strong]
    weaker = sorted((item for item in given if item[1] < strong), key=lambda item: item[1])
    lines = [texts.assessment_shows.get(language)]
    lines += [line(m, level) for m, level in shown] or [texts.assessment_none_yet.get(language)]
    if weaker:
        lines.append(texts.assessment_strengthen.get(language))
        lines += [line(m, level) for m, level in weaker[:MAX_TO_STRENGTHEN]]
    lines.append(texts.assessment_note.get(language))
    return [Reply("\n".join(lines))]
