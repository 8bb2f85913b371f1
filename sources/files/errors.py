"""The error every file reader raises: it names the file and, when known, the row and the column."""

from __future__ import annotations

from pathlib import Path


class FileFormatError(ValueError):
    """A file that cannot be read as any supported kind, or is broken; one line, file first."""

    def __init__(
        self, path: Path | str, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        self.path = Path(path)
        self.message = message
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [str(self.path)]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return " ".join((", ".join(where) + ": " + self.message).split())
