"""Pure Polars transforms behind the comparison tables: rules, directions, peer areas, networks, codings."""
