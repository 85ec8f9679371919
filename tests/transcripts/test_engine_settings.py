"""The faster-whisper engine's settings: what it passes to the model, and how the VAD follows
the recording's band (fast, no model). One slow test transcribes real spoken digits on a GSM
line with the bundled model, when ``scripts/fetch_real_speech.py`` has fetched them."""

from __future__ import annotations

import io
from types import SimpleNamespace

import faster_whisper
import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfilt

from assets.agent_audio import speech
from assets.transcripts.engines import SAMPLE_RATE, FasterWhisperEngine, decode_track
from assets.transcripts.engines import faster_whisper as engine_module
from assets.transcripts.engines.faster_whisper import (
    NARROWBAND_VAD_END,
    NARROWBAND_VAD_PAD_MS,
    NARROWBAND_VAD_THRESHOLD,
    VAD_MIN_SILENCE_MS,
    VAD_SPEECH_PAD_MS,
    VAD_THRESHOLD,
    is_phone_band,
    transcribe_options,
    vad_parameters,
)
from assets.transcripts.model_store import assemble_bundled_model
from tests.conftest import MODEL_DIR


def _noise(seed: int = 0, seconds: float = 2.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(SAMPLE_RATE * seconds)) * 0.1).astype(np.float32)


def _phone_line(samples: np.ndarray, subtype: str = "ULAW") -> np.ndarray:
    """Through a phone line (300-3400 Hz, 8 kHz, mu-law or GSM) as a dialer stores it, and back
    to 16 kHz by the pipeline's own decoder (PyAV), whose resampler leaks just above 4 kHz."""
    band = sosfilt(butter(4, [300, 3400], btype="bandpass", fs=SAMPLE_RATE, output="sos"), samples)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(resample_poly(band, 1, 2), -1, 1), 8000, format="WAV", subtype=subtype)
    return decode_track(buffer.getvalue())


def _tone(hz: float, amplitude: float, n: int) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * hz * np.arange(n) / SAMPLE_RATE)).astype(np.float32)


def test_a_phone_line_is_told_from_full_band_audio():
    assert not is_phone_band(_noise())
    assert is_phone_band(_phone_line(_noise()))
    assert is_phone_band(_phone_line(_noise(1), "GSM610"))


def test_power_just_above_4_khz_does_not_make_a_phone_line_full_band():
    """A resampler's transition band (4.0-4.2 kHz) holds up to 1.6e-4 of a phone line's power:
    the test looks above 5 kHz. What lies above 5 kHz decides, down to a thousandth."""
    line = _phone_line(_noise())
    leak = _tone(4150.0, float(np.sqrt(np.mean(line**2)) * np.sqrt(2) * 0.02), line.size)
    assert is_phone_band(line + leak)  # 4e-4 of the power at 4.15 kHz
    assert speech.band_top_hz(line + leak, SAMPLE_RATE) is None  # the 4 kHz test is fooled
    fricative = _tone(6000.0, float(np.sqrt(np.mean(line**2)) * np.sqrt(2) * 0.03), line.size)
    assert not is_phone_band(line + fricative)  # 9e-4 above 5 kHz: full band


def test_silence_and_audio_shorter_than_a_frame_are_not_called_phone_band():
    assert not is_phone_band(np.zeros(SAMPLE_RATE, np.float32))
    assert not is_phone_band(np.zeros(0, np.float32))
    assert not is_phone_band(_phone_line(_noise())[:100])


def test_the_vad_thresholds_follow_the_band_and_the_rest_is_fixed():
    wide, narrow = vad_parameters(_noise()), vad_parameters(_phone_line(_noise()))
    assert wide == {
        "threshold": VAD_THRESHOLD,
        "min_silence_duration_ms": VAD_MIN_SILENCE_MS,
        "speech_pad_ms": VAD_SPEECH_PAD_MS,
    }
    assert narrow == {
        "threshold": NARROWBAND_VAD_THRESHOLD,
        "neg_threshold": NARROWBAND_VAD_END,
        "min_silence_duration_ms": VAD_MIN_SILENCE_MS,
        "speech_pad_ms": NARROWBAND_VAD_PAD_MS,
    }
    assert NARROWBAND_VAD_END < NARROWBAND_VAD_THRESHOLD < VAD_THRESHOLD
    assert NARROWBAND_VAD_PAD_MS > VAD_SPEECH_PAD_MS
    # Silero accepts every option passed; full-band audio gets exactly Silero's defaults.
    faster_whisper.vad.VadOptions(**narrow)
    assert faster_whisper.vad.VadOptions(**wide) == faster_whisper.vad.VadOptions()


def test_transcription_uses_the_isolation_steps_narrowband_thresholds():
    """The domains may not import each other; the two copies must stay equal."""
    assert speech.NARROWBAND_VAD_THRESHOLD == NARROWBAND_VAD_THRESHOLD
    assert speech.NARROWBAND_VAD_END == NARROWBAND_VAD_END
    assert speech.VAD_THRESHOLD == VAD_THRESHOLD


def test_transcribe_options_force_the_language_and_keep_decoding_greedy():
    options = transcribe_options(_phone_line(_noise()), "nb", 1, 0.0)
    assert options["language"] == "no"  # Whisper's code for Bokmål
    assert options["word_timestamps"] is True and options["vad_filter"] is True
    assert options["condition_on_previous_text"] is False
    assert (options["beam_size"], options["temperature"]) == (1, 0.0)
    assert options["vad_parameters"]["threshold"] == NARROWBAND_VAD_THRESHOLD
    with pytest.raises(ValueError, match="unsupported language"):
        transcribe_options(_noise(), "de", 1, 0.0)


class _RecordingModel:
    """Stands in for ``WhisperModel``: keeps what the engine passes, hears one word."""

    def __init__(self, model, **kwargs):
        self.calls: list[tuple[np.ndarray, dict]] = []

    def transcribe(self, audio, **options):
        self.calls.append((audio, options))
        word = SimpleNamespace(word=" hei", start=0.1234, end=0.5, probability=0.91234)
        info = SimpleNamespace(duration=audio.size / SAMPLE_RATE)
        return iter([SimpleNamespace(words=[word])]), info


def test_the_engine_passes_exactly_the_options_of_transcribe_options(monkeypatch):
    monkeypatch.setattr(faster_whisper, "WhisperModel", _RecordingModel)
    engine = FasterWhisperEngine("any", beam_size=2, temperature=0.2)
    line = _phone_line(_noise()).astype(np.float64)
    result = engine.transcribe(line, "nb")
    ((audio, options),) = engine._whisper.calls
    assert audio.dtype == np.float32  # Silero takes float32 only
    assert options == transcribe_options(audio, "nb", 2, 0.2)
    assert [(w.word, w.start, w.probability) for w in result.words] == [("hei", 0.123, 0.9123)]
    assert result.language == "nb" and engine_module.is_phone_band(audio)


# ------------------------------------------- the bundled model on real phone-band digits

DIGIT_CLIPS = ("en-cards-003", "en-cards-004", "en-cards-005", "en-tidigits-2934z", "en-goforward")


@pytest.mark.slow
def test_real_phone_band_digits_are_not_lost_to_the_vad():
    """Real spoken digits (Debian pocketsphinx-testdata) in one agent-like track, on a GSM line:
    the band-aware VAD loses no more words than Silero's defaults, and the WER stays low."""
    from benchmarks.real_speech import load_clips, score, session

    clips = {c.id: c for c in load_clips(log=lambda _: None) if c.id in DIGIT_CLIPS}
    if len(clips) < len(DIGIT_CLIPS):
        pytest.skip("real speech not fetched: run scripts/fetch_real_speech.py")
    track = session([clips[i] for i in DIGIT_CLIPS], gap_s=8.0, muted=True)
    audio = decode_track(track.files["gsm8k"])
    engine = FasterWhisperEngine(str(assemble_bundled_model(MODEL_DIR)))
    ours = score(track.reference, engine.transcribe(audio, "en").text, "en")
    options = transcribe_options(audio, "en", 1, 0.0)
    del options["vad_parameters"]
    segments, _ = engine._model.transcribe(audio, **options)
    text = " ".join(w.word for s in segments for w in s.words or [])
    library = score(track.reference, text, "en")
    assert ours.deletions <= library.deletions and ours.errors <= library.errors, (ours, library)
    assert ours.wer <= 0.15, ours
