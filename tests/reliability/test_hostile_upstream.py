"""An upstream that misbehaves on purpose (the replay's hostile modes), through `jamfor fetch` and `load`.

Each case must end the command with exit 1 and one stderr line that says what was refused; no
request may leave the base URL, the refused page is not in the raw store and the published
warehouse is unchanged.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.kolada.hostile import FILE_URL, HOSTILE_BODY_BYTES, OFFHOST
from fakes.kolada.server import ReplayServer
from flows.cli import main
from sources.http_body import DEFAULT_MAX_RESPONSE_BYTES

from .support import hashes

FETCH = ["fetch", "--kpi", "N31807", "--years", "2020"]


class Listener:
    """A socket on 127.0.0.2:<port> that counts the connections it gets (none are expected)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_server((OFFHOST, port))
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def offhost(replay: ReplayServer) -> Iterator[Listener]:
    listener = Listener(replay.port)
    yield listener
    listener.close()


def _messages(capsys: pytest.CaptureFixture[str]) -> str:
    """The command's own stderr lines (the progress bar shares stderr)."""
    return "\n".join(ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("jamfor"))


def _fetch(replay: ReplayServer, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main([*FETCH, "--kolada-url", replay.base_url, *extra])
    return code, _messages(capsys)


def _stored_urls(data_dir: Path) -> list[str]:
    return [
        json.loads(line)["url"]
        for path in (data_dir / "raw" / "kolada").glob("*/*.ndjson")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_off_host_next_url_is_refused_naming_both_urls(
    replay: ReplayServer, offhost: Listener, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    replay.fail_next(1, "offhost_next")
    code, err = _fetch(replay, capsys)
    refused = f"http://{OFFHOST}:{replay.port}/v3/"
    assert code == 1 and len(err.splitlines()) == 1, err
    assert "refused next_url " + refused in err and f"leaves the base URL {replay.base_url} " in err, err
    assert offhost.connections == 0, "the client connected to the other host"
    assert [r.path.split("?")[0] for r in replay.request_log] == ["/v3/data/kpi/N31807/year/2020"]
    assert not any(OFFHOST in url for url in _stored_urls(tmp_path / "data"))


def test_file_scheme_next_url_is_refused(replay: ReplayServer, capsys: pytest.CaptureFixture[str]) -> None:
    replay.fail_next(1, "file_next")
    code, err = _fetch(replay, capsys)
    assert code == 1 and f"refused next_url {FILE_URL}: it leaves the base URL {replay.base_url}" in err, err
    assert len(replay.request_log) == 1


@pytest.mark.parametrize("kind", ["oversize", "gzip_bomb"])
def test_an_oversized_body_is_refused_and_nothing_is_stored(
    kind: str, replay: ReplayServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert HOSTILE_BODY_BYTES > DEFAULT_MAX_RESPONSE_BYTES  # refused with the default ceiling
    replay.fail_next(1, kind)
    code, err = _fetch(replay, capsys)
    assert code == 1 and len(err.splitlines()) == 1, err
    assert f"the body grew over the {DEFAULT_MAX_RESPONSE_BYTES:,}-byte ceiling" in err, err
    assert "JAMFOR_MAX_RESPONSE_BYTES" in err and "after 1 attempt" in err, err
    assert len(replay.request_log) == 1, "a refused body is not retried"
    assert _stored_urls(tmp_path / "data") == []


def test_the_ceiling_is_configurable_and_a_declared_length_is_refused_unread(
    replay: ReplayServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("JAMFOR_MAX_RESPONSE_BYTES", "2048")
    code, err = _fetch(replay, capsys)  # an honest page of ~40 kB, with its Content-Length
    assert code == 1 and "Content-Length " in err and "over the 2,048-byte ceiling" in err, err
    assert _stored_urls(tmp_path / "data") == []
    monkeypatch.setenv("JAMFOR_MAX_RESPONSE_BYTES", "12")
    code, err = _fetch(replay, capsys)
    assert code == 2 or code == 1
    assert "JAMFOR_MAX_RESPONSE_BYTES='12' is invalid" in err, err


def test_a_page_with_more_items_than_per_page_is_refused(
    replay: ReplayServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    replay.fail_next(1, "too_many")
    code, err = _fetch(replay, capsys)
    assert code == 1 and len(err.splitlines()) == 1, err
    assert "the page has 5001 items, more than per_page=5000; not stored" in err, err
    assert _stored_urls(tmp_path / "data") == []


def test_a_load_against_a_hostile_upstream_leaves_the_warehouse_as_it_was(
    replay: ReplayServer, published: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    warehouse = tmp_path / "jamfor.duckdb"
    warehouse.write_bytes(published.read_bytes())
    before = hashes(warehouse)
    for kind in ("offhost_next", "gzip_bomb", "too_many"):
        replay.reset()
        replay.fail_next(1, kind)
        argv = ["load", "yearly", "--scope", "demo", "--kpi", "N31807", "--years", "2020"]
        code = main([*argv, "--kolada-url", replay.base_url, "--warehouse", str(warehouse)])
        failed = [ln for ln in _messages(capsys).splitlines() if ln.startswith("jamfor: load failed")]
        assert code == 1 and len(failed) == 1, (kind, failed)
        assert hashes(warehouse) == before, kind
