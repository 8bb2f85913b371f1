"""SCB PxWeb client settings: defaults, JAMFOR_SCB_* environment variables and overrides.

The API's own limits (cells per request, calls per time window) are read from `/config` at run time;
`max_cells` and `rate` here only tighten them (a value above the server's is ignored).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from sources.env import parse_env
from sources.http_body import DEFAULT_MAX_RESPONSE_BYTES, max_response_bytes

DEFAULT_BASE_URL = "https://statistikdatabasen.scb.se/api/v2"
DEFAULT_V1_URL = "https://api.scb.se/OV0104/v1/doris/sv/ssd"
_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class ScbSettings:
    """Everything the SCB client needs; validated on construction."""

    base_url: str = DEFAULT_BASE_URL
    v1_url: str = DEFAULT_V1_URL
    lang: str = "sv"
    max_cells: int | None = None
    rate: float | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    user_agent: str = "jamfor/0.1 (+https://github.com/jamfor)"

    def __post_init__(self) -> None:
        for name in ("base_url", "v1_url"):
            url = getattr(self, name).rstrip("/")
            object.__setattr__(self, name, url)
            if not url.startswith(_SCHEMES):
                raise ValueError(f"ScbSettings.{name} must be an http(s) URL, got {url!r}")
        if self.lang not in ("sv", "en"):
            raise ValueError(f"ScbSettings.lang must be 'sv' or 'en', got {self.lang!r}")
        if self.max_cells is not None and self.max_cells < 1:
            raise ValueError(f"ScbSettings.max_cells must be >= 1, got {self.max_cells!r}")
        if self.rate is not None and not self.rate > 0:
            raise ValueError(f"ScbSettings.rate must be > 0, got {self.rate!r}")
        if not (self.connect_timeout > 0 and self.read_timeout > 0):
            raise ValueError("ScbSettings timeouts must be > 0")
        if self.max_attempts < 1:
            raise ValueError(f"ScbSettings.max_attempts must be >= 1, got {self.max_attempts!r}")
        if self.max_response_bytes < 1024:
            raise ValueError(f"ScbSettings.max_response_bytes must be >= 1024, got {self.max_response_bytes}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ScbSettings:
        """Defaults, then JAMFOR_SCB_* variables, then non-None keyword overrides."""
        env = os.environ if environ is None else environ
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown ScbSettings fields: {sorted(unknown)}")
        values: dict[str, Any] = {}
        parsers: dict[str, tuple[str, Callable[[str], Any], Callable[[Any], bool], str]] = {
            "JAMFOR_SCB_URL": ("base_url", str, lambda v: v.startswith(_SCHEMES), "an http(s) URL"),
            "JAMFOR_SCB_V1_URL": ("v1_url", str, lambda v: v.startswith(_SCHEMES), "an http(s) URL"),
            "JAMFOR_SCB_LANG": ("lang", str, lambda v: v in ("sv", "en"), "sv or en"),
            "JAMFOR_SCB_MAX_CELLS": ("max_cells", int, lambda v: v >= 1, "an integer >= 1"),
            "JAMFOR_SCB_RATE": ("rate", float, lambda v: v > 0, "requests per second > 0"),
            "JAMFOR_SCB_RETRIES": ("max_attempts", int, lambda v: v >= 1, "an integer >= 1"),
        }
        for var, (name, kind, valid, rule) in parsers.items():
            if raw := env.get(var, "").strip():
                values[name] = parse_env(var, raw, kind, valid, rule)
        if raw := env.get("JAMFOR_SCB_TIMEOUT", "").strip():
            parts = [
                parse_env("JAMFOR_SCB_TIMEOUT", p.strip(), float, lambda v: v > 0, "seconds > 0")
                for p in raw.split(",")
            ]
            if len(parts) not in (1, 2):
                raise ValueError(f"JAMFOR_SCB_TIMEOUT={raw!r} must be 'connect,read' seconds, e.g. '10,120'")
            values["connect_timeout"], values["read_timeout"] = parts[0], parts[-1]
        values["max_response_bytes"] = max_response_bytes(env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)
