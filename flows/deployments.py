"""Scheduled deployments: yearly in September (after Kolada's main publication), monthly on the 5th."""

from __future__ import annotations

import os

from prefect import serve

from flows.kolada_flows import monthly, yearly

YEARLY_CRON = os.environ.get("JAMFOR_YEARLY_CRON", "0 6 15 9 *")
MONTHLY_CRON = os.environ.get("JAMFOR_MONTHLY_CRON", "0 6 5 * *")
TIMEZONE = os.environ.get("JAMFOR_TIMEZONE", "Europe/Stockholm")


def serve_all(scope: str = "default") -> None:
    """Serve both deployments from this process until interrupted (one host needs no work pool)."""
    params = {"scope": scope}
    serve(
        yearly.to_deployment(name="kolada-yearly", cron=YEARLY_CRON, timezone=TIMEZONE, parameters=params),
        monthly.to_deployment(name="kolada-monthly", cron=MONTHLY_CRON, timezone=TIMEZONE, parameters=params),
    )
