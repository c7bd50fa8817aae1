"""The overstay report as Markdown and as a self-contained HTML page with inline SVG charts.

The HTML page loads nothing: no script, font, stylesheet or image from anywhere, so it opens the
same on an isolated network. Charts: total overstay rate by group, the countries with the most
overstays, and in-country versus out-of-country overstays by group.
"""

from __future__ import annotations

from html import escape
from typing import Any

_TOTALS = ("TOTAL", "GRAND TOTAL")
BAR_HEIGHT = 22
CHART_WIDTH = 640
LABEL_WIDTH = 110
TOP_COUNTRIES = 10
IN_COLOUR = "#b45309"
OUT_COLOUR = "#1d4ed8"


def markdown(rows: list[dict[str, Any]], title: str) -> str:
    """A Markdown table of every row, under a heading."""
    columns = list(rows[0]) if rows else []
    lines = [f"# {title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def html(rows: list[dict[str, Any]], title: str, note: str) -> str:
    """The report page: charts, then the full table."""
    totals = [r for r in rows if r["country"] == "TOTAL"]
    countries = sorted(
        (r for r in rows if r["country"] not in ("TOTAL", "GRAND TOTAL")),
        key=lambda r: (-int(r["total"]), r["group"], r["country"]),
    )[:TOP_COUNTRIES]
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(note)}</p>",
        "<h2>Total overstay rate by group</h2>",
        _bars(
            [(r["group"], float(r["total_rate"] or 0)) for r in rows if r["country"] in _TOTALS], percent=True
        ),
        f"<h2>Countries with the most overstays (top {TOP_COUNTRIES})</h2>",
        _bars([(f"{r['country']} ({r['group']})", int(r["total"])) for r in countries], percent=False),
        "<h2>Suspected in country and out of country, by group</h2>",
        _stacked(totals),
        "<h2>Table</h2>",
        _table(rows),
    ]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#111}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    "td:nth-child(-n+2),th{text-align:left}svg text{font-size:12px}"
)


def _bars(items: list[tuple[str, float]], percent: bool) -> str:
    top = max((v for _, v in items), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 80
    height = BAR_HEIGHT * max(len(items), 1)
    parts = [f'<svg role="img" width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}">']
    for i, (label, value) in enumerate(items):
        y = i * BAR_HEIGHT
        width = round(span * value / top, 1)
        shown = f"{value:.2%}" if percent else f"{value:,.0f}"
        parts += [
            f'<text x="0" y="{y + 15}">{escape(label)}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width}" height="{BAR_HEIGHT - 6}" fill="{OUT_COLOUR}">'
            f"<title>{escape(label)}: {shown}</title></rect>",
            f'<text x="{LABEL_WIDTH + width + 4}" y="{y + 15}">{shown}</text>',
        ]
    return "\n".join([*parts, "</svg>"])


def _stacked(totals: list[dict[str, Any]]) -> str:
    top = max((int(r["total"]) for r in totals), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 120
    height = BAR_HEIGHT * (len(totals) + 1)
    parts = [f'<svg role="img" width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}">']
    for i, r in enumerate(totals):
        y = i * BAR_HEIGHT
        inside, outside = int(r["suspected_in_country"]), int(r["out_of_country"])
        w_in, w_out = round(span * inside / top, 1), round(span * outside / top, 1)
        parts += [
            f'<text x="0" y="{y + 15}">{escape(r["group"])}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{w_in}" height="{BAR_HEIGHT - 6}" fill="{IN_COLOUR}">'
            f"<title>suspected in country: {inside:,}</title></rect>",
            f'<rect x="{LABEL_WIDTH + w_in}" y="{y + 3}" width="{w_out}" height="{BAR_HEIGHT - 6}" '
            f'fill="{OUT_COLOUR}"><title>out of country: {outside:,}</title></rect>',
            f'<text x="{LABEL_WIDTH + w_in + w_out + 4}" y="{y + 15}">{inside:,} in / {outside:,} out</text>',
        ]
    y = len(totals) * BAR_HEIGHT
    parts += [
        f'<rect x="{LABEL_WIDTH}" y="{y + 6}" width="12" height="12" fill="{IN_COLOUR}"/>',
        f'<text x="{LABEL_WIDTH + 16}" y="{y + 16}">suspected in country</text>',
        f'<rect x="{LABEL_WIDTH + 160}" y="{y + 6}" width="12" height="12" fill="{OUT_COLOUR}"/>',
        f'<text x="{LABEL_WIDTH + 176}" y="{y + 16}">out of country</text>',
    ]
    return "\n".join([*parts, "</svg>"])


def _table(rows: list[dict[str, Any]]) -> str:
    columns = list(rows[0]) if rows else []
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(r[c]))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    """A table cell as the CSV writes it: empty for a missing value."""
    return "" if value is None else str(value)
