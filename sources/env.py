"""Reading one JAMFOR_* environment value for a source's settings, with an error that names it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def parse_env(var: str, raw: str, kind: Callable[[str], Any], valid: Callable[[Any], bool], rule: str) -> Any:
    """Convert one environment value, raising a ValueError that names the variable and the rule."""
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not valid(value):
        raise ValueError(f"{var}={raw!r} is invalid: must be {rule}")
    return value
