"""Scheduled deployments of the loads (names, crons and timezone, in one place for both routes) and the
Prefect defaults jamfor's commands run with.

`jamfor serve` registers `kolada-yearly/serve` and `kolada-monthly/serve` and runs them in its own
process; `prefect deploy --all` (prefect.yaml, a process worker) registers `kolada-yearly/worker` and
`kolada-monthly/worker`. The names differ so neither route overwrites the other; use one route, since
two active schedules would load twice (the second run waits for the first, then loads again).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# the yearly run follows Kolada's main publication in September; monthly picks up revisions and files
DEFAULT_YEARLY_CRON = "0 6 15 9 *"
DEFAULT_MONTHLY_CRON = "0 6 5 * *"
DEFAULT_TIMEZONE = "Europe/Stockholm"
SERVE_NAME = "serve"
WORKER_NAME = "worker"


@dataclass(frozen=True)
class Schedules:
    """When the yearly and monthly loads run: two crons in one IANA timezone."""

    yearly_cron: str = DEFAULT_YEARLY_CRON
    monthly_cron: str = DEFAULT_MONTHLY_CRON
    timezone: str = DEFAULT_TIMEZONE

    @classmethod
    def from_env(cls) -> Schedules:
        """JAMFOR_YEARLY_CRON, JAMFOR_MONTHLY_CRON and JAMFOR_TIMEZONE, checked; a bad one is one line."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from prefect.schedules import Cron

        default = cls()
        schedules = cls(
            yearly_cron=os.environ.get("JAMFOR_YEARLY_CRON") or default.yearly_cron,
            monthly_cron=os.environ.get("JAMFOR_MONTHLY_CRON") or default.monthly_cron,
            timezone=os.environ.get("JAMFOR_TIMEZONE") or default.timezone,
        )
        crons = {"JAMFOR_YEARLY_CRON": schedules.yearly_cron, "JAMFOR_MONTHLY_CRON": schedules.monthly_cron}
        for name, cron in crons.items():
            try:
                Cron(cron)
            except ValueError:
                raise ValueError(f"{name}={cron!r} is not a cron expression such as '0 6 5 * *'") from None
        try:
            ZoneInfo(schedules.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"JAMFOR_TIMEZONE={schedules.timezone!r} is not an IANA timezone such as Europe/Stockholm"
            ) from None
        return schedules


def prefect_defaults() -> None:
    """Set Prefect defaults for jamfor's commands, unless the user configured them.

    Telemetry is off: the temporary server's analytics write races its own SQLite migrations and
    prints a 'database is locked' traceback on a fresh PREFECT_HOME, and the SDK's usage events
    (DO_NOT_TRACK) are not ours to send. README "Scheduling" says how to keep a server you start
    yourself quiet too.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # the temporary server gets 20 s to start by default, which a busy 2-core machine can miss
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def serve_all(scope: str = "default") -> None:
    """Serve both deployments from this process until interrupted (one host needs no work pool).

    The server keeps creating their scheduled runs; only a running `jamfor serve` executes them.
    """
    from prefect import serve
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron

    from flows.kolada_flows import monthly, yearly

    schedules = Schedules.from_env()
    params = {"scope": scope}
    deployments = [
        flow.to_deployment(
            name=SERVE_NAME, schedules=[Cron(cron, timezone=schedules.timezone)], parameters=params
        )
        for flow, cron in ((yearly, schedules.yearly_cron), (monthly, schedules.monthly_cron))
    ]
    # called from synchronous code, to_deployment returns the deployment (its type also allows the
    # coroutine it returns under an event loop, which would be a bug here)
    ready = [d for d in deployments if isinstance(d, RunnerDeployment)]
    if len(ready) != len(deployments):
        raise TypeError("to_deployment returned a coroutine: serve_all must run outside an event loop")
    serve(*ready)


def deploy_settings() -> dict[str, str]:
    """The build step of prefect.yaml: what its deployments template in at `prefect deploy` time.

    `project_dir` is the checkout `prefect deploy` runs in (it has already loaded the entrypoints,
    flows/kolada_flows.py, relative to it, and fails there if they are missing). It becomes the pull
    step's working directory, where the worker runs the flows and where the default `data/` lives;
    so a fresh clone deploys without a hand-set variable.
    """
    schedules = Schedules.from_env()
    return {
        "project_dir": str(Path.cwd()),
        "yearly_cron": schedules.yearly_cron,
        "monthly_cron": schedules.monthly_cron,
        "timezone": schedules.timezone,
    }
