"""What the agent-audio worker computes and hands back: one JSON work file per call.

The work is what ``ahead.Ahead`` computes ahead in threads, and nothing else: the CAM++
enrolment of an agent track (``ENROL``), or the isolation decision on a mono mix (``ISOLATE``:
status, confidence, segments, voices, evidence). A work file holds no audio: the step, which
decodes the recording anyway to write the agent's audio, masks it by the segments
(``isolation.with_agent_audio``), so the file is numbers about one customer recording and
no more. Floats are written as JSON's shortest round-trip form, so what the step reads back is
what the worker computed, bit for bit (an embedding in its own dtype).

A file's key is a function of the call alone (``work_key``), so a worker run again overwrites
and never duplicates. The step registers every key in the retention ledger before the worker
starts, with the class, basis, purposes and deadline of the recording it derives from (it
never outlives that recording), and deletes it through the retention engine
(``assets.agent_audio.pipes``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from datetime import date

import numpy as np

from assets.agent_audio import isolation as iso
from assets.agent_audio.ahead import agent_track
from assets.agent_audio.embeddings import shared_encoder
from assets.agent_audio.enrolment import Enrolment, NotEnoughSpeech, enrol
from assets.common.storage import ObjectStore
from assets.recordings.probe import read_audio

WORK_PREFIX = "work/agent_audio/"
WORK_KIND = "agent_audio_work"
ENROL, ISOLATE = "enrol", "isolate"
#: Torch threads of the worker's models (as ``ahead.MODEL_THREADS``).
MODEL_THREADS = 2


def work_key(call_date: date, call_id: str) -> str:
    return f"{WORK_PREFIX}{call_date.isoformat()}/{call_id}.json"


class VoiceprintChanged(RuntimeError):
    """The voiceprint in the store is not the one the step planned with."""


class IsolationRaised(RuntimeError):
    """Isolation raised in the worker; the step handles it as if it raised there."""


@dataclass(frozen=True)
class WorkItem:
    """One call for the worker: what to read, what to compute, where to write the result.
    Only keys, modes and hashes: no audio, no embedding (a voiceprint is read from the store
    and checked against ``voiceprint_sha256``, so no biometric travels in a pod spec)."""

    call_id: str
    call_date: str
    task: str
    source: str
    recording_mode: str
    agent_channel: int | None
    voiceprint_key: str | None
    voiceprint_sha256: str | None
    key: str

    def to_json(self) -> dict:
        return asdict(self)


def voiceprint_of(data: bytes) -> np.ndarray:
    """The embedding of a stored voiceprint document (as ``load_voiceprint`` reads it)."""
    return np.asarray(json.loads(data)["embedding"], dtype=np.float32)


def compute(store: ObjectStore, item: WorkItem, settings: iso.IsolationSettings) -> bytes:
    """The work file of one call. Enrolment lets anything but ``NotEnoughSpeech`` raise (as it
    does in the step); isolation records what raised, which the step turns into the call's
    failure as it does its own."""
    samples, rate = read_audio(store.get_bytes(item.source))
    if item.task == ENROL:
        track = agent_track(samples, asdict(item))
        try:
            enrolment = enrol(track, rate, shared_encoder(MODEL_THREADS))
        except NotEnoughSpeech as exc:
            return _dumps({"task": ENROL, "not_enough_speech": str(exc)})
        return _dumps({"task": ENROL, **enrolment_json(enrolment)})
    voiceprint = None
    if item.voiceprint_key:
        data = store.get_bytes(item.voiceprint_key)
        if hashlib.sha256(data).hexdigest() != item.voiceprint_sha256:
            raise VoiceprintChanged(f"{item.voiceprint_key} changed since the step planned")
        voiceprint = voiceprint_of(data)
    try:
        result = iso.isolate(samples, rate, voiceprint, iso.shared_models(MODEL_THREADS), settings)
    except Exception as exc:  # the step records the call as failed, as it does in process
        return _dumps({"task": ISOLATE, "raised": f"{type(exc).__name__}: {exc}"})
    return _dumps({"task": ISOLATE, **isolation_json(result)})


def enrolment_json(enrolment: Enrolment) -> dict:
    return {
        "embedding": [float(x) for x in enrolment.embedding],
        "dtype": str(enrolment.embedding.dtype),
        "speech_s": float(enrolment.speech_s),
        "windows": int(enrolment.windows),
    }


def isolation_json(result: iso.Isolation) -> dict:
    return {
        "status": result.status,
        "confidence": float(result.confidence),
        "segments": [[s.start, s.end, s.role, s.confidence] for s in result.segments],
        "speakers": int(result.speakers),
        "evidence": result.evidence,
        "reason": result.reason,
    }


def settings_json(settings: iso.IsolationSettings) -> dict:
    return asdict(settings)


def settings_from_json(values: dict) -> iso.IsolationSettings:
    known = {f.name for f in fields(iso.IsolationSettings)}
    return iso.IsolationSettings(**{k: v for k, v in values.items() if k in known})


def read_work(data: bytes) -> Enrolment | iso.Isolation | Exception:
    """A work file's result: an ``Enrolment``, an ``Isolation`` without its audio, or the
    exception the step raises in its place (``NotEnoughSpeech``, ``IsolationRaised``)."""
    got = json.loads(data)
    if got["task"] == ENROL:
        if "not_enough_speech" in got:
            return NotEnoughSpeech(got["not_enough_speech"])
        embedding = np.asarray(got["embedding"], dtype=got["dtype"])
        return Enrolment(embedding, got["speech_s"], got["windows"])
    if "raised" in got:
        return IsolationRaised(got["raised"])
    segments = tuple(iso.Segment(float(a), float(b), r, float(c)) for a, b, r, c in got["segments"])
    return iso.Isolation(
        got["status"],
        got["confidence"],
        segments,
        got["speakers"],
        None,
        got["evidence"],
        got["reason"],
    )


def _dumps(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True).encode()
