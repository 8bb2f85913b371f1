"""jamfor schemas layer: Pandera models and the validate → (valid, quarantine) split."""

from __future__ import annotations

from schemas.validate import QUARANTINE_SCHEMA, SchemaDriftError, empty_quarantine, validate_split

__all__ = ["QUARANTINE_SCHEMA", "SchemaDriftError", "empty_quarantine", "validate_split"]
