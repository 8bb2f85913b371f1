"""jamfor schemas layer: Pandera models and the validate → (valid, quarantine) split.

The names below are resolved on first use, so that importing `schemas.ids` (the CLI's read commands
do) does not load Pandera.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["QUARANTINE_SCHEMA", "SchemaDriftError", "empty_quarantine", "validate_split"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("schemas.validate"), name)
    raise AttributeError(f"module 'schemas' has no attribute {name!r}")
