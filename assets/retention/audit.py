"""The audit log: append-only and hash-chained.

Each entry's hash covers its content and the previous entry's hash, so editing, removing or
reordering any entry breaks the chain from that entry on. The newest head is also written to the
object store (``audit/head.json``), so cutting entries off the end is detected too.

The log has a window of its own (``windows.audit_log``): ``prune`` removes entries older than it
from the start and records the last removed entry's sequence number and hash as a checkpoint;
``verify`` then walks the chain from that checkpoint, so a pruned log still verifies and any
entry removed without a checkpoint still breaks it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from assets.common.warehouse import table_ddl, table_exists, transaction

AUDIT_TABLE = "raw.audit_log"
CHECKPOINT_TABLE = "raw.audit_checkpoints"
HEAD_KEY = "audit/head.json"
GENESIS = "0" * 64

AUDIT_DDL = table_ddl(
    AUDIT_TABLE,
    """
    seq bigint primary key,
    logged_at timestamptz not null,
    actor varchar not null,
    action varchar not null,
    call_id varchar,
    subject varchar,
    details varchar not null,
    prev_hash varchar not null,
    hash varchar not null
""",
) + table_ddl(
    CHECKPOINT_TABLE,
    """
    seq bigint primary key,
    hash varchar not null,
    pruned_before timestamptz not null,
    entries_pruned bigint not null,
    pruned_at timestamptz not null
""",
)

#: Actions recorded; reads of audio and transcripts are recorded as ``read``, refused ones as
#: ``read_denied``; a deletion a legal hold prevented as ``hold_conflict``, rows purged after
#: their owner expired as ``purge_rows``.
ACTIONS = {
    "delete",
    "purge_rows",
    "erasure_decision",
    "hold_conflict",
    "hold_placed",
    "hold_refused",
    "hold_released",
    "read",
    "read_denied",
}


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    call_id: str | None
    subject: str | None
    details: dict
    prev_hash: str
    hash: str


def entry_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    call_id: str | None,
    subject: str | None,
    details: str,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        [
            seq,
            at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor,
            action,
            call_id,
            subject,
            details,
            prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def ensure_audit_log(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AUDIT_DDL)


@dataclass(frozen=True)
class NewEntry:
    """An entry to append: the chain fields (seq, hashes) are added by ``append_many``."""

    action: str
    actor: str
    call_id: str | None = None
    subject: str | None = None
    details: dict | None = None
    at: datetime | None = None


_AUDIT_FRAME_SCHEMA = pl.Schema(
    {
        "seq": pl.Int64,
        "logged_at": pl.Datetime("us", "UTC"),
        "actor": pl.String,
        "action": pl.String,
        "call_id": pl.String,
        "subject": pl.String,
        "details": pl.String,
        "prev_hash": pl.String,
        "hash": pl.String,
    }
)


def append(
    con: duckdb.DuckDBPyConnection,
    action: str,
    *,
    actor: str,
    call_id: str | None = None,
    subject: str | None = None,
    details: dict | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    return append_many(con, [NewEntry(action, actor, call_id, subject, details, at)])[0]


def append_many(con: duckdb.DuckDBPyConnection, new: Sequence[NewEntry]) -> list[AuditEntry]:
    """Chain the entries on after the head, in their order, and write them in one statement:
    all of them or none."""
    for entry in new:
        if entry.action not in ACTIONS:
            raise ValueError(f"unknown audit action {entry.action!r}")
    if not new:
        return []
    ensure_audit_log(con)
    last = con.execute(f"select seq, hash from {AUDIT_TABLE} order by seq desc limit 1").fetchone()
    seq, prev = (last[0], last[1]) if last else checkpoint(con)
    written, rows = [], []
    for entry in new:
        seq += 1
        at = (entry.at or datetime.now(UTC)).astimezone(UTC)
        details = entry.details or {}
        body = json.dumps(details, sort_keys=True, ensure_ascii=False, default=str)
        fields = (seq, at, entry.actor, entry.action, entry.call_id, entry.subject)
        digest = entry_hash(*fields, body, prev)
        written.append(AuditEntry(*fields, details, prev, digest))
        rows.append((*fields, body, prev, digest))
        prev = digest
    frame = pl.DataFrame(rows, schema=_AUDIT_FRAME_SCHEMA, orient="row")
    con.register("_lydspor_audit_rows", frame.to_arrow())
    try:
        con.execute(f"insert into {AUDIT_TABLE} select * from _lydspor_audit_rows")
    finally:
        con.unregister("_lydspor_audit_rows")
    return written


def entries(con: duckdb.DuckDBPyConnection, call_id: str | None = None) -> list[AuditEntry]:
    where = "where call_id = ?" if call_id else ""
    rows = con.execute(
        f"select * from {AUDIT_TABLE} {where} order by seq", [call_id] if call_id else []
    ).fetchall()
    return [
        AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8]) for r in rows
    ]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None


def checkpoint(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """Where the chain starts: (0, GENESIS), or the last pruned entry's (seq, hash)."""
    if not table_exists(con, CHECKPOINT_TABLE):  # a log from before pruning, read read-only
        return (0, GENESIS)
    row = con.execute(
        f"select seq, hash from {CHECKPOINT_TABLE} order by seq desc limit 1"
    ).fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def prune(con: duckdb.DuckDBPyConnection, before: datetime, now: datetime | None = None) -> int:
    """Remove the entries logged before ``before`` (the audit log's window), oldest first and
    never past a gap; the chain's new start is checkpointed in the same transaction."""
    ensure_audit_log(con)
    start, _ = checkpoint(con)
    row = con.execute(
        f"select max(seq), count(*) from {AUDIT_TABLE} where logged_at < ? and seq < "
        f"coalesce((select min(seq) from {AUDIT_TABLE} where logged_at >= ?), 9223372036854775807)",
        [before, before],
    ).fetchone()
    last, count = row
    if not last or last <= start:
        return 0
    kept_hash = con.execute(f"select hash from {AUDIT_TABLE} where seq = ?", [last]).fetchone()[0]
    with transaction(con):
        con.execute(f"delete from {AUDIT_TABLE} where seq <= ?", [last])
        con.execute(
            f"insert into {CHECKPOINT_TABLE} values (?, ?, ?, ?, ?)",
            [last, kept_hash, before, count, now or datetime.now(UTC)],
        )
    return count


def verify(con: duckdb.DuckDBPyConnection, head: dict | None = None) -> VerifyResult:
    """Walk the chain from its start (or checkpoint); ``head`` is the last anchored
    {seq, hash}, if any."""
    rows = con.execute(f"select * from {AUDIT_TABLE} order by seq").fetchall()
    start, prev = checkpoint(con)
    expected_seq = start + 1
    for seq, at, actor, action, call_id, subject, details, prev_hash, digest in rows:
        if seq != expected_seq:
            return VerifyResult(
                False, len(rows), expected_seq, f"entry {expected_seq} is missing (next is {seq})"
            )
        if prev_hash != prev:
            return VerifyResult(
                False, len(rows), seq, f"entry {seq} does not follow entry {seq - 1} (chain broken)"
            )
        if entry_hash(seq, at, actor, action, call_id, subject, details, prev_hash) != digest:
            return VerifyResult(False, len(rows), seq, f"entry {seq} was altered")
        prev, expected_seq = digest, seq + 1
    if head is not None:
        anchored, last = int(head["seq"]), start + len(rows)
        if anchored > last:
            return VerifyResult(
                False,
                len(rows),
                last + 1,
                f"entries {last + 1}..{anchored} were removed from the end",
            )
        if anchored > start and rows[anchored - start - 1][8] != head["hash"]:
            return VerifyResult(
                False, len(rows), anchored, f"entry {anchored} differs from the anchored head"
            )
    return VerifyResult(True, len(rows))


def head(con: duckdb.DuckDBPyConnection) -> dict | None:
    last = con.execute(f"select seq, hash from {AUDIT_TABLE} order by seq desc limit 1").fetchone()
    return {"seq": last[0], "hash": last[1]} if last else None


def anchor(con: duckdb.DuckDBPyConnection, store) -> dict | None:
    """Write the current head to the object store (outside the database it protects)."""
    current = head(con)
    if current is not None:
        store.put_bytes(HEAD_KEY, json.dumps(current).encode(), content_type="application/json")
    return current


def anchored_head(store) -> dict | None:
    if store.stat(HEAD_KEY) is None:
        return None
    return json.loads(store.get_bytes(HEAD_KEY))
