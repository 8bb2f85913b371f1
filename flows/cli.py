"""The `jamfor` command line (placeholder until the spine lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `jamfor` console script."""
    print("jamfor: not yet wired", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
