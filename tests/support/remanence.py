"""Searching every file under a directory, byte by byte, for what should be gone.

Erasure deletes rows and objects; their bytes can outlive them in free database pages, logs and
build artefacts. ``scan_bytes`` reads each file raw (no parsing, so nothing a format hides is
missed) and reports every file that still holds a needle.
"""

from __future__ import annotations

import json
from pathlib import Path

#: Files are read in chunks this size (bytes), overlapping by the longest needle, so a needle
#: split across two chunks is still found and a large file is never read whole.
CHUNK_BYTES = 8 * 1024 * 1024


def encodings(needle: str) -> list[bytes]:
    """The byte strings a value is stored as: its UTF-8 text, its JSON-escaped text (Dagster
    and dbt write ``å`` as ``\\u00e5``) and, for a phone number, its bare digits
    (``+47 412 34 567`` is found as ``4741234567`` too)."""
    forms = [needle.encode()]
    escaped = json.dumps(needle)[1:-1].encode()
    if escaped not in forms:
        forms.append(escaped)
    digits = "".join(ch for ch in needle if ch.isdigit())
    if len(digits) >= 6 and digits.encode() not in forms:
        forms.append(digits.encode())
    return forms


def _holds(path: Path, forms: list[bytes]) -> bool:
    overlap = max(len(f) for f in forms) - 1
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            window = tail + chunk
            if any(f in window for f in forms):
                return True
            tail = window[-overlap:] if overlap else b""
    return False


def scan_bytes(root: Path, needles: list[str]) -> list[tuple[Path, str]]:
    """Every (file, needle) where a file under ``root`` (recursively, symlinks not followed)
    holds the needle's bytes; empty when nothing survives."""
    found: list[tuple[Path, str]] = []
    if not needles:
        return found
    forms = {needle: encodings(needle) for needle in needles}
    for path in sorted(Path(root).rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        found.extend((path, n) for n, f in forms.items() if _holds(path, f))
    return found
