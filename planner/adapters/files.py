"""Files people open elsewhere (CSV, xlsx, PDF): written whole or not at all."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from planner.domain.errors import InvalidInput
from planner.services.exports import Cell


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it, renamed over it at the end:
    a failure leaves no partial file (and an older file at `path` unchanged)."""
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise _cannot_write(path, exc) from None


def check_writable(path: Path) -> None:
    """Refuse at once a file that cannot be written (its folder missing, or it is a folder),
    before work that would be lost; the write itself is still checked."""
    if path.is_dir():
        raise InvalidInput(f"cannot write {path}: it is a folder", hint="name a file")
    if not path.parent.is_dir():
        raise InvalidInput(
            f"cannot write {path}: the folder {path.parent} does not exist",
            hint="create the folder first, or name a file in one that exists",
        )


def _cannot_write(path: Path, exc: OSError) -> InvalidInput:
    return InvalidInput(
        f"cannot write {path} ({exc.strerror or exc})",
        hint="name a file in a folder that exists and that you may write to",
    )


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A header row and the rows as CSV; text cells a spreadsheet would run as a formula
    (=, +, -, @…) are made text, as `planner forecast --csv` writes them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        from planner.forecast.csvio import spreadsheet_safe  # numpy: only when writing

        return spreadsheet_safe(value)
    return value


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> int:
    """Write the rows under their header (UTF-8, whole or not at all); the rows written."""
    write_atomically(path, csv_text(header, rows).encode("utf-8"))
    return len(rows)
