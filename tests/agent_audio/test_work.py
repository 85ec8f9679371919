"""A work file gives back, bit for bit, what the worker computed, and the step masks the audio
from it exactly as isolation does; a stale or changed voiceprint is never used."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assets.agent_audio import isolation as iso
from assets.agent_audio.enrolment import Enrolment, NotEnoughSpeech
from assets.agent_audio.pipes import PipesWork
from assets.agent_audio.work import (
    ISOLATE,
    IsolationRaised,
    VoiceprintChanged,
    WorkItem,
    compute,
    enrolment_json,
    isolation_json,
    read_work,
    settings_from_json,
    settings_json,
)
from assets.recordings.samples.mono_calls import mono_case, render_mono_call
from tests.support.calls import wav


def _dump(document: dict) -> bytes:
    return json.dumps(document).encode()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_enrolment_comes_back_exactly(dtype):
    rng = np.random.default_rng(3)
    embedding = rng.normal(size=192).astype(dtype)
    enrolment = Enrolment(embedding / np.linalg.norm(embedding), 12.345678901, 9)
    back = read_work(_dump({"task": "enrol", **enrolment_json(enrolment)}))
    assert back.embedding.dtype == enrolment.embedding.dtype
    assert np.array_equal(back.embedding, enrolment.embedding)
    assert (back.speech_s, back.windows) == (enrolment.speech_s, enrolment.windows)
    too_short = read_work(_dump({"task": "enrol", "not_enough_speech": "1.0 s of speech"}))
    assert isinstance(too_short, NotEnoughSpeech)


def test_an_isolation_comes_back_exactly_and_the_step_masks_the_same_audio():
    rng = np.random.default_rng(4)
    rate, samples = 8000, rng.normal(size=8000 * 6).astype(np.float32)
    starts = np.sort(rng.uniform(0, 5.5, size=6))
    segments = tuple(
        iso.Segment(float(a), float(a + rng.uniform(0.05, 0.4)), role, float(rng.uniform()))
        for a, role in zip(starts, [iso.AGENT, iso.OTHER] * 3, strict=True)
    )
    agent = [s for s in segments if s.role == iso.AGENT]
    computed = iso.Isolation(
        iso.ISOLATED,
        float(rng.uniform()),
        segments,
        2,
        iso._mask(samples, rate, agent),
        {"voices": 2.0, "kept_s": 1.2345},
        "",
    )
    back = read_work(_dump({"task": ISOLATE, **isolation_json(computed)}))
    assert back.agent_audio is None  # no audio in a work file
    masked = iso.with_agent_audio(back, samples, rate)
    assert np.array_equal(masked.agent_audio, computed.agent_audio)
    assert (masked.status, masked.confidence, masked.segments, masked.evidence) == (
        computed.status,
        computed.confidence,
        computed.segments,
        computed.evidence,
    )
    review = iso.Isolation(iso.REVIEW, 0.4, segments, 2, None, {}, iso.LOW_CONFIDENCE)
    assert iso.with_agent_audio(review, samples, rate).agent_audio is None
    raised = read_work(_dump({"task": ISOLATE, "raised": "ValueError: bad"}))
    assert isinstance(raised, IsolationRaised)


def test_settings_travel_whole():
    settings = iso.IsolationSettings(min_confidence=0.77, guard_s=0.31)
    assert settings_from_json(json.loads(json.dumps(settings_json(settings)))) == settings


def test_the_worker_refuses_a_voiceprint_changed_since_the_step_planned(local_store):
    call = render_mono_call(mono_case("work", "f2", ["m3"], turns=2))
    local_store.put_bytes("raw/x.wav", wav(call.samples, call.rate))
    local_store.put_bytes("voiceprints/v.json", _dump({"embedding": [0.0] * 192}))
    item = WorkItem("x", "2026-11-02", ISOLATE, "raw/x.wav", "mono", None, "voiceprints/v.json",
                    "0" * 64, "work/agent_audio/2026-11-02/x.json")  # fmt: skip
    with pytest.raises(VoiceprintChanged):
        compute(local_store, item, iso.IsolationSettings())


def test_a_result_is_used_only_for_the_voiceprint_and_settings_it_was_computed_with(local_store):
    call = render_mono_call(mono_case("work2", "f2", ["m3"], turns=2))
    settings = iso.IsolationSettings()
    planned = np.ones(192, np.float32) / np.sqrt(192)
    work = PipesWork(None, None, local_store, None, "subprocess")
    work._settings = settings
    work._voiceprints["raw/x.wav"] = planned
    sentinel = iso.Isolation(iso.REVIEW, 0.5, (), 2, None, {}, iso.LOW_CONFIDENCE)
    work._results["raw/x.wav"] = sentinel
    same = work.isolation("raw/x.wav", call.samples, call.rate, planned.copy(), settings)
    assert same is sentinel
    # The agent enrolled again since (no voiceprint now), or other settings: computed in place.
    other = work.isolation("raw/x.wav", call.samples, call.rate, None, settings)
    assert other is not sentinel and other.status == iso.NO_VOICEPRINT
    stricter = iso.IsolationSettings(min_confidence=0.99)
    assert work.isolation("raw/x.wav", call.samples, call.rate, planned, stricter) is not sentinel
