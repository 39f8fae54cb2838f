"""HTML building blocks and the page template of the report.

Plain string building with every value escaped: no template engine to
install, and the output is one file with its CSS inline and its figures as
data URIs, so it can be e-mailed, archived with a paper, or opened on a
hospital machine with no network.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 0;
       color: #1d2430; background: #f6f7f9; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
header { border-bottom: 3px solid #2b6cb0; margin-bottom: 1rem; }
h1 { font-size: 1.6rem; margin: 0.2rem 0; } h2 { font-size: 1.25rem; margin-top: 2.2rem;
  border-bottom: 1px solid #d5dae1; padding-bottom: 0.2rem; } h3 { font-size: 1.05rem; }
.headline { font-size: 1.1rem; background: #ebf4ff; padding: 0.6rem 0.9rem;
  border-left: 4px solid #2b6cb0; }
.muted { color: #5a6473; font-size: 0.9rem; }
nav a { margin-right: 1rem; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.88rem; }
th, td { border-bottom: 1px solid #e2e6eb; padding: 0.25rem 0.6rem; text-align: left;
  vertical-align: top; }
th { background: #f0f3f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.chosen td { background: #fff7d6; font-weight: 600; }
.warn { background: #fff4e5; border-left: 4px solid #dd6b20; padding: 0.4rem 0.8rem;
  margin: 0.3rem 0; }
.note { background: #f0f3f7; border-left: 4px solid #8895a7; padding: 0.4rem 0.8rem;
  margin: 0.3rem 0; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; max-width: 520px; } figure img { max-width: 100%; height: auto; }
td.fact { font-weight: 600; }
figcaption { font-size: 0.82rem; color: #5a6473; }
dl.card { display: grid; grid-template-columns: 13rem 1fr; gap: 0.35rem 1rem; }
dl.card dt { font-weight: 600; } dl.card dd { margin: 0; }
details { margin: 0.5rem 0; } summary { cursor: pointer; font-weight: 600; }
"""


def esc(value: object) -> str:
    """Text for HTML: escaped, numbers shown with three decimals, NaN as a dash."""
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.3f}"
    return html.escape(str(value))


def table(header: list[str] | None, rows: list[list[object]], numeric: set[int] | None = None,
          highlight: set[int] | None = None, css_class: str = "") -> str:
    """An HTML table (no header row when ``header`` is None); columns in ``numeric`` are
    right-aligned, rows in ``highlight`` marked."""
    numeric, highlight = numeric or set(), highlight or set()
    head = "" if header is None else "<thead><tr>" + "".join(
        f"<th>{esc(h)}</th>" for h in header) + "</tr></thead>"
    body = []
    for i, row in enumerate(rows):
        cells = "".join(f"<td class=\"num\">{esc(v)}</td>" if j in numeric else f"<td>{esc(v)}</td>"
                        for j, v in enumerate(row))
        mark = ' class="chosen"' if i in highlight else ""
        body.append(f"<tr{mark}>{cells}</tr>")
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<table{attribute}>{head}<tbody>{''.join(body)}</tbody></table>"


def paragraph(text: str, css_class: str = "") -> str:
    """One escaped paragraph."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<p{attribute}>{esc(text)}</p>"


def boxes(texts: list[str], css_class: str) -> str:
    """Warning or note boxes, one per text."""
    return "".join(f'<div class="{css_class}">{esc(t)}</div>' for t in texts)


def definition_list(items: list[tuple[str, str]]) -> str:
    """Term / description pairs (the model card)."""
    return '<dl class="card">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>"
                                         for k, v in items) + "</dl>"


@dataclass
class Figure:
    """One inline figure and the numbers it shows (exposed as ``data-*`` attributes)."""

    kind: str
    png: str
    caption: str
    data: dict[str, float | str] = field(default_factory=dict)

    def render(self) -> str:
        attributes = "".join(f' data-{esc(k)}="{esc(v) if isinstance(v, str) else repr(v)}"'
                             for k, v in self.data.items())
        return (f'<figure data-kind="{esc(self.kind)}"{attributes}>'
                f'<img alt="{esc(self.caption)}" src="data:image/png;base64,{self.png}">'
                f"<figcaption>{esc(self.caption)}</figcaption></figure>")


def figures(items: list[Figure]) -> str:
    """Figures side by side, wrapping on narrow screens."""
    return '<div class="figures">' + "".join(f.render() for f in items) + "</div>"


@dataclass
class Section:
    """A titled part of the report; ``body`` is HTML built with the helpers above."""

    anchor: str
    title: str
    body: str


def page(title: str, subtitle: str, headline: str, sections: list[Section]) -> str:
    """The whole self-contained document."""
    nav = "".join(f'<a href="#{s.anchor}">{esc(s.title)}</a>' for s in sections)
    parts = "".join(f'<section id="{s.anchor}"><h2>{esc(s.title)}</h2>{s.body}</section>'
                    for s in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{esc(title)}</h1><p class=\"muted\">{esc(subtitle)}</p>"
        f"<nav>{nav}</nav></header><p class=\"headline\">{esc(headline)}</p>"
        f"{parts}</main></body></html>\n"
    )
