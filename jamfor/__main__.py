"""Run the `jamfor` command line: `python -m jamfor ...` is `jamfor ...`."""

from flows.cli import main

raise SystemExit(main())
