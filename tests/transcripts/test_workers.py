"""Tracks transcribed side by side: how many at once and with how many threads, and that two
workers hear exactly what one hears."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from assets.recordings.samples.audio import resample
from assets.recordings.samples.tts import NATIVE_RATE, VoiceSpec, synthesize_isolated
from assets.transcripts.engines import SAMPLE_RATE, FasterWhisperEngine
from assets.transcripts.model_store import assemble_bundled_model
from assets.transcripts.resources import WhisperResource, thread_plan
from tests.conftest import MODEL_DIR


def test_the_thread_plan_fills_the_cores_once():
    assert thread_plan("faster-whisper", 0, 0, cores=2) == (2, 1)
    assert thread_plan("faster-whisper", 0, 0, cores=8) == (8, 1)
    assert thread_plan("faster-whisper", 2, 0, cores=8) == (2, 4)
    assert thread_plan("faster-whisper", 3, 0, cores=2) == (3, 1)  # never under one thread
    assert thread_plan("faster-whisper", 1, 4, cores=2) == (1, 4)  # as configured
    assert thread_plan("whisperx", 0, 0, cores=4) == (1, 4)  # one track at a time


def test_the_pool_loads_its_engines_with_the_plan(monkeypatch):
    monkeypatch.setattr("assets.transcripts.resources.usable_cores", lambda: 2)
    pool = WhisperResource(model_dir=str(MODEL_DIR)).get_pool({}, 2, MODEL_DIR)
    assert pool.workers == 2
    assert pool.settings["cpu_threads"] == 1 and pool.settings["num_workers"] == 2
    single = WhisperResource(model_dir=str(MODEL_DIR), workers=1).get_pool({}, 2, MODEL_DIR)
    assert single.workers == 1 and single.settings["cpu_threads"] == 2
    assert "num_workers" not in single.settings


@pytest.fixture(scope="module")
def clips():
    lines = [
        ("Good morning, this is Lars from Northwind. Do you have a minute?", "en"),
        ("Your order number is four two seven, it ships on Monday.", "en"),
        ("Hei, dette er Lars fra Northwind. Har du tid et øyeblikk?", "nb"),
    ]
    spoken = synthesize_isolated(
        [(text, lang, VoiceSpec("m6", pitch=40, rate=155)) for text, lang in lines]
    )
    return [
        (resample(audio, NATIVE_RATE, SAMPLE_RATE).astype("float32"), lang)
        for audio, (_, lang) in zip(spoken, lines, strict=True)
    ]


def test_two_workers_hear_what_one_hears(clips):
    model = str(assemble_bundled_model(MODEL_DIR))
    one = FasterWhisperEngine(model, cpu_threads=2)
    two = FasterWhisperEngine(model, cpu_threads=1, num_workers=2)
    alone = [one.transcribe(samples, lang) for samples, lang in clips]
    with ThreadPoolExecutor(2) as workers:
        together = list(workers.map(lambda clip: two.transcribe(*clip), clips))
    assert "northwind" in alone[0].text.lower(), alone[0].text
    for a, b in zip(alone, together, strict=True):
        assert [w.word for w in a.words] == [w.word for w in b.words]
        assert all(
            abs(x.start - y.start) <= 0.02 and abs(x.end - y.end) <= 0.02
            for x, y in zip(a.words, b.words, strict=True)
        )
