"""sources.files.reader: bytes and hash, and text decoding (UTF-8 with BOM, Latin-1, refusals)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sources.files import FileFormatError, decode_text, read_raw
from sources.fixtures import fixtures_dir

BEFOLKNING = fixtures_dir() / "scb/web_export/befolkning.csv"
POP2018 = fixtures_dir() / "scb/web_export/population2018.csv"


def test_hash_is_the_provenance_sha256() -> None:
    raw = read_raw(BEFOLKNING)
    assert raw.sha256 == "966f70dea837ba7245066acbcb298d1cab83863399afe63f41dbc5f1c9a5efcc"
    assert raw.sha256 == hashlib.sha256(BEFOLKNING.read_bytes()).hexdigest()


def test_latin1_export_is_decoded() -> None:
    text, encoding = decode_text(read_raw(BEFOLKNING))
    assert encoding == "iso-8859-1"
    assert '"0114 Upplands Väsby",44605' in text and '"0117 Österåker",44130' in text


def test_utf8_bom_is_dropped() -> None:
    text, encoding = decode_text(read_raw(POP2018))
    assert encoding == "utf-8" and text.startswith("municipality_code;") and "Österåker" in text


def test_cp1252_only_bytes_decode_as_windows_1252(tmp_path: Path) -> None:
    # synthetic: a Latin-1 line plus a Windows-1252 en dash (0x96), which ISO-8859-1 leaves as a control
    path = tmp_path / "cp.csv"
    path.write_bytes('"0114 Upplands Väsby";1\n'.encode("latin-1") + b'"note \x96 dash";2\n')
    text, encoding = decode_text(read_raw(path))
    assert encoding == "cp1252" and "note – dash" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \r\n\n", "empty file"),
        ("region;2017\n".encode("utf-16"), "UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (b'"0114 Upplands V\xc3\x83\xc2\xa4sby",1\n', "double-encoded"),
        (b"a;b\n\x81\x8d\x8f;1\n", "neither UTF-8 nor Latin-1"),
    ],
)
def test_unreadable_text_is_refused_naming_the_file(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(FileFormatError, match=message) as info:
        decode_text(read_raw(path))
    assert str(info.value).startswith(str(path))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="no such file"):
        read_raw(tmp_path / "nope.csv")
    with pytest.raises(FileFormatError, match="not a regular file"):
        read_raw(tmp_path)
