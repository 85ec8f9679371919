"""The agent_audio step's models in a Dagster Pipes worker; every decision and write in the step.

``LYDSPOR_AGENT_AUDIO_WORKER`` (read when the step runs) chooses:

- ``inprocess`` (default): the step's own threads compute ahead (``ahead.Ahead``).
- ``subprocess``: ``python -m assets.agent_audio.worker`` beside the step
  (``assets.common.pipes``), with the store's settings in its environment.
- ``k8s``: the worker in a pod of its own: ``LYDSPOR_AGENT_AUDIO_WORKER_IMAGE`` (else the
  run's image), ``LYDSPOR_AGENT_AUDIO_K8S_CONFIG``'s container and pod settings (a
  dagster-k8s/config as JSON; default ``DEFAULT_K8S_CONFIG``: CPU work, no GPU), the store's
  settings as env without its keys (those through the config's ``env_from``).

``PipesWork`` stands where ``Ahead`` stands: the step plans the same enrolments and
isolations, and at the turn of the first recording of a batch the worker computes the whole
batch (the agent tracks first; the mono calls once every agent track is written, since they are
isolated by the voiceprints those enrol). A result is used only where ``process_recording``
asks for it and it is what it would compute itself (the same recording, voiceprint and
settings); anything else is computed in place. A failed worker fails the step before it writes
anything of that batch.

Before the worker starts, the step registers each work file's key in the retention ledger with
the class, basis, purposes and deadline of the recording it is computed from, so a file the
worker writes is known even if the step dies (``reconcile_pending`` confirms it, the sweep
deletes it by the recording's deadline). When the step ends, however it ends, it deletes every
work file through the retention engine (``delete_objects``: removed, verified gone, receipt).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import duckdb
import numpy as np

from assets.agent_audio import isolation as iso
from assets.agent_audio.ahead import Inline
from assets.agent_audio.enrolment import Enrolment, NotEnoughSpeech
from assets.agent_audio.voiceprint_store import voiceprint_key
from assets.agent_audio.work import (
    ENROL,
    ISOLATE,
    WORK_KIND,
    IsolationRaised,
    WorkItem,
    read_work,
    settings_json,
    voiceprint_of,
    work_key,
)
from assets.common import pipes as workers
from assets.common.resources import ObjectStoreResource
from assets.common.storage import ObjectStore
from assets.retention.ledger import StoredObject, alive_object, register_many
from assets.retention.work_files import confirm_work, discard_work

WORKER_VARIABLE = "LYDSPOR_AGENT_AUDIO_WORKER"
IMAGE_VARIABLE = "LYDSPOR_AGENT_AUDIO_WORKER_IMAGE"
K8S_CONFIG_VARIABLE = "LYDSPOR_AGENT_AUDIO_K8S_CONFIG"
WORKER_MODULE = "assets.agent_audio.worker"
ACTOR = "agent_audio"
#: Segmentation and CAM++ run on CPUs: four cores and the models' memory, no GPU.
DEFAULT_K8S_CONFIG = {
    "container_config": {
        "resources": {"requests": {"cpu": "4", "memory": "6Gi"}, "limits": {"memory": "8Gi"}}
    }
}


def worker_mode(environ: Mapping[str, str] = os.environ) -> str:
    return workers.checked_worker(environ.get(WORKER_VARIABLE, ""), WORKER_VARIABLE)


def k8s_config(environ: Mapping[str, str] = os.environ) -> dict:
    configured = environ.get(K8S_CONFIG_VARIABLE, "").strip()
    return json.loads(configured) if configured else DEFAULT_K8S_CONFIG


def worker_pod_spec(environ: Mapping[str, str] = os.environ) -> dict:
    return workers.worker_pod_spec(k8s_config(environ), "agent-audio-worker", K8S_CONFIG_VARIABLE)


class PipesWork(Inline, AbstractContextManager):
    """Enrolments and isolations computed by a Pipes worker, batch by batch (``Ahead``'s
    interface: ``plan_enrolment``, ``plan_isolation``, ``turn``)."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        object_store: ObjectStoreResource,
        store: ObjectStore,
        con: duckdb.DuckDBPyConnection,
        mode: str,
    ) -> None:
        self.mode = mode
        self._context, self._object_store, self._store, self._con = (
            context,
            object_store,
            store,
            con,
        )
        self._planned: list[tuple[dict, WorkItem]] = []
        self._results: dict[str, Enrolment | iso.Isolation | Exception] = {}
        self._voiceprints: dict[str, np.ndarray | None] = {}
        self._settings: iso.IsolationSettings | None = None
        self.intents: list[StoredObject] = []
        self.figures: dict[str, Any] = {"worker": mode}

    def __exit__(self, exc_type, exc, tb) -> None:
        keys = [intent.object_key for intent in self.intents]
        reason = (
            "agent audio step failed: its analysis is discarded"
            if exc_type
            else "agent audio analysis used: agent audio written"
        )
        try:
            deleted = discard_work(self._store, self._con, keys, reason, actor=ACTOR)
        except Exception as error:
            if exc_type is None:
                raise
            # Where even that fails they stay registered: the sweep deletes them by deadline.
            self._context.log.warning(f"work files left to the sweep: {error}")
            return
        self.figures["work_files_deleted_now"] = len(deleted)

    # -- planning ------------------------------------------------------------------------

    def plan_enrolment(self, recording: dict, enrols: bool) -> None:
        if enrols:
            self._planned.append((recording, self._item(recording, ENROL, None, None)))

    def plan_isolation(
        self, recording: dict, voiceprint: np.ndarray | None, settings: iso.IsolationSettings
    ) -> None:
        if self._settings is not None and settings != self._settings:
            return  # one batch, one set of settings: this call is isolated in place
        self._settings = settings
        self._voiceprints[recording["object_key"]] = voiceprint
        key = digest = None
        if voiceprint is not None:
            key = voiceprint_key(recording["agent_id"])
            data = self._store.get_bytes(key)
            if np.array_equal(voiceprint_of(data), voiceprint):
                digest = hashlib.sha256(data).hexdigest()
            else:  # not the stored voiceprint: isolated in place with the one given
                return
        self._planned.append((recording, self._item(recording, ISOLATE, key, digest)))

    def turn(self, key: str) -> None:
        """The recording ``key`` is next: the planned batch, if any, is computed now."""
        if self._planned:
            self._run()

    def _item(self, recording: dict, task: str, vp_key: str | None, digest: str | None):
        return WorkItem(
            recording["call_id"],
            recording["call_date"].isoformat(),
            task,
            recording["object_key"],
            recording["recording_mode"],
            recording["agent_channel"],
            vp_key,
            digest,
            work_key(recording["call_date"], recording["call_id"]),
        )

    def _run(self) -> None:
        planned, self._planned = self._planned, []
        now, live, intents = datetime.now(UTC), [], []
        for recording, item in planned:
            # A recording already gone is not analysed: the step records it as missing.
            raw = alive_object(self._con, item.source)
            if raw is None:
                continue
            live.append((recording, item))
            intents.append(
                StoredObject(
                    object_key=item.key,
                    call_id=item.call_id,
                    call_date=recording["call_date"],
                    kind=WORK_KIND,
                    object_class=raw["object_class"],
                    legal_basis=raw["legal_basis"],
                    purposes=list(raw["purposes"]),
                    sha256=None,
                    size_bytes=None,
                    created_at=now,
                    deadline=raw["deadline"],
                )
            )
        if not live:
            return
        register_many(self._con, intents)
        self.intents += intents
        extras = {
            "settings": settings_json(self._settings or iso.IsolationSettings()),
            "calls": [item.to_json() for _, item in live],
            "workers": 0,
        }
        k8s = self.mode == "k8s"
        figures = workers.run_pipes_worker(
            self._context,
            self.mode,
            WORKER_MODULE,
            self._object_store,
            extras,
            image=workers.worker_image(
                os.environ.get(IMAGE_VARIABLE, ""), IMAGE_VARIABLE, self._context
            )
            if k8s
            else "",
            pod_spec=worker_pod_spec() if k8s else None,
        )
        for name, value in figures.items():
            number = getattr(value, "value", value)
            self.figures[name] = self.figures.get(name, 0) + number
        found = confirm_work(self._store, self._con, intents)
        for (recording, _), data in zip(live, found, strict=True):
            self._results[recording["object_key"]] = read_work(data)

    # -- what process_recording asks for --------------------------------------------------

    def enrolment(self, key: str, samples: np.ndarray, rate: int) -> Enrolment:
        got = self._results.get(key)
        if isinstance(got, NotEnoughSpeech):
            raise got
        if not isinstance(got, Enrolment):
            return super().enrolment(key, samples, rate)
        return got

    def isolation(self, key, samples, rate, voiceprint, settings) -> iso.Isolation:
        got = self._results.get(key)
        planned = self._voiceprints.get(key)
        same = (
            isinstance(got, iso.Isolation | IsolationRaised)
            and settings == self._settings
            and (voiceprint is None) == (planned is None)
            and (voiceprint is None or np.array_equal(voiceprint, planned))
        )
        if not same:
            return super().isolation(key, samples, rate, voiceprint, settings)
        if isinstance(got, Exception):
            raise got
        return iso.with_agent_audio(got, samples, rate)
