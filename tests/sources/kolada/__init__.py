"""Tests for sources.kolada, plus helpers to read the one Kolada fake (fakes.kolada.ReplayServer).

The replay serves real fixture data (docs/kolada_v3.md; ../shared/fixtures/kolada) with the live v3
API's rules; `metadata` reads the same metadata it serves, and `seen` turns its request log into
(decoded path, query arguments, status) so tests can check exactly what the client asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from fakes.kolada import ReplayServer, load_dataset


def metadata(entity: str) -> list[dict[str, Any]]:
    """The metadata list for an entity, in the order the replay serves it."""
    return [json.loads(text) for text in load_dataset().meta[entity]["json"]]


@dataclass(frozen=True)
class Seen:
    """One /v3 request as the replay received it (status None: the connection was dropped)."""

    path: str
    args: dict[str, str]
    status: int | None


def seen(replay: ReplayServer) -> list[Seen]:
    """The replay's request log since its last reset, in arrival order."""
    requests = []
    for record in replay.request_log:
        split = urlsplit(record.path)
        requests.append(Seen(unquote(split.path), dict(parse_qsl(split.query)), record.status))
    return requests


def first_pages(replay: ReplayServer) -> list[Seen]:
    """Requests that started a path (no page parameter)."""
    return [s for s in seen(replay) if "page" not in s.args]
