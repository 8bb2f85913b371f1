"""jamfor sources.files: reading delivered files (SCB, Socialstyrelsen, network templates) and the inbox."""

from __future__ import annotations

from .detect import KINDS, ParsedFile, read_delivery
from .errors import FileFormatError
from .inbox import archive, inbox_dir, list_inbox
from .municipalities import municipality_list_path, read_municipality_list
from .rawtable import ROW_COL, RawTable
from .reader import RawFile, decode_text, read_raw

__all__ = [
    "KINDS",
    "ROW_COL",
    "FileFormatError",
    "ParsedFile",
    "RawFile",
    "RawTable",
    "archive",
    "decode_text",
    "inbox_dir",
    "list_inbox",
    "municipality_list_path",
    "read_delivery",
    "read_municipality_list",
    "read_raw",
]
