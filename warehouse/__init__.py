"""jamfor warehouse layer: the only code that talks to DuckDB.

DDL and COMMENTs from the model catalogue (`ddl`, `docs`), SCD2 merges (`history`, `staging`,
`registers`), the run ledger and quarantine (`runs`, `quarantine`), the marts built from
`models/mart/*.sql` (`marts`), data tests before publish (`datatests`), build-then-publish
(`publish`), and the read queries of the CLI and report (`*_query`, `status`).

Importing the package imports nothing: a read command loads only the modules it uses.
DuckDB connections are not thread-safe: give each thread `con.cursor()` and funnel writes through one task.
"""
