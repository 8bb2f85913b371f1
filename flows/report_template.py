"""The HTML of `jamfor report`: one self-contained page (inline CSS and SVG, no scripts, no links out).

A Python module rather than an .html file, so it ships with the package (package data is YAML, SQL
and CSV only). Every text from the warehouse passes through `esc`; the SVGs come from vl-convert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from flows.report_charts import BANDS
from warehouse.comparison_query import NEUTRAL_RANK
from warehouse.network_comparison import NETWORK_SOURCE

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KOLADA = '<span class="src">Källa: Kolada</span>'
NETWORK = '<span class="src">Källa: nätverkets egen fil</span>'
OWN = '<span class="src">egen bearbetning</span>'
DIRECTIONS = {"higher": "högre värde är bättre", "lower": "lägre värde är bättre"}
BAND_NAMES = {"green": "Grön", "yellow": "Gul", "red": "Röd", "neutral": "Ingen färg", "grey": "Grå"}

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;color:#1f2328;background:#fff;
 font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.7rem;line-height:1.2;margin:.2rem 0 .5rem}
h2{font-size:1.2rem;line-height:1.3;margin:0 0 .4rem}
h2 .id{color:#57606a;font-weight:400;font-size:.9rem;margin-right:.3rem}
section{border-top:1px solid #d0d7de;padding:1.2rem 0}
p{margin:.3rem 0}
.kicker{color:#57606a;text-transform:uppercase;letter-spacing:.05em;font-size:.8rem;margin:0}
.src{color:#57606a;font-size:.85em}
span.src{white-space:nowrap}
.note{background:#f6f8fa;border-left:4px solid #8a8a8a;padding:.5rem .75rem}
.prel{border:1px solid #9a6700;color:#9a6700;border-radius:.5rem;padding:0 .4rem;font-size:.8rem}
.chip{display:inline-block;min-width:3.2rem;text-align:center;border-radius:.7rem;padding:0 .5rem;
 color:#fff;font-weight:600;font-size:.85rem;white-space:nowrap;print-color-adjust:exact;-webkit-print-color-adjust:exact}
.chip.yellow{color:#1f2328}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.5rem 0}
dl.facts dt{color:#57606a} dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}
th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #d0d7de;vertical-align:top;
 overflow-wrap:break-word;hyphens:auto}
th{font-weight:600;color:#57606a}
.num{text-align:right} td.num{white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,24rem),1fr));gap:1rem 1.5rem;
 margin-top:.8rem}
figure{margin:0;min-width:0}
figcaption{font-size:.9rem;color:#57606a;margin-bottom:.25rem}
figure svg{display:block;max-width:100%;height:auto}
nav ol{columns:2 18rem;padding-left:1.2rem;font-size:.9rem}
a{color:#0b5cad}
@media (max-width:36rem){
 main{padding:.6rem} h1{font-size:1.4rem} dl.facts{grid-template-columns:1fr}
 /* a phone: each table row becomes a block, the first cell a heading, the others labelled */
 table.stack thead{display:none}
 table.stack tr{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:0 .5rem;
  border-bottom:1px solid #d0d7de;padding:.3rem 0}
 table.stack td{border:0;padding:.1rem 0;text-align:left}
 table.stack td:first-child{grid-column:1/-1;font-weight:600}
 table.stack td+td::before{content:attr(data-label);display:block;color:#57606a;font-size:.75rem}
}
@media print{
 @page{margin:15mm}
 body{font-size:10pt}
 main{max-width:none;padding:0}
 nav{display:none}
 a{color:inherit;text-decoration:none}
 section{break-inside:auto}
 figure,table,h2{break-inside:avoid}
 h2{break-after:avoid}
 .charts{grid-template-columns:repeat(2,minmax(0,1fr))}
}
"""


def esc(value: object) -> str:
    """Text from the warehouse as HTML text."""
    return escape("" if value is None else str(value))


def number(value: float | None, *, signed: bool = False) -> str:
    """A figure the Swedish way: decimal comma, space between thousands, a real minus sign."""
    if value is None:
        return "–"
    digits = 0 if abs(value) >= 1000 else 2 if abs(value) < 1 else 1
    text = f"{abs(value):,.{digits}f}".replace(",", "\u00a0").replace(".", ",")
    sign = "−" if value < 0 and text.strip("0,\u00a0") else "+" if signed and value > 0 else ""
    return sign + text


def when(moment: datetime | None) -> str:
    """A timestamp as Swedish local time, or 'okänt'."""
    if moment is None:
        return "okänt"
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def rank(row: Mapping[str, Any]) -> str:
    """'3 av 7', '3 av 7 (1 = högst värde)' for a neutral KPI, or '–' when the kommun has no value."""
    if row["rank_in_peers"] is None:
        return "–"
    text = f"{row['rank_in_peers']} av {row['n_ranked']}"
    return f"{text} ({NEUTRAL_RANK})" if row.get("direction") == "neutral" else text


def chip(band: str | None) -> str:
    """The colour band as a coloured label (text too, never colour alone)."""
    key = band if band in BANDS else "grey"
    return f'<span class="chip {key}" style="background:{BANDS[key][0]}">{BAND_NAMES[key]}</span>'


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool]) -> str:
    """A table whose cells (HTML already) carry their header, so a phone can show them stacked."""
    kinds = [' class="num"' if n else "" for n in numeric]
    head = "".join(f"<th{k}>{h}</th>" for h, k in zip(headers, kinds, strict=True))
    body = "".join(
        "<tr>"
        + "".join(
            f'<td{k} data-label="{h}">{cell}</td>' for h, k, cell in zip(headers, kinds, row, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="stack"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def figure(caption: str, svg: str, css_class: str = "") -> str:
    """A chart with its caption above it (caption is HTML already)."""
    kind = f' class="{css_class}"' if css_class else ""
    return f"<figure{kind}><figcaption>{caption}</figcaption>{svg}</figure>"


def kpi_section(rows: Sequence[Mapping[str, Any]], peer_svgs: Sequence[str], trend_svg: str) -> str:
    """One KPI: facts, colour band, the table of peer sets, a chart per peer set and the trend."""
    first = rows[0]
    prel = ' <span class="prel">preliminärt</span>' if first["is_preliminary"] else ""
    peer_table = table(
        ["Jämförelsegrupp", "Placering", "Snitt övriga", "Δ snitt"],
        [
            [
                esc(r["peer_set_title"]),
                rank(r),
                number(r["peer_mean"]),
                number(r["peer_mean_delta_prev_year"], signed=True),
            ]
            for r in rows
        ],
        (False, True, True, True),
    )
    charts = "".join(
        figure(f"<b>{esc(r['peer_set_title'])}</b> · placering {rank(r)}", svg)
        for r, svg in zip(rows, peer_svgs, strict=True)
    )
    trend = figure(
        "Utveckling över åren mot jämförelsegruppernas snitt och Riket; ofylld punkt = preliminärt värde",
        trend_svg,
        "trend",
    )
    band = first["colour_band"] if first["colour_band"] in BANDS else "grey"
    order = (
        f"i värdeordning, {NEUTRAL_RANK}: måttet har ingen bättre riktning"
        if first["direction"] == "neutral"
        else "1 = bäst"
    )
    direction = DIRECTIONS.get(first["direction"])
    meaning = BANDS[band][1] + (f" ({direction})" if direction and band != "grey" else "")
    # a network's own measure (core.network_measure) is not Kolada's: name its source, show no Riket
    if str(first.get("source_note") or "").startswith(NETWORK_SOURCE):
        source, riket, values_from = NETWORK, "", "Kommunens värde: Källa: nätverkets egen fil."
    else:
        source, riket = KOLADA, f" · Riket {number(first['national_value'])}"
        values_from = "Kommunens värde och Riket: Källa: Kolada."
    return f"""
<section class="kpi" id="kpi-{esc(first["kpi_id"])}">
<h2><span class="id">{esc(first["kpi_id"])}</span>{esc(first["kpi_title"])}</h2>
<p>År <b>{esc(first["year"])}</b>{prel} · värde <b>{number(first["value"])}</b>{riket} {source}</p>
<p>{chip(band)} {esc(meaning)}. Förändring från föregående år:
 {number(first["delta_prev_year"], signed=True)} {OWN}</p>
{peer_table}
<p class="src">Placering ({order}), snitt av de övriga kommunernas värden och förändring från föregående
 år: egen bearbetning. {values_from}</p>
<div class="charts">{charts}{trend}</div>
</section>"""


def overview(rows: Sequence[Mapping[str, Any]]) -> str:
    """A table of contents that is also a summary: KPI, year, value and colour band."""
    lines = table(
        ["Nyckeltal", "År", "Värde", "Färg"],
        [
            [
                f"<a href='#kpi-{esc(r['kpi_id'])}'>{esc(r['kpi_title'] or r['kpi_id'])}</a>",
                f"{esc(r['year'])}{' prel.' if r['is_preliminary'] else ''}",
                number(r["value"]),
                chip(r["colour_band"]),
            ]
            for r in rows
        ],
        (False, True, True, False),
    )
    return f"""
<nav aria-label="Nyckeltal"><h2>Översikt</h2>
{lines}
<p class="src">Värden: Källa: Kolada. Färg mot alla kommuners kvartiler samma år: egen bearbetning.</p>
</nav>"""


def area_section(name: str, areas: Sequence[Mapping[str, Any]], svg: str | None) -> str:
    """The Öppna jämförelser summary, or a clear note that no ÖJ factor data is loaded."""
    heading = "<h2>Öppna jämförelser: andel positiva faktorer per område</h2>"
    if not areas:
        return f"""<section id="oj">{heading}
<p class="note">Ingen ÖJ-faktordata laddad (no ÖJ factor data loaded): den laddade datan har inga svar
 för {esc(name)} på Öppna jämförelsers faktorer (mart.area_summary är tom för kommunen).</p></section>"""
    lines = table(
        ["Område", "År", "Positiva", "Andel"],
        [
            [
                esc(a["oj_area"]),
                esc(a["year"]),
                f"{esc(a['n_positive'])} av {esc(a['n_answered'])}",
                number(None if a["share_positive"] is None else 100 * a["share_positive"]) + "\u00a0%",
            ]
            for a in areas
        ],
        (False, True, True, True),
    )
    chart = figure("Detta år (mörk) mot föregående år (ljus)", svg) if svg else ""
    return f"""<section id="oj">{heading}
<div class="charts">{chart}<div>{lines}</div></div>
<p class="src">Svaren: Källa: Kolada. Antal och andel positiva faktorer: egen bearbetning.</p></section>"""


def page(*, name: str, code: str, selection: str, loaded: str, fetched: str, body: str) -> str:
    """The whole document around the sections."""
    title = f"{esc(name)} ({esc(code)}): jämförelse av socialtjänstens nyckeltal"
    return f"""<!DOCTYPE html>
<html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{CSS}</style></head>
<body><main>
<header><p class="kicker">Jämförelserapport · socialtjänst</p><h1>{title}</h1>
<dl class="facts"><dt>Urval</dt><dd>{esc(selection)}</dd>
<dt>Data laddad</dt><dd>{esc(loaded)} (senaste lyckade laddning, meta.load_run)</dd>
<dt>Hämtad från Kolada</dt><dd>{esc(fetched)} (senaste hämtning av kommunens värden)</dd></dl>
<p>Kommunens värden och Riket: Källa: Kolada. Snitt, placeringar och färger är egen bearbetning och inte
 Koladas siffror. Färgen jämför med alla kommuner samma år: grön bland de 25 % bästa, gul de 50 % i
 mitten, röd bland de 25 % sämsta, utifrån nyckeltalets riktning.</p></header>
{body}
<footer class="src"><p>Skapad med jamfor ur {esc(code)}s rader i mart.municipality_comparison och
 mart.area_summary. Placering 1 = bäst efter nyckeltalets riktning; neutrala nyckeltal (kostnad, volym,
 kontext) har ingen bästa och placeras i värdeordning, 1 = högst värde, utan färg. "3 av 7" räknar kommunen
 och de jämförda kommunerna med värde.</p>
</footer></main></body></html>
"""
