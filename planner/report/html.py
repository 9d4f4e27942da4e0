"""A self-contained HTML report: one file, plots inlined as PNG, no script, nothing fetched.

The page's Content-Security-Policy forbids every request but inline ``data:`` images and the inline
style sheet; it reads on a phone (one column, tables scroll sideways) and prints (``@media print``).

>>> page = render(ReportData("t", "x.data", {"moves": 3}, [], {}, "", []))
>>> "default-src 'none'" in page and "<title>t</title>" in page and "http" not in page.split("<body")[1]
True
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

import pandas as pd

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

CSS = """
:root { --fg: #1b1f24; --muted: #5b6570; --line: #d8dde3; --accent: #2a6fb5; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 1100px; padding: 12px 16px 40px; }
h1 { font-size: 1.5em; margin: .4em 0 .1em; } h2 { font-size: 1.2em; margin: 1.6em 0 .4em;
  border-bottom: 2px solid var(--line); padding-bottom: .2em; }
p.meta { color: var(--muted); margin-top: 0; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: .3em 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f3f5f7; }
table#summary th { text-align: left; } table#summary td { font-weight: 600; }
td.better { color: #1e7a34; }
figure { margin: .6em 0; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .9em; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: 8px; overflow-x: auto; font-size: 12.5px; }
@media (max-width: 640px) { body { font-size: 14px; padding: 8px; } th, td { padding: 3px 6px; } }
@media print { body { max-width: none; padding: 0; font-size: 11pt; } h2 { break-after: avoid; }
  figure, table { break-inside: avoid; } pre { white-space: pre-wrap; font-size: 9pt; } .scroll { overflow: visible; } }
"""


@dataclass
class ReportData:
    """What the page shows: a summary (label → value), the methods side by side, figures (caption →
    PNG bytes), the chosen plan's commands, its day plan, and further titled tables."""

    title: str
    source: str
    summary: dict[str, object]
    methods: list[dict]  #: one row per method (:func:`planner.report.story.summary_row`)
    figures: dict[str, bytes]
    commands: str
    days: list[dict]
    moves: list[dict] = field(default_factory=list)  #: one row per move of the chosen plan
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  #: e.g. capacity, failures
    notes: list[str] = field(default_factory=list)


def _cell(v: object) -> str:
    if isinstance(v, bool) or v is None:
        return html.escape("" if v is None else ("yes" if v else "no"))
    if isinstance(v, float):
        if v != v:
            return ""
        return f"{v:.0f}" if v == round(v) else f"{v:.8f}".rstrip("0")
    return html.escape(str(v))


def fmt(v: object) -> str:
    """How the page prints a value (the browser test reads these back).

    >>> fmt(2.293072472), fmt(750.0), fmt(6.35), fmt(3), fmt(True), fmt(float("nan"))
    ('2.29307247', '750', '6.35', '3', 'yes', '')
    """
    return _cell(v)


def table(rows: list[dict] | pd.DataFrame, table_id: str | None = None) -> str:
    """An HTML table of dict rows (or a frame), header from the keys, wrapped to scroll on phones."""
    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict("records")
    if not rows:
        return "<p>none</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    ident = f' id="{table_id}"' if table_id else ""
    return f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def summary_table(summary: dict[str, object]) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in summary.items())
    return f'<div class="scroll"><table id="summary"><tbody>{rows}</tbody></table></div>'


def figure(caption: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def render(d: ReportData) -> str:
    """The whole page as one string."""
    parts = [f"<h1>{html.escape(d.title)}</h1>", f'<p class="meta">{html.escape(d.source)}</p>',
             "<h2>Summary</h2>", summary_table(d.summary)]
    parts += [f"<p>{html.escape(n)}</p>" for n in d.notes]
    parts += ["<h2>Greedy (hbal) against the optimiser</h2>", table(d.methods, "methods")]
    for caption, png in d.figures.items():
        parts.append(figure(caption, png))
    parts += ["<h2>Day plan</h2>", table(d.days, "days"), "<h2>Moves</h2>", table(d.moves, "moves"),
              "<h2>Jobsets and commands</h2>", f"<pre>{html.escape(d.commands.strip())}</pre>"]
    for title, df in d.tables.items():
        parts += [f"<h2>{html.escape(title)}</h2>", table(df)]
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(d.title)}</title>\n<style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n")
