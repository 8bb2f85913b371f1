"""Identifier shapes and year bounds every layer checks against: each written once, here.

Each shape is given without anchors (`*_BODY`: for `re.fullmatch` and for building larger
expressions) and anchored (for Pandera's `str_matches` and Polars' `str.contains`).
"""

from __future__ import annotations

import re


class ScopeError(ValueError):
    """A scope file, flag or id that cannot be used; the message says what is wrong (CLI: exit 2)."""


def anchored(body: str) -> str:
    r"""The whole-string form of an unanchored pattern (alternatives grouped, as in `^(\d{4}|G\d+)$`)."""
    return rf"^({body})$" if "|" in body else rf"^{body}$"


# Kolada KPI ids: N (nyckeltal from other sources) or U (Kolada's own), five digits, e.g. N31807, U21468
KPI_ID_BODY = r"[NU]\d{5}"
MUNICIPALITY_ID_BODY = r"\d{4}"  # kommuner 0114..2584, regions 0001..0025, Riket 0000
GROUP_ID_BODY = r"G\d+"  # a kommungrupp, e.g. G36722
KPI_GROUP_ID_BODY = r"G2?KPI\d+"  # a KPI group, e.g. GKPI255
OU_ID_BODY = r"V\d{2}[EU][0-9.]+"  # an organisational unit (utförare), e.g. V15E018001301
OU_TYPE_BODY = r"V\d{2}"
COUNTY_ID_BODY = r"\d{2}"
YEAR_TEXT_BODY = r"\d{4}"

KPI_ID = anchored(KPI_ID_BODY)
KPI_ID_RE = re.compile(KPI_ID)

# a plausible data year for every source (Kolada's series begin in the 1990s, the registers later);
# one range, so that a year one layer accepts is never refused by the next
YEAR_MIN = 1950
YEAR_MAX = 2100
