"""The transcription worker's pod as PipesK8sClient would submit it (no cluster here: the pod
body dagster-k8s builds, from the Helm values' settings), the step's own tags, and the work
file format."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from dagster_k8s.pipes import build_pod_body

from assets.common.concurrency import (
    DEFAULT_GPU_K8S_CONFIG,
    EXECUTOR_VARIABLE,
    GPU_K8S_CONFIG_VARIABLE,
    GPU_TAG,
    K8S_CONFIG_TAG,
)
from assets.common.resources import ObjectStoreResource
from assets.transcripts.engines import Transcript, Word
from assets.transcripts.language import LanguageChoice
from assets.transcripts.models import TrackResult
from assets.transcripts.pipes import (
    WORKER_VARIABLE,
    gpu_k8s_config,
    step_op_tags,
    store_env,
    worker_command,
    worker_pod_spec,
)
from assets.transcripts.work import result_bytes, result_from_bytes, work_key

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def helm_env() -> dict[str, str]:
    values = yaml.safe_load((REPO / "deploy" / "helm" / "values.yaml").read_text())
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    return {item["name"]: item["value"] for item in deployment["env"]}


def pod_for(env: dict[str, str]):
    store = ObjectStoreResource(
        endpoint=env["LYDSPOR_S3_ENDPOINT"],
        bucket=env["LYDSPOR_BUCKET"],
        access_key="AKIA-not-in-the-pod",
        secret_key="secret-not-in-the-pod",
        secure=env["LYDSPOR_S3_SECURE"],
    )
    return build_pod_body(
        pod_name="dagster-transcripts-worker",
        image="registry.example.com/lydspor:0.1.0",
        command=worker_command(),
        env_vars={"DAGSTER_PIPES_CONTEXT": "x", **store_env(store, secrets=False)},
        base_pod_meta=None,
        base_pod_spec=worker_pod_spec(gpu_k8s_config(env)),
    )


def test_production_runs_the_engine_in_a_gpu_worker_pod(helm_env):
    assert helm_env[WORKER_VARIABLE] == "k8s"
    pod = pod_for(helm_env)
    (container,) = pod.spec.containers
    assert container.command == ["python", "-m", "assets.transcripts.worker"]
    assert container.image == "registry.example.com/lydspor:0.1.0"
    assert container.resources.limits["nvidia.com/gpu"] == "1"
    assert pod.spec.node_selector == {"nvidia.com/gpu.present": "true"}
    assert [t.key for t in pod.spec.tolerations] == ["nvidia.com/gpu"]
    assert pod.spec.restart_policy == "Never"
    env = {e.name: e.value for e in container.env}
    assert env["LYDSPOR_S3_ENDPOINT"] == helm_env["LYDSPOR_S3_ENDPOINT"]
    assert env["LYDSPOR_BUCKET"] == "lydspor" and "DAGSTER_PIPES_CONTEXT" in env
    # The store's keys come from the Secret, never as values in a pod spec.
    assert "LYDSPOR_S3_SECRET_KEY" not in env and "LYDSPOR_S3_ACCESS_KEY" not in env
    assert "secret-not-in-the-pod" not in json.dumps(pod.to_dict(), default=str)
    assert [e.secret_ref.name for e in container.env_from] == ["lydspor-secrets"]
    # The models (LYDSPOR_MODEL_DIR) are on the shared volume the pod mounts.
    (mount,) = container.volume_mounts
    assert helm_env["LYDSPOR_MODEL_DIR"].startswith(mount.mount_path)
    assert {v.name for v in pod.spec.volumes} == {mount.name}


def test_the_default_gpu_request_serves_the_worker_and_a_bad_config_is_refused():
    pod = pod_for(
        {
            "LYDSPOR_S3_ENDPOINT": "",
            "LYDSPOR_BUCKET": "lydspor",
            "LYDSPOR_S3_SECURE": "false",
        }
    )
    wanted = DEFAULT_GPU_K8S_CONFIG["container_config"]["resources"]["limits"]["nvidia.com/gpu"]
    assert pod.spec.containers[0].resources.limits["nvidia.com/gpu"] == wanted
    with pytest.raises(ValueError, match="does not take"):
        worker_pod_spec({"container_config": {}, "pod_spec": {}})


def test_the_step_asks_for_a_gpu_only_when_it_runs_the_engine_itself():
    k8s = {EXECUTOR_VARIABLE: "k8s"}
    assert K8S_CONFIG_TAG in step_op_tags(k8s)  # in-process engine: the step's Job has the GPU
    worker = step_op_tags({**k8s, WORKER_VARIABLE: "k8s"})
    assert worker == {GPU_TAG: "1"}  # the run still counts against the GPU limit
    assert step_op_tags({}) == {GPU_TAG: "1"}
    with pytest.raises(ValueError, match=WORKER_VARIABLE):
        step_op_tags({WORKER_VARIABLE: "kubernetes"})
    with pytest.raises(ValueError, match=GPU_K8S_CONFIG_VARIABLE):
        worker_pod_spec({"job_spec_config": {}})


def test_a_work_file_gives_back_exactly_what_was_heard():
    words = [
        Word("Hei,", 0.1234567, 0.4, 0.987654321, 0),
        Word("nummeret", 0.5, 0.91, 0.5, 0, "SPEAKER_00"),
    ]
    heard = TrackResult(
        Transcript("nb", 12.345, words, "faster-whisper", "whisper"),
        LanguageChoice("nb", "detected", 0.8123),
        "bundled:base",
    )
    assert result_from_bytes(result_bytes(heard)) == heard
    silent = TrackResult(
        Transcript("en", 3.0, []), LanguageChoice("en", "metadata", None), "bundled:base"
    )
    assert result_from_bytes(result_bytes(silent)) == silent
    key = work_key(date(2026, 11, 2), "20261102-001", "agent")
    assert key == "work/transcripts/2026-11-02/20261102-001/agent.parquet"


def test_the_worker_loads_neither_dagster_nor_the_catalogue_driver():
    """The worker cannot open the catalogue (it never imports DuckDB) and starts without
    Dagster's import (seconds per worker): only dagster_pipes."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, assets.transcripts.worker; "
            "print(' '.join(m for m in sys.modules if m.split('.')[0] in "
            "('dagster', 'duckdb', 'dagster_duckdb', 'dagster_pipes')))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout.split()
    assert "dagster_pipes" in loaded
    assert not [m for m in loaded if m.split(".")[0] in ("dagster", "duckdb", "dagster_duckdb")]
