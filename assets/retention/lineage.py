"""Compliance lineage: per call and per period, what was kept, on which basis, what was deleted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb

from assets.common.warehouse import table_exists
from assets.retention import audit


class UnknownCall(LookupError):
    pass


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _iso(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    return value


def call_lineage(con: duckdb.DuckDBPyConnection, call_id: str) -> dict:
    """Everything a compliance officer needs to know about one call, as plain JSON values."""
    calls = _dicts(
        con,
        "select call_id, call_date, direction, recording_mode, dialer, agent_id, team, "
        "started_at, ended_at, language, duration_s, ingested_at from raw.recordings "
        "where call_id = ?",
        [call_id],
    )
    if not calls:
        # The catalogue row goes with the call's metadata entry; the ledger keeps the proof.
        calls = _dicts(
            con,
            "select call_id, min(call_date) as call_date, 'deleted' as catalogue_row, "
            "null as agent_id from raw.stored_objects where call_id = ? group by call_id",
            [call_id],
        )
    if not calls:
        raise UnknownCall(f"no call {call_id!r} in the catalogue or the ledger")
    tracks = (
        _dicts(
            con,
            "select track, legal_basis, purposes, consent_valid, reason, consent_mechanism, "
            "consent_at, prompt_version, lia_reference from raw.consent_lineage "
            "where call_id = ? order by track",
            [call_id],
        )
        if table_exists(con, "raw.consent_lineage")
        else []
    )
    objects = _dicts(
        con,
        """
        select o.object_key, o.kind, o.object_class, o.legal_basis, o.purposes, o.created_at,
               o.deadline, o.deleted_at, o.deletion_reason, r.receipt_id, r.verified_absent,
               o.deleted_at is not null and o.deleted_at <= o.deadline as deleted_on_time
        from raw.stored_objects o
        left join raw.deletion_receipts r using (object_key)
        where o.call_id = ?
        order by o.created_at, o.object_key
        """,
        [call_id],
    )
    holds = _dicts(
        con,
        "select h.* from raw.legal_holds h where (h.scope = 'call' and h.subject = ?) "
        "or (h.scope = 'agent' and h.subject = ?) order by placed_at",
        [call_id, calls[0]["agent_id"]],
    )
    erasures = _dicts(
        con,
        "select q.request_id, q.selector, q.decision, q.reason, q.decided_by, q.decided_at "
        "from raw.erased_calls e join raw.erasure_requests q using (request_id) "
        "where e.call_id = ?",
        [call_id],
    )
    events = [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "details": e.details,
        }
        for e in audit.entries(con, call_id)
    ]
    return _iso(
        {
            "call": calls[0],
            "tracks": tracks,
            "objects": objects,
            "holds": holds,
            "erasure_requests": erasures,
            "reads": [e for e in events if e["action"] in ("read", "read_denied")],
            "audit_events": events,
        }
    )


def period_report(con: duckdb.DuckDBPyConnection, start: date, end: date) -> dict:
    """Totals, deletions (on time or late), holds and erasure requests for [start, end]."""
    stop = end + timedelta(days=1)
    window = [start, stop]
    calls = _dicts(
        con,
        "select call_id, call_date, direction, recording_mode, agent_id, team "
        "from raw.recordings where call_date >= ? and call_date < ? order by call_date, call_id",
        window,
    )
    deletions = _dicts(
        con,
        """
        select r.object_key, r.call_id, r.object_class, r.legal_basis, r.deadline, r.deleted_at,
               r.reason, r.receipt_id, r.verified_absent, r.deleted_at <= r.deadline as on_time
        from raw.deletion_receipts r
        join raw.stored_objects o using (object_key)
        where o.call_date >= ? and o.call_date < ? and o.kind <> 'landing'
        order by r.deleted_at
        """,
        window,
    )
    landing_moves = con.execute(
        "select count(*) from raw.stored_objects where kind = 'landing' and deleted_at is not null "
        "and call_date >= ? and call_date < ?",
        window,
    ).fetchone()[0]
    alive_customer = _dicts(
        con,
        "select object_key, call_id, legal_basis, deadline from raw.stored_objects "
        "where object_class = 'customer_audio' and deleted_at is null "
        "and call_date >= ? and call_date < ? order by deadline",
        window,
    )
    by_class = _dicts(
        con,
        "select object_class, legal_basis, count(*) as stored, count(deleted_at) as deleted "
        "from raw.stored_objects where call_date >= ? and call_date < ? "
        "and kind <> 'landing' group by all order by all",
        window,
    )
    holds = _dicts(con, "select * from raw.legal_holds where released_at is null", [])
    erasures = _dicts(
        con,
        "select * from raw.erasure_requests where decided_at >= ? and decided_at < ? "
        "order by decided_at",
        window,
    )
    per_day = _dicts(
        con,
        """
        select cast(o.call_date as varchar) as day,
               count(*) filter (where r.deleted_at <= r.deadline) as on_time,
               count(*) filter (where r.deleted_at > r.deadline) as late
        from raw.deletion_receipts r join raw.stored_objects o using (object_key)
        where o.call_date >= ? and o.call_date < ? and o.kind <> 'landing'
        group by 1 order by 1
        """,
        window,
    )
    return _iso(
        {
            "period": {"from": start, "to": end},
            "generated_at": datetime.now(UTC),
            "totals": {
                "calls": len(calls),
                "deletions": len(deletions),
                "landing_files_moved": landing_moves,
                "deletions_late": sum(1 for d in deletions if not d["on_time"]),
                "customer_audio_alive": len(alive_customer),
                "open_holds": len(holds),
                "erasure_requests": len(erasures),
            },
            "objects_by_class": by_class,
            "deletions_per_day": per_day,
            "deletions": deletions,
            "customer_audio_alive": alive_customer,
            "open_holds": holds,
            "erasure_requests": erasures,
            "calls": [call_lineage(con, c["call_id"]) for c in calls],
        }
    )
