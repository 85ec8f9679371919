"""What every speech engine shares: the word and transcript types, the engine protocol, the
languages, and decoding a file to the 16 kHz samples the engines take."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import av
import numpy as np

SAMPLE_RATE = 16_000

#: Whisper's language codes for the languages lydspor serves (Bokmål is Whisper's "no").
WHISPER_LANGUAGE = {"nb": "no", "nn": "nn", "da": "da", "sv": "sv", "en": "en"}
#: The engines ``build_engine`` knows, the first being the default.
ENGINES = ("faster-whisper", "whisperx")


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    probability: float
    segment_index: int
    #: A diarization label ("SPEAKER_00") where diarization ran; the track gives the role.
    speaker: str | None = None


@dataclass(frozen=True)
class Transcript:
    language: str
    duration_s: float
    words: list[Word]
    engine: str = "faster-whisper"
    #: How the word times were found: Whisper's cross-attention ("whisper") or wav2vec2 ("align").
    timestamps: str = "whisper"

    @property
    def text(self) -> str:
        return " ".join(w.word for w in self.words)


class SpeechEngine(Protocol):
    """What the pipeline and the CLI need from an engine."""

    name: str
    model_name: str

    def transcribe(self, samples: np.ndarray, language: str) -> Transcript: ...

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]:
        """Whisper's probability per language code (Whisper's codes: "no", "sv", ...)."""
        ...


class WhisperEngine:
    """The base of both engines: a Whisper model in CTranslate2 (faster-whisper's, which whisperx
    wraps too), loaded with the settings below, and the language probabilities it gives.

    ``compute_type`` is CTranslate2's weight type ("int8" on the CPU); ``cpu_threads`` the
    threads one decode uses; ``num_workers`` how many decodes may run at once, each from its
    own Python thread (CTranslate2 workers sharing the weights; faster-whisper only);
    ``beam_size`` the beams Whisper keeps (1: greedy). A subclass loads its model in ``_load``,
    given its own options, and exposes the CTranslate2 model as ``_whisper``; the model loads
    when the engine is built."""

    name: str
    _whisper: Any

    def __init__(
        self,
        model: str,
        *,
        compute_type: str = "int8",
        cpu_threads: int = 2,
        num_workers: int = 1,
        beam_size: int = 1,
        **options: Any,
    ) -> None:
        self.model_name = model
        self.compute_type, self.cpu_threads, self.beam_size = compute_type, cpu_threads, beam_size
        self.num_workers = num_workers
        self._load(**options)

    def _load(self, **options: Any) -> None:
        raise NotImplementedError

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]:
        return language_probabilities(self._whisper, samples)


def whisper_code(language: str) -> str:
    if language not in WHISPER_LANGUAGE:
        raise ValueError(f"unsupported language {language!r}; use one of {list(WHISPER_LANGUAGE)}")
    return WHISPER_LANGUAGE[language]


def decode_track(audio: bytes, channel: int | None = None) -> np.ndarray:
    """16 kHz float32 mono samples of a file, or of one channel of a stereo file.

    The samples faster-whisper's ``decode_audio`` gives (PyAV, resampled to 16-bit 16 kHz by
    FFmpeg's resampler, invalid frames skipped), without the full garbage collection it runs
    after every file: in a pipeline process holding Dagster and dbt that took 0.3-0.6 s a
    track, a fifth of the transcripts step. The resampler's objects go with the next automatic
    collection instead."""
    resampler = av.audio.resampler.AudioResampler(
        format="s16", layout="mono" if channel is None else "stereo", rate=SAMPLE_RATE
    )
    parts: list[np.ndarray] = []
    with av.open(io.BytesIO(audio), mode="r", metadata_errors="ignore") as container:
        for frame in _valid_frames(container.decode(audio=0)):
            frame.pts = None  # frames are taken in order; a gap in the times is not an error
            parts.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
        parts.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    pcm = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
    samples = pcm.astype(np.float32) / 32768.0
    if channel is None:
        return samples
    return samples[channel::2]


def _valid_frames(frames: Iterator) -> Iterator:
    """The frames a decoder yields, skipping those it cannot decode (as ``decode_audio`` does)."""
    while True:
        try:
            yield next(frames)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue


def language_probabilities(model, samples: np.ndarray) -> dict[str, float]:
    """Language probabilities from a faster-whisper model, over the speech (VAD) only."""
    _, _, ranked = model.detect_language(
        audio=np.asarray(samples, dtype=np.float32), vad_filter=True
    )
    return {code: float(p) for code, p in ranked}
