"""Run the Kolada v3 replay server in the foreground.

The values are real Kolada values (open-numbers' 2024 v2 scrape and rKolada's 2026 v3 metadata)
reconstructed into v3 page shape; the revised dataset is a synthetic, seeded modification.

    python -m fakes.kolada --port 8765 [--faults 0.2] [--dataset revised]
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path

from fakes.kolada.dataset import DATASETS
from fakes.kolada.faults import ALL_FAULTS
from fakes.kolada.server import ReplayServer

DEFAULT_PORT = 8765


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (defaults from JAMFOR_REPLAY_* where given)."""
    parser = argparse.ArgumentParser(
        prog="python -m fakes.kolada",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default=os.environ.get("JAMFOR_REPLAY_HOST", "127.0.0.1"), help="a loopback address"
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("JAMFOR_REPLAY_PORT", DEFAULT_PORT)))
    parser.add_argument(
        "--fixtures-dir",
        type=Path,
        default=None,
        help="shared fixtures folder (default: JAMFOR_FIXTURES_DIR or ../shared/fixtures)",
    )
    parser.add_argument("--faults", type=float, default=0.0, help="fraction of /v3 requests to fault")
    parser.add_argument("--fault-kinds", default=",".join(ALL_FAULTS), help="comma list of fault kinds")
    parser.add_argument("--seed", type=int, default=0, help="fault RNG seed")
    parser.add_argument("--retry-after", type=float, default=1.0, help="Retry-After seconds on 429")
    parser.add_argument("--latency", type=float, default=0.0, help="fixed delay before every reply (s)")
    parser.add_argument("--dataset", choices=DATASETS, default="base")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C."""
    args = parse_args(argv)
    # A shell may start background jobs with SIGINT ignored; Ctrl-C / SIGTERM must still stop us cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = ReplayServer(fixtures_dir=args.fixtures_dir, host=args.host, port=args.port)
    server.set_faults(
        args.faults, kinds=args.fault_kinds.split(","), seed=args.seed, retry_after=args.retry_after
    )
    server.set_latency(args.latency)
    server.set_dataset(args.dataset)
    server.start()
    print(
        f"kolada replay serving {server.base_url} (dataset {args.dataset}, faults {args.faults})", flush=True
    )
    print("Ctrl-C stops", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
