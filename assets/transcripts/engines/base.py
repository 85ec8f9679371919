"""What every speech engine shares: the word and transcript types, the engine protocol, the
languages, and decoding a file to the 16 kHz samples the engines take."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Protocol

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


def whisper_code(language: str) -> str:
    if language not in WHISPER_LANGUAGE:
        raise ValueError(f"unsupported language {language!r}; use one of {list(WHISPER_LANGUAGE)}")
    return WHISPER_LANGUAGE[language]


def decode_track(audio: bytes, channel: int | None = None) -> np.ndarray:
    """16 kHz float32 mono samples of a file, or of one channel of a stereo file."""
    from faster_whisper.audio import decode_audio

    if channel is None:
        return decode_audio(io.BytesIO(audio), sampling_rate=SAMPLE_RATE)
    left, right = decode_audio(io.BytesIO(audio), sampling_rate=SAMPLE_RATE, split_stereo=True)
    return left if channel == 0 else right


def language_probabilities(model, samples: np.ndarray) -> dict[str, float]:
    """Language probabilities from a faster-whisper model, over the speech (VAD) only."""
    _, _, ranked = model.detect_language(
        audio=np.asarray(samples, dtype=np.float32), vad_filter=True
    )
    return {code: float(p) for code, p in ranked}
