"""Speech in a mono recording: 16 kHz mono samples and the regions where someone speaks.

Silero VAD comes from the ONNX file inside the faster-whisper wheel, so nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

#: The rate the VAD and the speaker model work at.
MODEL_RATE = 16_000
#: Silero VAD's speech threshold, and the lower one for narrowband (phone-line) audio: the
#: model hears 16 kHz audio, and a line that keeps nothing above 4 kHz lowers its speech
#: probabilities. In the 8 kHz benchmark call it missed 41 % of the speech at 0.5, 12 % at
#: 0.35, 9 % at 0.3 and 7 % at 0.25.
VAD_THRESHOLD = 0.5
NARROWBAND_VAD_THRESHOLD = 0.3
#: Where narrowband speech ends: below this probability (Silero's default would be 0.15). With
#: the lower threshold, a short pause between two voices no longer split their speech: in the
#: benchmark's short 8 kHz call the agent's span ran 0.13 s into the customer's turn, and that
#: was kept. At 0.2 neither benchmark phone call leaks (the agent loses 12.4 and 9.6 % of their
#: speech, against 9.9 and 6.4 % at 0.15 and 47 and 12.7 % at a threshold of 0.35).
NARROWBAND_VAD_END = 0.2
#: A recording whose content ends at or below this is narrowband (a phone line at 8 kHz).
NARROWBAND_TOP_HZ = 4000.0


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


#: Below this share of a recording's power above 4 kHz, it is a phone line stored at a higher
#: rate. Full-band speech keeps about a hundredth of its power up there (fricatives, breath);
#: a phone line resampled to 16 kHz keeps well under a millionth.
NARROWBAND_POWER_SHARE = 1e-4
_FRAME, _FRAME_STRIDE = 512, 4


def band_top_hz(audio: np.ndarray, rate: int) -> float | None:
    """Where the content of a recording ends: the Nyquist frequency of a recording made at
    ``rate`` below the model's, 4 kHz for 16 kHz ``audio`` (the recording at the model's rate)
    that holds nothing above it (an 8 kHz call a dialer stored as 16 or 44.1 kHz), else None:
    the model's whole band."""
    if rate < MODEL_RATE:
        return rate / 2
    frames = audio[: audio.size // _FRAME * _FRAME].reshape(-1, _FRAME)[::_FRAME_STRIDE]
    if not frames.size:
        return None
    # Every fourth 32 ms frame is plenty to see where the power lies, at a quarter of the cost.
    power = (np.abs(np.fft.rfft(frames * np.hanning(_FRAME), axis=1)) ** 2).sum(axis=0)
    freqs = np.fft.rfftfreq(_FRAME, 1 / MODEL_RATE)
    total = float(power.sum())
    if total <= 0.0:
        return None
    above = float(power[freqs > NARROWBAND_TOP_HZ].sum())
    return NARROWBAND_TOP_HZ if above / total < NARROWBAND_POWER_SHARE else None


def speech_spans(
    audio: np.ndarray, *, min_silence_s: float = 0.25, top_hz: float | None = None
) -> list[Span]:
    """Where someone speaks in 16 kHz mono audio (whose content ends at ``top_hz``, if given).
    Pauses shorter than ``min_silence_s`` do not split a span; turns are usually separated by
    longer ones, so spans rarely hold two voices."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if audio.size < MODEL_RATE // 10:
        return []
    narrowband = top_hz is not None and top_hz <= NARROWBAND_TOP_HZ
    options = VadOptions(
        threshold=NARROWBAND_VAD_THRESHOLD if narrowband else VAD_THRESHOLD,
        neg_threshold=NARROWBAND_VAD_END if narrowband else None,
        min_speech_duration_ms=120,
        min_silence_duration_ms=int(min_silence_s * 1000),
        speech_pad_ms=30,
    )
    stamps = get_speech_timestamps(audio, options, sampling_rate=MODEL_RATE)
    return [Span(s["start"] / MODEL_RATE, s["end"] / MODEL_RATE) for s in stamps]
