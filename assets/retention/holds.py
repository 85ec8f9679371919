"""Legal holds: a call, or all of an agent's calls, kept past their deadlines until released.

Holds are recorded in DuckDB and the audit log; where the object store supports object lock,
the hold is also set on the objects themselves so the store refuses to delete them. A hold must
name a call or agent the catalogue knows: one that matches nothing would protect nothing while
looking as if it did, so it is refused (and the refusal audited). Whatever would delete an
object under hold (extraction, the sweep) keeps it and records the conflict through
:func:`record_hold_conflicts`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from assets.common.storage import ObjectStore
from assets.common.warehouse import execute_ddl, table_ddl, table_exists
from assets.retention import audit

HOLDS_TABLE = "raw.legal_holds"
RECORDINGS = "raw.recordings"
OBJECTS = "raw.stored_objects"

HOLDS_DDL = table_ddl(
    HOLDS_TABLE,
    """
    hold_id varchar primary key,
    scope varchar not null,
    subject varchar not null,
    reason varchar not null,
    placed_by varchar not null,
    placed_at timestamptz not null,
    released_by varchar,
    released_at timestamptz,
    release_reason varchar
""",
)
SCOPES = {"call", "agent"}


class HoldError(ValueError):
    """A hold could not be placed or released; the message says why."""


@dataclass(frozen=True)
class Hold:
    hold_id: str
    scope: str
    subject: str
    reason: str
    placed_by: str
    placed_at: datetime


def ensure_holds(con: duckdb.DuckDBPyConnection) -> None:
    execute_ddl(con, HOLDS_DDL)


def place_hold(
    con: duckdb.DuckDBPyConnection,
    scope: str,
    subject: str,
    reason: str,
    placed_by: str,
    store: ObjectStore | None = None,
) -> Hold:
    """Record a hold (and set S3 legal holds on the objects where the store has object lock)."""
    if scope not in SCOPES:
        raise HoldError(f"scope must be one of {sorted(SCOPES)}, not {scope!r}")
    if not reason.strip() or not placed_by.strip():
        raise HoldError("a hold needs a reason and who placed it")
    ensure_holds(con)
    if not subject_exists(con, scope, subject):
        refusal = f"no {scope} {subject!r} in the catalogue: a hold on it would keep nothing"
        # The attempt stays visible; the identifier does not, as it matched nothing and may be
        # anything typed (a phone number included) while the audit log is kept for years.
        audit.append(
            con,
            "hold_refused",
            actor=placed_by,
            details={"scope": scope, "refused_because": f"no such {scope} in the catalogue"},
        )
        raise HoldError(refusal)
    hold = Hold(str(uuid.uuid4()), scope, subject, reason, placed_by, datetime.now(UTC))
    con.execute(
        f"insert into {HOLDS_TABLE} (hold_id, scope, subject, reason, placed_by, placed_at) "
        "values (?, ?, ?, ?, ?, ?)",
        [hold.hold_id, scope, subject, reason, placed_by, hold.placed_at],
    )
    locked = _lock_objects(con, store, scope, subject, on=True)
    audit.append(
        con,
        "hold_placed",
        actor=placed_by,
        call_id=subject if scope == "call" else None,
        subject=f"{scope}:{subject}",
        details={"hold_id": hold.hold_id, "reason": reason, "objects_locked_in_store": locked},
    )
    return hold


def release_hold(
    con: duckdb.DuckDBPyConnection,
    hold_id: str,
    released_by: str,
    reason: str,
    store: ObjectStore | None = None,
) -> None:
    ensure_holds(con)
    row = con.execute(
        f"select scope, subject, released_at from {HOLDS_TABLE} where hold_id = ?", [hold_id]
    ).fetchone()
    if row is None:
        raise HoldError(f"no hold {hold_id!r}")
    if row[2] is not None:
        raise HoldError(f"hold {hold_id!r} was already released at {row[2]}")
    con.execute(
        f"update {HOLDS_TABLE} set released_by = ?, released_at = ?, release_reason = ? "
        "where hold_id = ?",
        [released_by, datetime.now(UTC), reason, hold_id],
    )
    # Another open hold on the same calls keeps their store locks in place.
    still_held = held_call_ids(con)
    _lock_objects(con, store, row[0], row[1], on=False, keep=still_held)
    audit.append(
        con,
        "hold_released",
        actor=released_by,
        call_id=row[1] if row[0] == "call" else None,
        subject=f"{row[0]}:{row[1]}",
        details={"hold_id": hold_id, "reason": reason},
    )


def _lock_objects(
    con: duckdb.DuckDBPyConnection,
    store: ObjectStore | None,
    scope: str,
    subject: str,
    *,
    on: bool,
    keep: set[str] = frozenset(),
) -> int:
    if store is None:
        return 0
    scope_filter = (
        "o.call_id = ?"
        if scope == "call"
        else "o.call_id in (select call_id from raw.recordings where agent_id = ?)"
    )
    keys = con.execute(
        f"select o.object_key, o.call_id from raw.stored_objects o "
        f"where o.deleted_at is null and {scope_filter}",
        [subject],
    ).fetchall()
    return sum(store.set_legal_hold(key, on) for key, call_id in keys if call_id not in keep)


def active_holds(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return (
        con.sql(f"select * from {HOLDS_TABLE} where released_at is null order by placed_at")
        .pl()
        .to_dicts()
    )


def subject_exists(con: duckdb.DuckDBPyConnection, scope: str, subject: str) -> bool:
    """Whether the catalogue knows the call (a recording or any object of it, deleted ones
    included) or the agent (a recording of theirs)."""
    if scope == "call":
        queries = [
            (RECORDINGS, "select 1 from raw.recordings where call_id = ? limit 1"),
            (OBJECTS, "select 1 from raw.stored_objects where call_id = ? limit 1"),
        ]
    else:
        queries = [(RECORDINGS, "select 1 from raw.recordings where agent_id = ? limit 1")]
    return any(
        table_exists(con, table) and con.execute(sql, [subject]).fetchone() is not None
        for table, sql in queries
    )


def holds_by_call(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The active hold ids on each call, placed on the call itself or on its agent."""
    if not table_exists(con, HOLDS_TABLE):
        return {}
    through_agent = (
        f"""
        union all
        select r.call_id, h.hold_id from raw.recordings r
        join {HOLDS_TABLE} h on h.scope = 'agent' and h.subject = r.agent_id
        where h.released_at is null
        """
        if table_exists(con, RECORDINGS)
        else ""
    )
    rows = con.execute(
        f"""
        select subject, hold_id from {HOLDS_TABLE} where released_at is null and scope = 'call'
        {through_agent}
        """
    ).fetchall()
    held: dict[str, list[str]] = {}
    for call_id, hold_id in rows:
        held.setdefault(call_id, []).append(hold_id)
    return {call_id: sorted(set(ids)) for call_id, ids in held.items()}


def held_call_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Calls under an active hold, directly or through their agent."""
    return set(holds_by_call(con))


def record_hold_conflicts(
    con: duckdb.DuckDBPyConnection,
    objects: list[dict],
    actor: str,
    now: datetime,
    wanted: str,
) -> list[dict]:
    """The objects (dicts with ``object_key`` and ``call_id``; ``object_class``,
    ``legal_basis`` and ``deadline`` where known) that a hold keeps, each with the ``holds``
    keeping it. Call this before deleting: skip what it returns. Each conflict is audited as
    ``hold_conflict`` once per object and set of holds, so a run repeated every hour does not
    write the same entry every hour; ``wanted`` says what the hold prevented."""
    by_call = holds_by_call(con)
    held = [
        {**obj, "holds": by_call[obj["call_id"]]}
        for obj in objects
        if obj.get("call_id") in by_call
    ]
    if not held:
        return []
    audit.ensure_audit_log(con)
    seen = {
        (key, tuple(json.loads(details).get("holds", [])))
        for key, details in con.execute(
            f"select subject, details from {audit.AUDIT_TABLE} "
            "where action = 'hold_conflict' and subject in (select unnest(?::varchar[]))",
            [[obj["object_key"] for obj in held]],
        ).fetchall()
    }
    audit.append_many(
        con,
        [
            audit.NewEntry(
                "hold_conflict",
                actor=actor,
                call_id=obj["call_id"],
                subject=obj["object_key"],
                details={
                    "holds": obj["holds"],
                    "kept_instead_of": wanted,
                    "object_class": obj.get("object_class"),
                    "legal_basis": obj.get("legal_basis"),
                    "deadline": obj.get("deadline"),
                },
                at=now,
            )
            for obj in held
            if (obj["object_key"], tuple(obj["holds"])) not in seen
        ],
    )
    return held
