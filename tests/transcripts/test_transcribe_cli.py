"""`lydspor transcribe`: offline Whisper, word timestamps, personal data found and redacted."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from assets.recordings.metadata import TruthTurn
from assets.recordings.samples import generate_sample_calls
from lydspor.cli import app

pytestmark = pytest.mark.slow


def test_transcribe_writes_words_text_and_redacted_pii(lydspor_state, tmp_path):
    calls = generate_sample_calls(tmp_path / "calls", seed=7)
    # An English stereo call whose agent reads a phone number back.
    for call in calls:
        meta = call.metadata
        turns = [TruthTurn.model_validate(t) for t in json.loads(call.truth_path.read_text())]
        agent_text = " ".join(t.text for t in turns if t.speaker == "agent")
        if (
            meta.language == "en"
            and meta.recording_mode.value == "stereo"
            and re.search(r"\d \d", agent_text)
        ):
            break
    else:
        pytest.fail("the sample set has no English stereo call with a read-back number")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        app,
        [
            "transcribe",
            str(call.audio_path),
            "--language",
            "en",
            "--out",
            str(out),
            "--channel",
            str(meta.agent_channel),
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert set(doc) == {"language", "model", "text", "redacted_text", "words", "pii"}
    assert doc["model"] == "bundled:base"  # the shipped policy names no per-language model
    assert doc["words"] and all(w["start"] <= w["end"] for w in doc["words"])
    assert [w["start"] for w in doc["words"]] == sorted(w["start"] for w in doc["words"])
    assert "ingrid" in doc["text"].lower() or "lars" in doc["text"].lower()
    phones = [p for p in doc["pii"] if p["kind"] == "phone"]
    assert phones and "[phone]" in doc["redacted_text"]
    assert not re.search(r"\d{3}", doc["redacted_text"])


def test_transcribe_rejects_an_unknown_language(lydspor_state, tmp_path):
    result = CliRunner().invoke(
        app, ["transcribe", str(tmp_path / "x.wav"), "--language", "de", "--out", "o.json"]
    )
    assert result.exit_code == 2 and "--language must be one of" in result.output


def test_transcribe_rejects_an_unknown_engine(lydspor_state, tmp_path):
    result = CliRunner().invoke(
        app, ["transcribe", str(tmp_path / "x.wav"), "--out", "o.json", "--engine", "vosk"]
    )
    assert result.exit_code == 2 and "--engine must be one of" in result.output


def test_transcribe_with_whisperx_detects_the_language_and_keeps_the_format(
    lydspor_state, tmp_path
):
    pytest.importorskip("whisperx", reason="the whisperx extra is installed by `make test`")
    import numpy as np
    import soundfile as sf

    from assets.recordings.samples.audio import resample
    from assets.recordings.samples.tts import NATIVE_RATE, VoiceSpec, synthesize_isolated

    (speech,) = synthesize_isolated(
        [("Good morning, this is Lars from Northwind. Do you have a minute?", "en",
          VoiceSpec("m6", pitch=40, rate=155))]
    )  # fmt: skip
    clip = tmp_path / "clip.wav"
    sf.write(clip, resample(speech, NATIVE_RATE, 16_000).astype(np.float32), 16_000)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        app, ["transcribe", str(clip), "--out", str(out), "--engine", "whisperx"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert set(doc) == {"language", "model", "text", "redacted_text", "words", "pii"}
    assert doc["language"] == "en" and "northwind" in doc["text"].lower()
    assert doc["words"] and set(doc["words"][0]) == {"word", "start", "end", "probability"}
    assert doc["pii"] == [] and doc["redacted_text"] == doc["text"]
