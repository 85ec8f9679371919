"""Agents' voiceprints in storage: embeddings only (never audio), with the calls they came from,
registered in the retention ledger under their own class so the sweep deletes them on time.

An agent is enrolled from their own track as stereo and agent-only calls pass (up to
``MAX_SOURCES`` calls), or from an enrolment file. Past its window the voiceprint is deleted and
the next calls enrol the agent again, so no voiceprint lives longer than the policy allows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import polars as pl

from assets.agent_audio.embeddings import EMBEDDING_DIM, MODEL_NAME
from assets.agent_audio.enrolment import Enrolment, combine
from assets.common.secrets import pseudonym
from assets.common.storage import ObjectStore
from assets.common.warehouse import ensure_table, upsert
from assets.retention.deletion import delete_object
from assets.retention.ledger import StoredObject, alive_object, write_through
from assets.retention.policy import RetentionPolicy

VOICEPRINT_CLASS = "voiceprint"
VOICEPRINT_BASIS = "contract"
VOICEPRINTS_TABLE = "raw.voiceprints"
#: Calls an agent is enrolled from; later calls leave the voiceprint as it is.
MAX_SOURCES = 5

VOICEPRINTS_SCHEMA = pl.Schema(
    {
        "agent_id": pl.String,
        "object_key": pl.String,
        "model": pl.String,
        "sources": pl.List(pl.String),  # call ids, or "file:<sha256>" for an enrolment file
        "source_keys": pl.List(pl.String),  # the objects the speech was read from
        "speech_s": pl.Float64,
        "updated_at": pl.Datetime("us", "UTC"),
    }
)


@dataclass(frozen=True)
class Source:
    """Where one enrolment came from: a call's agent track, or an enrolment file."""

    source_id: str
    object_key: str | None
    call_date: date


def voiceprint_key(agent_id: str) -> str:
    """Named by the agent's keyed pseudonym: the ledger keeps the key after the voiceprint is
    deleted, and a plain digest of an employee id is reversed by trying the staff list."""
    return f"voiceprints/{pseudonym('agent', agent_id).split(':', 1)[1]}.json"


def load_voiceprint(
    store: ObjectStore, con: duckdb.DuckDBPyConnection, agent_id: str | None
) -> np.ndarray | None:
    """The agent's current voiceprint, or None (not enrolled, or deleted by retention)."""
    if not agent_id:
        return None
    key = voiceprint_key(agent_id)
    if alive_object(con, key) is None or store.stat(key) is None:
        return None
    return np.asarray(json.loads(store.get_bytes(key))["embedding"], dtype=np.float32)


def needs_enrolment(store: ObjectStore, con: duckdb.DuckDBPyConnection, agent_id: str) -> bool:
    return enrolments_wanted(store, con, agent_id) > 0


def enrolments_wanted(store: ObjectStore, con: duckdb.DuckDBPyConnection, agent_id: str) -> int:
    """How many more calls the agent's voiceprint is enrolled from (none once it has
    ``MAX_SOURCES``)."""
    return max(0, MAX_SOURCES - len(_document(store, con, agent_id)["sources"]))


def add_enrolment(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    agent_id: str,
    enrolment: Enrolment,
    source: Source,
    now: datetime | None = None,
) -> np.ndarray:
    """Fold one enrolment into the agent's voiceprint and store it; returns the voiceprint."""
    now = now or datetime.now(UTC)
    document = _document(store, con, agent_id)
    sources = [s for s in document["sources"] if s["source_id"] != source.source_id]
    sources.append(
        {
            "source_id": source.source_id,
            "object_key": source.object_key,
            "speech_s": enrolment.speech_s,
            "embedding": [round(float(x), 6) for x in enrolment.embedding],
        }
    )
    sources = sources[-MAX_SOURCES:]
    voiceprint = combine(
        [np.asarray(s["embedding"], dtype=np.float32) for s in sources],
        [s["speech_s"] for s in sources],
    )
    document = {
        "agent_id": agent_id,
        "model": MODEL_NAME,
        "dim": EMBEDDING_DIM,
        "embedding": [round(float(x), 6) for x in voiceprint],
        "sources": sources,
        "updated_at": now.isoformat(),
    }
    data = json.dumps(document).encode()
    key = voiceprint_key(agent_id)
    # Registered before it is written and confirmed after, like every stored object; an alive
    # key keeps its first deadline, so updates never stretch the voiceprint's life.
    write_through(
        store,
        con,
        StoredObject(
            object_key=key,
            call_id=None,
            call_date=source.call_date,
            kind="voiceprint",
            object_class=VOICEPRINT_CLASS,
            legal_basis=VOICEPRINT_BASIS,
            purposes=["agent_extraction"],
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            created_at=now,
            deadline=policy.deadline(VOICEPRINT_CLASS, VOICEPRINT_BASIS, now),
        ),
        data,
        content_type="application/json",
    )
    row = {
        "agent_id": agent_id,
        "object_key": key,
        "model": MODEL_NAME,
        "sources": [s["source_id"] for s in sources],
        "source_keys": [s["object_key"] for s in sources if s["object_key"]],
        "speech_s": float(sum(s["speech_s"] for s in sources)),
        "updated_at": now,
    }
    ensure_table(con, VOICEPRINTS_TABLE, VOICEPRINTS_SCHEMA)
    upsert(con, VOICEPRINTS_TABLE, pl.DataFrame([row], schema=VOICEPRINTS_SCHEMA), ["agent_id"])
    return voiceprint


def delete_voiceprint(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    agent_id: str,
    reason: str,
    actor: str = "lydspor",
) -> bool:
    """Delete the agent's voiceprint through the retention engine; False when there is none."""
    key = voiceprint_key(agent_id)
    if alive_object(con, key) is None:
        return False
    delete_object(store, con, key, reason, actor=actor)
    return True


def _document(store: ObjectStore, con: duckdb.DuckDBPyConnection, agent_id: str) -> dict:
    key = voiceprint_key(agent_id)
    if alive_object(con, key) is None or store.stat(key) is None:
        return {"sources": []}
    return json.loads(store.get_bytes(key))
