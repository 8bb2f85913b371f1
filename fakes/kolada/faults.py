"""Fault injection for the replay server: which fault (if any) the next request gets."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

ALL_FAULTS: tuple[str, ...] = ("429", "500", "502", "503", "504", "truncate", "drop", "slow", "html200")
# Replies a client must refuse rather than retry (fakes.kolada.hostile); never drawn by default.
HOSTILE_FAULTS: tuple[str, ...] = ("offhost_next", "file_next", "oversize", "gzip_bomb", "too_many")
DEFAULT_RETRY_AFTER = 1.0
DEFAULT_SLOW_SECONDS = 2.0

HTML_ERROR_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class FaultSettings:
    """The random-fault configuration currently in force."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ALL_FAULTS
    seed: int = 0
    retry_after: float = DEFAULT_RETRY_AFTER
    slow_seconds: float = DEFAULT_SLOW_SECONDS


def check_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    """Return `kinds` as a tuple; raise ValueError naming any unknown kind."""
    if isinstance(kinds, str):
        kinds = [kinds]
    unknown = sorted(set(kinds) - set(ALL_FAULTS) - set(HOSTILE_FAULTS))
    if unknown:
        raise ValueError(
            f"unknown fault kind(s) {unknown}; expected some of {list(ALL_FAULTS + HOSTILE_FAULTS)}"
        )
    return tuple(kinds)


class FaultPlan:
    """Thread-safe per-request fault decisions: path rules first, then forced faults, then a seeded draw."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._rng = random.Random(self._settings.seed)
        self._forced: deque[str] = deque()
        self._paths: dict[str, str] = {}

    @property
    def settings(self) -> FaultSettings:
        """The current configuration (immutable snapshot)."""
        with self._lock:
            return self._settings

    def configure(
        self,
        rate: float,
        kinds: Sequence[str] = ALL_FAULTS,
        seed: int = 0,
        retry_after: float = DEFAULT_RETRY_AFTER,
        slow_seconds: float = DEFAULT_SLOW_SECONDS,
    ) -> None:
        """Fault a fraction `rate` of requests with a kind drawn from `kinds` (RNG reseeded)."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {rate}")
        if retry_after < 0 or slow_seconds < 0:
            raise ValueError("retry_after and slow_seconds must be >= 0")
        checked = check_kinds(kinds)
        if rate > 0 and not checked:
            raise ValueError("a positive fault rate needs at least one fault kind")
        with self._lock:
            self._settings = FaultSettings(rate, checked, seed, float(retry_after), float(slow_seconds))
            self._rng = random.Random(seed)

    def force(self, n: int, kind: str) -> None:
        """Make the next `n` requests fault with `kind`, ahead of any random faults."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        (checked,) = check_kinds([kind])
        with self._lock:
            self._forced.extend([checked] * n)

    def fail_path(self, needle: str, kind: str) -> None:
        """Fault every request whose path contains `needle` with `kind`, on every attempt, until reset."""
        if not needle:
            raise ValueError("a path rule needs a non-empty needle")
        (checked,) = check_kinds([kind])
        with self._lock:
            self._paths[needle] = checked

    @property
    def path_rules(self) -> dict[str, str]:
        """The path rules in force: needle -> fault kind."""
        with self._lock:
            return dict(self._paths)

    def reset(self) -> None:
        """No faults, nothing forced, no path rules."""
        with self._lock:
            self._settings = FaultSettings()
            self._rng = random.Random(self._settings.seed)
            self._forced.clear()
            self._paths.clear()

    def draw(self, path: str = "") -> str | None:
        """The fault for the request now arriving at `path` (percent-decoded), or None to answer normally."""
        with self._lock:
            for needle, kind in self._paths.items():
                if needle in path:
                    return kind
            if self._forced:
                return self._forced.popleft()
            settings = self._settings
            if settings.rate <= 0.0:
                return None
            if self._rng.random() >= settings.rate:
                return None
            return self._rng.choice(settings.kinds)


def retry_after_header(seconds: float) -> str:
    """Retry-After value: integer seconds when whole (as HTTP says), else the float text (for fast tests)."""
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))
