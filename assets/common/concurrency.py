"""How steps share a multi-machine deployment: the warehouse pool, the GPU tag, the executor.

On the embedded default (``dagster dev`` on SQLite, ``make demo``) none of this changes what
runs: no pool has a limit there, and the run queue already starts one catalogue writer at a
time (``settings.DAGSTER_YAML``). On a deployment (``deploy/``) the instance gives the
``warehouse`` pool one slot, so runs go in parallel and only the steps that hold the catalogue
wait for each other; the run queue starts at most as many GPU runs as there are GPUs.

Settings (read when the code location loads, so every process of one deployment agrees):

- ``LYDSPOR_EXECUTOR``: ``in_process`` (default: every step in the run's own process) or
  ``k8s`` (``dagster_k8s.k8s_job_executor``: each step in its own Kubernetes Job).
- ``LYDSPOR_GPU_K8S_CONFIG``: the ``dagster-k8s/config`` of the step that hears (``transcripts``'
  unpooled ``hear`` op, or its k8s worker's pod), as JSON
  (``container_config``, ``pod_spec_config``, ...). Unset on ``k8s``: one ``nvidia.com/gpu``,
  a node with the NVIDIA GPU feature discovery label, and the toleration for GPU nodes' taint.
  Ignored unless the executor is ``k8s``.
- ``LYDSPOR_IO_DIR``: where steps hand each other their outputs (``transcripts``' plan goes
  from ``plan`` to ``hear`` and ``load``): a directory every step's pod mounts, required on
  ``k8s`` (each step is its own pod). Unset: Dagster's default, ``storage/`` under
  ``DAGSTER_HOME``. Either way a run's outputs are deleted with its run logs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

#: The pool of every step that opens the catalogue (the DuckDB file admits one writing
#: process; DuckLake's upserts and deletes conflict between writers). Its limit is the
#: instance's: 1 in ``deploy/dagster.yaml`` (``concurrency.pools.default_limit``), none in the
#: embedded default, whose run queue already serialises catalogue writers.
WAREHOUSE_POOL = "warehouse"

#: Run and op tag of work that wants a GPU (transcription). The run queue's limit on this key
#: (``concurrency.runs.tag_concurrency_limits``) is the number of GPUs of the deployment.
GPU_TAG = "lydspor/gpu"

#: The op tag dagster-k8s reads a step's pod and container settings from.
K8S_CONFIG_TAG = "dagster-k8s/config"

EXECUTOR_VARIABLE = "LYDSPOR_EXECUTOR"
GPU_K8S_CONFIG_VARIABLE = "LYDSPOR_GPU_K8S_CONFIG"
EXECUTORS = ("in_process", "k8s")
IO_DIR_VARIABLE = "LYDSPOR_IO_DIR"

#: One GPU per transcription step, on a node labelled by NVIDIA's GPU feature discovery, past
#: the ``nvidia.com/gpu:NoSchedule`` taint GPU node pools usually carry.
DEFAULT_GPU_K8S_CONFIG = {
    "container_config": {
        "resources": {
            "requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
            "limits": {"memory": "24Gi", "nvidia.com/gpu": "1"},
        }
    },
    "pod_spec_config": {
        "node_selector": {"nvidia.com/gpu.present": "true"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    },
}


def executor_name(environ: Mapping[str, str] = os.environ) -> str:
    """``LYDSPOR_EXECUTOR``, checked: a typo must not silently run a cluster in one process."""
    name = environ.get(EXECUTOR_VARIABLE, "").strip() or "in_process"
    if name not in EXECUTORS:
        raise ValueError(f"{EXECUTOR_VARIABLE}={name!r}: expected one of {', '.join(EXECUTORS)}")
    return name


def io_dir(environ: Mapping[str, str] = os.environ) -> str | None:
    """``LYDSPOR_IO_DIR``; on ``k8s`` it must be set: a step pod cannot read another's files."""
    directory = environ.get(IO_DIR_VARIABLE, "").strip() or None
    if directory is None and executor_name(environ) == "k8s":
        raise ValueError(
            f"{EXECUTOR_VARIABLE}=k8s needs {IO_DIR_VARIABLE}: a volume every step mounts"
        )
    return directory


def gpu_op_tags(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The op tags of the step that hears (``transcripts``' ``hear`` op): the GPU tag, and on
    Kubernetes the pod settings that ask for a GPU (JSON, as dagster-k8s reads tag values)."""
    tags = {GPU_TAG: "1"}
    if executor_name(environ) == "k8s":
        configured = environ.get(GPU_K8S_CONFIG_VARIABLE, "").strip()
        config = json.loads(configured) if configured else DEFAULT_GPU_K8S_CONFIG
        tags[K8S_CONFIG_TAG] = json.dumps(config, sort_keys=True)
    return tags
