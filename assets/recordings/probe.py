"""Decode and describe an audio file: the checks every recording passes before it is kept."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import soundfile as sf

SUPPORTED_EXTENSIONS = {"wav", "flac", "mp3", "ogg"}
MAX_DURATION_S = 2 * 60 * 60
# libsndfile notes a WAV whose data chunk is shorter than its header declares.
_SHORT_DATA_CHUNK = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


class InvalidAudio(ValueError):
    """The bytes are not a usable recording; the message says why."""


@dataclass(frozen=True)
class AudioProbe:
    format: str
    duration_s: float
    channels: int
    sample_rate: int
    frames: int


def probe_audio(data: bytes) -> AudioProbe:
    if not data:
        raise InvalidAudio("empty file (0 bytes)")
    try:
        info = sf.info(io.BytesIO(data))
    except Exception as exc:
        raise InvalidAudio(f"not a readable audio file: {exc}") from exc
    if info.frames <= 0 or info.samplerate <= 0:
        raise InvalidAudio("audio holds no samples")
    if not 4000 <= info.samplerate <= 192000:
        raise InvalidAudio(f"unsupported sample rate {info.samplerate} Hz")
    if info.channels not in (1, 2):
        raise InvalidAudio(f"{info.channels} channels; dialer recordings have 1 or 2")
    short = _SHORT_DATA_CHUNK.search(info.extra_info or "")
    if short and int(short.group(2)) < int(short.group(1)):
        raise InvalidAudio(
            f"truncated: header declares {short.group(1)} bytes of audio, {short.group(2)} present"
        )
    duration = info.frames / info.samplerate
    if duration > MAX_DURATION_S:
        raise InvalidAudio(f"recording is {duration / 3600:.1f} h long; the limit is 2 h")
    # Decode it all: a truncated file can carry a valid header and still be cut short.
    try:
        samples, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as exc:
        raise InvalidAudio(f"audio does not decode: {exc}") from exc
    if samples.shape[0] < info.frames * 0.99:
        raise InvalidAudio(
            f"truncated: header promises {info.frames} frames, {samples.shape[0]} decode"
        )
    return AudioProbe(
        format=info.format.lower(),
        duration_s=round(samples.shape[0] / info.samplerate, 3),
        channels=info.channels,
        sample_rate=info.samplerate,
        frames=samples.shape[0],
    )


def read_audio(data: bytes) -> tuple[np.ndarray, int]:
    """Samples as float32 (frames, channels) and the sample rate."""
    samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return samples, rate


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
