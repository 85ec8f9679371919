"""Reading one call's transcript or audio: scope-checked, and every read (or refusal) audited."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from assets.access.authorise import Action, may
from assets.access.policy import AccessDenied, AccessPolicy, Principal, Role
from assets.common.warehouse import first_column
from assets.retention import audit

TRANSCRIPT_SCHEMA = pl.Schema(
    {
        "track": pl.String,
        "word_index": pl.Int64,
        "word": pl.String,
        "start_s": pl.Float64,
        "end_s": pl.Float64,
    }
)
#: Audio object classes a read can return, by track.
AUDIO_CLASSES = {"agent": "agent_audio", "customer": "customer_audio"}


@dataclass(frozen=True)
class AudioRead:
    call_id: str
    track: str
    object_key: str
    data: bytes


def _call_scope(con: duckdb.DuckDBPyConnection, call_id: str) -> tuple[str, str]:
    row = con.execute(
        "select team, agent_id from raw.recordings where call_id = ?", [call_id]
    ).fetchone()
    if row is None:
        raise LookupError(f"unknown call {call_id!r}")
    return row[0], row[1]


def _shared_with_team(
    con: duckdb.DuckDBPyConnection, policy: AccessPolicy, call_id: str, team: str
) -> bool:
    """True when the call is in a mart the policy shares with the agent's whole team."""
    marts = set(
        first_column(
            con, "select table_name from information_schema.tables where table_schema = 'main'"
        )
    )
    for mart in policy.agent_team_marts:
        if mart not in marts:
            continue
        hit = con.execute(
            f'select 1 from main."{mart}" where call_id = ? and team = ? limit 1', [call_id, team]
        ).fetchone()
        if hit:
            return True
    return False


def may_read_call(
    con: duckdb.DuckDBPyConnection, principal: Principal, policy: AccessPolicy, call_id: str
) -> bool:
    team, agent_id = _call_scope(con, call_id)
    if not may(principal, Action.READ_CALL, team=team):
        return False
    if principal.role is not Role.AGENT:
        return True
    return agent_id == principal.agent_id or _shared_with_team(con, policy, call_id, team)


def _authorise(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    policy: AccessPolicy,
    call_id: str,
    subject: str,
    actor: str | None,
) -> None:
    if may_read_call(con, principal, policy, call_id):
        return
    audit.append(
        con,
        "read_denied",
        actor=actor or principal.user,
        call_id=call_id,
        subject=subject,
        details={"role": str(principal.role)},
    )
    raise AccessDenied(f"{principal.user} ({principal.role}) may not read call {call_id}")


def read_transcript(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    policy: AccessPolicy,
    call_id: str,
    actor: str | None = None,
) -> pl.DataFrame:
    """The call's transcript words as stored in the catalogue, after a scope check and audit;
    ``actor`` is the name audited (default: the principal's; "<owner> acting as <user>")."""
    _authorise(con, principal, policy, call_id, "transcript", actor)
    words = con.execute(
        "select track, word_index, word, start_s, end_s from raw.transcript_words "
        "where call_id = ? order by track, word_index",
        [call_id],
    ).pl()
    words = pl.DataFrame(words, schema=TRANSCRIPT_SCHEMA)
    audit.append(
        con,
        "read",
        actor=actor or principal.user,
        call_id=call_id,
        subject="transcript",
        details={
            "role": str(principal.role),
            "words": words.height,
            "tracks": sorted(set(words["track"].to_list())),
        },
    )
    return words


def read_audio(
    con: duckdb.DuckDBPyConnection,
    store,
    principal: Principal,
    policy: AccessPolicy,
    call_id: str,
    track: str = "agent",
    actor: str | None = None,
) -> AudioRead:
    """The call's live audio object for ``track``, after a scope check and audit (``actor``
    as in ``read_transcript``)."""
    if track not in AUDIO_CLASSES:
        raise ValueError(f"track must be one of {', '.join(AUDIO_CLASSES)}")
    _authorise(con, principal, policy, call_id, f"{track}_audio", actor)
    row = con.execute(
        "select object_key from raw.stored_objects where call_id = ? and object_class = ? "
        "and deleted_at is null order by created_at desc limit 1",
        [call_id, AUDIO_CLASSES[track]],
    ).fetchone()
    if row is None:
        raise LookupError(f"call {call_id} has no stored {track} audio (deleted or never kept)")
    data = store.get_bytes(row[0])
    audit.append(
        con,
        "read",
        actor=actor or principal.user,
        call_id=call_id,
        subject=f"{track}_audio",
        details={"role": str(principal.role), "object_key": row[0], "bytes": len(data)},
    )
    return AudioRead(call_id, track, row[0], data)
