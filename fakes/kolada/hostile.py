"""Hostile replies for the replay server: an upstream that tries to steer or exhaust the client.

Each kind turns the normal reply of one request into a hostile one (forced with `fail_next(n, kind)`
or drawn at random like the transient faults, but never part of ALL_FAULTS: a client must refuse
them, not retry them):

- `offhost_next`: next_url points at another host (127.0.0.2, same port) — the SSRF pattern;
- `file_next`: next_url is a file:// URL;
- `oversize`: the page followed by HOSTILE_BODY_BYTES of blanks, streamed without a Content-Length;
- `gzip_bomb`: the same body gzip-encoded, about 1/1000 of its size on the wire;
- `too_many`: the page's items repeated until it holds one more than the request's per_page.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

from fakes.kolada.faults import HOSTILE_FAULTS
from fakes.kolada.routes import DEFAULT_PER_PAGE, Reply
from sources.http_body import DEFAULT_MAX_RESPONSE_BYTES

# Above the client's default ceiling, so the hostile replay is refused with default settings.
HOSTILE_BODY_BYTES = DEFAULT_MAX_RESPONSE_BYTES + 8 * 1024 * 1024
PAD_CHUNK = b" " * (1024 * 1024)
OFFHOST = "127.0.0.2"
FILE_URL = "file:///etc/passwd"


@dataclass(frozen=True)
class Streamed:
    """A reply whose body is written in chunks, with the given headers and no Content-Length."""

    status: int
    head: bytes
    pad_bytes: int
    content_type: str

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        left = self.pad_bytes
        while left > 0:
            part = PAD_CHUNK[: min(left, len(PAD_CHUNK))]
            left -= len(part)
            yield part


def hostile_reply(kind: str, reply: Reply, target: str, port: int) -> Reply | Streamed:
    """The hostile version of `reply` (the answer to `target`, path with query) for fault `kind`."""
    if reply.status != 200:
        return reply
    if kind in ("offhost_next", "file_next"):
        page = json.loads(reply.body)
        path = urlsplit(target).path
        page["next_url"] = f"http://{OFFHOST}:{port}{path}?page=2" if kind == "offhost_next" else FILE_URL
        return replace(reply, body=json.dumps(page, ensure_ascii=False).encode("utf-8"))
    if kind == "too_many":
        page = json.loads(reply.body)
        per_page = int(dict(parse_qsl(urlsplit(target).query)).get("per_page", DEFAULT_PER_PAGE))
        items = page["values"] or [{"id": "X"}]
        page["values"] = (items * (per_page // len(items) + 1))[: per_page + 1]
        page["count"] = len(page["values"])
        return replace(reply, body=json.dumps(page, ensure_ascii=False).encode("utf-8"))
    if kind == "oversize":
        return Streamed(200, reply.body, HOSTILE_BODY_BYTES, reply.content_type)
    if kind == "gzip_bomb":
        return replace(
            reply,
            body=_bomb(reply.body),
            headers=(*reply.headers, ("Content-Encoding", "gzip")),
        )
    raise ValueError(f"unknown hostile kind {kind!r}; expected one of {HOSTILE_FAULTS}")


def _bomb(head: bytes) -> bytes:
    """`head` plus HOSTILE_BODY_BYTES of blanks, gzip-compressed (valid JSON once decoded)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip stream
    parts = [packer.compress(head)]
    parts += [packer.compress(chunk) for chunk in Streamed(200, b"", HOSTILE_BODY_BYTES, "").chunks()]
    parts.append(packer.flush())
    return b"".join(parts)
