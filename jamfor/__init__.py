"""`python -m jamfor`: the `jamfor` command line as a module (the code lives in flows.cli)."""
