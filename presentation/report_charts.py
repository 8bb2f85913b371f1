"""Chart specifications of `jamfor report`: Vega-Lite dicts from Polars frames (pure: no I/O).

Three charts: a kommun among one peer set (bars with names for small sets, a strip of ticks for
large ones), its trend against peer means and Riket, and the Öppna jämförelser area summary. Labels
are Swedish; field names are Swedish too, because they are what a reader of the spec sees.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from presentation import vegalite as vl

WIDTH = 300  # plot width in px; the page scales the SVG down (viewBox) on narrower screens
BAR_LIMIT = 15  # sets up to this many kommuner get one named bar each; larger ones a strip of ticks
OTHERS = "Övriga i gruppen"
MEAN = "Snitt övriga (egen bearbetning)"
RIKET = "Riket (Källa: Kolada)"
GREY = "#b3b3b3"
INK = "#222222"
KOMMUN_LINE = "#0b5cad"
PEER_LINES = ("#d97706", "#7c3aed", "#0f766e", "#be185d", "#4d7c0f", "#92400e")
# colour_band of mart.municipality_comparison -> (colour, Swedish meaning); the band is egen bearbetning
BANDS: dict[str, tuple[str, str]] = {
    "green": ("#2e7d32", "bland de 25 % bästa kommunerna i riket"),
    "yellow": ("#c99700", "bland de 50 % i mitten av kommunerna i riket"),
    "red": ("#c62828", "bland de 25 % sämsta kommunerna i riket"),
    # no colour: the kommun's mark is plain ink, as text is; never a colour that reads as a grade
    "neutral": ("#222222", "ingen färgsättning: måttet har ingen bättre riktning (kostnad, volym, kontext)"),
    "grey": ("#8a8a8a", "värde saknas"),
}
# the legend of a chart of lines (trend, monthly): one column under the plot, the line style as symbol
LINE_LEGEND = {"title": None, "orient": "bottom", "columns": 1, "labelLimit": 280, "symbolType": "stroke"}
KIND_LABELS = {
    "liknande": "liknande kommuner",
    "kommungrupp": "kommungruppen",
    "lan": "länet",
    "riket": "alla kommuner",
    "network": "nätverket",
}


def band_colour(band: str | None) -> str:
    """The colour of a colour_band value (grey for anything unknown)."""
    return BANDS.get(band or "grey", BANDS["grey"])[0]


def _is(name: str) -> str:
    """A Vega expression testing an axis label against a kommun name (JSON quoting is JS quoting)."""
    return f"datum.value === {json.dumps(name)}"


def _reference_lines(row: Mapping[str, Any]) -> tuple[pl.DataFrame, vl.Spec] | None:
    """Vertical rules at the peer mean (egen bearbetning) and Riket (Kolada's value), when known."""
    dashes = {MEAN: [1, 0], RIKET: [5, 3]}
    refs = [(MEAN, row.get("peer_mean")), (RIKET, row.get("national_value"))]
    known = [(label, value) for label, value in refs if value is not None]
    if not known:
        return None
    frame = pl.DataFrame(known, schema={"linje": pl.String, "värde": pl.Float64}, orient="row")
    shown = [label for label, _ in known]  # the legend lists only the lines drawn
    dash = vl.channel(
        "linje:N",
        scale={"domain": shown, "range": [dashes[label] for label in shown]},
        legend={"title": None, "orient": "bottom", "direction": "vertical", "labelLimit": 280},
    )
    encoding = {"x": vl.channel("värde:Q"), "strokeDash": dash}
    return vl.layer("rule", encoding, data=frame, strokeWidth=1.5, color=INK)


def peer_frame(members: pl.DataFrame, name: str) -> pl.DataFrame:
    """The chart data of one peer set: kommun, value, whether highlighted, preliminary (values only)."""
    return members.filter(pl.col("value").is_not_null()).select(
        pl.col("municipality_title").alias("kommun"),
        pl.col("value").alias("värde"),
        pl.when(pl.col("is_selected")).then(pl.lit(name)).otherwise(pl.lit(OTHERS)).alias("markering"),
        pl.col("is_preliminary").fill_null(False).alias("preliminärt"),
    )


def peer_chart(members: pl.DataFrame, row: Mapping[str, Any], name: str) -> vl.Spec:
    """The kommun among one peer set in the row's year, highlighted in its colour band.

    `members` holds the kommun's and its peers' values (warehouse.report_query.peer_values for one
    set and KPI); `row` is the kommun's mart.municipality_comparison row for that set.
    """
    frame = peer_frame(members, name)
    colour = vl.channel(
        "markering:N",
        scale={"domain": [name, OTHERS], "range": [band_colour(row["colour_band"]), GREY]},
        legend=None,
    )
    x = vl.channel("värde:Q", title=f"Värde {row['year']}", axis={"tickCount": 5})
    if frame.height <= BAR_LIMIT:
        # best first by the KPI's direction (neutral: value order, highest first, as ranked); an explicit
        # list, because a sort by field is dropped when the layers' data differ
        order = frame.sort("värde", descending=row.get("direction") != "lower", maintain_order=True)
        y = vl.channel(
            "kommun:N",
            title="Kommun",
            sort=order["kommun"].to_list(),
            axis={"labelLimit": 110, "labelFontWeight": vl.condition(_is(name), "bold", "normal")},
        )
        layers = [
            vl.layer("bar", {"x": x, "y": y, "color": colour}, data=frame),
            vl.layer(
                "text",
                {"x": x, "y": y, "text": {"value": "prel."}},
                data=frame,
                filter_="datum.preliminärt",
                align="left",
                dx=3,
                fontSize=10,
                color=INK,
                aria=False,
            ),
        ]
        height: dict[str, int] | int = {"step": 16}
    else:
        marked = f"datum.markering === {json.dumps(name)}"
        layers = [
            vl.layer(  # ~300 marks: no labels
                "tick",
                {"x": x, "color": colour},
                data=frame,
                filter_=f"datum.markering !== {json.dumps(name)}",
                thickness=1,
                size=18,
                opacity=0.7,
                aria=False,
            ),
            vl.layer(
                "point",
                {"x": x, "color": colour},
                data=frame,
                filter_=marked,
                shape="diamond",
                filled=True,
                size=160,
                opacity=1,
            ),
            vl.layer(
                "text",
                {"x": x, "text": vl.channel("markering:N")},
                data=frame,
                filter_=marked,
                dy=-16,
                fontWeight="bold",
                fontSize=11,
                color=INK,
                aria=False,
            ),
        ]
        height = 44
    rules = _reference_lines(row)
    if rules is not None:
        layers.append(rules)
    return vl.layered(
        layers,
        width=WIDTH,
        height=height,
        description=f"{name} bland {row['peer_set_title']}, {row['year']}",
    )


def trend_frame(trend: pl.DataFrame, name: str) -> pl.DataFrame:
    """Long frame (år, serie, värde, preliminärt): the kommun, Riket, and each non-Riket set's mean."""
    kinds = trend.select("peer_set_id", "peer_set_kind").unique()
    repeated = kinds.group_by("peer_set_kind").len().filter(pl.col("len") > 1)["peer_set_kind"]
    label = pl.format("Snitt {}", pl.col("peer_set_kind").replace_strict(KIND_LABELS, default="gruppen"))
    label = (
        pl.when(pl.col("peer_set_kind").is_in(repeated.implode()))
        .then(pl.format("{} ({})", label, "peer_set_title"))
        .otherwise(label)
    )
    own = trend.unique(["year"], keep="first").sort("year")
    series = [
        own.select("year", pl.lit(name).alias("serie"), "value", "is_preliminary"),
        own.select(
            "year",
            pl.lit(RIKET).alias("serie"),
            pl.col("national_value").alias("value"),
            pl.lit(False).alias("is_preliminary"),
        ),
        trend.filter(pl.col("peer_set_kind") != "riket").select(
            "year",
            label.alias("serie"),
            pl.col("peer_mean").alias("value"),
            pl.lit(False).alias("is_preliminary"),
        ),
    ]
    return (
        pl.concat(series)
        .filter(pl.col("value").is_not_null())
        .select(
            pl.col("year").alias("år"),
            "serie",
            pl.col("value").alias("värde"),
            pl.col("is_preliminary").fill_null(False).alias("preliminärt"),
        )
        .sort("serie", "år")
    )


def trend_chart(trend: pl.DataFrame, name: str, title: str) -> vl.Spec:
    """The kommun's values over the years against its peer sets' means and Riket; open dots = prel."""
    frame = trend_frame(trend, name)
    present = set(frame["serie"].to_list())
    peers = sorted(present - {name, RIKET})
    riket = [RIKET] if RIKET in present else []  # listed only when Kolada has a Riket value
    domain = [name, *riket, *peers]
    palette = [
        KOMMUN_LINE,
        *([INK] * len(riket)),
        *(PEER_LINES[i % len(PEER_LINES)] for i in range(len(peers))),
    ]
    legend = LINE_LEGEND
    colour = vl.channel("serie:N", scale={"domain": domain, "range": palette}, legend=legend)
    # Riket dashed; the same field and legend as the colour, so the legend shows the dash too
    dash = vl.channel(
        "serie:N",
        scale={"domain": domain, "range": [[5, 3] if serie == RIKET else [1, 0] for serie in domain]},
        legend=legend,
    )
    x = vl.channel("år:Q", title="År", axis={"format": "d", "tickMinStep": 1}, scale={"zero": False})
    y = vl.channel("värde:Q", title="Värde", scale={"zero": False})
    base = {"x": x, "y": y, "color": colour}
    own = f"datum.serie === {json.dumps(name)}"
    width = vl.condition(own, 3, 1.5)
    layers = [
        vl.layer("line", {**base, "strokeWidth": width, "strokeDash": dash}, data=frame),
        vl.layer("point", base, data=frame, filter_=f"{own} && !datum.preliminärt", filled=True, size=28),
        vl.layer(
            "point",
            base,
            data=frame,
            filter_=f"{own} && datum.preliminärt",
            filled=False,
            size=50,
            strokeWidth=2,
        ),
    ]
    return vl.layered(layers, width=WIDTH, height=170, description=f"{name}: {title}, utveckling över åren")


def area_frame(areas: pl.DataFrame) -> pl.DataFrame:
    """ÖJ area summary rows as chart data: område, år (text), andel, the count behind it."""
    return areas.filter(pl.col("share_positive").is_not_null()).select(
        pl.col("oj_area").alias("område"),
        pl.col("year").cast(pl.String).alias("år"),
        pl.col("share_positive").alias("andel"),
        pl.format("{} av {}", "n_positive", "n_answered").alias("antal"),
    )


def area_chart(areas: pl.DataFrame) -> vl.Spec:
    """Share of positive ÖJ factors per area: the shown year (dark) against the year before (light)."""
    frame = area_frame(areas)
    years = sorted(set(frame["år"].to_list()))
    encoding = {
        "y": vl.channel("område:N", title="Område", axis={"labelLimit": 120}),
        "yOffset": vl.channel("år:N", sort=years),
        "x": vl.channel(
            "andel:Q", title="Andel positiva faktorer", scale={"domain": [0, 1]}, axis={"format": "%"}
        ),
        "color": vl.channel(
            "år:N",
            scale={"domain": years, "range": ["#9ab7d8", KOMMUN_LINE][-len(years) :]},
            legend={"title": "År", "orient": "bottom"},
        ),
    }
    return vl.single(
        frame,
        "bar",
        encoding,
        width=WIDTH,
        height={"step": 20},
        description="Öppna jämförelser: andel positiva faktorer",
    )
