"""A ceiling on what one HTTP response may cost: its body is read in chunks and refused once too large.

The ceiling counts the body as the caller would see it, after gzip or deflate decoding (requests'
`iter_content` decodes while streaming), so a reply that is small on the wire and huge when unpacked
is stopped at the ceiling, not after it has filled the memory. A `Content-Length` above the ceiling
is refused before a byte of the body is read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import requests

from sources.env import parse_env

ENV_VAR = "JAMFOR_MAX_RESPONSE_BYTES"
# Kolada's largest page (the /kpi catalogue, 5,000 items with descriptions) is about 3.8 MB; 64 MiB
# leaves room for any honest page and still bounds what one hostile reply can take.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


class BodyTooLarge(ValueError):
    """The response body is over the ceiling; nothing of it is kept."""

    def __init__(self, limit: int, seen: int, declared: bool) -> None:
        self.limit = limit
        self.seen = seen
        what = f"Content-Length {seen:,} is" if declared else "the body grew"
        super().__init__(f"{what} over the {limit:,}-byte ceiling ({ENV_VAR})")


def max_response_bytes(environ: Mapping[str, str] | None = None) -> int:
    """The ceiling from JAMFOR_MAX_RESPONSE_BYTES (an integer >= 1024), else the default."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_MAX_RESPONSE_BYTES
    return int(parse_env(ENV_VAR, raw, int, lambda v: v >= 1024, "an integer number of bytes >= 1024"))


def read_capped(resp: requests.Response, limit: int) -> bytes:
    """The decoded body of a streamed response, or BodyTooLarge as soon as it passes `limit` bytes."""
    declared = (resp.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, int(declared), declared=True)
    body = bytearray()
    for chunk in resp.iter_content(chunk_size=CHUNK_BYTES):
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit, len(body), declared=False)
    return bytes(body)
