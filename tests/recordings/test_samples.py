"""The sample-call generator: layout, metadata, audio modes, coverage, determinism, voices."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
from collections import Counter
from datetime import date, time
from pathlib import Path

import numpy as np
import phonenumbers
import pytest
import soundfile as sf

from assets.common.settings import CALL_TIMEZONE
from assets.recordings.dialers import (
    SUPPORTED_DIALERS,
    parse_manifest,
    parse_metadata,
    split_metadata_name,
)
from assets.recordings.metadata import (
    CallMetadata,
    ConsentMechanism,
    Direction,
    RecordingMode,
    TruthTurn,
)
from assets.recordings.samples import SampleCall, generate_sample_calls
from assets.recordings.samples.audio import resample
from assets.recordings.samples.generator import AGENTS
from assets.recordings.samples.scripts import SCRIPTS, scripts_for
from assets.recordings.samples.tts import NATIVE_RATE, VoiceSpec, synthesize

RATE = 16_000
MAX_TOTAL_BYTES = 15_000_000


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("samples")


@pytest.fixture(scope="module")
def calls(sample_dir: Path) -> list[SampleCall]:
    return generate_sample_calls(sample_dir)


def _meta(call: SampleCall) -> CallMetadata:
    return call.metadata


def _truth(call: SampleCall) -> list[TruthTurn]:
    raw = json.loads(call.truth_path.read_text(encoding="utf-8"))
    return [TruthTurn.model_validate(turn) for turn in raw]


def _audio(call: SampleCall) -> np.ndarray:
    samples, rate = sf.read(call.audio_path, dtype="float32", always_2d=True)
    assert rate == RATE
    return samples


def _span(samples: np.ndarray, turn: TruthTurn) -> np.ndarray:
    return samples[int(turn.start * RATE) : int(turn.end * RATE)]


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def _speaker_tracks(call: SampleCall) -> dict[str, np.ndarray]:
    """Each speaker's audio, cut from their own channel where there is one."""
    meta, samples = _meta(call), _audio(call)
    out: dict[str, np.ndarray] = {}
    for speaker in ("agent", "customer"):
        if meta.recording_mode is RecordingMode.STEREO:
            ch = meta.agent_channel if speaker == "agent" else 1 - (meta.agent_channel or 0)
        elif meta.recording_mode is RecordingMode.AGENT_ONLY and speaker == "customer":
            continue
        else:
            ch = 0
        turns = [t for t in _truth(call) if t.speaker == speaker]
        out[speaker] = np.concatenate([_span(samples[:, ch], t) for t in turns])
    return out


def _median_f0(samples: np.ndarray) -> float:
    """Median pitch of voiced 40 ms frames by autocorrelation; crude but enough to tell voices."""
    frame, hop = 640, 160
    lo, hi = RATE // 400, RATE // 60
    window = np.hanning(frame)
    pitches = []
    for start in range(0, samples.size - frame, hop):
        chunk = samples[start : start + frame] * window
        if _rms(chunk) < 0.02:
            continue
        ac = np.correlate(chunk, chunk, "full")[frame - 1 :]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5 * ac[0]:
            pitches.append(RATE / lag)
    assert len(pitches) > 50, "too few voiced frames to estimate pitch"
    return float(np.median(pitches))


def _digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# -- layout and metadata ------------------------------------------------------------------------


def test_writes_three_files_per_call_in_dated_folders(calls: list[SampleCall], sample_dir: Path):
    assert len(calls) == 12
    assert len({c.call_id for c in calls}) == 12
    metadata_names = {
        "canonical": "{id}.json",
        "manifest": "manifest.csv",
        **{dialer: f"{{id}}.{dialer}.json" for dialer in SUPPORTED_DIALERS},
    }
    for call in calls:
        folder = sample_dir / call.call_date.isoformat()
        assert call.audio_path == folder / f"{call.call_id}.wav"
        name = metadata_names[call.metadata_format].format(id=call.call_id)
        assert call.metadata_path == folder / name
        assert call.truth_path == folder / f"{call.call_id}.truth.json"
        for path in (call.audio_path, call.metadata_path, call.truth_path):
            assert path.is_file()
    # The manifest call has no sidecar: its record is a row of the day's manifest.csv.
    assert len(list(sample_dir.rglob("*.*"))) == 36


def test_every_metadata_format_lands_once_and_reads_back_as_the_call(
    calls: list[SampleCall], policy
):
    formats = Counter(call.metadata_format for call in calls)
    assert formats == {"canonical": 6, "manifest": 1, **dict.fromkeys(SUPPORTED_DIALERS, 1)}
    for call in calls:
        data = call.metadata_path.read_bytes()
        if call.metadata_format == "manifest":
            entries = dict(
                parse_manifest(call.metadata_path.name, data, policy.dialer_defaults("generic"))
            )
            back = entries[call.audio_path.name]
        else:
            dialer = split_metadata_name(call.metadata_path.name)[1]
            back = parse_metadata(call.metadata_path.name, data, policy.dialer_defaults(dialer))
        # The record the canonical format would hold: what every format must come back as.
        canonical = CallMetadata.model_validate_json(call.metadata.model_dump_json())
        assert back == canonical, call.metadata_format
        expected = (
            "generic" if call.metadata_format in ("canonical", "manifest") else call.metadata_format
        )
        assert back.dialer == expected


def test_metadata_validates_and_matches_the_call(calls: list[SampleCall]):
    roster = {a.agent_id: a.team for a in AGENTS}
    for call in calls:
        meta = _meta(call)
        assert meta.call_id == call.call_id
        assert meta.call_id == f"call-{call.call_date:%Y%m%d}-{meta.call_id[-3:]}"
        assert meta.call_date == call.call_date
        assert meta.started_at.utcoffset() == meta.started_at.astimezone(CALL_TIMEZONE).utcoffset()
        local = meta.started_at.astimezone(CALL_TIMEZONE).time()
        assert time(8, 0) <= local <= time(16, 0)
        assert meta.ended_at.timestamp() - meta.started_at.timestamp() == pytest.approx(
            call.duration_s, abs=0.002
        )
        assert roster[meta.agent_id] == meta.team
        assert meta.campaign
        assert meta.language == call.language
        assert meta.direction is call.direction
        assert meta.recording_mode is call.recording_mode
        assert meta.outcome in {"sale", "no_sale", "callback", "resolved", "unresolved"}
        region = "GB" if meta.language == "en" else "NO"
        number = phonenumbers.parse(meta.customer_number or "")
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.region_code_for_number(number) == region
        if meta.direction is Direction.OUTBOUND:
            assert meta.lia_reference == "LIA-2026-01"
            assert meta.consent is None
            assert meta.outcome in {"sale", "no_sale", "callback"}
        else:
            assert meta.lia_reference is None
            assert meta.consent is not None
            assert meta.outcome in {"resolved", "unresolved"}


def test_keypress_consent_comes_just_before_the_call(calls: list[SampleCall]):
    for meta in map(_meta, calls):
        consent = meta.consent
        if consent is None or consent.mechanism is not ConsentMechanism.KEYPRESS:
            continue
        assert consent.at is not None
        assert 0 < (meta.started_at - consent.at).total_seconds() <= 30
        assert consent.prompt_version == "ivr-consent-v3"
        if consent.given:
            assert consent.purposes == ["quality_assurance", "training"]


def test_some_calls_have_nps_and_some_do_not(calls: list[SampleCall]):
    scores = [_meta(c).nps for c in calls]
    assert any(s is None for s in scores)
    assert any(s is not None for s in scores)


def test_dates_span_two_days_and_match_folders(calls: list[SampleCall]):
    days = {c.call_date for c in calls}
    assert days == {date(2026, 11, 2), date(2026, 11, 3)}
    for call in calls:
        assert call.audio_path.parent.name == _meta(call).call_date.isoformat()


def test_each_agent_keeps_one_voice_and_calls_do_not_overlap(calls: list[SampleCall]):
    by_agent: dict[str, list[CallMetadata]] = {}
    for meta in map(_meta, calls):
        by_agent.setdefault(meta.agent_id, []).append(meta)
    assert set(by_agent) == {a.agent_id for a in AGENTS}
    for metas in by_agent.values():
        metas.sort(key=lambda m: m.started_at)
        for earlier, later in itertools.pairwise(metas):
            assert earlier.ended_at <= later.started_at


# -- coverage -----------------------------------------------------------------------------------


def _case(meta: CallMetadata) -> tuple[str, str, str]:
    consent = "n/a"
    if meta.consent is not None:
        consent = "consent" if meta.consent.given else "no_consent"
    return meta.direction.value, meta.recording_mode.value, consent


def test_covers_the_required_combinations(calls: list[SampleCall]):
    metas = [_meta(c) for c in calls]
    cases = Counter(_case(m) for m in metas)
    assert cases["outbound", "stereo", "n/a"] >= 2
    assert cases["outbound", "agent_only", "n/a"] >= 1
    assert cases["outbound", "mono", "n/a"] >= 1
    assert cases["inbound", "stereo", "consent"] >= 2
    assert cases["inbound", "stereo", "no_consent"] >= 1
    assert sum(n for (d, mode, _), n in cases.items() if (d, mode) == ("inbound", "agent_only"))
    mechanisms = {(m.consent.mechanism, m.consent.given) for m in metas if m.consent}
    assert (ConsentMechanism.KEYPRESS, True) in mechanisms
    assert {(ConsentMechanism.KEYPRESS, False), (ConsentMechanism.NONE, False)} & mechanisms
    assert {(m.direction, m.language) for m in metas} == {
        (d, lang) for d in Direction for lang in ("en", "nb")
    }
    stereo = [m for m in metas if m.recording_mode is RecordingMode.STEREO]
    assert {m.agent_channel for m in stereo} == {0, 1}


def test_each_day_has_a_mix(calls: list[SampleCall]):
    for day in {c.call_date for c in calls}:
        metas = [_meta(c) for c in calls if c.call_date == day]
        assert {m.direction for m in metas} == set(Direction)
        assert len({m.recording_mode for m in metas}) == 3
        assert {m.language for m in metas} == {"en", "nb"}


# -- audio --------------------------------------------------------------------------------------


def test_audio_format_channels_and_duration(calls: list[SampleCall]):
    for call in calls:
        info = sf.info(call.audio_path)
        assert (info.format, info.subtype, info.samplerate) == ("WAV", "PCM_16", RATE)
        expected = 2 if call.recording_mode is RecordingMode.STEREO else 1
        assert info.channels == expected
        assert info.frames / RATE == pytest.approx(call.duration_s, abs=0.001)
        assert 20 <= call.duration_s <= 60


def test_total_size_is_at_most_15_mb(calls: list[SampleCall], sample_dir: Path):
    total = sum(p.stat().st_size for p in sample_dir.rglob("*") if p.is_file())
    assert total <= MAX_TOTAL_BYTES


def test_truth_turns_alternate_and_fit_the_timeline(calls: list[SampleCall]):
    for call in calls:
        turns = _truth(call)
        assert 6 <= len(turns) <= 10
        assert [t.speaker for t in turns] == ["agent", "customer"] * (len(turns) // 2) + [
            "agent"
        ] * (len(turns) % 2)
        assert turns[0].start == pytest.approx(0.5, abs=0.02)
        assert turns[-1].end < call.duration_s
        for turn in turns:
            assert turn.end > turn.start
            assert turn.text.strip() and "{" not in turn.text
        for turn, following in itertools.pairwise(turns):
            assert 0.29 <= following.start - turn.end <= 0.81


def test_stereo_agent_channel_holds_the_agent(calls: list[SampleCall]):
    stereo = [c for c in calls if c.recording_mode is RecordingMode.STEREO]
    assert stereo
    for call in stereo:
        meta, samples = _meta(call), _audio(call)
        agent_ch = meta.agent_channel
        assert agent_ch is not None
        for turn in _truth(call):
            span = _span(samples, turn)
            speaking = agent_ch if turn.speaker == "agent" else 1 - agent_ch
            assert _rms(span[:, speaking]) > 0.03, (call.call_id, turn)
            assert _rms(span[:, 1 - speaking]) < 0.003, (call.call_id, turn)


def test_agent_only_is_silent_while_the_customer_speaks(calls: list[SampleCall]):
    for call in (c for c in calls if c.recording_mode is RecordingMode.AGENT_ONLY):
        samples = _audio(call)[:, 0]
        for turn in _truth(call):
            level = _rms(_span(samples, turn))
            assert level > 0.03 if turn.speaker == "agent" else level < 0.003


def test_mono_mixes_both_voices(calls: list[SampleCall]):
    for call in (c for c in calls if c.recording_mode is RecordingMode.MONO):
        samples = _audio(call)[:, 0]
        for turn in _truth(call):
            assert _rms(_span(samples, turn)) > 0.03


def test_agent_and_customer_voices_differ(calls: list[SampleCall]):
    for call in calls:
        tracks = _speaker_tracks(call)
        if "customer" not in tracks:
            continue
        agent, customer = _median_f0(tracks["agent"]), _median_f0(tracks["customer"])
        assert max(agent, customer) / min(agent, customer) > 1.5, (call.call_id, agent, customer)


def test_an_agent_sounds_the_same_on_every_call(calls: list[SampleCall]):
    pitches: dict[str, list[float]] = {}
    for call in calls:
        pitches.setdefault(_meta(call).agent_id, []).append(
            _median_f0(_speaker_tracks(call)["agent"])
        )
    for agent_id, values in pitches.items():
        assert max(values) / min(values) < 1.15, (agent_id, values)


# -- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(calls: list[SampleCall], sample_dir: Path, tmp_path):
    generate_sample_calls(tmp_path / "again")
    assert _digests(tmp_path / "again") == _digests(sample_dir)


def test_another_seed_gives_another_set(tmp_path: Path):
    first = generate_sample_calls(tmp_path / "a", seed=1, calls=3, days=1)
    second = generate_sample_calls(tmp_path / "b", seed=2, calls=3, days=1)
    assert _digests(tmp_path / "a") != _digests(tmp_path / "b")
    assert [c.call_id for c in first] == [c.call_id for c in second]


# -- building blocks ----------------------------------------------------------------------------


def test_synthesize_returns_float_mono_speech():
    samples = synthesize("Hello, how can I help you?", "en", VoiceSpec("m3", pitch=40))
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert 0.5 < samples.size / NATIVE_RATE < 5
    assert 0.05 < np.max(np.abs(samples)) <= 1.0


def test_importing_tts_does_not_start_espeak():
    code = "import assets.recordings.samples.tts as t, sys; sys.exit(0 if t._engine is None else 1)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_resample_keeps_a_tone_and_removes_what_cannot_be_kept():
    t = np.arange(NATIVE_RATE) / NATIVE_RATE
    out = resample(np.sin(2 * np.pi * 1000 * t), NATIVE_RATE, RATE)
    assert out.size == RATE
    expected = np.sin(2 * np.pi * 1000 * np.arange(RATE) / RATE)
    assert _rms(out[100:-100] - expected[100:-100]) < 1e-3
    above_nyquist = resample(np.sin(2 * np.pi * 9500 * t), NATIVE_RATE, RATE)
    assert _rms(above_nyquist[100:-100]) < 0.01


def test_scripts_cover_each_kind_and_language_with_variants():
    for kind in ("sales", "support"):
        for language in ("en", "nb"):
            variants = scripts_for(kind, language)
            assert len(variants) >= 2
            assert any("{phone}" in turn for s in variants for turn in s.turns)
    for script in SCRIPTS:
        assert 6 <= len(script.turns) <= 10
        lines = script.render(agent="Lars", customer="Kari", phone="91 23 45 67")
        assert lines[0].speaker == "agent"
        assert all("{" not in line.text for line in lines)
