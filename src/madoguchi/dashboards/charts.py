"""Charts drawn on the server as SVG: role="img" with <title> and <desc>, a text label on every bar, patterns
as well as colours (never colour alone), colours from the design tokens (CSS classes in dashboards.css).
Every chart is shown beside a table of the same numbers; nothing needs JavaScript."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_WIDTH = 150
BAR_HEIGHT = 22
GAP = 10
TOP = 8
BOTTOM = 30


@dataclass(frozen=True)
class Series:
    key: str
    label: str


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _patterns(uid: str, series: list[Series]) -> str:
    # Solid, hatched, dotted: each series is told apart by its texture as well as its colour.
    shapes = [
        "",
        '<path d="M0,6 L6,0" class="chart-hatch"/>',
        '<circle cx="3" cy="3" r="1.4" class="chart-dot"/>',
        '<path d="M0,3 L6,3" class="chart-hatch"/>',
    ]
    parts = []
    for n, s in enumerate(series):
        parts.append(
            f'<pattern id="{uid}-{escape(s.key)}" width="6" height="6" patternUnits="userSpaceOnUse">'
            f'<rect width="6" height="6" class="chart-fill-{n}"/>{shapes[n % len(shapes)]}</pattern>'
        )
    return "<defs>" + "".join(parts) + "</defs>"


def stacked_shares(*, uid: str, title: str, desc: str, rows: list[tuple[str, list[float | None]]],
                   series: list[Series]) -> SafeString:  # fmt: skip
    """One 100% bar per row, split by series; each segment wide enough is labelled with its share, and the
    legend repeats the patterns. A row with no published shares is drawn as a note."""
    height = TOP + len(rows) * (BAR_HEIGHT + GAP) + BOTTOM + 20
    plot = WIDTH - LABEL_WIDTH - 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{uid}-title {uid}-desc">',
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}</desc>',
        _patterns(uid, series),
    ]
    y = TOP
    for label, values in rows:
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" '
                     f'class="chart-label">{escape(label)}</text>')  # fmt: skip
        if all(v is None for v in values) or not any(values):
            parts.append(
                f'<text x="{LABEL_WIDTH}" y="{y + BAR_HEIGHT * 0.7:.1f}" class="chart-note">—</text>'
            )
        else:
            x = float(LABEL_WIDTH)
            for s, value in zip(series, values, strict=True):
                if not value:
                    continue
                w = plot * value
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}" '
                             f'fill="url(#{uid}-{escape(s.key)})" class="chart-bar"/>')  # fmt: skip
                if w >= 44:
                    parts.append(f'<text x="{x + 4:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
                                 f'class="chart-value chart-value--on-bar">{percent(value)}</text>')  # fmt: skip
                x += w
        y += BAR_HEIGHT + GAP
    x = float(LABEL_WIDTH)
    for s in series:
        parts.append(f'<rect x="{x:.1f}" y="{y + 6}" width="16" height="16" fill="url(#{uid}-{escape(s.key)})" '
                     f'class="chart-bar"/><text x="{x + 22:.1f}" y="{y + 19}" class="chart-label">{escape(s.label)}</text>')  # fmt: skip
        x += 130
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every text above is escaped


def bars(
    *, uid: str, title: str, desc: str, rows: list[tuple[str, float | None, str]], maximum: float
) -> SafeString:
    """One horizontal bar per row, its value written at its end (``text``); a missing value is a dash."""
    height = TOP + len(rows) * (BAR_HEIGHT + GAP) + 10
    plot = WIDTH - LABEL_WIDTH - 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{uid}-title {uid}-desc">',
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}</desc>',
        _patterns(uid, [Series("bar", "")]),
    ]
    y = TOP
    for label, value, text in rows:
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" '
                     f'class="chart-label">{escape(label)}</text>')  # fmt: skip
        w = 0.0 if value is None or not maximum else plot * min(value, maximum) / maximum
        if w:
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}" '
                         f'fill="url(#{uid}-bar)" class="chart-bar"/>')  # fmt: skip
        parts.append(f'<text x="{LABEL_WIDTH + w + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
                     f'class="chart-value">{escape(text if value is not None else "—")}</text>')  # fmt: skip
        y += BAR_HEIGHT + GAP
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every text above is escaped


__all__ = ["Series", "bars", "format_html", "percent", "stacked_shares"]
