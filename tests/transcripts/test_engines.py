"""Both engines on a short generated clip with the bundled model, offline; whisperx's missing
alignment and diarization models fail with a message that says what to do."""

from __future__ import annotations

import numpy as np
import pytest

from assets.recordings.samples.audio import resample
from assets.recordings.samples.tts import NATIVE_RATE, VoiceSpec, synthesize_isolated
from assets.transcripts.engines import SAMPLE_RATE, build_engine
from assets.transcripts.language import choose_language
from assets.transcripts.model_store import assemble_bundled_model
from assets.transcripts.pii import find_pii
from assets.transcripts.verbal_consent import find_verbal_consent
from tests.conftest import MODEL_DIR

pytestmark = pytest.mark.slow

# The sample calls' agent Lars: a voice Whisper base hears digits from reliably.
AGENT = VoiceSpec("m6", pitch=40, rate=155)
CALLER = VoiceSpec("f2", pitch=60)
PHONE_LINE = (
    "Hello, this is Ingrid from Northwind. Shall I text the offer to 0 7 5 3 8, 0 1 6 5 7 3?"
)


def _speech(*requests) -> list[np.ndarray]:
    clips = synthesize_isolated(requests)
    return [resample(c, NATIVE_RATE, SAMPLE_RATE).astype(np.float32) for c in clips]


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return _speech((PHONE_LINE, "en", AGENT))[0]


@pytest.fixture(scope="module")
def model() -> str:
    return str(assemble_bundled_model(MODEL_DIR))


@pytest.fixture(scope="module")
def faster_whisper(model):
    return build_engine("faster-whisper", model)


@pytest.fixture(scope="module")
def whisperx(model):
    pytest.importorskip("whisperx", reason="the whisperx extra is installed by `make test`")
    return build_engine("whisperx", model, batch_size=4, model_dir=str(MODEL_DIR))


def _check_transcript(result, duration_s: float) -> None:
    words = result.words
    assert words and result.language == "en"
    assert "ingrid" in result.text.lower() and "offer" in result.text.lower()
    assert all(0 <= w.start <= w.end <= duration_s + 0.1 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)


def _times(result) -> dict[str, tuple[float, float]]:
    return {w.word.strip(",.?").lower(): (w.start, w.end) for w in result.words}


def test_faster_whisper_transcribes_with_word_times(faster_whisper, clip):
    result = faster_whisper.transcribe(clip, "en")
    assert result.engine == "faster-whisper" and result.timestamps == "whisper"
    _check_transcript(result, len(clip) / SAMPLE_RATE)
    phones = [s for s in find_pii(result.words, "en") if s.kind == "phone"]
    assert len(phones) == 1, result.text
    # The number is said at the end of the clip.
    assert len(clip) / SAMPLE_RATE * 0.5 < phones[0].start < phones[0].end


def test_whisperx_transcribes_offline_and_falls_back_to_whisper_word_times(
    whisperx, faster_whisper, clip
):
    result = whisperx.transcribe(clip, "en")
    # No wav2vec2 model here: word times come from Whisper's alignment of whisperx's text.
    assert result.engine == "whisperx" and result.timestamps == "whisper"
    _check_transcript(result, len(clip) / SAMPLE_RATE)
    mine, reference = _times(result), _times(faster_whisper.transcribe(clip, "en"))
    for word in ("ingrid", "offer"):
        assert abs(mine[word][0] - reference[word][0]) < 0.3, word
        assert abs(mine[word][1] - reference[word][1]) < 0.3, word


def test_whisperx_with_alignment_required_names_the_missing_model(whisperx, clip, monkeypatch):
    from assets.transcripts.engines.whisperx import EngineModelMissing

    monkeypatch.setattr(whisperx, "alignment", "required")
    monkeypatch.setattr(whisperx, "_aligners", {})
    with pytest.raises(EngineModelMissing, match="WAV2VEC2_ASR_BASE_960H"):
        whisperx.transcribe(clip, "en")


def test_detected_language_is_restricted_to_the_tenants(faster_whisper, whisperx, clip):
    for engine in (faster_whisper, whisperx):
        probabilities = engine.language_probabilities(clip)
        assert max(probabilities, key=probabilities.get) == "en"
        chosen = choose_language(None, ["nb", "en"], lambda p=probabilities: p)
        assert chosen.language == "en" and chosen.source == "detected"
        # English is not the tenant's: the best of its own languages is used, never English.
        nordic = choose_language(None, ["nb", "sv", "da"], lambda p=probabilities: p)
        assert nordic.language in {"nb", "sv", "da"} and nordic.source == "detected"


def test_spoken_consent_question_and_yes_are_found(faster_whisper):
    question, answer = _speech(
        ("Before we start, is it okay that we record this call?", "en", AGENT),
        ("Yes, that is fine.", "en", CALLER),
    )
    agent = faster_whisper.transcribe(question, "en").words
    offset = len(question) / SAMPLE_RATE + 0.3  # the caller answers after the question
    caller = [
        type(w)(w.word, w.start + offset, w.end + offset, w.probability, w.segment_index)
        for w in faster_whisper.transcribe(answer, "en").words
    ]
    evidence = find_verbal_consent(agent, caller, "en")
    assert evidence is not None and evidence.answer == "yes", (agent, caller)
    assert "record" in evidence.question_text.lower()
    assert evidence.question_end_s <= evidence.answer_start_s


def test_missing_alignment_model_error_names_it_and_how_to_provide_it(tmp_path):
    pytest.importorskip("whisperx")
    from assets.transcripts.engines.whisperx import EngineModelMissing, load_aligner

    with pytest.raises(EngineModelMissing) as nb:
        load_aligner("nb", model_dir=str(tmp_path))
    message = str(nb.value)
    assert "NbAiLab/nb-wav2vec2-1b-bokmaal-v2" in message
    assert "huggingface-cli download" in message and "LYDSPOR_WHISPERX_ALIGN_MODEL" in message
    with pytest.raises(EngineModelMissing, match=r"wav2vec2_fairseq_base_ls960_asr_ls960\.pth"):
        load_aligner("en", model_dir=str(tmp_path))


def test_missing_diarization_model_error_names_it_and_how_to_provide_it(tmp_path):
    pytest.importorskip("whisperx")
    from assets.transcripts.engines.whisperx import (
        DEFAULT_DIARIZE_MODEL,
        EngineModelMissing,
        load_diarizer,
    )

    with pytest.raises(EngineModelMissing) as missing:
        load_diarizer(DEFAULT_DIARIZE_MODEL, cache_dir=str(tmp_path))
    message = str(missing.value)
    assert DEFAULT_DIARIZE_MODEL in message and "LYDSPOR_WHISPERX_DIARIZE_MODEL" in message


def test_unknown_engine_is_refused(model):
    with pytest.raises(ValueError, match="unknown engine 'vosk'"):
        build_engine("vosk", model)
