"""Searching for personal data the way an auditor would: every column, every byte."""

from __future__ import annotations

from pathlib import Path

import duckdb


def scan_tables(con: duckdb.DuckDBPyConnection, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every needle found in any column of any table or view,
    every column cast to text (lists, JSON and timestamps included)."""
    found = []
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = current_database()"
    ).fetchall()
    for schema, table, column in columns:
        text = f'cast("{column}" as varchar)'
        for needle in needles:
            hit = con.execute(
                f'select count(*) from "{schema}"."{table}" where contains(lower({text}), ?)',
                [needle.lower()],
            ).fetchone()[0]
            if hit:
                found.append((f"{schema}.{table}", column, needle))
    return found


def scan_bytes(root: Path, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every needle whose UTF-8 bytes occur in any file under root."""
    found = []
    encoded = [(n, n.encode()) for n in needles]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        lowered = data.lower()
        for needle, raw in encoded:
            if raw in data or raw.lower() in lowered:
                found.append((str(path.relative_to(root)), needle))
    return found
