"""Presentation: what a person reads — CLI tables and CSV, the HTML report, the load report, discovery output.

No Prefect here; reads go through warehouse/ query modules, never through duckdb directly.
"""
