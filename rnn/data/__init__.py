"""Readers for the datasets in ../shared/data. Training CLIs take paths; nothing is copied into the project."""
from __future__ import annotations

import gzip
import io
from pathlib import Path

# The datasets sit beside the checkout (read-only); CLIs default to them and accept other paths.
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def open_text(path: str | Path) -> io.TextIOBase:
    """Open a UTF-8 text file for reading, gzip-compressed or not (decided by the .gz suffix)."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")
