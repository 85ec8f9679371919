"""Speech to text behind one interface: faster-whisper (CPU, no torch) and whisperx (GPU).

Both take 16 kHz float32 samples and a language and give word-timestamped ``Transcript``s.
``build_engine`` picks one by name; whisperx (and torch) are imported only when it is chosen.
"""

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


def _probabilities(model, samples: np.ndarray) -> dict[str, float]:
    """Language probabilities from a faster-whisper model, over the speech (VAD) only."""
    _, _, ranked = model.detect_language(
        audio=np.asarray(samples, dtype=np.float32), vad_filter=True
    )
    return {code: float(p) for code, p in ranked}


class FasterWhisperEngine:
    """CPU transcription with CTranslate2; the model loads when the engine is built."""

    name = "faster-whisper"

    def __init__(
        self,
        model: str,
        *,
        compute_type: str = "int8",
        cpu_threads: int = 2,
        beam_size: int = 1,
        temperature: float | tuple[float, ...] = 0.0,
    ) -> None:
        from faster_whisper import WhisperModel

        self.model_name = model
        self.beam_size = beam_size
        # Greedy only. Whisper's default fallback re-decodes a segment at rising temperatures
        # whenever its compression ratio or log-probability looks off, which on phone audio
        # happens often: measured on the sample calls it more than doubled the time (RTF 0.135
        # against 0.054) for the same WER. Without conditioning on earlier text, the repetition
        # loops the fallback guards against are rare.
        self.temperature = temperature
        self._model = WhisperModel(
            model, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads
        )

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]:
        return _probabilities(self._model, samples)

    def transcribe(self, samples: np.ndarray, language: str) -> Transcript:
        segments, info = self._model.transcribe(
            np.asarray(samples, dtype=np.float32),  # Silero VAD accepts float32 only
            language=whisper_code(language),
            word_timestamps=True,
            vad_filter=True,
            beam_size=self.beam_size,
            temperature=self.temperature,
            condition_on_previous_text=False,
        )
        words = [
            Word(w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 4), i)
            for i, segment in enumerate(segments)
            for w in segment.words or []
            if w.word.strip()
        ]
        return Transcript(language=language, duration_s=info.duration, words=words)


def build_engine(kind: str, model: str, **settings) -> SpeechEngine:
    """The engine called ``kind`` ("faster-whisper" or "whisperx") with ``model`` loaded."""
    if kind == "faster-whisper":
        return FasterWhisperEngine(model, **settings)
    if kind == "whisperx":
        from assets.transcripts.whisperx_engine import WhisperXEngine

        return WhisperXEngine(model, **settings)
    raise ValueError(f"unknown engine {kind!r}; use one of {list(ENGINES)}")
