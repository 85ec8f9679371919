"""The agent-audio worker: ``python -m assets.agent_audio.worker``, launched by the agent_audio
step through Dagster Pipes (a subprocess, or a Kubernetes pod).

It gets the calls to analyse through the Pipes extras, reads each recording (and, to isolate a
mono call, the agent's voiceprint, checked against the hash the step planned with) from the
store (``LYDSPOR_S3_*`` / ``LYDSPOR_STORE_ROOT`` in its environment), computes what
``ahead.Ahead`` computes (``work.compute``) and writes one work file per call under its
deterministic key. It never opens the catalogue: the step registers, reads and deletes the
work files, and decides. Log lines carry counts and statuses, never content.

Dagster itself is not imported (seconds a worker need not pay): only ``dagster_pipes``.
Extras: ``settings`` (``IsolationSettings``' fields), ``calls`` (``work.WorkItem``s as JSON),
``workers`` (calls analysed at once, each with torch on one thread; 0: one per CPU core, as
``ahead.Ahead``'s knob).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from dagster_pipes import PipesContext, open_dagster_pipes

from assets.agent_audio import isolation as iso
from assets.agent_audio.embeddings import shared_encoder
from assets.agent_audio.work import (
    ENROL,
    ISOLATE,
    MODEL_THREADS,
    WorkItem,
    compute,
    settings_from_json,
)
from assets.common.settings import OBJECT_STORE_VARIABLES, from_environment
from assets.common.storage import open_store


def analyse_calls(pipes: PipesContext) -> dict:
    """Analyse every call the extras list and write its work file; the run's figures."""
    store = open_store(**from_environment(OBJECT_STORE_VARIABLES))
    settings = settings_from_json(pipes.get_extra("settings"))
    items = [WorkItem(**item) for item in pipes.get_extra("calls")]
    workers = pipes.get_extra("workers") or os.cpu_count() or 1
    began = time.perf_counter()
    # The models are loaded once, before the threads share them; loading sets torch's threads,
    # so one thread each is set after (two recordings side by side on one thread each beat
    # one at a time on two: ``ahead``).
    if any(item.task == ISOLATE for item in items):
        iso.shared_models(MODEL_THREADS)
    elif items:
        shared_encoder(MODEL_THREADS)
    if workers > 1 and items:
        import torch

        torch.set_num_threads(1)

    def one(item: WorkItem) -> WorkItem:
        store.put_bytes(item.key, compute(store, item, settings), "application/json")
        return item

    # Torch's threads as ``Ahead`` sets them for the same knob, whatever the batch's size:
    # the kernels then sum in the same order and give the step's numbers to the last bit.
    with ThreadPoolExecutor(max(1, min(workers, len(items))), "agent-audio") as pool:
        for i, item in enumerate(pool.map(one, items), 1):
            pipes.log.info(f"[{i}/{len(items)}] {item.call_id}: {item.task}")
    return {
        "worker_calls": len(items),
        "worker_enrolments": sum(item.task == ENROL for item in items),
        "worker_isolations": sum(item.task == ISOLATE for item in items),
        "worker_elapsed_s": round(time.perf_counter() - began, 2),
    }


def main() -> None:
    with open_dagster_pipes() as pipes:
        pipes.report_asset_materialization(metadata=analyse_calls(pipes))


if __name__ == "__main__":
    main()
