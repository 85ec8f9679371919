"""Speech to text with faster-whisper: word timestamps, VAD, language forced from metadata."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import polars as pl

SAMPLE_RATE = 16_000

#: Whisper's language codes for the languages lydspor serves (Bokmål is Whisper's "no").
WHISPER_LANGUAGE = {"nb": "no", "nn": "nn", "da": "da", "sv": "sv", "en": "en"}


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    probability: float
    segment_index: int


@dataclass(frozen=True)
class Transcript:
    language: str
    duration_s: float
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.word for w in self.words)


WORDS_SCHEMA = pl.Schema(
    {
        "call_id": pl.String,
        "call_date": pl.Date,
        "track": pl.String,
        "word_index": pl.Int32,
        "segment_index": pl.Int32,
        "word": pl.String,
        "start_s": pl.Float64,
        "end_s": pl.Float64,
        "probability": pl.Float64,
        "language": pl.String,
        "legal_basis": pl.String,
        "purposes": pl.List(pl.String),
    }
)


def decode_track(audio: bytes, channel: int | None = None) -> np.ndarray:
    """16 kHz float32 mono samples of a file, or of one channel of a stereo file."""
    from faster_whisper.audio import decode_audio

    if channel is None:
        return decode_audio(io.BytesIO(audio), sampling_rate=SAMPLE_RATE)
    left, right = decode_audio(io.BytesIO(audio), sampling_rate=SAMPLE_RATE, split_stereo=True)
    return left if channel == 0 else right


class FasterWhisperEngine:
    """CPU transcription with CTranslate2; the model loads when the engine is built."""

    def __init__(
        self, model: str, *, compute_type: str = "int8", cpu_threads: int = 2, beam_size: int = 1
    ) -> None:
        from faster_whisper import WhisperModel

        self.model_name = model
        self.beam_size = beam_size
        self._model = WhisperModel(
            model, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads
        )

    def transcribe(self, samples: np.ndarray, language: str) -> Transcript:
        if language not in WHISPER_LANGUAGE:
            raise ValueError(
                f"unsupported language {language!r}; use one of {list(WHISPER_LANGUAGE)}"
            )
        segments, info = self._model.transcribe(
            np.asarray(samples, dtype=np.float32),  # Silero VAD accepts float32 only
            language=WHISPER_LANGUAGE[language],
            word_timestamps=True,
            vad_filter=True,
            beam_size=self.beam_size,
            condition_on_previous_text=False,
        )
        words = [
            Word(w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 4), i)
            for i, segment in enumerate(segments)
            for w in segment.words or []
            if w.word.strip()
        ]
        return Transcript(language=language, duration_s=info.duration, words=words)
