"""Decoding a track to the engines' 16 kHz samples: the same samples as faster-whisper's own
decoder, without its garbage collection after every file."""

from __future__ import annotations

import gc
import io

import numpy as np
import pytest
import soundfile as sf
from faster_whisper.audio import decode_audio

from assets.transcripts.engines import SAMPLE_RATE, decode_track


def _wav(rate: int, seconds: float, channels: int = 2) -> bytes:
    rng = np.random.default_rng(rate)
    samples = (rng.standard_normal((int(rate * seconds), channels)) * 0.1).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.mark.parametrize("rate", [8000, 44100])
def test_decode_track_gives_faster_whispers_samples(rate):
    data = _wav(rate, 3.3)
    left, right = decode_audio(io.BytesIO(data), split_stereo=True)
    assert np.array_equal(decode_track(data), decode_audio(io.BytesIO(data)))
    assert np.array_equal(decode_track(data, 0), left)
    assert np.array_equal(decode_track(data, 1), right)
    assert decode_track(data).size == round(3.3 * SAMPLE_RATE)


def test_decode_track_runs_no_full_garbage_collection(monkeypatch):
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(a) or 0)
    data = _wav(8000, 1.0)
    decode_audio(io.BytesIO(data))  # faster-whisper's decoder collects ...
    assert len(collections) == 1
    decode_track(data)  # ... ours does not
    decode_track(data, 1)
    assert len(collections) == 1
