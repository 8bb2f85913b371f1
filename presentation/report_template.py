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

from presentation.compare import other_vintage
from presentation.report_charts import BANDS
from presentation.report_css import CSS
from warehouse.comparison_query import NEUTRAL_RANK
from warehouse.network_comparison import NETWORK_SOURCE

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KOLADA = '<span class="src">Källa: Kolada</span>'
NETWORK = '<span class="src">Källa: nätverkets egen fil</span>'
OWN = '<span class="src">egen bearbetning</span>'
DIRECTIONS = {"higher": "högre värde är bättre", "lower": "lägre värde är bättre"}
BAND_NAMES = {"green": "Grön", "yellow": "Gul", "red": "Röd", "neutral": "Ingen färg", "grey": "Grå"}


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


def value_marks(row: Mapping[str, Any], *, short: bool = False) -> str:
    """The value's labels (HTML): preliminary, and older than its KPI's newest year; `short` for tables."""
    marks = ""
    if row["is_preliminary"]:
        marks += f' <span class="prel">{"prel." if short else "preliminärt"}</span>'
    if row.get("is_outdated"):
        text = "äldre" if short else f"äldre värde: nyckeltalets senaste år är {esc(row['kpi_newest_year'])}"
        marks += f' <span class="old">{text}</span>'
    return marks


def set_title(row: Mapping[str, Any]) -> str:
    """The peer set's title (HTML), and the group version's year when it is not the value's."""
    title = esc(row["peer_set_title"])
    if other_vintage(row):
        vintage, year = esc(row["peer_set_vintage"]), esc(row["year"])
        title += f' <span class="vintage">grupp från {vintage}, värde från {year}</span>'
    return title


def kpi_section(rows: Sequence[Mapping[str, Any]], peer_svgs: Sequence[str], trend_svg: str) -> str:
    """One KPI: facts, colour band, the table of peer sets, a chart per peer set and the trend."""
    first = rows[0]
    peer_table = table(
        ["Jämförelsegrupp", "Placering", "Snitt övriga", "Δ snitt"],
        [
            [
                set_title(r),
                rank(r),
                number(r["peer_mean"]),
                number(r["peer_mean_delta_prev_year"], signed=True),
            ]
            for r in rows
        ],
        (False, True, True, True),
    )
    charts = "".join(
        figure(f"<b>{set_title(r)}</b> · placering {rank(r)}", svg)
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
<p>År <b>{esc(first["year"])}</b>{value_marks(first)} · värde <b>{number(first["value"])}</b>{riket}
 {source}</p>
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
                f"{esc(r['year'])}{value_marks(r, short=True)}",
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


def legend(outdated_years: int) -> str:
    """What the labels beside a value or a peer set mean."""
    return f"""<p class="src">Märkningar: <span class="prel">preliminärt</span> Koladas värde var preliminärt
 när det hämtades. <span class="old">äldre värde</span> värdet är mer än {outdated_years} år äldre än
 nyckeltalets senaste år i datan (JAMFOR_OUTDATED_YEARS): jämför med försiktighet.
 <span class="vintage">grupp från 2024</span> jämfört inom Liknande kommuner-gruppen från ett annat år än
 värdet: datan har ingen grupp från värdets år, så den senaste tidigare (annars den tidigaste senare)
 används.</p>"""


def page(
    *, name: str, code: str, selection: str, loaded: str, fetched: str, body: str, outdated_years: int
) -> str:
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
 mitten, röd bland de 25 % sämsta, utifrån nyckeltalets riktning.</p>
{legend(outdated_years)}</header>
{body}
<footer class="src"><p>Skapad med jamfor ur {esc(code)}s rader i mart.municipality_comparison och
 mart.area_summary. Placering 1 = bäst efter nyckeltalets riktning; neutrala nyckeltal (kostnad, volym,
 kontext) har ingen bästa och placeras i värdeordning, 1 = högst värde, utan färg. "3 av 7" räknar kommunen
 och de jämförda kommunerna med värde.</p>
</footer></main></body></html>
"""
