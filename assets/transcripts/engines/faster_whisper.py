"""The faster-whisper engine: CPU transcription with CTranslate2, no torch (the default).

Every option passed to ``WhisperModel.transcribe`` comes from ``transcribe_options``, so the
WER benchmark (``benchmarks/real_speech_wer.py``) measures exactly what the pipeline runs.
"""

from __future__ import annotations

import numpy as np

from assets.transcripts.engines.base import (
    SAMPLE_RATE,
    Transcript,
    WhisperEngine,
    Word,
    whisper_code,
)

#: Silero VAD before decoding, full-band audio: Silero's own options, spelled out. Speech
#: starts above ``VAD_THRESHOLD`` (probability, 0-1) and ends 0.15 below it; pauses shorter
#: than ``VAD_MIN_SILENCE_MS`` stay in the audio Whisper hears; each speech region is padded
#: by ``VAD_SPEECH_PAD_MS`` on both sides. Left as they are: on the synthetic sample calls
#: (16 kHz) an 800 ms pad cost 7.6 points of Norwegian WER and gained 5.5 in English.
VAD_THRESHOLD = 0.5
VAD_MIN_SILENCE_MS = 2000
VAD_SPEECH_PAD_MS = 400
#: Phone-band audio (an 8 kHz line, whatever rate it is stored at): speech starts above
#: ``NARROWBAND_VAD_THRESHOLD`` and ends below ``NARROWBAND_VAD_END``, the isolation step's
#: values (``assets/agent_audio/speech.py``; the layers keep the domains apart, so a test checks
#: that the two stay equal), and each region is padded by ``NARROWBAND_VAD_PAD_MS`` so a word
#: clipped at an edge is decoded whole. On a phone-band agent track of 12 real clips (39.6 s of
#: speech) Silero's own 0.5 passed only 35 s to Whisper and dropped whole utterances and digit
#: strings.
NARROWBAND_VAD_THRESHOLD = 0.3
NARROWBAND_VAD_END = 0.2
NARROWBAND_VAD_PAD_MS = 800

#: Phone-band test: a recording whose power above ``PHONE_BAND_EDGE_HZ`` is below
#: ``PHONE_BAND_MAX_SHARE`` of its total came through an 8 kHz line. Measured above 5 kHz, not
#: 4 kHz: resamplers (PyAV's, scipy's, the Opus decoder's) leave their transition band just
#: above 4 kHz, where phone audio still holds 1e-5 to 1.6e-4 of its power. Above 5 kHz 16 real
#: clips on mu-law and GSM lines and both SpokenWOZ channels held at most 3e-7, the same clips
#: at full band at least 8.5e-4.
PHONE_BAND_EDGE_HZ = 5000.0
PHONE_BAND_MAX_SHARE = 1e-5
#: Frames of 32 ms; every fourth one is plenty to see where the power lies.
_FRAME, _FRAME_STRIDE = 512, 4


def is_phone_band(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bool:
    """True when ``samples`` hold nothing above 5 kHz: the audio went through a phone line.
    Silence, or audio shorter than one frame, is not phone band (nothing to tell)."""
    samples = np.asarray(samples, dtype=np.float32)
    frames = samples[: samples.size // _FRAME * _FRAME].reshape(-1, _FRAME)[::_FRAME_STRIDE]
    if not frames.size:
        return False
    power = (np.abs(np.fft.rfft(frames * np.hanning(_FRAME), axis=1)) ** 2).sum(axis=0)
    total = float(power.sum())
    if total <= 0.0:
        return False
    above = float(power[np.fft.rfftfreq(_FRAME, 1 / rate) > PHONE_BAND_EDGE_HZ].sum())
    return above / total < PHONE_BAND_MAX_SHARE


def vad_parameters(samples: np.ndarray) -> dict:
    """Silero VAD options for this recording: its band decides the thresholds."""
    if is_phone_band(samples):
        return {
            "threshold": NARROWBAND_VAD_THRESHOLD,
            "neg_threshold": NARROWBAND_VAD_END,
            "min_silence_duration_ms": VAD_MIN_SILENCE_MS,
            "speech_pad_ms": NARROWBAND_VAD_PAD_MS,
        }
    return {
        "threshold": VAD_THRESHOLD,
        "min_silence_duration_ms": VAD_MIN_SILENCE_MS,
        "speech_pad_ms": VAD_SPEECH_PAD_MS,
    }


def transcribe_options(
    samples: np.ndarray, language: str, beam_size: int, temperature: float | tuple[float, ...]
) -> dict:
    """Every option the engine passes to ``WhisperModel.transcribe``. The language is forced
    (detection cost WER on real Norwegian); no conditioning on earlier text (with it, and
    without VAD, the plain engine repeated whole lines of long-form speech)."""
    return {
        "language": whisper_code(language),
        "word_timestamps": True,
        "vad_filter": True,
        "vad_parameters": vad_parameters(samples),
        "beam_size": beam_size,
        "temperature": temperature,
        "condition_on_previous_text": False,
    }


class FasterWhisperEngine(WhisperEngine):
    """CPU transcription with CTranslate2."""

    name = "faster-whisper"

    def _load(self, temperature: float | tuple[float, ...] = 0.0) -> None:
        from faster_whisper import WhisperModel

        # Greedy only. Whisper's default fallback re-decodes a segment at rising temperatures
        # whenever its compression ratio or log-probability looks off, which on phone audio
        # happens often: it costs about twice the time for the same word error rate. Without
        # conditioning on earlier text, the repetition loops it guards against are rare.
        self.temperature = temperature
        self._whisper = WhisperModel(
            self.model_name,
            device="cpu",
            compute_type=self.compute_type,
            cpu_threads=self.cpu_threads,
            num_workers=self.num_workers,
        )

    def transcribe(self, samples: np.ndarray, language: str) -> Transcript:
        samples = np.asarray(samples, dtype=np.float32)  # Silero VAD accepts float32 only
        segments, info = self._whisper.transcribe(
            samples, **transcribe_options(samples, language, self.beam_size, self.temperature)
        )
        words = [
            Word(w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 4), i)
            for i, segment in enumerate(segments)
            for w in segment.words or []
            if w.word.strip()
        ]
        return Transcript(language=language, duration_s=info.duration, words=words)
