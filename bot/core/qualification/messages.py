"""What the qualification says with its results: schemes, near misses, counters, the markers."""

from __future__ import annotations

from bot.core.conversation import Place, Reply
from bot.core.dialog.schema import Texts
from bot.core.matching.snapshot import MatchSnapshot
from bot.core.models import Language, MarkersFile

MAX_SCHEMES, MAX_COUNTERS = 5, 3


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
    """The indicative self-assessment read back: each marker with the level chosen."""
    lines: list[str]
    if not levels:
        return []
    labels = {marker.id: marker.label.get(language) for marker in markers.markers}
    scale = [level.get(language) for level in markers.scale]
    lines = [
        texts.assessment_line.format(language, marker=labels[marker], level=scale[level])
        for marker, level in levels
        if marker in labels and 0 <= level < len(scale)
    ]
    return [Reply("\n".join(lines))]
