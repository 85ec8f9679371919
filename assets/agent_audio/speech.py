"""Speech in a mono recording: 16 kHz mono samples and the regions where someone speaks.

Silero VAD comes from the ONNX file inside the faster-whisper wheel, so nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

#: The rate the VAD and the speaker model work at.
MODEL_RATE = 16_000


@dataclass(frozen=True)
class Span:
    """A stretch of the recording, in seconds."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def to_model_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mono float32 at 16 kHz: channels averaged, then resampled with a polyphase filter."""
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, not {rate}")
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    mono = np.asarray(mono, dtype=np.float32)
    if rate == MODEL_RATE or mono.size == 0:
        return np.ascontiguousarray(mono)
    from scipy.signal import resample_poly

    factor = gcd(MODEL_RATE, rate)
    out = resample_poly(mono, MODEL_RATE // factor, rate // factor)
    return np.ascontiguousarray(out, dtype=np.float32)


def speech_spans(audio: np.ndarray, *, min_silence_s: float = 0.25) -> list[Span]:
    """Where someone speaks in 16 kHz mono audio. Pauses shorter than ``min_silence_s`` do not
    split a span; turns are usually separated by longer ones, so spans rarely hold two voices."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if audio.size < MODEL_RATE // 10:
        return []
    options = VadOptions(
        threshold=0.5,
        min_speech_duration_ms=120,
        min_silence_duration_ms=int(min_silence_s * 1000),
        speech_pad_ms=30,
    )
    stamps = get_speech_timestamps(audio, options, sampling_rate=MODEL_RATE)
    return [Span(s["start"] / MODEL_RATE, s["end"] / MODEL_RATE) for s in stamps]
