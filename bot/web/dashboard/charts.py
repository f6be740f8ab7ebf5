"""Charts drawn on the server as SVG: horizontal bars and a line over months.

No script, no external resource: an `<svg role="img">` with an `aria-label` and a `<title>`,
every text escaped, sized by its viewBox so that it shrinks to a phone's width. The numbers are
also in the data table beside each chart. A count « < 5 » is drawn as a dashed outline of 5
(« up to 5 »), never at its exact size, which would give it away.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from bot.core.observatory.figures import SMALL, THRESHOLD, Count

WIDTH = 320  # the viewBox's width; the page scales it (a phone's width: the text stays legible)
INK, MUTED, GRID = "#1a1d23", "#4a5160", "#c9cfd8"
COLOURS = ("#1e3a8a", "#b45309", "#14532d", "#8a1c1c", "#6b21a8")  # AA on white
FONT = 'font-family="system-ui, sans-serif"'
MAX_BARS = 15
MAX_LABEL = 48  # characters of a bar's label (the table beside it has it whole)


@dataclass(frozen=True, slots=True)
class Series:
    """One set of values of a chart, with its name in the legend."""

    name: str
    counts: Sequence[Count]


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _scale(counts: Sequence[Count]) -> int:
    return max([THRESHOLD, *(c.known for c in counts)])


def _svg(title: str, height: float, body: list[str]) -> Markup:
    label = _text(title)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{label}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'preserveAspectRatio="xMinYMin meet" {FONT}>'
        f"<title>{label}</title>{''.join(body)}</svg>"
    )


def _legend(series: Sequence[Series], y: float) -> tuple[list[str], float]:
    """The series' colours and names, on as many lines as they need; and the height used."""
    parts, x, top = [], 0.0, y
    for index, one in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        width = 24 + 6.2 * len(one.name)
        if x and x + width > WIDTH:
            x, y = 0.0, y + 16
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14:.1f}" y="{y:.1f}" font-size="11" fill="{INK}">'
            f"{_text(one.name)}</text>"
        )
        x += width
    return parts, y - top + 18


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def bars(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Horizontal bars, one group per label (the first `MAX_BARS`), one bar per series."""
    labels = list(labels)[:MAX_BARS]
    scale = _scale([c for s in series for c in s.counts[: len(labels)]])
    room = WIDTH - 48  # the longest bar leaves room for its number
    body: list[str] = []
    y = 4.0
    if len(series) > 1:
        legend, height = _legend(series, y + 10)
        body += legend
        y += height
    if not labels:
        body.append(
            f'<text x="0" y="{y + 14:.1f}" font-size="12" fill="{MUTED}">Aucune donnée.</text>'
        )
        return _svg(title, y + 24, body)
    for row, label in enumerate(labels):
        name = _text(_short(label))
        body.append(f'<text x="0" y="{y + 12:.1f}" font-size="12" fill="{INK}">{name}</text>')
        y += 16
        for index, one in enumerate(series):
            count = one.counts[row] if row < len(one.counts) else Count(0)
            colour = COLOURS[index % len(COLOURS)]
            shown = THRESHOLD if count.hidden else count.known
            width = max(room * shown / scale, 0.5)
            if count.hidden:
                body.append(
                    f'<rect x="0.5" y="{y + 0.5:.1f}" width="{width:.1f}" height="10" '
                    f'fill="none" stroke="{colour}" stroke-dasharray="3 2"/>'
                )
            else:
                body.append(
                    f'<rect x="0" y="{y:.1f}" width="{width:.1f}" height="11" fill="{colour}"/>'
                )
            body.append(
                f'<text x="{width + 4:.1f}" y="{y + 9.5:.1f}" font-size="11" fill="{INK}">'
                f"{_text(SMALL if count.hidden else count)}</text>"
            )
            y += 13
        y += 5
    return _svg(title, y, body)


def line(title: str, labels: Sequence[str], counts: Sequence[Count]) -> Markup:
    """A line over months (`labels` short, in order); « < 5 » points hollow, drawn at 5."""
    height, left, bottom, top = 190.0, 34.0, 24.0, 12.0
    plot_w, plot_h = WIDTH - left - 12, height - top - bottom
    if not counts:
        body = [f'<text x="0" y="20" font-size="12" fill="{MUTED}">Aucune donnée.</text>']
        return _svg(title, 30, body)
    scale = _scale(counts)
    step = plot_w / max(len(counts) - 1, 1)

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value / scale

    points = [
        (left + i * step, y_of(THRESHOLD if c.hidden else c.known)) for i, c in enumerate(counts)
    ]
    body = [
        f'<line x1="{left}" y1="{y_of(0):.1f}" x2="{left + plot_w}" y2="{y_of(0):.1f}" '
        f'stroke="{GRID}"/>',
        f'<line x1="{left}" y1="{y_of(scale):.1f}" x2="{left + plot_w}" y2="{y_of(scale):.1f}" '
        f'stroke="{GRID}" stroke-dasharray="2 3"/>',
        f'<text x="{left - 4}" y="{y_of(0) + 4:.1f}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">0</text>',
        f'<text x="{left - 4}" y="{y_of(scale) + 4:.1f}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">{scale}</text>',
    ]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>'
        )
    for (x, y), count in zip(points, counts, strict=True):
        fill = "#ffffff" if count.hidden else COLOURS[0]
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{fill}" stroke="{COLOURS[0]}"/>'
        )
    for index, label in enumerate(labels):
        if index not in _ticks(len(labels)):
            continue
        x = left + index * step
        anchor = "end" if index == len(labels) - 1 and index else "middle"
        anchor = "start" if index == 0 else anchor
        body.append(
            f'<text x="{x:.1f}" y="{height - 6:.1f}" font-size="11" text-anchor="{anchor}" '
            f'fill="{MUTED}">{_text(label)}</text>'
        )
    return _svg(title, height, body)


def _ticks(count: int, most: int = 6) -> set[int]:
    """The points whose date is written under the axis: about `most`, the last one always."""
    every = max(1, -(-count // most))
    ticks = set(range(0, count, every))
    last = count - 1
    if last not in ticks:
        ticks.discard(max(ticks))  # too close to the last one to be read apart
        ticks.add(last)
    return ticks
