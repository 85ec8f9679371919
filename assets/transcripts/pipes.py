"""The transcripts asset's worker path: the engine in a Dagster Pipes worker, the catalogue in
the pooled ops.

``WhisperResource.worker`` (``LYDSPOR_TRANSCRIBE_WORKER``) chooses:

- ``inprocess`` (default): the ``load`` op hears the tracks itself (``hearing.hear_tracks``).
- ``subprocess``: ``dg.PipesSubprocessClient`` runs ``python -m assets.transcripts.worker``
  beside the ``hear`` op, with the store's settings in its environment.
- ``k8s``: ``dagster_k8s.PipesK8sClient`` runs it in a pod of its own: the run's image (or
  ``LYDSPOR_TRANSCRIBE_WORKER_IMAGE``), ``LYDSPOR_GPU_K8S_CONFIG``'s container and pod settings
  (the GPU request, node selector, tolerations; the default: ``DEFAULT_GPU_K8S_CONFIG``), the
  store's settings as env (its keys only through the config's ``env_from``, never as values).

The asset is three ops. ``plan`` (``warehouse`` pool) registers every work file's key in the
retention ledger (an intent: class ``transcript``, the track's basis, purposes and deadline)
before any worker may write, so whatever the worker writes is known to the ledger even if the
run dies: ``reconcile_pending`` then confirms it and the sweep deletes it at its deadline.
``hear`` (no pool: the slot is free while the worker runs) runs the worker and touches no
catalogue. ``load`` (``warehouse`` pool) reads the files back, confirms them, and once their
rows are loaded deletes them through the retention engine (``delete_objects``: removed,
verified gone, receipt); it does so too when anything in it fails. A failed ``hear`` leaves
its work files registered, for the sweep at their deadline (or a re-execution's ``load``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import duckdb

from assets.common import pipes as workers
from assets.common.concurrency import (
    DEFAULT_GPU_K8S_CONFIG,
    GPU_K8S_CONFIG_VARIABLE,
    K8S_CONFIG_TAG,
    gpu_op_tags,
)
from assets.common.pipes import store_env as store_env  # the worker env, also for tests
from assets.common.resources import ObjectStoreResource
from assets.common.storage import ObjectStore
from assets.retention.ledger import StoredObject, register_many
from assets.retention.policy import RetentionPolicy
from assets.retention.work_files import confirm_work
from assets.transcripts.hearing import TrackAudio, track_audio
from assets.transcripts.models import TrackResult
from assets.transcripts.resources import WhisperResource
from assets.transcripts.settings import TranscriptionSettings
from assets.transcripts.work import WORK_CLASS, WORK_KIND, WorkItem, result_from_bytes, work_key

WORKER_VARIABLE = "LYDSPOR_TRANSCRIBE_WORKER"
WORKER_MODULE = "assets.transcripts.worker"
IMAGE_VARIABLE = "LYDSPOR_TRANSCRIBE_WORKER_IMAGE"


def checked_worker(name: str) -> str:
    return workers.checked_worker(name, WORKER_VARIABLE)


def worker_mode(whisper: WhisperResource) -> str:
    return checked_worker(whisper.worker)


def step_op_tags(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The transcription step's op tags (``gpu_op_tags``). With the k8s worker the GPU goes to
    the worker's pod, so the step's own Job asks for none (read when the code location loads,
    as ``LYDSPOR_EXECUTOR`` is)."""
    tags = gpu_op_tags(environ)
    if checked_worker(environ.get(WORKER_VARIABLE, "")) == "k8s":
        tags.pop(K8S_CONFIG_TAG, None)
    return tags


@dataclass(frozen=True)
class TranscriptionPlan:
    """What ``plan`` hands ``hear`` and ``load`` (through the run's IO manager): plain data.
    ``tracks`` are the rows to transcribe whose audio (``sources``, in the same order) was
    alive; ``intents`` the work files registered for the worker (none in process)."""

    mode: str
    tracks: list[dict]
    sources: list[str]
    intents: list[StoredObject]

    def live(self) -> list[tuple[dict, TrackAudio]]:
        return [
            (track, track_audio(track, source))
            for track, source in zip(self.tracks, self.sources, strict=True)
        ]


def work_items(live: Sequence[tuple[dict, TrackAudio]]) -> list[WorkItem]:
    return [
        WorkItem(
            track["call_id"],
            track["call_date"].isoformat(),
            track["track"],
            audio.source,
            audio.channel,
            audio.language,
            work_key(track["call_date"], track["call_id"], track["track"]),
        )
        for track, audio in live
    ]


def register_work(
    con: duckdb.DuckDBPyConnection,
    tenant_policy: RetentionPolicy,
    live: Sequence[tuple[dict, TrackAudio]],
    now: datetime | None = None,
) -> list[StoredObject]:
    """Every work file's intent, committed before the worker may write it."""
    now = now or datetime.now(UTC)
    intents = [
        StoredObject(
            object_key=work_key(track["call_date"], track["call_id"], track["track"]),
            call_id=track["call_id"],
            call_date=track["call_date"],
            kind=WORK_KIND,
            object_class=WORK_CLASS,
            legal_basis=track["legal_basis"],
            purposes=list(track["purposes"]),
            sha256=None,
            size_bytes=None,
            created_at=now,
            deadline=tenant_policy.deadline(WORK_CLASS, track["legal_basis"], now),
        )
        for track, _ in live
    ]
    register_many(con, intents)
    return intents


def collect_work(
    store: ObjectStore, con: duckdb.DuckDBPyConnection, intents: Sequence[StoredObject]
) -> list[TrackResult]:
    """The worker's results, in track order, each file confirmed in the ledger."""
    return [result_from_bytes(data) for data in confirm_work(store, con, intents)]


def worker_extras(
    whisper: WhisperResource,
    settings: TranscriptionSettings,
    base_dir: str,
    items: Sequence[WorkItem],
) -> dict[str, Any]:
    return {
        "whisper": whisper.engine_fields(),
        "models": dict(settings.models),
        "max_loaded_models": settings.max_loaded_models,
        "base_dir": base_dir,
        "languages": list(settings.languages),
        "tracks": [item.to_json() for item in items],
    }


def worker_command() -> list[str]:
    return workers.worker_command(WORKER_MODULE)


def gpu_k8s_config(environ: Mapping[str, str] = os.environ) -> dict:
    """``LYDSPOR_GPU_K8S_CONFIG`` (the dagster-k8s/config shape), or the default GPU request."""
    configured = environ.get(GPU_K8S_CONFIG_VARIABLE, "").strip()
    return json.loads(configured) if configured else DEFAULT_GPU_K8S_CONFIG


def worker_pod_spec(config: dict) -> dict:
    """The worker pod's ``base_pod_spec`` (``assets.common.pipes.worker_pod_spec``)."""
    return workers.worker_pod_spec(config, "transcribe-worker", GPU_K8S_CONFIG_VARIABLE)


def run_worker(
    context: dg.OpExecutionContext,
    whisper: WhisperResource,
    object_store: ObjectStoreResource,
    extras: dict[str, Any],
) -> dict[str, Any]:
    """Run the worker (subprocess or k8s) to its end; the figures it reported (a custom
    message: the ``hear`` op materialises nothing itself). A worker that fails raises here
    (``DagsterPipesExecutionError``), failing the step."""
    mode = worker_mode(whisper)
    k8s = mode == "k8s"
    return workers.run_pipes_worker(
        context,
        mode,
        WORKER_MODULE,
        object_store,
        extras,
        image=workers.worker_image(whisper.worker_image, IMAGE_VARIABLE, context) if k8s else "",
        pod_spec=worker_pod_spec(gpu_k8s_config()) if k8s else None,
    )
