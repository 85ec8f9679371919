"""Decode and describe an audio file: the checks every recording passes before it is kept."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import soundfile as sf

SUPPORTED_EXTENSIONS = {"wav", "flac", "mp3", "ogg"}
#: Telephony and common studio rates; anything else is a dialer misconfiguration or a broken
#: header (1 Hz, 3000 Hz, 384 kHz), and quarantined rather than guessed at.
SUPPORTED_SAMPLE_RATES = (8000, 11025, 16000, 22050, 44100, 48000)
MAX_DURATION_S = 2 * 60 * 60
# libsndfile notes a WAV whose data chunk is shorter than its header declares.
_SHORT_DATA_CHUNK = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# libsndfile's open error names the in-memory file object ("<_io.BytesIO object at 0x...>").
_OPEN_ERROR_PREFIX = re.compile(r"^Error opening <[^>]*>:\s*")
#: WAV sample encodings where every byte pattern is a valid sample: the data chunk's length says
#: how many frames there are, and decoding them all proves nothing more.
_UNCOMPRESSED_WAV = {"PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"}
#: How much of the end of an uncompressed WAV is decoded, to prove the data is readable to the end.
_TAIL_S = 1.0


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
        detail = _OPEN_ERROR_PREFIX.sub("", str(exc)).strip() or type(exc).__name__
        raise InvalidAudio(f"not a readable audio file: {detail}") from exc
    short = _SHORT_DATA_CHUNK.search(info.extra_info or "")
    if short and int(short.group(2)) < int(short.group(1)):
        raise InvalidAudio(
            f"truncated: header declares {short.group(1)} bytes of audio, {short.group(2)} present"
        )
    if info.frames <= 0 or info.samplerate <= 0:
        raise InvalidAudio("audio holds no samples")
    if info.samplerate not in SUPPORTED_SAMPLE_RATES:
        raise InvalidAudio(
            f"unsupported sample rate {info.samplerate} Hz "
            f"(supported: {', '.join(str(r) for r in SUPPORTED_SAMPLE_RATES)})"
        )
    if info.channels not in (1, 2):
        raise InvalidAudio(f"{info.channels} channels; dialer recordings have 1 or 2")
    duration = info.frames / info.samplerate
    if duration > MAX_DURATION_S:
        raise InvalidAudio(
            f"recording is {_hms(duration)} long; the limit is {_hms(MAX_DURATION_S)}"
        )
    chunk = _wav_data_chunk(data) if info.format == "WAV" else None
    if chunk is not None and info.subtype in _UNCOMPRESSED_WAV:
        frames = _check_uncompressed_wav(data, info, *chunk)
    else:
        frames = _decode_all(data, info)
    return AudioProbe(
        format=info.format.lower(),
        duration_s=round(frames / info.samplerate, 3),
        channels=info.channels,
        sample_rate=info.samplerate,
        frames=frames,
    )


def _decode_all(data: bytes, info) -> int:
    """Compressed audio: decode it all, since a cut or corrupted stream can still carry a valid
    header; returns the frames that decode."""
    try:
        samples, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as exc:
        raise InvalidAudio(f"corrupt or truncated: the audio does not decode ({exc})") from exc
    if samples.shape[0] < info.frames * 0.99:
        raise InvalidAudio(
            f"truncated: header promises {info.frames} frames, {samples.shape[0]} decode"
        )
    return samples.shape[0]


def _check_uncompressed_wav(data: bytes, info, offset: int, declared: int) -> int:
    """PCM (and u-law, a-law, float) WAV: as strict as decoding it all, at the cost of reading
    the header. Any bytes are valid samples, so the only way such a file can be short is a data
    chunk smaller than its header declares; the last second is decoded all the same, to prove
    the data is readable to its end."""
    present = len(data) - offset
    if declared > present:
        raise InvalidAudio(
            f"truncated: header declares {declared} bytes of audio, {present} present"
        )
    tail = min(info.frames, max(1, int(_TAIL_S * info.samplerate)))
    try:
        with sf.SoundFile(io.BytesIO(data)) as audio:
            audio.seek(info.frames - tail)
            got = audio.read(tail, dtype="int16", always_2d=True).shape[0]
    except Exception as exc:
        raise InvalidAudio(f"corrupt or truncated: the audio does not decode ({exc})") from exc
    if got < tail:
        raise InvalidAudio(f"truncated: header promises {info.frames} frames, fewer decode")
    return info.frames


def _wav_data_chunk(data: bytes) -> tuple[int, int] | None:
    """(offset, declared size) of a RIFF/WAVE file's data chunk; None where the header is not a
    plain RIFF (RF64, a streaming placeholder size), so the caller decodes it all instead."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= len(data):
        name, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        if name == b"data":
            return (pos + 8, size) if 0 < size < 0xFFFFFFFF else None
        pos += 8 + size + (size & 1)  # chunks are padded to an even length
    return None


def _hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def read_audio(data: bytes) -> tuple[np.ndarray, int]:
    """Samples as float32 (frames, channels) and the sample rate."""
    samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return samples, rate


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
