"""Searching the catalogue for personal data the way an auditor would: every column of every
table and view (the byte scan is ``tests.support.remanence.scan_bytes``)."""

from __future__ import annotations

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
