"""Every table that holds or derives from personal data, tied to the ledger entries it came from.

The ledger (``raw.stored_objects``) gives every stored object a basis and a deadline. Rows copied
out of those objects, or derived from them, live in DuckDB tables and dbt marts; each table is
listed here with the object class that owns its rows and how a row finds its owner:

- ``call``: by ``call_id``, the call's ledger entries of the owning class. A call with no entry of
  that class at all (its transcription failed, its isolation went to review) falls back to the
  call's ``call_metadata`` entry, which every catalogued call has (see ``call_metadata.py``).
- ``object``: by an object-key column, the ledger entry of that key.
- ``agent``: by ``agent_id``, any live catalogued call of the agent (aggregates per agent).

A row is **dead** when its owner has no live entry: every one deleted (by the sweep past its
deadline, or by an erasure), or none ever registered (the safe error: personal data nobody
accounts for). ``purge`` removes dead rows in one transaction: it deletes them, or, where the
policy's ``expiry`` says ``anonymise`` for the owning class and the table names its personal
columns, nulls those columns and keeps the row (statistics without who). A row is **overdue**
when it is dead and not yet purged, or its owner is alive past its deadline without a legal
hold: ``overdue_rows`` is what the compliance gate counts.

Tables with a call, agent or text column that are not personal-data copies (the compliance
records themselves; aggregates by team and week) are listed in ``NOT_COPIES`` with the reason;
a table in neither list fails the gate (``row_checks.unaccounted_tables``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import duckdb

from assets.common.warehouse import first_column, transaction
from assets.retention.holds import held_call_ids

CALL_METADATA = "call_metadata"
LEDGER = "raw.stored_objects"
RECORDINGS = "raw.recordings"
#: Prefix of ledger keys that name rows, not objects; the store never holds such a key.
ROWS_PREFIX = "rows/"


def rows_key(call_date, call_id: str) -> str:
    """The ledger key of a call's metadata rows (see ``call_metadata.py``)."""
    return f"{ROWS_PREFIX}{call_date.isoformat()}/{call_id}/{CALL_METADATA}"


def is_rows_key(key: str) -> bool:
    return key.startswith(ROWS_PREFIX)


@dataclass(frozen=True)
class Copy:
    """One table of personal data and its owner.

    ``anonymise``: the personal columns nulled when the owning class's expiry is
    ``anonymise``; None means the rows are deleted whatever the policy says (they are
    personal through and through: words, segments, evidence text)."""

    table: str
    owner: str
    link: Literal["call", "object", "agent"] = "call"
    column: str = "call_id"
    anonymise: tuple[str, ...] | None = None


_MART_AGENT = ("agent_id",)

COPIES: tuple[Copy, ...] = (
    # The dialer's record: the customer's number, the agent, the raw JSON they came in.
    Copy(RECORDINGS, CALL_METADATA, anonymise=("customer_number", "metadata_json", "agent_id")),
    Copy("raw.consent_lineage", CALL_METADATA),
    # Reference text of both voices (sample and benchmark calls), unredacted: the unredacted
    # transcript's short window, not the metadata's.
    Copy("raw.truth_turns", "transcript"),
    Copy("raw.quarantine", "quarantine", "object", "quarantine_key"),
    Copy("raw.agent_audio", "agent_audio", anonymise=()),
    Copy("raw.agent_isolation", "agent_audio", anonymise=()),
    Copy("raw.agent_segments", "agent_audio"),
    Copy("raw.audio_redactions", "agent_audio"),
    Copy("raw.voiceprints", "voiceprint", "object", "object_key"),
    Copy("raw.transcript_words", "redacted_transcript"),
    Copy("raw.transcript_segments", "redacted_transcript"),
    Copy("raw.transcript_languages", "redacted_transcript", anonymise=()),
    Copy("raw.verbal_consent_evidence", "redacted_transcript"),
    # dbt's tables (views hold nothing): per call, then per agent.
    Copy("main.int_call_turns", "redacted_transcript"),
    Copy("main.fct_tracker_hits", "redacted_transcript"),
    Copy("main.fct_calls", CALL_METADATA, anonymise=_MART_AGENT),
    Copy("main.fct_call_kpis", CALL_METADATA, anonymise=_MART_AGENT),
    Copy("main.fct_call_coaching", CALL_METADATA, anonymise=_MART_AGENT),
    Copy("main.fct_call_scores", CALL_METADATA, anonymise=_MART_AGENT),
    Copy("main.fct_best_practice_calls", CALL_METADATA, anonymise=_MART_AGENT),
    Copy("main.fct_lowest_scoring_calls", CALL_METADATA, anonymise=_MART_AGENT),
    Copy("main.fct_survey_responses", CALL_METADATA, anonymise=_MART_AGENT),
    Copy("main.fct_agent_weekly_kpis", CALL_METADATA, "agent", "agent_id"),
    Copy("main.fct_onboarding_curves", CALL_METADATA, "agent", "agent_id"),
)

#: Tables with a call, agent or text column that hold no copy of personal data, and why.
NOT_COPIES = {
    "raw.stored_objects": "the ledger: proof of what was kept, until when, and its deletion",
    "raw.deletion_receipts": "proof of each deletion (object key, class, basis, time)",
    "raw.retention_state": "the ledger reconciled with the store (rebuilt every run)",
    "raw.erased_calls": "which call ids an erasure removed (ids only, nothing personal left)",
    "raw.erasure_requests": "decisions, with the subject as a keyed pseudonym",
    "raw.legal_holds": "holds keep their subject while they are in force, by law",
    "raw.audit_log": "the audit trail, pruned by its own window (audit.prune)",
    "raw.audit_checkpoints": "where a pruned audit log starts (sequence and hash)",
    "main.fct_tracker_weekly": "counts per team, week and tracker",
    "main.fct_team_key_pains": "counts per team and tracker",
    "main.fct_nps_weekly": "NPS per week and team, campaign or direction",
}

#: Columns that make a table a candidate for COPIES (what the completeness test looks for).
PERSONAL_COLUMNS = {
    "call_id",
    "agent_id",
    "customer_number",
    "metadata_json",
    "word",
    "text",
    "question_text",
    "answer_text",
    "matched_words",
    "source_keys",
}


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'"
        ).fetchall()
    }


def _owner_state(copy: Copy, now: datetime | None, tables: set[str], held: str = "false") -> str:
    """SQL over the table aliased ``t``: one row per row of ``t`` with ``dead`` (no live owner)
    and ``in_time`` (a live owner within its deadline, or ``held``, an SQL condition on the
    call: a legal hold; without ``now`` no deadline is applied)."""
    past = f"deadline <= '{now.astimezone(UTC).isoformat()}'::timestamptz" if now else "false"

    def owners(where: str, key: str) -> str:
        return (
            f"select {key} as k, count(*) as n, count(*) filter (deleted_at is null) as alive, "
            f"bool_or(deleted_at is null and not ({past})) as in_time "
            f"from {LEDGER} where {where} group by {key}"
        )

    if copy.link == "call":
        owned = owners(f"object_class = '{copy.owner}'", "call_id")
        metadata = owners(f"object_class = '{CALL_METADATA}'", "call_id")
        return (
            "select t.rowid as row_id, "
            "case when o.n > 0 then o.alive = 0 else coalesce(m.alive, 0) = 0 end as dead, "
            "case when o.n > 0 then coalesce(o.in_time, false) "
            f"else coalesce(m.in_time, false) end or {held} as in_time "
            f"from {copy.table} t left join ({owned}) o on o.k = t.call_id "
            f"left join ({metadata}) m on m.k = t.call_id"
        )
    if copy.link == "object":
        return (
            f"select t.rowid as row_id, coalesce(o.alive, 0) = 0 as dead, "
            f"coalesce(o.in_time, false) as in_time from {copy.table} t "
            f"left join ({owners('true', 'object_key')}) o on o.k = t.{copy.column}"
        )
    live = (
        f"select distinct agent_id from {RECORDINGS} where agent_id is not null"
        if RECORDINGS in tables
        else "select null::varchar as agent_id where false"
    )
    return (
        f"select t.rowid as row_id, t.{copy.column} is not null "
        f"and t.{copy.column} not in ({live}) as dead, true as in_time from {copy.table} t"
    )


def _anonymised(copy: Copy, expiry: dict[str, str]) -> tuple[str, ...] | None:
    if copy.anonymise is None or expiry.get(copy.owner, "delete") != "anonymise":
        return None
    return copy.anonymise


def _still_personal(copy: Copy, columns: tuple[str, ...] | None) -> str:
    """A dead row still holds personal data unless it was anonymised (columns all null)."""
    if columns is None:
        return "true"
    if not columns:
        return "false"
    return " or ".join(f"t.{c} is not null" for c in columns)


@dataclass(frozen=True)
class PurgeResult:
    deleted: dict[str, int]
    anonymised: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.deleted.values()) + sum(self.anonymised.values())


def purge(
    con: duckdb.DuckDBPyConnection,
    expiry: dict[str, str] | None = None,
    copies: Iterable[Copy] = COPIES,
) -> PurgeResult:
    """Delete (or anonymise) every dead row of every table present, in one transaction.

    Idempotent: a crash before the commit leaves everything as it was, and the next sweep
    finds the same rows dead. Aggregates per agent come last: they die with the agent's last
    live call, which this same purge may remove."""
    expiry = expiry or {}
    tables = existing_tables(con)
    present = sorted((c for c in copies if c.table in tables), key=lambda c: c.link == "agent")
    deleted: dict[str, int] = {}
    anonymised: dict[str, int] = {}
    with transaction(con):
        for copy in present:
            columns = _anonymised(copy, expiry)
            ids = first_column(
                con,
                f"select s.row_id from ({_owner_state(copy, None, tables)}) s "
                f"join {copy.table} t on t.rowid = s.row_id "
                f"where s.dead and ({_still_personal(copy, columns)})",
            )
            if not ids:
                continue
            if columns is None:
                con.execute(f"delete from {copy.table} where list_contains(?, rowid)", [ids])
                deleted[copy.table] = len(ids)
            else:
                nulls = ", ".join(f"{c} = null" for c in columns)
                con.execute(f"update {copy.table} set {nulls} where list_contains(?, rowid)", [ids])
                anonymised[copy.table] = len(ids)
    return PurgeResult(deleted, anonymised)


@dataclass(frozen=True)
class Overdue:
    table: str
    owner: str
    rows: int
    sample: list[str]


def overdue_rows(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    expiry: dict[str, str] | None = None,
    copies: Iterable[Copy] = COPIES,
) -> list[Overdue]:
    """Per table, the rows of personal data past their deadline: dead and not purged, or owned
    by a live entry past its deadline that no legal hold keeps."""
    expiry = expiry or {}
    tables = existing_tables(con)
    # The calls the sweep keeps past their deadlines, by the sweep's own rule.
    held = sorted(held_call_ids(con))
    found = []
    for copy in copies:
        if copy.table not in tables:
            continue
        by_call = copy.link == "call"
        state = _owner_state(
            copy, now, tables, "list_contains(?, t.call_id)" if by_call else "false"
        )
        rows = con.execute(
            f"select t.{copy.column} from ({state}) s "
            f"join {copy.table} t on t.rowid = s.row_id "
            f"where (s.dead or not s.in_time) "
            f"and ({_still_personal(copy, _anonymised(copy, expiry))})",
            [held] if by_call else [],
        ).fetchall()
        if rows:
            sample = sorted({str(r[0]) for r in rows})[:10]
            found.append(Overdue(copy.table, copy.owner, len(rows), sample))
    return found
