"""What the qualification says with its results: schemes, near misses, counters, the markers."""

from __future__ import annotations

from bot.core.conversation import Place, Reply
from bot.core.dialog.schema import Texts
from bot.core.matching.snapshot import MatchSnapshot
from bot.core.models import Language, Marker, MarkersFile

MAX_SCHEMES, MAX_COUNTERS = 5, 3
MAX_TO_STRENGTHEN = 2  # markers offered to strengthen after the self-assessment


def results(snapshot: MatchSnapshot | None, texts: Texts, language: Language) -> list[Reply]:
    """The match results as messages: schemes, near misses, counters with map pins."""
    if snapshot is None:
        return [Reply(texts.results_none.get(language))]
    lines = [texts.results_intro.format(language, commune=snapshot.commune.name)]
    if snapshot.notice:
        lines.append(snapshot.notice)
    for scheme in snapshot.schemes[:MAX_SCHEMES]:
        lines.append(
            texts.results_scheme.format(
                language,
                name=scheme.name,
                funder=scheme.funder,
                reason=scheme.reason,
                url=scheme.url,
            )
        )
        lines.extend(texts.results_check.format(language, check=c) for c in scheme.checks[:2])
    if not snapshot.schemes:
        lines.append(texts.results_none.get(language))
    replies = [Reply("\n".join(lines))]
    if snapshot.near_misses:
        near = [texts.results_near_title.get(language)]
        near += [
            texts.results_near.format(language, name=m.name, remedy=m.remedy or "")
            for m in snapshot.near_misses[:MAX_SCHEMES]
        ]
        replies.append(Reply("\n".join(near)))
    counters = snapshot.counters[:MAX_COUNTERS]
    if counters:
        text = [texts.results_counters_title.get(language)]
        for counter in counters:
            line = texts.results_counter.format(
                language,
                name=counter.name,
                reasons=" · ".join(counter.reasons[:2]),
                url=counter.url,
                how=counter.how or "",
            )
            text.append(line.rstrip())
        replies.append(Reply("\n".join(text)))
        replies.extend(
            Reply(c.name, place=Place(c.name, c.pin.lat, c.pin.lon, c.where))
            for c in counters
            if c.pin is not None
        )
    return replies


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
