"""Rewriting the DuckDB catalogue into a fresh file, so deleted rows leave no bytes behind.

DuckDB keeps the blocks of deleted rows in the file: it reuses them later but does not zero
them, and VACUUM does not rewrite the file. An erased customer's words and number stay readable
with ``strings lydspor.duckdb`` until the blocks happen to be overwritten. Copying the database
into a new file (``COPY FROM DATABASE``) writes only the live rows, with every schema, table,
view, macro, sequence (at its current value), index, enum type, comment and primary-key, unique,
check and not-null constraint; the new file then replaces the old one atomically.

What it cannot copy fails loudly and leaves the old file as it was: a table with a foreign key
(DuckDB copies the tables in an order that can break the reference), a full disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

#: Suffix of the fresh copy, written next to the database so the swap is one rename on one
#: file system. A leftover from a crashed rewrite is removed by the next one.
COPY_SUFFIX = ".compact"
#: The catalogue name the copy attaches the database under: dbt writes views that name the
#: catalogue (``lydspor.main.int_call_turns``), which is the file's stem when DuckDB opens it.
_SOURCE = "source"
#: How often (s) a file locked by another process is tried again, while ``wait_s`` lasts.
LOCK_RETRY_S = 0.5
_FRESH = "fresh"


class CompactionError(RuntimeError):
    """The database could not be rewritten; the old file is unchanged."""


@dataclass(frozen=True)
class Compaction:
    path: Path
    seconds: float
    bytes_before: int
    bytes_after: int


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _attach(con: duckdb.DuckDBPyConnection, path: Path, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            con.execute(f"attach {_quote(path)} as {_SOURCE}")
            return
        except duckdb.IOException:
            # Another process holds the write lock (a pipeline step, dbt): wait for it.
            if time.monotonic() >= deadline:
                raise
            time.sleep(LOCK_RETRY_S)


def compact_database(path: Path, *, wait_s: float = 0.0) -> Compaction:
    """Rewrite the DuckDB file at ``path`` into a fresh file holding only its live rows, and
    swap it in atomically (the file's mode and owner are kept).

    Run it with no connection open on the file. DuckDB lets one process write a file: if this
    process or another one has it open, attaching it fails and so does this (``duckdb.Error``),
    never skipping silently. ``wait_s``: how long (s) to keep trying while another process
    holds it (this process's own connection is never waited for). While it runs it holds the
    write lock,
    so nobody can write to the old file between the copy and the swap.

    On any failure the old file stays in place, the partial copy is removed and the error is
    raised.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise CompactionError(f"no DuckDB file at {path}")
    fresh = path.with_name(path.name + COPY_SUFFIX)
    fresh_wal = fresh.with_name(fresh.name + ".wal")
    wal = path.with_name(path.name + ".wal")
    started = time.monotonic()
    mode = path.stat()

    # Spilled while copying a catalogue larger than memory: next to it, not in the working
    # directory, and removed with the connection. Not ``lake.connect``: this rewrites one
    # DuckDB file (the file itself, or a lake's DuckDB catalogue file), attached by path.
    spill = path.with_name(path.name + COPY_SUFFIX + ".tmp")
    con = duckdb.connect(config={"temp_directory": str(spill)})
    try:
        # The write lock, and the WAL folded into the file, before anything is copied.
        _attach(con, path, wait_s)
        before = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        con.execute(f"checkpoint {_SOURCE}")
        _remove(fresh, fresh_wal)
        # What a process that crashed while spilling left in the catalogue's own spill
        # directory: no other process has the file open now, so none of it is in use.
        shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)
        try:
            con.execute(f"attach {_quote(fresh)} as {_FRESH}")
            con.execute(f"copy from database {_SOURCE} to {_FRESH}")
            con.execute(f"detach {_FRESH}")
            if fresh_wal.exists():
                raise CompactionError(f"the copy of {path} left a WAL behind")
            os.chmod(fresh, mode.st_mode & 0o7777)
            with contextlib.suppress(PermissionError):
                os.chown(fresh, mode.st_uid, mode.st_gid)
            with open(fresh, "rb+") as handle:
                os.fsync(handle.fileno())
            # Swapped while the old file is still attached, i.e. still locked: no writer can
            # get in between. Nothing was written to it since the checkpoint, so detaching it
            # afterwards writes nothing.
            os.replace(fresh, path)
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"detach database if exists {_FRESH}")
            _remove(fresh, fresh_wal)
            raise
        _fsync_dir(path.parent)
        con.execute(f"detach {_SOURCE}")
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    if wal.exists():
        # The old file's log, written after the swap: it would be replayed onto the new file.
        raise CompactionError(f"{wal} appeared while {path} was rewritten; check the file")
    return Compaction(path, time.monotonic() - started, before, path.stat().st_size)
