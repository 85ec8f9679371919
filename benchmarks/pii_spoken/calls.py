"""Spoken benchmark calls: sentences -> one telephone-band audio track with known item times
-> the pipeline's own transcript (cached by audio hash).

The engine is lydspor's: ``assets.transcripts.engines.build_engine("faster-whisper", ...)``
with the verified bundled Whisper base (``model_store.assemble_bundled_model``) and the
pipeline's settings (int8, 2 threads, beam 1, VAD, word timestamps, language forced).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from assets.transcripts.engines import build_engine
from assets.transcripts.model_store import assemble_bundled_model
from benchmarks.pii_spoken import tts
from benchmarks.pii_spoken.spoken_gen import Sentence

RATE = 16_000
#: The repository root: its engine transcribes, its text benchmark gives the text set.
LYDSPOR = Path(__file__).resolve().parents[2]
#: Downloads, synthesised speech and transcripts (gitignored with ``/data/state/``).
DEFAULT_CACHE = LYDSPOR / "data" / "state" / "bench-cache"


def cache_dir() -> Path:
    return Path(os.environ.get("PII_BENCH_CACHE", DEFAULT_CACHE))


SENTENCE_GAP_S = 1.2
PIECE_GAP_S = 0.3


@dataclass
class Placed:
    sentence: Sentence
    start: float  # the sentence's audio
    end: float
    items: list[tuple[float, float]]  # speech extent of each item piece


@dataclass
class Call:
    name: str
    language: str
    voice: str
    samples: np.ndarray
    placed: list[Placed]


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), dtype=np.float32)


def telephone(samples: np.ndarray) -> np.ndarray:
    """Through an 8 kHz channel and back, as a dialer's recording is."""
    down = resample_poly(samples.astype(np.float64), 1, 2)
    return resample_poly(down, 2, 1).astype(np.float32)[: samples.size]


def build_call(name: str, language: str, voice: str, sentences: list[Sentence]) -> Call:
    parts: list[np.ndarray] = [_silence(0.5)]
    at = 0.5
    placed: list[Placed] = []

    def add(audio: np.ndarray) -> tuple[float, float]:
        nonlocal at
        begin, end = tts.speech_extent(audio)
        extent = (at + begin, at + end)
        parts.append(audio)
        at += audio.size / RATE
        return extent

    def gap(seconds: float) -> None:
        nonlocal at
        parts.append(_silence(seconds))
        at += seconds

    for sentence in sentences:
        start = at
        if sentence.negative:
            add(tts.speak(voice, sentence.prefix, language))
            placed.append(Placed(sentence, start, at, []))
            gap(SENTENCE_GAP_S)
            continue
        add(tts.speak(voice, sentence.prefix, language))
        gap(PIECE_GAP_S)
        items = []
        for k, piece in enumerate(sentence.items):
            if k:
                gap(sentence.pauses_s[k - 1])
            items.append(add(tts.speak(voice, piece, language, slow=True)))
        if sentence.suffix.strip(" .,"):
            gap(0.15)
            add(tts.speak(voice, sentence.suffix.lstrip(", "), language))
        placed.append(Placed(sentence, start, at, items))
        gap(SENTENCE_GAP_S)
    samples = np.concatenate(parts)
    # The natural voice goes through a telephone channel; espeak's Nordic voices are hard
    # enough for Whisper at full band (8 kHz made most of them unrecognisable).
    samples = telephone(samples) if voice == "joe" else samples
    peak = float(np.abs(samples).max()) or 1.0
    return Call(name, language, voice, (0.7 * samples / peak).astype(np.float32), placed)


_engine = None


def engine():
    """The pipeline's engine with the bundled model (loaded once)."""
    global _engine
    if _engine is None:
        models = cache_dir() / "models"
        model = assemble_bundled_model(models)
        _engine = build_engine("faster-whisper", str(model), compute_type="int8",
                               cpu_threads=2, beam_size=1)  # fmt: skip
    return _engine


@dataclass(frozen=True)
class TWord:
    word: str
    start: float
    end: float
    probability: float = 1.0
    segment_index: int = 0


def transcribe(samples: np.ndarray, language: str, cache: Path) -> tuple[list[TWord], float]:
    """Words of the pipeline's transcript and the seconds it took (0 when cached)."""
    key = hashlib.sha256(samples.tobytes() + language.encode() + b"fw-base-int8-b1").hexdigest()
    path = cache / "transcripts" / f"{key[:24]}.json"
    if path.exists():
        data = json.loads(path.read_text())
        return [TWord(**w) for w in data["words"]], 0.0
    import time

    began = time.perf_counter()
    transcript = engine().transcribe(samples, language)
    took = time.perf_counter() - began
    words = [
        TWord(w.word, w.start, w.end, w.probability, w.segment_index) for w in transcript.words
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"words": [w.__dict__ for w in words], "seconds": took}))
    return words, took
