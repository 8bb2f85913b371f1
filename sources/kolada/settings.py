"""Kolada client settings: defaults, JAMFOR_KOLADA_* environment variables and overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from sources.env import parse_env
from sources.http_body import DEFAULT_MAX_RESPONSE_BYTES, max_response_bytes

DEFAULT_BASE_URL = "https://api.kolada.se/v3"
# The v3 API answers 422 above these (docs kolada_v3.md §2-3).
API_MAX_PER_PAGE = 5000
API_MAX_IDS = 25
_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class KoladaSettings:
    """Everything the Kolada client needs to know; validated on construction."""

    base_url: str = DEFAULT_BASE_URL
    rate: float = 5.0
    concurrency: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    per_page: int = API_MAX_PER_PAGE
    max_ids: int = API_MAX_IDS
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    user_agent: str = "jamfor/0.1 (+https://github.com/jamfor)"

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if not self.base_url.startswith(_SCHEMES):
            raise ValueError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        _check(self.rate > 0, "rate", self.rate, "> 0")
        _check(self.concurrency >= 1, "concurrency", self.concurrency, ">= 1")
        _check(self.connect_timeout > 0, "connect_timeout", self.connect_timeout, "> 0")
        _check(self.read_timeout > 0, "read_timeout", self.read_timeout, "> 0")
        _check(self.max_attempts >= 1, "max_attempts", self.max_attempts, ">= 1")
        _check(self.backoff_base >= 0, "backoff_base", self.backoff_base, ">= 0")
        _check(self.backoff_max >= 0, "backoff_max", self.backoff_max, ">= 0")
        _check(1 <= self.per_page <= API_MAX_PER_PAGE, "per_page", self.per_page, f"in 1..{API_MAX_PER_PAGE}")
        _check(1 <= self.max_ids <= API_MAX_IDS, "max_ids", self.max_ids, f"in 1..{API_MAX_IDS}")
        _check(self.max_response_bytes >= 1024, "max_response_bytes", self.max_response_bytes, ">= 1024")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> KoladaSettings:
        """Defaults, then JAMFOR_KOLADA_* variables, then non-None keyword overrides."""
        env = os.environ if environ is None else environ
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown KoladaSettings fields: {sorted(unknown)}")
        values: dict[str, Any] = {}
        if raw := env.get("JAMFOR_KOLADA_URL", "").strip():
            values["base_url"] = parse_env(
                "JAMFOR_KOLADA_URL", raw, str, lambda v: v.startswith(_SCHEMES), "an http(s) URL"
            )
        if raw := env.get("JAMFOR_KOLADA_RATE", "").strip():
            values["rate"] = parse_env("JAMFOR_KOLADA_RATE", raw, float, lambda v: v > 0, "a number > 0")
        if raw := env.get("JAMFOR_KOLADA_CONCURRENCY", "").strip():
            values["concurrency"] = parse_env(
                "JAMFOR_KOLADA_CONCURRENCY", raw, int, lambda v: v >= 1, "an integer >= 1"
            )
        if raw := env.get("JAMFOR_KOLADA_TIMEOUT", "").strip():
            values["connect_timeout"], values["read_timeout"] = _parse_timeouts(raw)
        if raw := env.get("JAMFOR_KOLADA_RETRIES", "").strip():
            values["max_attempts"] = parse_env(
                "JAMFOR_KOLADA_RETRIES", raw, int, lambda v: v >= 1, "an integer >= 1"
            )
        values["max_response_bytes"] = max_response_bytes(env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def _check(ok: bool, name: str, value: object, rule: str) -> None:
    if not ok:
        raise ValueError(f"KoladaSettings.{name} must be {rule}, got {value!r}")


def _parse_timeouts(raw: str) -> tuple[float, float]:
    """JAMFOR_KOLADA_TIMEOUT is "connect,read" seconds; a single number sets both."""
    var = "JAMFOR_KOLADA_TIMEOUT"
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) not in (1, 2):
        raise ValueError(f"{var}={raw!r} must be 'connect,read' seconds, e.g. '10,60'")
    values = [parse_env(var, p, float, lambda v: v > 0, "seconds > 0") for p in parts]
    return (values[0], values[-1])
