"""The transcription worker: ``python -m assets.transcripts.worker``, launched by the
transcripts asset through Dagster Pipes (a subprocess, or a Kubernetes pod on a GPU node).

It gets the tracks to do and the engine settings through the Pipes extras, reads each track's
audio from the store (``LYDSPOR_S3_*`` / ``LYDSPOR_STORE_ROOT`` in its environment), hears it
with the same loop the asset runs in process (``hearing.hear_tracks``) and writes one work
file per track (``work.py``) under its deterministic key. It never opens the catalogue: the
pooled step registers, loads and deletes the work files. Log lines carry counts, never words.

Dagster itself is not imported (seconds a worker need not pay): only ``dagster_pipes``.
Extras: ``whisper`` (``WhisperResource``'s engine fields), ``models`` and ``max_loaded_models`` (the
tenant's per-language models), ``base_dir`` (the policy file's folder, for relative model
paths), ``languages`` (the tenant's), ``tracks`` (``WorkItem``s as JSON).
"""

from __future__ import annotations

import time

from dagster_pipes import PipesContext, open_dagster_pipes

from assets.common.settings import OBJECT_STORE_VARIABLES, from_environment
from assets.common.storage import open_store
from assets.transcripts.hearing import TrackAudio, hear_tracks
from assets.transcripts.models import engine_pool, usable_cores
from assets.transcripts.work import WorkItem, result_bytes


def transcribe_work(pipes: PipesContext) -> dict:
    """Hear every track the extras list and write its work file; the run's figures."""
    store = open_store(**from_environment(OBJECT_STORE_VARIABLES))
    pool = engine_pool(
        pipes.get_extra("whisper"),
        pipes.get_extra("models"),
        pipes.get_extra("max_loaded_models"),
        pipes.get_extra("base_dir"),
        usable_cores(),
    )
    items = [WorkItem(**item) for item in pipes.get_extra("tracks")]
    audio = [TrackAudio(item.source, item.channel, item.language) for item in items]
    began = time.perf_counter()
    audio_s = 0.0
    heard = hear_tracks(store, pool, pipes.get_extra("languages"), audio)
    for i, (item, result) in enumerate(zip(items, heard, strict=True), 1):
        data = result_bytes(result)
        store.put_bytes(item.key, data, "application/parquet")
        audio_s += result.transcript.duration_s
        pipes.log.info(
            f"[{i}/{len(items)}] {item.call_id}/{item.track}: {len(result.transcript.words)} "
            f"words ({result.choice.language}, {result.model}), "
            f"{result.transcript.duration_s:.0f} s audio"
        )
    elapsed_s = time.perf_counter() - began
    figures = {
        "worker_tracks": len(items),
        "worker_audio_seconds": round(audio_s, 1),
        "worker_elapsed_s": round(elapsed_s, 2),
    }
    if audio_s:
        figures["worker_real_time_factor"] = round(elapsed_s / audio_s, 3)
    return figures


def main() -> None:
    with open_dagster_pipes() as pipes:
        # A custom message: the op that runs the worker is not the one that materialises.
        pipes.report_custom_message(transcribe_work(pipes))


if __name__ == "__main__":
    main()
