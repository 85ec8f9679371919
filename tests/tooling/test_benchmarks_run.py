"""Every benchmark script still starts (imports resolve, arguments parse): they are not run
in CI, so a moved name would otherwise only show when someone measures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
BENCHMARKS = sorted(BENCHMARK_DIR.glob("*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=[p.stem for p in BENCHMARKS])
def test_benchmark_script_starts(script):
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage" in done.stdout.lower()


def _isolation_benchmark(monkeypatch):
    import importlib.util

    path = BENCHMARK_DIR / "isolation_benchmark.py"
    spec = importlib.util.spec_from_file_location("isolation_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look it up there
    monkeypatch.syspath_prepend(str(BENCHMARK_DIR))  # as `python benchmarks/<script>` has it
    spec.loader.exec_module(module)
    return module


def test_the_isolation_benchmark_says_where_lost_agent_speech_was(monkeypatch):
    import numpy as np

    from assets.agent_audio.isolation import AGENT, OTHER, Segment
    from assets.agent_audio.speech import Span
    from assets.recordings.samples.mono_calls import MonoCall, Turn

    bench = _isolation_benchmark(monkeypatch)
    turns = (Turn(AGENT, 0.0, 3.0), Turn("other0", 3.5, 5.0), Turn(AGENT, 6.0, 7.0))
    call = MonoCall(None, np.zeros(8 * 16_000, np.float32), 16_000, turns, np.zeros(1))
    spans = [Span(0.1, 2.9), Span(3.5, 5.0), Span(6.0, 7.0)]  # the VAD's; the last is short
    kept = [Segment(0.1, 2.0, AGENT, 0.99), Segment(2.0, 7.0, OTHER, 0.9)]
    places = bench.lost_by_place(call, kept, spans)
    assert places == pytest.approx(
        {"outside speech": 0.2, "short spans": 1.0, "longer spans": 0.9}, abs=0.011
    )
    scored = bench.score(call, kept)
    assert scored["lost_s"] == pytest.approx(sum(places.values()), abs=0.011)
    assert scored["leak_s"] == 0 and scored["agent_s"] == pytest.approx(4.0, abs=0.011)


def test_the_isolation_benchmark_counts_the_agent_words_a_transcript_got_wrong(monkeypatch):
    from types import SimpleNamespace

    import numpy as np

    from assets.agent_audio.isolation import AGENT
    from assets.recordings.samples.mono_calls import MonoCall, MonoCase, Turn
    from assets.recordings.samples.tts import VoiceSpec

    monkeypatch.syspath_prepend(str(BENCHMARK_DIR))  # it scores words as sample_speech_wer does
    bench = _isolation_benchmark(monkeypatch)
    samples = np.zeros(3 * 16_000, np.float32)
    samples[:16_000] = 0.1  # the agent's turn; the customer's is silent here
    call = MonoCall(
        MonoCase("t", VoiceSpec("f2"), (VoiceSpec("m3"),), language="en"),
        samples,
        16_000,
        (Turn(AGENT, 0.0, 1.0), Turn("other0", 1.5, 2.0)),
        np.zeros(1),
        lines=((AGENT, "Hello, this is Maria."), ("other0", "Hi.")),
    )
    languages = []

    class Transcriber:  # mishears one word of anything audible
        def transcribe(self, audio, language):
            languages.append(language)
            return SimpleNamespace(text="hello this is marie" if np.abs(audio).max() else "")

    kept_nothing = bench.words_wrong(call, None, Transcriber())
    assert kept_nothing == {"wer_errors": 4.0, "wer_errors_truth": 1.0, "wer_words": 4.0}
    kept_all = bench.words_wrong(call, samples, Transcriber())
    assert kept_all["wer_errors"] == 1.0 and languages == ["en", "en", "en"]
