"""Shared first cells for the analyst notebooks (imported by ``build.py``)."""

SETUP = """\
# Run from the repository root so the embedded defaults (data/state/...) resolve.
import os
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "pyproject.toml").exists())
os.chdir(root)

import matplotlib.pyplot as plt
import polars as pl

from assets.access import connect

# Reads go through the access layer as the OS account running this kernel (an owner may act
# for another user with LYDSPOR_ACT_AS, audited): the session holds only what they may see.
session = connect()
print(f"reading as {session.principal.user} ({session.principal.role})")
for table in session.tables:
    print(f"  {table.name}: {table.rows} rows ({table.scope})")


def q(sql: str) -> pl.DataFrame:
    return session.sql(sql).pl()
"""
