"""Reading a delivered file: its bytes and content hash, and its text in the right encoding.

Text is UTF-8 (a BOM is dropped) when it decodes as such, else ISO-8859-1 (SCB's CSV exports) or,
when it holds bytes 0x80-0x9F that only Windows-1252 gives a meaning, Windows-1252. UTF-16, binary
data and double-encoded UTF-8 ("VÃ¤sby") are refused with an error naming the file and the line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import FileFormatError

# UTF-8 text that was decoded as Latin-1 once too often shows these pairs for å ä ö Å Ä Ö é.
MOJIBAKE = re.compile("Ã[¤¶¥„–…©]")
C1_BYTES = re.compile(rb"[\x80-\x9f]")


@dataclass(frozen=True)
class RawFile:
    """A file as delivered: where it was read from, its bytes and their sha256 (hex)."""

    path: Path
    data: bytes
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def read_raw(path: Path | str) -> RawFile:
    """Read a file's bytes; a missing path or a directory is a FileFormatError naming it."""
    p = Path(path)
    if not p.exists():
        raise FileFormatError(p, "no such file")
    if not p.is_file():
        raise FileFormatError(p, "not a regular file")
    data = p.read_bytes()
    return RawFile(p, data, hashlib.sha256(data).hexdigest())


def decode_text(raw: RawFile) -> tuple[str, str]:
    """Return (text, encoding name); raise FileFormatError for empty, binary or mis-encoded files."""
    data = raw.data
    if not data.strip():
        raise FileFormatError(raw.path, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise FileFormatError(
            raw.path, "binary data or UTF-16 text; save the file as UTF-8 (or Latin-1) text"
        )
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        if C1_BYTES.search(data):
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError as exc:
                line = data[: exc.start].count(b"\n") + 1
                raise FileFormatError(
                    raw.path,
                    f"neither UTF-8 nor Latin-1/Windows-1252 text (byte {data[exc.start]:#04x})",
                    row=line,
                ) from None
        else:
            text, encoding = data.decode("iso-8859-1"), "iso-8859-1"
    if match := MOJIBAKE.search(text):
        line = text.count("\n", 0, match.start()) + 1
        raise FileFormatError(
            raw.path,
            f"text looks double-encoded ({match.group()!r}: UTF-8 that was read as Latin-1 and saved again); "
            "re-export the file",
            row=line,
        )
    return text, encoding
