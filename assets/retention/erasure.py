"""Erasure requests: the controller's decision, recorded and carried out.

``erase`` deletes every stored object of the matching calls (audio, transcripts) through the
retention engine and anonymises their rows: the phone number is dropped (or replaced by a salted
hash when the policy allows it, for de-duplication only), transcript words lose their text but
keep their timings, so talk-time statistics survive; for an agent, the agent id is replaced by a
random token. ``refuse`` records the decision and its reason and changes nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import phonenumbers

from assets.agent_audio.voiceprint_store import delete_voiceprint
from assets.common.storage import ObjectStore
from assets.retention import audit
from assets.retention.deletion import delete_object
from assets.retention.holds import held_call_ids
from assets.transcripts.tables import erase_transcript_text

REQUESTS_TABLE = "raw.erasure_requests"
ERASED_CALLS_TABLE = "raw.erased_calls"
SELECTORS = {"phone", "agent", "call"}
DECISIONS = {"erase", "refuse"}

ERASURE_DDL = f"""
create schema if not exists raw;
create table if not exists {REQUESTS_TABLE} (
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
);
create table if not exists {ERASED_CALLS_TABLE} (
    call_id varchar primary key,
    request_id varchar not null,
    erased_at timestamptz not null
);
"""


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


def ensure_erasure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(ERASURE_DDL)


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
    # The log names the request, never the phone number itself.
    shown = value if selector != "phone" else "phone:" + _digest(normalise_phone(value))[:12]
    audit.append(
        con,
        "erasure_decision",
        actor=decided_by,
        subject=f"{selector}:{shown}",
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
            reason = f"erasure request {outcome.request_id}"
            outcome.objects_deleted += delete_voiceprint(store, con, value, reason, decided_by)
        _anonymise(con, selector, value, outcome.calls_erased, keep_phone_hash)
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


def _erase_call(
    store: ObjectStore, con: duckdb.DuckDBPyConnection, call_id: str, request_id: str, actor: str
) -> int:
    keys = [
        r[0]
        for r in con.execute(
            "select object_key from raw.stored_objects where call_id = ? and deleted_at is null",
            [call_id],
        ).fetchall()
    ]
    for key in keys:
        delete_object(store, con, key, f"erasure request {request_id}", actor=actor)
    con.execute(
        f"insert or replace into {ERASED_CALLS_TABLE} values (?, ?, ?)",
        [call_id, request_id, datetime.now(UTC)],
    )
    return len(keys)


def _anonymise(
    con: duckdb.DuckDBPyConnection,
    selector: str,
    value: str,
    calls: list[str],
    keep_phone_hash: bool,
) -> None:
    if not calls:
        return
    marks = ", ".join("?" for _ in calls)
    if keep_phone_hash:
        salt = os.environ.get("LYDSPOR_PHONE_SALT", "")
        if not salt:
            raise ErasureError("policy keeps a phone hash but LYDSPOR_PHONE_SALT is not set")
        con.execute(
            f"update raw.recordings set customer_number = 'sha256:' || sha256(? || "
            f"coalesce(customer_number, '')) where call_id in ({marks})",
            [salt, *calls],
        )
    else:
        con.execute(
            f"update raw.recordings set customer_number = null where call_id in ({marks})", calls
        )
    # Words and segments keep their timings (statistics) but lose their text.
    erase_transcript_text(con, calls)
    con.execute(f"delete from raw.truth_turns where call_id in ({marks})", calls)
    token = "erased-agent-" + uuid.uuid4().hex[:10] if selector == "agent" else None
    # The dialer record keeps its shape (lineage re-reads it) without the personal fields.
    rows = con.execute(
        f"select call_id, metadata_json, customer_number from raw.recordings "
        f"where call_id in ({marks})",
        calls,
    ).fetchall()
    for call_id, metadata_json, number in rows:
        record = json.loads(metadata_json)
        record["customer_number"] = number
        if token:
            record["agent_id"] = token
        con.execute(
            "update raw.recordings set metadata_json = ?, agent_id = coalesce(?, agent_id) "
            "where call_id = ?",
            [json.dumps(record), token, call_id],
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
