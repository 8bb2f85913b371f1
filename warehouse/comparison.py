"""The comparison marts: where their SQL lives and how they fit together.

Three models under models/mart, built by warehouse.marts in dependency order:

- peer_set_member.sql: every peer set (Liknande kommuner group versions, kommungrupp, län, Riket,
  networks) and its member kommuner, materialised once. It is the only statement of membership:
  the comparison below, `jamfor report` (warehouse.report_query), the per-capita figures
  (warehouse.per_capita_query) and `jamfor peers` (warehouse.discover_query) read it.
- municipality_comparison.sql: each kommun's value of each KPI, year and gender against each of its
  peer sets (peer statistics, ranks, national figures, colour bands, deltas), built KPI chunk by KPI
  chunk; a network's own yearly measures are compared within their network (warehouse.network_comparison).
- area_summary.sql: Öppna jämförelser factors answered and positive per kommun, area and year.

The read side of these marts is warehouse.comparison_query; this module holds no SQL, only their map
above and the peer set kinds the read side checks a filter against. pipeline.reference imports it for
no name (its comment says why).
"""

from __future__ import annotations

# the peer set kinds of mart.peer_set_member and mart.municipality_comparison (peer_set_kind)
PEER_SET_KINDS = ("liknande", "kommungrupp", "lan", "riket", "network")
