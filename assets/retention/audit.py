"""The audit log: append-only, chained with a keyed MAC, its head anchored outside the catalogue.

Each entry's MAC covers its content and the previous entry's MAC, under a subkey of the tenant
key (``assets/common/secrets.py``), which lives outside DuckDB and the store: editing, removing
or reordering any entry breaks the chain from that entry on, and so does rewriting the whole log
with recomputed hashes, since only the key's holder can compute them.

After an append, ``anchor`` appends the head ({log, seq, hash}, itself MAC'd) to the heads file
beside the key, so cutting entries off the end is detected too. ``anchor`` first verifies the
chain against the previous head and never re-anchors over a chain that fails: a truncation
followed by new entries stays visible. Each log has an id (``raw.audit_meta``, MAC'd) whose first
head (seq 0) is written with its first entry, so a deleted heads file is detected as well.
With an S3 store that has object lock, ``anchor`` also writes periodic write-once checkpoints of
the head (``audit_checkpoints``), which ``verify_anchored`` checks: they survive a rewrite of both
the catalogue and the heads file by the key's holder.

The log has a window of its own (``windows.audit_log``): ``prune`` removes entries older than it
from the start and records the last removed entry's sequence number and hash as a MAC'd
checkpoint; ``verify`` then walks the chain from that checkpoint, so a pruned log still verifies
and any entry removed without an authentic checkpoint still breaks it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from assets.common.secrets import append_private_line, audit_heads_file, derived_key
from assets.common.warehouse import execute_ddl, table_ddl, table_exists, transaction
from assets.retention import audit_checkpoints

AUDIT_TABLE = "raw.audit_log"
CHECKPOINT_TABLE = "raw.audit_checkpoints"
META_TABLE = "raw.audit_meta"
HEAD_KEY = "audit/head.json"
GENESIS = "0" * 64

AUDIT_DDL = (
    table_ddl(
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
    )
    + table_ddl(
        CHECKPOINT_TABLE,
        """
    seq bigint primary key,
    hash varchar not null,
    pruned_before timestamptz not null,
    entries_pruned bigint not null,
    pruned_at timestamptz not null
""",
    )
    + f"""
alter table {CHECKPOINT_TABLE} add column if not exists mac varchar;
"""
    + table_ddl(
        META_TABLE,
        """
    log_id varchar primary key,
    created_at timestamptz not null,
    mac varchar not null
""",
    )
)
#: Subkey purposes: entries, anchored heads, checkpoints and the log id are MAC'd apart.
ENTRY_PURPOSE, HEAD_PURPOSE, CHECKPOINT_PURPOSE = "audit-entry", "audit-head", "audit-checkpoint"


class AuditChainBroken(RuntimeError):
    """The chain fails verification against its anchored head: nothing is re-anchored."""


def _mac(purpose: str, fields: list, key: bytes | None = None) -> str:
    message = json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str)
    return hmac.new(key or derived_key(purpose), message.encode(), hashlib.sha256).hexdigest()


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


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
    # An identity or role refusal outside a call read (unknown OS account, act-for refused,
    # a command the role may not run), and an owner acting for another user.
    "access_denied",
    "act_for",
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
    key: bytes | None = None,
) -> str:
    """The entry's MAC (HMAC-SHA256 under the audit-entry subkey; ``key`` is that subkey)."""
    fields = [seq, _iso(at), actor, action, call_id, subject, details, prev_hash]
    return _mac(ENTRY_PURPOSE, fields, key)


def ensure_audit_log(con: duckdb.DuckDBPyConnection) -> None:
    execute_ddl(con, AUDIT_DDL)


def _ensure_log_id(con: duckdb.DuckDBPyConnection) -> None:
    """Give a new, empty log its id and its first anchored head (seq 0); a used log without an
    id is left as it is, for ``verify`` to report."""
    ensure_audit_log(con)
    if con.execute(f"select count(*) from {META_TABLE}").fetchone()[0]:
        return
    used = con.execute(
        f"select (select count(*) from {AUDIT_TABLE}) + (select count(*) from {CHECKPOINT_TABLE})"
    ).fetchone()[0]
    if used:
        return
    log_id, created = str(uuid.uuid4()), datetime.now(UTC)
    con.execute(
        f"insert into {META_TABLE} values (?, ?, ?)",
        [log_id, created, _mac(CHECKPOINT_PURPOSE, ["log", log_id, _iso(created)])],
    )
    _write_head(log_id, 0, GENESIS)


def log_id(con: duckdb.DuckDBPyConnection) -> str:
    """This catalogue's audit log id; ``AuditChainBroken`` when it is missing or not authentic."""
    rows = (
        con.execute(f"select log_id, created_at, mac from {META_TABLE}").fetchall()
        if table_exists(con, META_TABLE)
        else []
    )
    if len(rows) != 1:
        raise AuditChainBroken(f"the audit log has {len(rows)} ids (one expected): it was replaced")
    log, created, mac = rows[0]
    if not hmac.compare_digest(mac, _mac(CHECKPOINT_PURPOSE, ["log", log, _iso(created)])):
        raise AuditChainBroken("the audit log's id was altered")
    return log


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
    _ensure_log_id(con)
    last = con.execute(f"select seq, hash from {AUDIT_TABLE} order by seq desc limit 1").fetchone()
    seq, prev = (last[0], last[1]) if last else checkpoint(con)
    key = derived_key(ENTRY_PURPOSE)
    written, rows = [], []
    for entry in new:
        seq += 1
        at = (entry.at or datetime.now(UTC)).astimezone(UTC)
        details = entry.details or {}
        body = json.dumps(details, sort_keys=True, ensure_ascii=False, default=str)
        fields = (seq, at, entry.actor, entry.action, entry.call_id, entry.subject)
        digest = entry_hash(*fields, body, prev, key=key)
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


def _checkpoint_mac(seq: int, digest: str, before: datetime, count: int) -> str:
    return _mac(CHECKPOINT_PURPOSE, ["checkpoint", seq, digest, _iso(before), count])


def _checkpoint_row(con: duckdb.DuckDBPyConnection) -> tuple | None:
    if not table_exists(con, CHECKPOINT_TABLE):  # a log from before pruning, read read-only
        return None
    return con.execute(
        f"select seq, hash, pruned_before, entries_pruned, mac from {CHECKPOINT_TABLE} "
        "order by seq desc limit 1"
    ).fetchone()


def checkpoint(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """Where the chain starts: (0, GENESIS), or the last pruned entry's (seq, hash)."""
    row = _checkpoint_row(con)
    return (row[0], row[1]) if row else (0, GENESIS)


def prune(con: duckdb.DuckDBPyConnection, before: datetime, now: datetime | None = None) -> int:
    """Remove the entries logged before ``before`` (the audit log's window), oldest first and
    never past a gap; the chain's new start is checkpointed (MAC'd) in the same transaction."""
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
            f"insert into {CHECKPOINT_TABLE} "
            "(seq, hash, pruned_before, entries_pruned, pruned_at, mac) values (?, ?, ?, ?, ?, ?)",
            [
                last,
                kept_hash,
                before,
                count,
                now or datetime.now(UTC),
                _checkpoint_mac(last, kept_hash, before, count),
            ],
        )
    return count


def verify(con: duckdb.DuckDBPyConnection, head: dict | None = None) -> VerifyResult:
    """Walk the chain from its start (or authentic checkpoint), checking every entry's MAC;
    ``head`` is the last anchored {seq, hash}, if any (see ``verify_anchored``)."""
    rows = con.execute(f"select * from {AUDIT_TABLE} order by seq").fetchall()
    cut = _checkpoint_row(con)
    if cut is not None:
        seq, digest, before, count, mac = cut
        if mac is None or not hmac.compare_digest(mac, _checkpoint_mac(seq, digest, before, count)):
            return VerifyResult(False, len(rows), seq, f"checkpoint {seq} is not authentic")
    start, prev = checkpoint(con)
    key = derived_key(ENTRY_PURPOSE)
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
        expected = entry_hash(seq, at, actor, action, call_id, subject, details, prev_hash, key)
        if not hmac.compare_digest(expected, digest):
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
        at_anchor = rows[anchored - start - 1][8] if anchored > start else None
        if anchored == start and anchored > 0:
            at_anchor = checkpoint(con)[1]
        if at_anchor is not None and at_anchor != head["hash"]:
            return VerifyResult(
                False, len(rows), anchored, f"entry {anchored} differs from the anchored head"
            )
    return VerifyResult(True, len(rows))


def head(con: duckdb.DuckDBPyConnection) -> dict | None:
    last = con.execute(f"select seq, hash from {AUDIT_TABLE} order by seq desc limit 1").fetchone()
    return {"seq": last[0], "hash": last[1]} if last else None


def _head_fields(line: dict) -> list:
    # A head with a write-once checkpoint says so, MAC'd: a missing checkpoint is then seen.
    fields = [line["log"], line["seq"], line["hash"], line["at"]]
    return [*fields, "checkpoint"] if line.get("checkpoint") else fields


def _write_head(log: str, seq: int, digest: str, store=None) -> dict:
    now = datetime.now(UTC)
    line = {"log": log, "seq": seq, "hash": digest, "at": _iso(now)}
    line["mac"] = _mac(HEAD_PURPOSE, _head_fields(line))
    if store is not None:
        line["checkpoint"] = audit_checkpoints.write(store, line, now)
        line["mac"] = _mac(HEAD_PURPOSE, _head_fields(line))
    append_private_line(audit_heads_file(), json.dumps(line, sort_keys=True))
    return line


def anchored_head(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The latest head anchored for this catalogue's log, from the heads file, with the last
    checkpointed head as ``checkpointed`` ({seq, at} or None); None when the file holds none.
    ``AuditChainBroken`` when a line is not authentic, or a head is older than the one before."""
    log = log_id(con)
    path = audit_heads_file()
    if not path.exists():
        return None
    latest = None
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        try:
            line = json.loads(text)
            authentic = hmac.compare_digest(line["mac"], _mac(HEAD_PURPOSE, _head_fields(line)))
        except (ValueError, KeyError, TypeError):
            authentic = False
        if not authentic:
            raise AuditChainBroken(f"line {number} of {path} is not an authentic anchored head")
        if line["log"] != log:
            continue
        if latest is not None and line["seq"] < latest["seq"]:
            raise AuditChainBroken(f"line {number} of {path} goes back to entry {line['seq']}")
        line["checkpointed"] = (
            {"seq": line["seq"], "at": line["at"]}
            if line.get("checkpoint")
            else (latest or {}).get("checkpointed")
        )
        latest = line
    return latest


def verify_anchored(con: duckdb.DuckDBPyConnection, store=None) -> VerifyResult:
    """The check ``lydspor audit verify`` runs: the log's id, the heads file and the chain up to
    (and including) the latest anchored head, then, given the object ``store``, every write-once
    checkpoint in it. A log nothing was ever written to verifies (unless checkpoints exist)."""
    if _unused(con):
        return _against_checkpoints(con, store, None, VerifyResult(True, 0))
    try:
        anchored = anchored_head(con)
    except AuditChainBroken as exc:
        return VerifyResult(False, _count(con), None, str(exc))
    if anchored is None:
        return VerifyResult(
            False,
            _count(con),
            None,
            f"no anchored head for this audit log in {audit_heads_file()}: the file of "
            "anchored heads was deleted or edited",
        )
    return _against_checkpoints(con, store, anchored, verify(con, anchored))


def _against_checkpoints(con, store, anchored: dict | None, result: VerifyResult) -> VerifyResult:
    recorded = (anchored or {}).get("checkpointed")
    worm = audit_checkpoints.write_once(store)
    if not result.ok or store is None or not (worm or recorded):
        return result  # the embedded store: the heads file is the only checkpoint
    if not worm:
        problem = f"write-once checkpoints were written, but {store.description} has no object lock"
        return VerifyResult(False, result.entries, None, problem)
    found, log = audit_checkpoints.checkpoints(store), log_id(con) if anchored else None
    seqs = [c.seq for c in found if c.log == log]
    query = f"select seq, hash from {AUDIT_TABLE} where list_contains(?::bigint[], seq)"
    hashes = dict(con.execute(query, [seqs]).fetchall()) if seqs else {}
    start = checkpoint(con)
    last, recorded_seq = start[0] + result.entries, recorded and recorded["seq"]
    problem = audit_checkpoints.problem(found, log, hashes, start, last, recorded_seq)
    return result if problem is None else VerifyResult(False, result.entries, None, problem)


def _unused(con: duckdb.DuckDBPyConnection) -> bool:
    tables = (AUDIT_TABLE, CHECKPOINT_TABLE, META_TABLE)
    return all(
        not table_exists(con, t) or not con.execute(f"select count(*) from {t}").fetchone()[0]
        for t in tables
    )


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"select count(*) from {AUDIT_TABLE}").fetchone()[0]


def anchor(con: duckdb.DuckDBPyConnection, store=None, *, strict: bool = False) -> dict | None:
    """Anchor the current head in the heads file (and a copy in ``store``; when due, a write-once
    checkpoint, see ``audit_checkpoints``), unless the chain fails verification against the
    previous head and checkpoints: then nothing is anchored, so the break stays visible;
    ``strict`` raises ``AuditChainBroken`` instead of returning the previous head."""
    _ensure_log_id(con)
    result = verify_anchored(con, store)
    if not result.ok:
        if strict:
            raise AuditChainBroken(result.problem)
        return None
    previous = anchored_head(con)
    current = head(con)
    if current is None or current["seq"] <= previous["seq"]:
        return previous
    worm = audit_checkpoints.write_once(store) and audit_checkpoints.due(
        previous.get("checkpointed"), current["seq"], datetime.now(UTC)
    )
    line = _write_head(log_id(con), current["seq"], current["hash"], store if worm else None)
    if store is not None:
        store.put_bytes(HEAD_KEY, json.dumps(line).encode(), content_type="application/json")
    return current
