"""Erasure requests: the controller's decision, recorded and carried out.

``erase`` closes every ledger entry of the matching calls through the retention engine (audio,
transcripts, the call's metadata rows entry), then purges every row those entries owned, marts
included (``copies.purge``: deleted, or anonymised where the policy's ``expiry`` says so); for an
agent, their voiceprint goes too. The request and the audit log name the subject by a keyed
pseudonym (``assets/common/secrets.py``), never by a digest anyone could reverse. ``refuse``
records the decision and its reason and changes nothing else. The bytes the purge freed leave the
DuckDB file when the caller compacts it (docs/compliance.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb
import phonenumbers

from assets.agent_audio.voiceprint_store import delete_voiceprint
from assets.common.secrets import pseudonym
from assets.common.storage import ObjectStore
from assets.common.warehouse import execute_ddl, first_column, table_ddl
from assets.retention import audit
from assets.retention.copies import PurgeResult, purge
from assets.retention.deletion import delete_object
from assets.retention.holds import held_call_ids

REQUESTS_TABLE = "raw.erasure_requests"
ERASED_CALLS_TABLE = "raw.erased_calls"
SELECTORS = {"phone", "agent", "call"}
DECISIONS = {"erase", "refuse"}

ERASURE_DDL = table_ddl(
    REQUESTS_TABLE,
    """
    request_id varchar primary key,
    selector varchar not null,
    selector_value varchar not null,
    decision varchar not null,
    reason varchar not null,
    decided_by varchar not null,
    decided_at timestamptz not null,
    calls_matched integer not null,
    calls_erased integer not null,
    calls_held integer not null,
    objects_deleted integer not null,
    completed_at timestamptz
""",
) + table_ddl(
    ERASED_CALLS_TABLE,
    """
    call_id varchar primary key,
    request_id varchar not null,
    erased_at timestamptz not null
""",
)


class ErasureError(ValueError):
    """The request is malformed; nothing was changed."""


@dataclass
class ErasureOutcome:
    request_id: str
    decision: str
    calls_matched: list[str]
    calls_erased: list[str] = field(default_factory=list)
    calls_held: list[str] = field(default_factory=list)
    objects_deleted: int = 0
    call_dates: list[date] = field(default_factory=list)
    purged: PurgeResult | None = None


def ensure_erasure_tables(con: duckdb.DuckDBPyConnection) -> None:
    execute_ddl(con, ERASURE_DDL)


def normalise_phone(number: str, region: str = "NO") -> str:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        raise ErasureError(f"{number!r} is not a phone number: {exc}") from exc
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def matching_calls(con: duckdb.DuckDBPyConnection, selector: str, value: str) -> list[str]:
    if selector == "call":
        rows = con.execute("select call_id from raw.recordings where call_id = ?", [value])
        return [r[0] for r in rows.fetchall()]
    if selector == "agent":
        rows = con.execute("select call_id from raw.recordings where agent_id = ?", [value])
        return sorted(r[0] for r in rows.fetchall())
    wanted = normalise_phone(value)
    rows = con.execute(
        "select call_id, customer_number from raw.recordings where customer_number is not null"
    ).fetchall()
    matches = []
    for call_id, number in rows:
        try:
            if normalise_phone(number) == wanted:
                matches.append(call_id)
        except ErasureError:
            continue
    return sorted(matches)


def execute_request(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    *,
    selector: str,
    value: str,
    decision: str,
    reason: str,
    decided_by: str,
    keep_phone_hash: bool = False,
    expiry: dict[str, str] | None = None,
) -> ErasureOutcome:
    if selector not in SELECTORS:
        raise ErasureError(f"selector must be one of {sorted(SELECTORS)}")
    if decision not in DECISIONS:
        raise ErasureError(f"decision must be 'erase' or 'refuse', not {decision!r}")
    if not reason.strip():
        raise ErasureError("a decision needs a reason")
    ensure_erasure_tables(con)
    calls = matching_calls(con, selector, value)
    outcome = ErasureOutcome(str(uuid.uuid4()), decision, calls)
    decided_at = datetime.now(UTC)
    shown = subject_of(selector, value)
    audit.append(
        con,
        "erasure_decision",
        actor=decided_by,
        subject=shown,
        details={
            "request_id": outcome.request_id,
            "decision": decision,
            "reason": reason,
            "calls": calls,
        },
        at=decided_at,
    )
    if decision == "erase":
        held = held_call_ids(con)
        numbers = _numbers(con, calls) if keep_phone_hash else {}
        outcome.call_dates = _call_dates(con, calls)
        for call_id in calls:
            if call_id in held:
                outcome.calls_held.append(call_id)
                continue
            outcome.objects_deleted += _erase_call(
                store, con, call_id, outcome.request_id, decided_by
            )
            outcome.calls_erased.append(call_id)
        if selector == "agent":
            # The voiceprint belongs to no call: it goes with the agent, held calls or not.
            why = f"erasure request {outcome.request_id}"
            outcome.objects_deleted += delete_voiceprint(store, con, value, why, decided_by)
        outcome.purged = purge(con, expiry)
        _keep_phone_pseudonyms(con, numbers, outcome.calls_erased)
    con.execute(
        f"insert into {REQUESTS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            outcome.request_id,
            selector,
            shown,
            decision,
            reason,
            decided_by,
            decided_at,
            len(calls),
            len(outcome.calls_erased),
            len(outcome.calls_held),
            outcome.objects_deleted,
            datetime.now(UTC),
        ],
    )
    return outcome


def subject_of(selector: str, value: str) -> str:
    """How a request names its subject: a call by its id (nothing personal once erased), a
    phone number or an agent by a keyed pseudonym."""
    if selector == "call":
        return f"call:{value}"
    return pseudonym(selector, normalise_phone(value) if selector == "phone" else value)


def _call_dates(con: duckdb.DuckDBPyConnection, calls: list[str]) -> list[date]:
    return first_column(
        con,
        "select distinct call_date from raw.recordings where list_contains(?, call_id) "
        "order by call_date",
        [calls],
    )


def _numbers(con: duckdb.DuckDBPyConnection, calls: list[str]) -> dict[str, str]:
    rows = con.execute(
        "select call_id, customer_number from raw.recordings where list_contains(?, call_id) "
        "and customer_number is not null",
        [calls],
    ).fetchall()
    return dict(rows)


def _keep_phone_pseudonyms(
    con: duckdb.DuckDBPyConnection, numbers: dict[str, str], erased: list[str]
) -> None:
    """Where the policy keeps one and the call's row survives (expiry ``anonymise``): the
    number's keyed pseudonym, for de-duplication only."""
    for call_id in erased:
        if call_id in numbers:
            con.execute(
                "update raw.recordings set customer_number = ? where call_id = ?",
                [pseudonym("phone", normalise_phone(numbers[call_id])), call_id],
            )


def _erase_call(
    store: ObjectStore, con: duckdb.DuckDBPyConnection, call_id: str, request_id: str, actor: str
) -> int:
    keys = first_column(
        con,
        "select object_key from raw.stored_objects where call_id = ? and deleted_at is null",
        [call_id],
    )
    for key in keys:
        delete_object(store, con, key, f"erasure request {request_id}", actor=actor)
    con.execute(
        f"merge into {ERASED_CALLS_TABLE} as erased "
        "using (select ? as call_id, ? as request_id, ? as erased_at) as new "
        "on erased.call_id = new.call_id "
        "when matched then update set request_id = new.request_id, erased_at = new.erased_at "
        "when not matched then insert values (new.call_id, new.request_id, new.erased_at)",
        [call_id, request_id, datetime.now(UTC)],
    )
    return len(keys)
