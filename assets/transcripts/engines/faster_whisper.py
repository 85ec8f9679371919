"""The faster-whisper engine: CPU transcription with CTranslate2, no torch (the default)."""

from __future__ import annotations

import numpy as np

from assets.transcripts.engines.base import (
    Transcript,
    Word,
    language_probabilities,
    whisper_code,
)


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
        # happens often: it costs about twice the time for the same word error rate. Without
        # conditioning on earlier text, the repetition loops it guards against are rare.
        self.temperature = temperature
        self._model = WhisperModel(
            model, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads
        )

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]:
        return language_probabilities(self._model, samples)

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
