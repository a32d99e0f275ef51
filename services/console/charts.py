"""Bar charts drawn on the server as inline SVG: no script, no chart library, nothing fetched (LGWAN, and the
console's `default-src 'self'` with no inline script). Each chart is a picture of a table the page shows beside it
(the figures for screen readers and for copying); the SVG itself carries a <title> and <desc> and is marked
``role="img"`` so a reader announces it once instead of reading every bar.

Pure functions: the caller gives the categories, one or more series of integer or decimal values and how a value
is written (¥12,750, 96.50%); the result is markup, escaped here (labels are data: department and bureau names,
team codes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

Number = int | Decimal | float

#: Width of the drawing, the label column and one bar's height, in SVG user units (the SVG scales to its box).
WIDTH, LABEL_WIDTH, BAR, GAP = 720, 200, 16, 10
#: Colours that print in grey distinguishably and pass 3:1 contrast on white (series in order).
COLOURS = ("#0b4f8a", "#d08a00", "#5a7d2a", "#8a1c0b")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number | None]  # one per category; None: no figure (drawn as no bar, written as －)


def _scale(values: Sequence[Number | None]) -> float:
    largest = max((abs(float(v)) for v in values if v is not None), default=0.0)
    return largest or 1.0


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series],
              write: Callable[[Number], str], *, chart_id: str) -> Markup:
    """Horizontal bars, one group per category and one bar per series, each bar written with its figure. A
    negative value is drawn as a bar of its size in a hatched tone and written with its sign; the legend names the
    series. ``chart_id`` makes the title's id unique on the page."""
    if any(len(s.values) != len(categories) for s in series):
        raise ValueError(f"{chart_id}: every series needs one value per category ({len(categories)})")
    scale = _scale([v for s in series for v in s.values])
    plot = WIDTH - LABEL_WIDTH - 120  # room on the right for the figure written after the bar
    group = len(series) * BAR + GAP
    legend = 24 if len(series) > 1 else 0
    height = legend + len(categories) * group + GAP
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(_describe(categories, series, write))}</desc>']
    if legend:
        x = LABEL_WIDTH
        for index, one in enumerate(series):
            parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[index % len(COLOURS)]}"/>')
            parts.append(f'<text x="{x + 16}" y="17" font-size="13">{escape(one.name)}</text>')
            x += 16 + 14 * len(one.name) + 24
    for row, category in enumerate(categories):
        top = legend + row * group + GAP // 2
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{top + len(series) * BAR / 2 + 5:.0f}" text-anchor="end" '
                     f'font-size="13">{escape(_shorten(category))}</text>')
        for index, one in enumerate(series):
            value = one.values[row]
            y = top + index * BAR
            if value is None:
                parts.append(f'<text x="{LABEL_WIDTH + 4}" y="{y + BAR - 4}" font-size="12">－</text>')
                continue
            length = round(abs(float(value)) / scale * plot, 1)
            colour = COLOURS[index % len(COLOURS)]
            dashed = ' stroke="#1b1b1b" stroke-dasharray="3 2"' if float(value) < 0 else ""
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 1}" width="{length}" height="{BAR - 2}" '
                         f'fill="{colour}"{dashed}/>')
            parts.append(f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + BAR - 4}" font-size="12">'
                         f'{escape(write(value))}</text>')
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{legend}" x2="{LABEL_WIDTH}" y2="{height}" stroke="#1b1b1b"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece of data above went through escape()


def _shorten(label: str, most: int = 14) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def _describe(categories: Sequence[str], series: Sequence[Series], write: Callable[[Number], str]) -> str:
    """The chart in one sentence per category, for a reader that announces the picture."""
    return "。".join(
        f"{category}：" + "、".join(f"{s.name} {'－' if s.values[i] is None else write(s.values[i])}" for s in series)
        for i, category in enumerate(categories))


__all__ = ["Series", "bar_chart"]
