"""Stacked bar charts for the consultation report: one bar per question or standard, split by
outcome, drawn as SVG geometry the template renders. The outcomes table beside each chart holds
the same numbers for screen readers and for anyone who cannot tell the colours apart; the
chart's description lists them in words too."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
BAR_HEIGHT = 22
LABEL_HEIGHT = 22  # a bar's label sits on its own line above it: question texts are long
GAP = 14
LABEL_CHARACTERS = 80
VALUE_ROOM = 50  # right of the longest bar, for its total


@dataclass(frozen=True)
class Segment:
    column: int  # the outcome's position in the outcome columns: its colour class
    heading: str
    value: int
    x: float
    width: float


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    label_y: float
    y: float
    segments: tuple[Segment, ...]
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    title: str
    desc: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    headings: tuple[str, ...]  # the legend, in colour order


def stacked_chart(title: str, lines: Sequence, headings: Sequence[str]) -> Chart:
    """``lines`` are the report's outcome rows (``label``, ``cells()``, ``total``), scaled to the
    largest total so bars compare across questions."""
    room = WIDTH - VALUE_ROOM
    largest = max((line.total for line in lines), default=0)
    bars, described = [], []
    for index, line in enumerate(lines):
        top = index * (LABEL_HEIGHT + BAR_HEIGHT + GAP)
        x, segments = 0.0, []
        for column, (heading, value) in enumerate(zip(headings, line.cells())):
            if value:
                width = room * value / largest
                segments.append(Segment(column, heading, value, round(x, 1), round(width, 1)))
                x += width
        label = line.label if len(line.label) <= LABEL_CHARACTERS else line.label[:LABEL_CHARACTERS - 1] + "…"
        bars.append(Bar(label=label, total=line.total, label_y=top + LABEL_HEIGHT - 6, y=top + LABEL_HEIGHT,
                        segments=tuple(segments), value_x=round(x + 8, 1), value_y=top + LABEL_HEIGHT + BAR_HEIGHT * 0.75))
        parts = ", ".join(f"{segment.heading} {segment.value}" for segment in segments) or "none"
        described.append(f"{label}: {line.total} ({parts})")
    height = len(bars) * (LABEL_HEIGHT + BAR_HEIGHT + GAP) - GAP if bars else BAR_HEIGHT
    return Chart(title=title, desc="; ".join(described) or "No recommendations yet.", width=WIDTH, height=height,
                 bars=tuple(bars), headings=tuple(headings))
