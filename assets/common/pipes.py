"""Heavy work in a Dagster Pipes worker, beside the step or in a pod of its own.

Shared by the steps whose models run in a worker (transcription, agent audio). Each step has
its own setting naming the mode (``inprocess``, ``subprocess`` or ``k8s``), its own module and
its own pod settings; what is built from them is the same:

- ``subprocess``: ``dg.PipesSubprocessClient`` runs ``python -m <module>`` with this
  interpreter, the store's settings (keys included) in its environment.
- ``k8s``: ``dagster_k8s.PipesK8sClient`` runs it in a pod: the step's image, the pod settings
  (a dagster-k8s/config's ``container_config`` and ``pod_spec_config``), the store's settings
  as env without its keys (a pod spec is readable by whoever may list pods; the keys come from
  a Secret through ``env_from``).

The worker reports one materialization; its metadata (figures, never content) is returned.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import dagster as dg

from assets.common.resources import ObjectStoreResource
from assets.common.settings import OBJECT_STORE_VARIABLES

WORKERS = ("inprocess", "subprocess", "k8s")
#: The store settings a k8s worker must get from a Secret (``env_from``), never as plain values.
SECRET_STORE_SETTINGS = ("access_key", "secret_key")


class WorkerError(RuntimeError):
    """The worker ended without leaving what it was asked to write."""


def checked_worker(name: str, variable: str) -> str:
    """A worker mode, checked: a typo must not silently run the models in the step."""
    mode = name.strip() or "inprocess"
    if mode not in WORKERS:
        raise ValueError(f"{variable}={mode!r}: expected one of {', '.join(WORKERS)}")
    return mode


def store_env(object_store: ObjectStoreResource, *, secrets: bool) -> dict[str, str]:
    """The store's settings as the worker reads them (``LYDSPOR_*``); without the keys unless
    ``secrets``."""
    return {
        variable: str(getattr(object_store, setting))
        for setting, variable in OBJECT_STORE_VARIABLES.items()
        if secrets or setting not in SECRET_STORE_SETTINGS
    }


def worker_command(module: str) -> list[str]:
    return ["python", "-m", module]


def worker_pod_spec(config: dict, container: str, variable: str) -> dict:
    """The worker pod's ``base_pod_spec`` from a dagster-k8s/config (``variable`` names the
    setting it came from): ``container_config`` is the worker container's (resources,
    env_from, volume_mounts, ...), ``pod_spec_config`` the pod's (node selector, tolerations,
    volumes, ...)."""
    unknown = set(config) - {"container_config", "pod_spec_config"}
    if unknown:
        raise ValueError(f"{variable}: the worker pod does not take {sorted(unknown)}")
    spec = {"name": container, **config.get("container_config", {})}
    return {**config.get("pod_spec_config", {}), "containers": [spec]}


def worker_image(configured: str, variable: str, context: dg.AssetExecutionContext) -> str:
    """``configured`` (the setting ``variable``), else the image the run's code location runs."""
    if configured:
        return configured
    origin = context.dagster_run.job_code_origin
    image = origin.repository_origin.container_image if origin else None
    image = image or os.environ.get("DAGSTER_CURRENT_IMAGE")
    if not image:
        raise WorkerError(f"a k8s worker needs an image: set {variable} or run from one")
    return image


def run_pipes_worker(
    context: dg.AssetExecutionContext | dg.OpExecutionContext,
    mode: str,
    module: str,
    object_store: ObjectStoreResource,
    extras: Mapping[str, Any],
    *,
    image: str = "",
    pod_spec: dict | None = None,
) -> dict[str, Any]:
    """Run ``module`` as a worker (``subprocess`` or ``k8s``) to its end; the figures it
    reported: its last custom message (a worker serving an op that materialises nothing
    itself), else its materialization's metadata. A worker that fails raises here
    (``DagsterPipesExecutionError``)."""
    if mode == "subprocess":
        client = dg.PipesSubprocessClient(env=store_env(object_store, secrets=True))
        command = [sys.executable, "-m", module]
        invocation = client.run(context=context, command=command, extras=dict(extras))
    elif mode == "k8s":
        from dagster_k8s import PipesK8sClient  # the kubernetes client, only where it runs

        invocation = PipesK8sClient().run(
            context=context,
            extras=dict(extras),
            image=image,
            command=worker_command(module),
            env=store_env(object_store, secrets=False),
            base_pod_spec=pod_spec or {},
        )
    else:
        raise ValueError(f"no worker to run for {mode!r}")
    messages = invocation.get_custom_messages()
    if messages:
        return dict(messages[-1])
    return dict(invocation.get_materialize_result().metadata or {})
