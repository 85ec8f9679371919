"""Keep the agent's voice, and only that: channel split, passthrough, or isolation of the agent
from a mono mix by their voiceprint. Agent tracks enrol the agent's voiceprint as they pass."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from assets.agent_audio import isolation as iso
from assets.agent_audio.ahead import Inline, agent_track
from assets.agent_audio.enrolment import NotEnoughSpeech
from assets.agent_audio.segments import record_isolation
from assets.agent_audio.voiceprint_store import (
    Source,
    add_enrolment,
    load_voiceprint,
    needs_enrolment,
)
from assets.common.storage import ObjectStore
from assets.common.warehouse import CALL_KEY
from assets.consent.basis import CONSENT
from assets.recordings.probe import encode_wav, read_audio
from assets.retention.deletion import delete_object
from assets.retention.holds import record_hold_conflicts
from assets.retention.ledger import CUSTOMER_AUDIO, StoredObject, alive_object, write_through
from assets.retention.policy import RetentionPolicy

AGENT_AUDIO_TABLE = "raw.agent_audio"

EXTRACTED = "extracted"  # stereo: the agent's channel written on its own
PASSTHROUGH = "passthrough"  # agent-only: the recording already is agent audio
NEEDS_ISOLATION = "needs_isolation"  # mono, from before isolation existed
RAW_MISSING = "raw_missing"
#: Outcomes that stand on a rerun; the mono ones come from assets.agent_audio.isolation.
FINAL_STATUSES = (EXTRACTED, PASSTHROUGH, NEEDS_ISOLATION, iso.ISOLATED, iso.REVIEW, iso.NO_SPEECH)
#: Outcomes tried again while the recording is still there (kept with consent).
RETRY_STATUSES = (iso.NO_VOICEPRINT, iso.FAILED)

AGENT_AUDIO_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "status": pl.String,
        "agent_key": pl.String,
        "source_key": pl.String,
        "duration_s": pl.Float64,
        "customer_audio_deleted": pl.Boolean,
        "processed_at": pl.Datetime("us", "UTC"),
    }
)


@dataclass(frozen=True)
class AgentAudioResult:
    call_id: str
    status: str
    agent_key: str | None
    duration_s: float
    customer_audio_deleted: bool
    #: What else happened (enrolment, isolation confidence, an error), for the run's log.
    note: str | None = None
    #: The legal holds that kept the customer's voice this step would have deleted.
    hold_conflict: tuple[str, ...] = ()

    def as_row(self, call_date, processed_at: datetime, source_key: str) -> dict:
        return {
            "call_id": self.call_id,
            "call_date": call_date,
            "status": self.status,
            "agent_key": self.agent_key,
            "source_key": source_key,
            "duration_s": self.duration_s,
            "customer_audio_deleted": self.customer_audio_deleted,
            "processed_at": processed_at,
        }


def agent_key_for(call_date, call_id: str) -> str:
    return f"agent/{call_date.isoformat()}/{call_id}/agent.wav"


def process_recording(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    recording: dict,
    now: datetime | None = None,
    settings: iso.IsolationSettings | None = None,
    work: Inline | None = None,
) -> AgentAudioResult:
    """Write the agent's audio for one catalogued recording, then delete the customer's voice
    unless valid consent allows keeping it. Process a day's agent tracks before its mono calls,
    so the agents they enrol are known when the mono calls are isolated. ``work``: where the
    decoding and the models' work come from (``ahead.Ahead``: computed ahead in threads);
    by default computed here."""
    now = now or datetime.now(UTC)
    work = work or Inline()
    call_id, mode, raw_key = (
        recording["call_id"],
        recording["recording_mode"],
        recording["object_key"],
    )
    raw = alive_object(con, raw_key)
    previous = con.execute(
        f"select status, agent_key, duration_s from {AGENT_AUDIO_TABLE} where call_id = ?",
        [call_id],
    ).fetchone()

    note = None
    if previous and (
        previous[0] in FINAL_STATUSES or (previous[0] in RETRY_STATUSES and raw is None)
    ):
        status, agent_key, duration = previous
    elif mode == "stereo" and (written := _written_earlier(store, con, recording)):
        # An earlier run wrote the agent's channel and stopped before recording it here (perhaps
        # after deleting the customer's voice): use what it wrote.
        status, (agent_key, duration) = EXTRACTED, written
    elif raw is None:
        status, agent_key, duration = RAW_MISSING, None, 0.0
    elif mode == "stereo":
        samples, rate = work.audio(store, raw_key)
        agent = agent_track(samples, recording)
        agent_key = agent_key_for(recording["call_date"], call_id)
        data = encode_wav(agent, rate)
        _store_agent_audio(
            store, con, policy, agent_key, call_id, recording["call_date"], data, now
        )
        status, duration = EXTRACTED, len(agent) / rate
        note = _enrol_agent(store, con, policy, recording, agent, rate, agent_key, now, work)
    elif mode == "agent_only":
        status, agent_key, duration = PASSTHROUGH, raw_key, float(recording["duration_s"])
        samples, rate = work.audio(store, raw_key)
        note = _enrol_agent(store, con, policy, recording, samples, rate, raw_key, now, work)
    else:
        try:
            status, agent_key, duration, note = _isolate_mono(
                store, con, policy, recording, now, settings, work
            )
        except Exception as exc:  # the customer's voice must still go, whatever failed
            status, agent_key, duration = iso.FAILED, None, float(recording["duration_s"])
            note = f"isolation failed: {type(exc).__name__}: {exc}"

    deleted, held = _delete_customer_voice(store, con, raw, status, now)
    if held:
        note = "; ".join(filter(None, [note, f"customer audio kept under legal hold {held}"]))
    return AgentAudioResult(call_id, status, agent_key, duration, deleted, note, held)


def _store_agent_audio(store, con, policy, key, call_id, call_date, data: bytes, now) -> None:
    """Write the agent's audio, registered first and confirmed after, so the ledger knows every
    agent object there is (on the employment contract, for the agent track's purposes)."""
    write_through(
        store,
        con,
        StoredObject(
            object_key=key,
            call_id=call_id,
            call_date=call_date,
            kind="agent_audio",
            object_class="agent_audio",
            legal_basis="contract",
            purposes=policy.default_purposes,
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            created_at=now,
            deadline=policy.deadline("agent_audio", "contract", now),
        ),
        data,
        content_type="audio/wav",
    )


def _enrol_agent(
    store, con, policy, recording, samples, rate, source_key, now, work: Inline
) -> str | None:
    """Add this call's agent track to the agent's voiceprint, while it has too few calls."""
    agent_id = recording.get("agent_id")
    if not agent_id or not needs_enrolment(store, con, agent_id):
        return None
    try:
        enrolment = work.enrolment(recording["object_key"], samples, rate)
    except NotEnoughSpeech as exc:
        return f"not enrolled: {exc}"
    source = Source(recording["call_id"], source_key, recording["call_date"])
    add_enrolment(store, con, policy, agent_id, enrolment, source, now)
    return f"voiceprint of {agent_id} enrolled from {enrolment.speech_s:.0f} s of speech"


def _isolate_mono(store, con, policy, recording, now, settings, work: Inline):
    """Isolate the agent in a mono mix; write their audio (others silent) and the segments."""
    call_id, call_date, key = recording["call_id"], recording["call_date"], recording["object_key"]
    samples, rate = work.audio(store, key)
    voiceprint = load_voiceprint(store, con, recording.get("agent_id"))
    result = work.isolation(key, samples, rate, voiceprint, settings)
    agent_key = None
    if result.agent_audio is not None:
        agent_key = agent_key_for(call_date, call_id)
        data = encode_wav(result.agent_audio, rate)
        _store_agent_audio(store, con, policy, agent_key, call_id, call_date, data, now)
    record_isolation(con, call_id, call_date, result, now)
    kept = (
        f"{result.agent_seconds:.0f} s of agent speech kept"
        if result.status == iso.ISOLATED
        else "nothing kept"
    )
    note = f"{result.speakers} voice(s), confidence {result.confidence:.2f}, {kept}"
    return result.status, agent_key, len(samples) / rate, note


def _written_earlier(
    store: ObjectStore, con: duckdb.DuckDBPyConnection, recording: dict
) -> tuple[str, float] | None:
    """The agent object and its duration, when it is alive in the ledger and in the store with
    the content the ledger recorded."""
    agent_key = agent_key_for(recording["call_date"], recording["call_id"])
    known = alive_object(con, agent_key)
    if known is None or store.stat(agent_key) is None:
        return None
    data = store.get_bytes(agent_key)
    if hashlib.sha256(data).hexdigest() != known["sha256"]:
        return None
    samples, rate = read_audio(data)
    return agent_key, len(samples) / rate


def _delete_customer_voice(
    store: ObjectStore, con: duckdb.DuckDBPyConnection, raw: dict | None, status: str, now: datetime
) -> tuple[bool, tuple[str, ...]]:
    """Whether the customer's voice is gone, and the holds that kept it when one did."""
    if raw is None or raw["object_class"] != CUSTOMER_AUDIO or raw["legal_basis"] == CONSENT:
        return raw is None, ()
    held = record_hold_conflicts(
        con, [raw], actor="agent_audio", now=now, wanted="deletion after agent extraction"
    )
    if held:
        # A hold outranks the short window: the sweep deletes it once the hold is released.
        return False, tuple(held[0]["holds"])
    if status == EXTRACTED:
        reason = "customer voice deleted once the agent's channel was written"
    elif status in (iso.ISOLATED, iso.REVIEW):
        reason = "mono recording: customer voice deleted once the agent's speech was isolated"
    else:
        # Mixed audio cannot be split yet; keeping it "just in case" is not allowed.
        reason = "mono recording without a basis to keep the customer's voice: deleted at once"
    delete_object(store, con, raw["object_key"], reason, now=now)
    return True, ()
