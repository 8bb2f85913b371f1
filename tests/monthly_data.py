"""Warehouses for the monthly comparison tests: real Kolada units and networks.yaml, then real files.

`with_units` writes a published warehouse holding the real kommuner, län and Riket (rKolada's v3
snapshot) and the reference tables (so networks.yaml's skl-ifo lists Åtvidaberg 0561 and its five
peers); `jamfor load files` then adds the real Socialstyrelsen page and rebuilds the marts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipeline.reference import apply_reference
from sources.fixtures import fixtures_dir
from warehouse import history
from warehouse.publish import building

BISTAND_PAGE = fixtures_dir() / "socialstyrelsen/sdb_web/ekonomiskt_bistand_2017_antal_hushall_resultat.html"
BISTAND_MEASURE = "Ekonomiskt bistånd, Antal hushåll"
INRIKES = "Inrikes- eller utrikesfödda hushåll=Inrikes födda"
AS_OF = datetime(2026, 3, 23, tzinfo=UTC)
# SYNTHETIC network file: made-up waiting times (lower is better) of four skl-ifo members, two Marches
NETWORK_CSV = """nätverk;kommun;mått;måttnamn;period;värde;enhet;riktning;kommentar
skl-ifo;0561;VTM;Väntetid (SYNTETISKT testvärde);2023-03;16;dagar;lägre;
skl-ifo;0860;VTM;Väntetid (SYNTETISKT testvärde);2023-03;12;dagar;lägre;
skl-ifo;0821;VTM;Väntetid (SYNTETISKT testvärde);2023-03;9;dagar;lägre;
skl-ifo;0834;VTM;Väntetid (SYNTETISKT testvärde);2023-03;11;dagar;lägre;
skl-ifo;0561;VTM;Väntetid (SYNTETISKT testvärde);2024-03;10;dagar;lägre;
skl-ifo;0860;VTM;Väntetid (SYNTETISKT testvärde);2024-03;14;dagar;lägre;
skl-ifo;0821;VTM;Väntetid (SYNTETISKT testvärde);2024-03;10;dagar;lägre;
skl-ifo;0834;VTM;Väntetid (SYNTETISKT testvärde);2024-03;X;dagar;lägre;för få
skl-ifo;0561;VTM;Väntetid (SYNTETISKT testvärde);2024;12;dagar;lägre;årsvärde: inte i månadsmarten
"""


def kolada_units() -> pl.DataFrame:
    """core.municipality rows of the real v3 snapshot: kommuner, regions (as län) and Riket."""
    units = pl.read_json(fixtures_dir() / "kolada/rkolada_sysdata/rkolada_v3_2026-03-23_municipality.json")
    kind = (
        pl.when(pl.col("id") == "0000")
        .then(pl.lit("riket"))
        .when(pl.col("type") == "L")
        .then(pl.lit("region"))
        .otherwise(pl.lit("kommun"))
    )
    county = (
        pl.when(kind == "kommun")
        .then(pl.col("id").str.slice(0, 2))
        .when(kind == "region")
        .then(pl.col("id").str.slice(2, 2))
    )
    return units.select(
        pl.col("id").alias("municipality_id"),
        "title",
        "type",
        kind.alias("kind"),
        county.alias("county_id"),
        pl.lit(None, pl.String).alias("kommungrupp_id"),
        pl.lit(None, pl.String).alias("kommungrupp_title"),
    )


def with_units(path: Path) -> Path:
    """A published warehouse at `path` with the real units and the reference tables."""
    with building(path, run_id="units") as con:
        history.merge_dimension(
            con,
            "core.municipality",
            kolada_units(),
            key_cols=("municipality_id",),
            run_id="units",
            as_of=AS_OF,
        )
        apply_reference(con)
    return path
