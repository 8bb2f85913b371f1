"""The report's monthly trend: per measure and breakdown, the kommun's months against its peer means.

Rows come from mart.monthly_comparison (warehouse.monthly_query.monthly_trend); the chart reuses the
report's palette and width (presentation.report_charts) and is rendered by presentation.report.render_svg.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from presentation import report_template as html
from presentation import vegalite as vl
from presentation.report_charts import KIND_LABELS, KOMMUN_LINE, LINE_LEGEND, PEER_LINES, WIDTH

SOURCE_NAMES = {"socialstyrelsen": "Socialstyrelsen", "scb": "SCB"}


def source_name(source: str) -> str:
    """The Källa of a mart source: the register's publisher, or the network's own file."""
    if source.startswith("network:"):
        return f"nätverkets egen fil ({source.split(':', 1)[1]})"
    return SOURCE_NAMES.get(source, source)


def _genitive(name: str) -> str:
    """Swedish genitive of a kommun name: Åtvidabergs, but Borås and Mönsterås stay as they are."""
    return name if name[-1:].lower() in ("s", "x", "z") else name + "s"


def groups(rows: pl.DataFrame) -> list[pl.DataFrame]:
    """The kommun's rows split per source, measure and breakdown (one chart each), in mart order."""
    if rows.height == 0:
        return []
    return rows.partition_by("source", "measure_id", "breakdown", maintain_order=True)


def monthly_frame(rows: pl.DataFrame, name: str) -> pl.DataFrame:
    """Long frame (månad, serie, värde): the kommun's values and each peer set's mean."""
    label = pl.format(
        "Snitt övriga i {} (egen bearbetning)",
        pl.col("peer_set_kind").replace_strict(KIND_LABELS, default="gruppen"),
    )
    per_kind = rows.select("peer_set_id", "peer_set_kind").unique().group_by("peer_set_kind").len()
    repeated = per_kind.filter(pl.col("len") > 1)["peer_set_kind"]
    label = (
        pl.when(pl.col("peer_set_kind").is_in(repeated.implode()))
        .then(pl.format("{} – {}", label, "peer_set_title"))
        .otherwise(label)
    )
    own = rows.unique(["period"], keep="first").select("period", pl.lit(name).alias("serie"), "value")
    means = rows.select("period", label.alias("serie"), pl.col("peer_mean").alias("value"))
    return (
        pl.concat([own, means])
        .filter(pl.col("value").is_not_null())
        .select((pl.col("period") + "-01").alias("månad"), "serie", pl.col("value").alias("värde"))
        .sort("serie", "månad")
    )


def monthly_chart(rows: pl.DataFrame, name: str, title: str) -> vl.Spec:
    """Lines per month: the kommun (thick, with dots) against the peer means of each of its sets."""
    frame = monthly_frame(rows, name)
    peers = sorted(set(frame["serie"].to_list()) - {name})
    domain = [name, *peers]
    palette = [KOMMUN_LINE, *(PEER_LINES[i % len(PEER_LINES)] for i in range(len(peers)))]
    colour = vl.channel("serie:N", scale={"domain": domain, "range": palette}, legend=LINE_LEGEND)
    x = vl.channel("månad:T", title="Månad", axis={"format": "%Y-%m", "tickCount": "month"})
    y = vl.channel("värde:Q", title="Värde", scale={"zero": False})
    base = {"x": x, "y": y, "color": colour}
    own = f"datum.serie === {json.dumps(name)}"
    layers = [
        vl.layer("line", {**base, "strokeWidth": vl.condition(own, 3, 1.5)}, data=frame),
        vl.layer("point", base, data=frame, filter_=own, filled=True, size=28),
    ]
    return vl.layered(layers, width=WIDTH, height=170, description=f"{name}: {title}, månad för månad")


def chart_title(rows: pl.DataFrame) -> str:
    """'measure · breakdown values' of one group."""
    first = rows.row(0, named=True)
    parts = [part.split("=", 1)[-1] for part in first["breakdown"].split(" | ")] if first["breakdown"] else []
    return " · ".join([first["measure_title"] or first["measure_id"], *parts])


def _latest(rows: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Table cells of the newest month: one line per peer set."""
    newest = max(r["period"] for r in rows)
    return [
        [
            html.esc(r["peer_set_title"]),
            html.esc(r["period"]),
            html.number(r["value"]) if r["value"] is not None else html.esc(r["status"]),
            html.number(r["peer_mean"]),
            html.rank(r),
            html.number(r["delta_prev_year"], signed=True),
        ]
        for r in rows
        if r["period"] == newest
    ]


def monthly_section(name: str, parts: Sequence[pl.DataFrame], svgs: Sequence[str]) -> str:
    """The "Månadsuppföljning" section: per measure a chart, the newest month's table and its Källa."""
    blocks = []
    for rows, svg in zip(parts, svgs, strict=True):
        title = chart_title(rows)
        source = source_name(rows["source"][0])
        table = html.table(
            ["Jämförelsegrupp", "Månad", "Värde", "Snitt övriga", "Placering", "Δ samma månad i fjol"],
            _latest(rows.to_dicts()),
            (False, False, True, True, True, True),
        )
        caption = f"{html.esc(title)}: {html.esc(name)} mot snittet av övriga i varje jämförelsegrupp"
        blocks.append(
            f'<div class="charts">{html.figure(caption, svg)}<div>{table}</div></div>'
            f'<p class="src">Källa: {html.esc(source)} ({html.esc(_genitive(name))} värde). Snitt övriga, '
            "placering "
            "och förändring: egen bearbetning.</p>"
        )
    return (
        '<section id="manad"><h2>Månadsuppföljning</h2><p>Månadsstatistik (mart.monthly_comparison), '
        "varje månad mot samma jämförelsegrupper; förändringen är mot samma månad året innan.</p>"
        + "".join(blocks)
        + "</section>"
    )
