"""Text-to-speech through the espeak-ng shared library shipped in the ``espeakng-loader`` wheel.

espeak-ng keeps global state and is not thread-safe, so the library is loaded and initialised
once per process, on first use, and every synthesis runs under one lock.

Its waveform generator also carries state from one utterance to the next (pitch-flutter phase,
gain control, roughness cycle count) that no API resets, so the same text comes out slightly
different depending on what was spoken before. :func:`synthesize_isolated` therefore runs a
batch in a fresh interpreter: same batch, same history, byte-identical samples.
"""

from __future__ import annotations

import ctypes
import json
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

#: espeak-ng synthesises at this rate for every voice.
NATIVE_RATE = 22050

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EE_OK = 0
_PARAM_RATE = 1
_PARAM_VOLUME = 2
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_PARAM_WORDGAP = 7

#: The espeak voice (language) name for each language code we synthesise.
_LANGUAGE_VOICES = {"en": "en-us", "nb": "nb"}

_CALLBACK_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _EspeakVoice(ctypes.Structure):
    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


class SpeechError(RuntimeError):
    """espeak-ng could not be loaded or refused a request."""


@dataclass(frozen=True)
class VoiceSpec:
    """How one speaker sounds: an espeak variant (``"m3"``, ``"f2"``), pitch, range and rate.

    ``pitch`` and ``pitch_range`` are espeak's 0-100 scales; ``rate`` is words per minute.
    """

    variant: str
    pitch: int = 50
    pitch_range: int = 50
    rate: int = 155
    word_gap: int = 0

    def voice_name(self, language: str) -> str:
        try:
            base = _LANGUAGE_VOICES[language]
        except KeyError:
            raise ValueError(f"unsupported language {language!r}") from None
        return f"{base}+{self.variant}"


class _Engine:
    """The one initialised espeak-ng instance of this process."""

    def __init__(self) -> None:
        import espeakng_loader

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._declare()
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if rate != NATIVE_RATE:
            raise SpeechError(f"espeak_Initialize returned {rate}, expected {NATIVE_RATE} Hz")
        self._chunks: list[np.ndarray] = []
        # Keep a reference: ctypes frees the trampoline when the Python object dies.
        self._callback = _CALLBACK_TYPE(self._collect)
        self._lib.espeak_SetSynthCallback(self._callback)

    def _declare(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK_TYPE]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(_EspeakVoice)]
        lib.espeak_SetVoiceByProperties.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed.restype = None

    def _collect(self, wav: ctypes.Array, count: int, _events: int) -> int:
        if count > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def _select_voice(self, language: str, voice: VoiceSpec) -> None:
        if self._lib.espeak_SetVoiceByName(voice.voice_name(language).encode()) == _EE_OK:
            return
        # Fall back to the bare language when a variant is missing from the data.
        props = _EspeakVoice(languages=_LANGUAGE_VOICES[language].encode())
        if self._lib.espeak_SetVoiceByProperties(ctypes.byref(props)) != _EE_OK:
            raise SpeechError(f"no espeak voice for language {language!r}")

    def _set(self, parameter: int, value: int) -> None:
        if self._lib.espeak_SetParameter(parameter, value, 0) != _EE_OK:
            raise SpeechError(f"espeak_SetParameter({parameter}, {value}) failed")

    def synthesize(self, text: str, language: str, voice: VoiceSpec) -> np.ndarray:
        """Native int16 samples."""
        self._select_voice(language, voice)
        self._set(_PARAM_RATE, voice.rate)
        self._set(_PARAM_PITCH, voice.pitch)
        self._set(_PARAM_RANGE, voice.pitch_range)
        self._set(_PARAM_VOLUME, 100)
        self._set(_PARAM_WORDGAP, voice.word_gap)
        # Breathy variants draw on espeak's noise generator; a fixed seed keeps output stable.
        self._lib.espeak_ng_SetRandSeed(1)
        self._chunks = []
        encoded = text.encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(encoded, len(encoded))
        status = self._lib.espeak_Synth(
            buffer, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        if status != _EE_OK:
            raise SpeechError(f"espeak_Synth failed with status {status}")
        self._lib.espeak_Synchronize()
        chunks, self._chunks = self._chunks, []
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


_engine: _Engine | None = None
_lock = threading.Lock()


def _synthesize_int16(text: str, language: str, voice: VoiceSpec) -> np.ndarray:
    global _engine
    with _lock:
        if _engine is None:
            _engine = _Engine()
        return _engine.synthesize(text, language, voice)


def _to_float(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / np.float32(32768.0)


def synthesize(text: str, language: str, voice: VoiceSpec) -> np.ndarray:
    """Speak ``text`` in ``language`` ("en" or "nb"): float32 mono samples at 22050 Hz."""
    return _to_float(_synthesize_int16(text, language, voice))


SpeechRequest = tuple[str, str, VoiceSpec]


def synthesize_isolated(requests: Sequence[SpeechRequest]) -> list[np.ndarray]:
    """Like :func:`synthesize` for each (text, language, voice), in a fresh interpreter."""
    payload = json.dumps(
        [{"text": t, "language": lang, "voice": asdict(v)} for t, lang, v in requests]
    ).encode()
    # Run this file as a script: it needs only numpy and espeakng_loader, not the package.
    proc = subprocess.run(
        [sys.executable, "-I", __file__], input=payload, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise SpeechError(f"speech worker failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    return [_to_float(samples) for samples in _unpack(proc.stdout, len(requests))]


def _unpack(data: bytes, count: int) -> list[np.ndarray]:
    out, offset = [], 0
    for _ in range(count):
        (n,) = struct.unpack_from("<Q", data, offset)
        offset += 8
        out.append(np.frombuffer(data, dtype="<i2", count=n, offset=offset).astype(np.int16))
        offset += 2 * n
    if offset != len(data):
        raise SpeechError("speech worker returned a malformed stream")
    return out


def _serve() -> None:
    """Worker side of :func:`synthesize_isolated`: JSON requests on stdin, samples on stdout."""
    out = sys.stdout.buffer
    for item in json.loads(sys.stdin.buffer.read()):
        samples = _synthesize_int16(item["text"], item["language"], VoiceSpec(**item["voice"]))
        out.write(struct.pack("<Q", samples.size))
        out.write(samples.astype("<i2").tobytes())
    out.flush()


if __name__ == "__main__":
    _serve()
