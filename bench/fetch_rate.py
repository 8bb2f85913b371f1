"""Benchmark 4: fetch rate against the replay server with 100 ms latency per request vs the configured limit.

Run: `python -m bench.fetch_rate --rate 5 --latency 0.1`. Fetches the demo scope's values (13 KPIs, one
year per path so there are enough requests) through the real client, then reports the achieved rate
(requests / wall time) as a share of the limit, and the busiest 1-second window seen at the server.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fakes.kolada.server import ReplayServer
from sources.kolada.client import KoladaClient
from sources.kolada.rawstore import kolada_store
from sources.kolada.settings import KoladaSettings

DEMO_KPIS = [
    "N21009",
    "N21701",
    "N23801",
    "N28892",
    "N31807",
    "N31814",
    "N33802",
    "U21468",
    "U28112",
    "U30452",
    "U31803",
    "U33401",
    "U35400",
]


def measure(rate: float, latency: float, requests_wanted: int) -> dict[str, float]:
    """Fetch until about `requests_wanted` requests were made; return the figures."""
    municipalities_per_path = 1
    with tempfile.TemporaryDirectory(prefix="jamfor-bench-fetch-") as tmp, ReplayServer(port=0) as server:
        server.set_latency(latency)
        settings = KoladaSettings(
            base_url=server.base_url, rate=rate, concurrency=4, max_ids=municipalities_per_path
        )
        client = KoladaClient(settings, kolada_store(Path(tmp), "bench"))
        # one municipality per path: each request is small, so the limiter, not the payload, sets the pace
        units = [
            f"{n:04d}"
            for n in (
                114,
                115,
                117,
                120,
                123,
                125,
                126,
                127,
                128,
                136,
                138,
                139,
                140,
                160,
                162,
                163,
                180,
                181,
                182,
                183,
                184,
                186,
                187,
                188,
                191,
                192,
                305,
                319,
                330,
                331,
            )
        ]
        started = time.perf_counter()
        client.data(kpi=DEMO_KPIS[: max(1, requests_wanted // len(units))], municipality=units, year=["2020"])
        elapsed = time.perf_counter() - started
        arrivals = sorted(r.arrived_monotonic for r in server.request_log)
    busiest = max(sum(1 for t in arrivals if s <= t < s + 1.0) for s in arrivals)
    achieved = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    return {
        "requests": len(arrivals),
        "elapsed_s": elapsed,
        "achieved_rate": achieved,
        "busiest_window": busiest,
        "share_of_limit": achieved / rate,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the achieved rate, its share of the limit and the busiest 1-s window at the server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args(argv)
    f = measure(args.rate, args.latency, args.requests)
    print(
        f"  {f['requests']} requests, {args.latency * 1000:.0f} ms latency each, limit {args.rate:g}/s: "
        f"achieved {f['achieved_rate']:.2f}/s = {f['share_of_limit']:.1%} of the limit; "
        f"busiest 1-s window at the server {f['busiest_window']} (must be <= {args.rate:g})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
