"""Coarse Prefect tasks: one per endpoint batch or per load, never per KPI or municipality."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from pipeline.file_report import FilesReport
from pipeline.kolada import load_fetch
from pipeline.scope import ADHOC, Scope, resolve_kpis
from pipeline.summary import LoadSummary
from pipeline.user_scope import check_known
from settings.config import Paths
from sources.http import SourceHTTPError
from sources.kolada.client import FetchResult, KoladaClient
from sources.kolada.rawstore import kolada_store, read_pages
from sources.kolada.settings import KoladaSettings
from transforms.kolada import metadata as meta_tf
from warehouse.history import ValueScope

METADATA_ENTITIES = ("kpi", "municipality", "municipality_groups", "kpi_groups", "ou")


def transient_failure(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a fetch task only when the cause was transient (network, 429, 5xx), never a 4xx or a
    refusal (an oversized body, a next_url off the base URL, a page over per_page)."""
    exc = getattr(state, "data", None)
    if isinstance(exc, SourceHTTPError):
        return exc.transient
    return False


@task(
    name="fetch-metadata",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=5,
    retry_condition_fn=transient_failure,
)
def fetch_metadata(settings: KoladaSettings, data_dir: Path, fetch_id: str) -> dict[str, FetchResult]:
    """Fetch every Kolada metadata catalogue (all pages) into the raw store."""
    client = KoladaClient(settings, kolada_store(data_dir, fetch_id))
    return {entity: client.metadata(entity) for entity in METADATA_ENTITIES}


@task(name="resolve-scope", cache_policy=NO_CACHE)
def resolve_scope(scope: Scope, fetch_dir: Path) -> list[str]:
    """The KPI ids the scope selects from the catalogue just fetched; explicit ids are always kept,
    but ids given with --kpi (an ad-hoc scope) that the catalogue lacks stop the run, named."""
    kpi_dim, _ = meta_tf.kpi_dimension(read_pages(fetch_dir, "kpi"))
    if scope.name.endswith(ADHOC) and kpi_dim.height:
        check_known(scope.kpis, set(kpi_dim["kpi_id"]), "Kolada's KPI catalogue just fetched")
    _, members, _ = meta_tf.kpi_groups(read_pages(fetch_dir, "kpi_groups"))
    return resolve_kpis(scope, kpi_dim, members)


@task(
    name="fetch-values",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=5,
    retry_condition_fn=transient_failure,
)
def fetch_values(
    settings: KoladaSettings,
    data_dir: Path,
    fetch_id: str,
    kpis: list[str],
    years: list[int],
    from_date: date | None,
) -> FetchResult:
    """Fetch the values of the KPIs for the years (every unit), optionally only changes since from_date."""
    client = KoladaClient(settings, kolada_store(data_dir, fetch_id))
    return client.data(kpi=kpis, year=[str(y) for y in years], from_date=from_date)


@task(name="load-warehouse", cache_policy=NO_CACHE)
def load_warehouse(
    paths: Paths,
    fetch_dir: Path,
    run_id: str,
    flow_name: str,
    scope: dict[str, Any],
    as_of: datetime,
    value_scope: ValueScope | None,
    watermark: tuple[str, date] | None,
) -> LoadSummary:
    """Validate, transform and merge the fetch into a build copy, rebuild marts, publish atomically."""
    return load_fetch(
        paths,
        fetch_dir,
        run_id=run_id,
        flow_name=flow_name,
        scope=scope,
        as_of=as_of,
        value_scope=value_scope,
        watermark=watermark,
        lock_held=True,
    )


def summary_markdown(summary: LoadSummary, fetched: dict[str, FetchResult], elapsed_s: float) -> str:
    """The run report: pages and rows fetched, rows loaded, quarantined, revised and deleted."""
    lines = [
        f"# {summary.flow} run `{summary.run_id}`",
        "",
        f"Rows in {summary.rows_in:,} = loaded {summary.rows_loaded:,} + quarantined "
        f"{summary.rows_quarantined:,}. New versions {summary.inserted:,}, revised {summary.revised:,}, "
        f"deleted {summary.deleted:,}, unchanged {summary.unchanged:,}. Elapsed {elapsed_s:.1f} s.",
        "",
        "| fetched | pages | items | missing ids |",
        "|---|---:|---:|---|",
    ]
    for name, result in fetched.items():
        missing = ", ".join(f"{k}: {len(v)}" for k, v in result.missing_ids.items() if v) or "none"
        lines.append(f"| {name} | {result.pages} | {result.items:,} | {missing} |")
    lines += [
        "",
        "| table | rows in | new | revised | deleted | unchanged | quarantined |",
        "|---|" + "---:|" * 6,
    ]
    for table, s in summary.entities.items():
        lines.append(
            f"| {table} | {s['rows_in']:,} | {s['inserted']:,} | {s['revised']:,} | {s['deleted']:,} "
            f"| {s['unchanged']:,} | {s['quarantined']:,} |"
        )
    if not summary.published:
        lines += ["", f"**{summary.note[:1].upper() + summary.note[1:]}.** No build copy, no publish."]
    lines += ["", "| mart | rows |", "|---|---:|"] + [f"| {m} | {n:,} |" for m, n in summary.marts.items()]
    lines += [f"| {m} | unchanged (nothing in core or reference changed) |" for m in summary.marts_unchanged]
    if summary.steps_s:
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.steps_s.items())
        lines += ["", f"Load steps: {steps}."]
    return "\n".join(lines)


@task(name="load-inbox", cache_policy=NO_CACHE)
def load_inbox_files(paths: Paths) -> FilesReport:
    """Load the files waiting in the inbox (SCB, Socialstyrelsen, network templates), failed ones too."""
    from pipeline.files import load_inbox

    return load_inbox(warehouse=paths.warehouse, data_dir=paths.data_dir, lock_held=True)


@task(name="publish-report", cache_policy=NO_CACHE)
def publish_report(
    summary: LoadSummary, fetched: dict[str, FetchResult], elapsed_s: float, inbox: str = ""
) -> str:
    """Attach the run report (and what the inbox files did) to the flow run as a Markdown artifact."""
    markdown = summary_markdown(summary, fetched, elapsed_s)
    if inbox:
        markdown += "\n\n## Inbox\n\n" + inbox
    create_markdown_artifact(
        markdown, key=f"{summary.flow.replace('_', '-')}-summary", description="Load summary"
    )
    return markdown
