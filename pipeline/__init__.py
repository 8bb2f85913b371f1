"""The loads as plain Python (no Prefect, no DuckDB): Kolada fetches and delivered files go through one
skeleton (pipeline.skeleton) whose connection steps live in warehouse/; scopes and reference files too."""
