"""Sample calls: deterministic per seed, every required combination, real two-voice speech."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assets.recordings.metadata import CallMetadata, TruthTurn
from assets.recordings.samples import generate_sample_calls


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    return out, generate_sample_calls(out, seed=7)


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(calls, tmp_path):
    out, _ = calls
    generate_sample_calls(tmp_path, seed=7)
    assert digests(out) == digests(tmp_path)


def test_small_and_spread_over_days(calls):
    out, made = calls
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert len(made) == 12 and size <= 15 * 1024 * 1024
    assert len({c.call_date for c in made}) >= 2
    for call in made:
        assert call.audio_path.parent.name == call.call_date.isoformat()


def test_covers_every_required_combination(calls):
    _, made = calls
    metas = [CallMetadata.model_validate_json(c.metadata_path.read_text()) for c in made]
    combos = Counter((m.direction.value, m.recording_mode.value) for m in metas)
    assert combos[("outbound", "stereo")] >= 2
    assert combos[("outbound", "agent_only")] >= 1 and combos[("outbound", "mono")] >= 1
    assert combos[("inbound", "agent_only")] >= 1
    inbound_stereo = [
        m for m in metas if m.direction.value == "inbound" and m.recording_mode.value == "stereo"
    ]
    assert sum(bool(m.consent and m.consent.given) for m in inbound_stereo) >= 2
    assert sum(not (m.consent and m.consent.given) for m in inbound_stereo) >= 1
    assert {m.language for m in metas} == {"en", "nb"}
    assert any(m.nps is not None for m in metas) and any(m.nps is None for m in metas)
    assert {m.agent_channel for m in metas if m.recording_mode.value == "stereo"} == {0, 1}


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


def test_stereo_agent_channel_holds_the_agent_and_voices_differ(calls):
    _, made = calls
    for call in made:
        meta = CallMetadata.model_validate_json(call.metadata_path.read_text())
        audio, rate = sf.read(call.audio_path, always_2d=True)
        expected = 2 if meta.recording_mode.value == "stereo" else 1
        assert audio.shape[1] == expected
        if expected != 2:
            continue
        turns = [TruthTurn.model_validate(t) for t in json.loads(call.truth_path.read_text())]
        agent, customer = audio[:, meta.agent_channel], audio[:, 1 - meta.agent_channel]
        for turn in turns:
            span = slice(int(turn.start * rate), int(turn.end * rate))
            own, other = (agent, customer) if turn.speaker == "agent" else (customer, agent)
            assert rms(own[span]) > 10 * rms(other[span]), (call.call_id, turn)
