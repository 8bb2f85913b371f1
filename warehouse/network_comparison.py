"""A comparison network's own measures (core.network_measure) in the comparison marts.

Networks measure what no national source publishes (brukartid, own waiting times, own surveys) and load
it with `jamfor load files` (docs/network_template.md). A measure belongs to the network that delivered
it (core.network_measure.network, part of its key), so each yearly measure of a kommun is compared only
within that network, and only when core.ref_network lists the kommun (its mart.peer_set_member rows):
one row of mart.municipality_comparison per kommun, measure, year and network, with kpi_id = the measure
id, gender T and peer_set_kind 'network'. Peers, ranks, medians and deltas follow the mart's rules;
colour bands use the network's own quartiles that year, since no national figure exists, and the
national columns are NULL. Monthly periods go to mart.monthly_comparison. The SQL is in
models/mart/municipality_comparison.sql (the nm_* CTEs) and models/mart/monthly_comparison.sql.

The source_note of every network row starts with NETWORK_SOURCE: the CLI and the report tell a
network's own measure by it (the models spell the note out; tests/warehouse/test_mart_models.py checks
that they start with this text).
"""

from __future__ import annotations

NETWORK_SOURCE = "Källa: nätverkets egen fil"
