"""The deployment files beside the code: every catalogue step is in the warehouse pool (found
from the definitions), the Helm values say what the official chart needs and what Dagster and
dagster-k8s accept, the compose file's services, commands and settings refer to real things.
No helm or docker compose binary here: the checks are at schema level, with Dagster's and
dagster-k8s's own validation where they have one."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.workspace.config_schema import WORKSPACE_CONFIG_SCHEMA
from dagster_k8s import DagsterK8sJobConfig, construct_dagster_k8s_job
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import get_user_defined_k8s_config
from dagster_k8s.pipes import build_pod_body

from assets.agent_audio import pipes as agent_audio_worker
from assets.common.concurrency import (
    EXECUTOR_VARIABLE,
    GPU_K8S_CONFIG_VARIABLE,
    GPU_TAG,
    IO_DIR_VARIABLE,
    K8S_CONFIG_TAG,
    WAREHOUSE_POOL,
    gpu_op_tags,
    io_dir,
)
from assets.common.secrets import AUDIT_HEADS_VARIABLE, KEY_FILE_VARIABLE, KEY_VARIABLE
from assets.common.settings import (
    CATALOGUE_VARIABLES,
    DAGSTER_YAML,
    OBJECT_STORE_VARIABLES,
    POLICY_VARIABLES,
    WHISPER_VARIABLES,
    embedded_defaults,
)

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
#: Resources that open the catalogue: the DuckDB file, and dbt, which writes the marts into it.
CATALOGUE_RESOURCES = {"duckdb", "dbt"}
#: Every variable a run reads through dg.EnvVar: a deployment must set each one.
RUN_VARIABLES = {
    v
    for table in (OBJECT_STORE_VARIABLES, CATALOGUE_VARIABLES, WHISPER_VARIABLES, POLICY_VARIABLES)
    for v in table.values()
}
#: Every LYDSPOR_* variable lydspor reads: a deployment setting another is a typo.
KNOWN_VARIABLES = {
    *embedded_defaults(Path("/nonexistent")),
    KEY_VARIABLE,
    KEY_FILE_VARIABLE,
    AUDIT_HEADS_VARIABLE,
    EXECUTOR_VARIABLE,
    GPU_K8S_CONFIG_VARIABLE,
    IO_DIR_VARIABLE,
    agent_audio_worker.WORKER_VARIABLE,
    agent_audio_worker.IMAGE_VARIABLE,
    agent_audio_worker.K8S_CONFIG_VARIABLE,
}


# -- the warehouse pool -----------------------------------------------------------------------


def catalogue_steps(defs: dg.Definitions) -> dict[str, dg.OpDefinition]:
    """Every op of every job (assets, checks, the sweep) that holds a catalogue resource."""
    steps = {}
    for job in defs.resolve_all_job_defs():
        for op in job.graph.iterate_op_defs():
            if CATALOGUE_RESOURCES & set(op.required_resource_keys):
                steps[op.name] = op
    return steps


def test_every_step_that_opens_the_catalogue_is_in_the_warehouse_pool():
    from orchestration.definitions import defs

    steps = catalogue_steps(defs)
    # Sanity: the derivation finds the assets (transcripts' plan and load ops), the gate's
    # checks, dbt and the sweep.
    assert {"raw_recordings", "plan", "load", "retention_state", "sweep_expired_objects"} <= set(
        steps
    )
    assert any("dbt" in op.required_resource_keys for op in steps.values())
    assert len(steps) >= 11, sorted(steps)
    outside = sorted(name for name, op in steps.items() if op.pool != WAREHOUSE_POOL)
    assert outside == [], f"catalogue steps outside the {WAREHOUSE_POOL} pool: {outside}"


def transcription_ops() -> dict[str, dg.OpDefinition]:
    from assets.transcripts.assets import transcripts

    return {node.name: node.definition for node in transcripts.node_def.nodes}


def test_transcription_holds_the_warehouse_slot_to_plan_and_load_not_to_hear():
    """The worker's step (``hear``) waits for no catalogue slot and holds none, so shard runs
    transcribe at once; only its neighbours, which open the catalogue, are pooled."""
    ops = transcription_ops()
    assert set(ops) == {"plan", "hear", "load"}
    assert ops["plan"].pool == ops["load"].pool == WAREHOUSE_POOL
    assert ops["hear"].pool is None
    assert not CATALOGUE_RESOURCES & set(ops["hear"].required_resource_keys)
    assert CATALOGUE_RESOURCES & set(ops["plan"].required_resource_keys)
    assert ops["hear"].tags[GPU_TAG] == "1"
    assert not {GPU_TAG, K8S_CONFIG_TAG} & (set(ops["plan"].tags) | set(ops["load"].tags))


def test_the_gpu_step_and_run_are_tagged_and_the_embedded_default_is_untouched(monkeypatch):
    from orchestration.definitions import defs

    assert transcription_ops()["hear"].tags[GPU_TAG] == "1"
    assert defs.resolve_job_def("call_pipeline").tags[GPU_TAG] == "1"
    assert GPU_TAG not in defs.resolve_job_def("call_intake").tags
    # The embedded default: one process per run, no Kubernetes tag, no pool limits.
    monkeypatch.delenv(EXECUTOR_VARIABLE, raising=False)
    assert defs.resolve_job_def("call_pipeline").executor_def is dg.in_process_executor
    assert K8S_CONFIG_TAG not in gpu_op_tags({})
    assert "pools" not in yaml.safe_load(DAGSTER_YAML).get("concurrency", {})
    with pytest.raises(ValueError, match=EXECUTOR_VARIABLE):
        gpu_op_tags({EXECUTOR_VARIABLE: "kubernetes"})


# -- Helm -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())


def _deployment(values: dict) -> dict:
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    return deployment


def _env(deployment: dict) -> dict[str, str]:
    return {item["name"]: item["value"] for item in deployment["env"]}


def test_a_k8s_executor_without_a_shared_output_directory_is_refused():
    # Each step is its own pod: outputs under one pod's DAGSTER_HOME never reach the next.
    with pytest.raises(ValueError, match=IO_DIR_VARIABLE):
        io_dir({EXECUTOR_VARIABLE: "k8s"})
    assert io_dir({}) is None  # one machine: Dagster's default, under DAGSTER_HOME
    assert io_dir({EXECUTOR_VARIABLE: "k8s", IO_DIR_VARIABLE: "/v/out"}) == "/v/out"


def test_helm_values_have_what_the_chart_needs(values):
    assert values["dagster-user-deployments"]["enabled"] is True
    deployment = _deployment(values)
    assert deployment["image"]["repository"] and deployment["image"]["tag"] not in ("", "latest")
    args = deployment["dagsterApiGrpcArgs"]
    module = args[args.index("--module-name") + 1]
    assert importlib.util.find_spec(module) is not None, module
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert "k8sRunLauncher" in values["runLauncher"]["config"]
    # An external Postgres: the chart then needs host, user, database and the password secret.
    postgresql = values["postgresql"]
    assert postgresql["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False
    for key in ("postgresqlHost", "postgresqlUsername", "postgresqlDatabase"):
        assert postgresql[key], key
    assert values["global"]["postgresqlSecretName"]
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] and coordinator["type"] == "QueuedRunCoordinator"
    # The chart refuses the queue's limits in both places; they live under `concurrency`.
    assert "maxConcurrentRuns" not in coordinator["config"]["queuedRunCoordinator"]
    assert values["concurrency"]["enabled"] is True


def test_helm_deployment_sets_every_run_setting_and_no_unknown_one(values):
    env = _env(_deployment(values))
    secret_names = {s["name"] for s in _deployment(values)["envSecrets"]}
    assert env[EXECUTOR_VARIABLE] == "k8s"
    # Step pods hand each other outputs (transcripts' plan) on the volume every pod mounts.
    assert env[IO_DIR_VARIABLE].startswith("/var/lib/lydspor/")
    assert io_dir(env) == env[IO_DIR_VARIABLE]
    mounts = {m["mountPath"] for m in _deployment(values)["volumeMounts"]}
    assert any(env[IO_DIR_VARIABLE].startswith(m + "/") for m in mounts), mounts
    # The S3 keys and the lake's DSN come from the lydspor-secrets Secret, never the values file.
    from_secret = {"LYDSPOR_S3_ACCESS_KEY", "LYDSPOR_S3_SECRET_KEY", "LYDSPOR_DUCKLAKE_CATALOG"}
    assert env["LYDSPOR_WAREHOUSE"] == "ducklake"  # many pods write: not the DuckDB file
    assert secret_names == {"lydspor-secrets"}
    assert RUN_VARIABLES - from_secret <= set(env), sorted(RUN_VARIABLES - from_secret - set(env))
    assert not from_secret & set(env)
    assert set(env) <= KNOWN_VARIABLES, sorted(set(env) - KNOWN_VARIABLES)


def _instance_yaml_from_chart(values: dict) -> dict:
    """The parts of the dagster.yaml the chart renders from these values (its template
    configmap-instance.yaml): storage, run queue, concurrency, monitoring, retries, logs."""
    pg, daemon, concurrency = values["postgresql"], values["dagsterDaemon"], values["concurrency"]
    queued = daemon["runCoordinator"]["config"]["queuedRunCoordinator"]
    monitoring, retries = daemon["runMonitoring"], daemon["runRetries"]
    return {
        "storage": {
            "postgres": {
                "postgres_db": {
                    "username": pg["postgresqlUsername"],
                    "password": {"env": "DAGSTER_PG_PASSWORD"},
                    "hostname": pg["postgresqlHost"],
                    "db_name": pg["postgresqlDatabase"],
                    "port": pg["service"]["port"],
                    "scheme": pg["postgresqlScheme"],
                }
            }
        },
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {"dequeue_interval_seconds": queued["dequeueIntervalSeconds"]},
        },
        "concurrency": {
            "pools": {
                "default_limit": concurrency["pools"]["defaultLimit"],
                "granularity": concurrency["pools"]["granularity"],
            },
            "runs": {
                "max_concurrent_runs": concurrency["runs"]["maxConcurrentRuns"],
                "tag_concurrency_limits": concurrency["runs"]["tagConcurrencyLimits"],
            },
        },
        "run_monitoring": {
            "enabled": monitoring["enabled"],
            "start_timeout_seconds": monitoring["startTimeoutSeconds"],
            "poll_interval_seconds": monitoring["pollIntervalSeconds"],
            "max_resume_run_attempts": monitoring["maxResumeRunAttempts"],
            "free_slots_after_run_end_seconds": monitoring["freeSlotsAfterRunEndSeconds"],
        },
        "run_retries": {"enabled": retries["enabled"], "max_retries": retries["maxRetries"]},
        "compute_logs": {
            "module": "dagster._core.storage.noop_compute_log_manager",
            "class": values["computeLogManager"]["type"],
        },
        "retention": {
            kind: {"purge_after_days": values["retention"][kind]["purgeAfterDays"]}
            for kind in ("schedule", "sensor")
        },
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }


def test_helm_values_render_an_instance_dagster_accepts(values, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "not-a-real-password")
    rendered = _instance_yaml_from_chart(values)
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(rendered))
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["concurrency"]["pools"]["default_limit"] == 1
    gpu = [limit for limit in config["concurrency"]["runs"]["tag_concurrency_limits"]]
    assert [limit["key"] for limit in gpu] == [GPU_TAG] and gpu[0]["limit"] >= 1
    # Negative control: a misspelt key fails Dagster's validation.
    rendered["run_monitoring"]["start_timeout_secs"] = 1
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(rendered))
    with pytest.raises(dg.DagsterInvalidConfigError):
        dagster_instance_config(str(tmp_path))


def test_the_transcription_pod_asks_for_a_gpu_and_the_code_servers_pods_parse(values):
    deployment = _deployment(values)
    env = _env(deployment)
    tags = gpu_op_tags(env)
    # dagster-k8s's own validation of the op tag, then the Job it would launch for the step.
    k8s_config = get_user_defined_k8s_config(tags)
    job = construct_dagster_k8s_job(
        DagsterK8sJobConfig(
            job_image=f"{deployment['image']['repository']}:{deployment['image']['tag']}",
            dagster_home=values.get("dagsterHome", "/opt/dagster/dagster_home"),
        ),
        ["dagster", "api", "execute_step"],
        "dagster-step-transcripts-hear",
        user_defined_k8s_config=k8s_config,
    )
    pod = job.spec.template.spec
    assert pod.containers[0].resources.limits["nvidia.com/gpu"] == "1"
    assert pod.node_selector == {"nvidia.com/gpu.present": "true"}
    assert [t.key for t in pod.tolerations] == ["nvidia.com/gpu"]
    # What the code server passes on to every run and step (includeConfigInLaunchedRuns).
    context = K8sContainerContext.create_from_config(
        {
            "k8s": {
                "env": deployment["env"],
                "env_secrets": [s["name"] for s in deployment["envSecrets"]],
                "volumes": deployment["volumes"],
                "volume_mounts": deployment["volumeMounts"],
            }
        }
    )
    mounts = {m["name"] for m in context.run_k8s_config.container_config["volume_mounts"]}
    assert mounts == {v["name"] for v in context.run_k8s_config.pod_spec_config["volumes"]}
    # Negative control: a misspelt field of the tag is refused.
    broken = json.loads(tags[K8S_CONFIG_TAG]) | {"pod_spec": {}}
    with pytest.raises(dg.DagsterInvalidConfigError):
        get_user_defined_k8s_config({K8S_CONFIG_TAG: json.dumps(broken)})


def test_agent_audio_runs_its_models_in_a_cpu_worker_pod_without_the_store_keys(values):
    env = _env(_deployment(values))
    assert agent_audio_worker.worker_mode(env) == "k8s"
    pod = build_pod_body(
        pod_name="dagster-agent-audio-worker",
        image="registry.example.com/lydspor:0.1.0",
        command=["python", "-m", agent_audio_worker.WORKER_MODULE],
        env_vars={"DAGSTER_PIPES_CONTEXT": "x"},
        base_pod_meta=None,
        base_pod_spec=agent_audio_worker.worker_pod_spec(env),
    )
    (container,) = pod.spec.containers
    assert container.command[-1] == "assets.agent_audio.worker"
    assert "nvidia.com/gpu" not in container.resources.requests and not pod.spec.tolerations
    assert [e.secret_ref.name for e in container.env_from] == ["lydspor-secrets"]
    # The default (no config set) is a CPU pod too; a misspelt field is refused.
    default = agent_audio_worker.worker_pod_spec({})
    assert "nvidia.com/gpu" not in json.dumps(default)
    with pytest.raises(ValueError, match=agent_audio_worker.K8S_CONFIG_VARIABLE):
        agent_audio_worker.worker_pod_spec(
            {agent_audio_worker.K8S_CONFIG_VARIABLE: '{"pod_spec": {}}'}
        )
    with pytest.raises(ValueError, match=agent_audio_worker.WORKER_VARIABLE):
        agent_audio_worker.worker_mode({agent_audio_worker.WORKER_VARIABLE: "kubernetes"})


# -- docker compose ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())


def _interpolated(value: str) -> set[str]:
    """The variables a compose value reads (``${NAME}``, ``${NAME:-x}``, ``${NAME:?why}``)."""
    return set(re.findall(r"\$\{([A-Z0-9_]+)", value))


def _mounts(service: dict) -> dict[str, str]:
    """Where each volume of a service is mounted (target: source); short syntax SRC:DST[:MODE]."""
    mounts = {}
    for volume in service.get("volumes", []):
        assert isinstance(volume, str), f"not a volume string (unquoted ': '?): {volume!r}"
        source, target = volume.removesuffix(":ro").rsplit(":", 1)
        mounts[target] = source
    return mounts


def test_compose_runs_the_control_plane_as_separate_processes(compose):
    services = compose["services"]
    assert {"postgres", "migrate", "code", "webserver", "daemon"} <= set(services)
    code = services["code"]["command"]
    assert code[:3] == ["dagster", "code-server", "start"]
    module = code[code.index("--module-name") + 1]
    assert importlib.util.find_spec(module) is not None, module
    port = int(code[code.index("--port") + 1])
    assert services["migrate"]["command"] == ["dagster", "instance", "migrate"]
    assert services["daemon"]["command"][:2] == ["dagster-daemon", "run"]
    assert services["webserver"]["command"][0] == "dagster-webserver"
    for name in ("webserver", "daemon", "code"):
        assert shutil.which(services[name]["command"][0], path=str(REPO / ".venv" / "bin"))
        assert services[name]["depends_on"], name
    # The webserver and the daemon find the code server where deploy/workspace.yaml says.
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    assert validate_config(WORKSPACE_CONFIG_SCHEMA, workspace).success
    (entry,) = workspace["load_from"]
    assert entry["grpc_server"]["host"] == "code" and entry["grpc_server"]["port"] == port
    for name in ("webserver", "daemon"):
        command = services[name]["command"]
        assert (
            _mounts(services[name])[command[command.index("--workspace") + 1]] == "./workspace.yaml"
        )
    # The UI has no sign-in: never published beyond this host.
    assert all(p.startswith("127.0.0.1:") for p in services["webserver"]["ports"])


def test_compose_processes_share_one_instance_and_set_every_run_setting(compose):
    services = compose["services"]
    postgres_env = services["postgres"]["environment"]
    for name in ("migrate", "code", "webserver", "daemon"):
        service = services[name]
        env = service["environment"]
        assert _mounts(service)[f"{env['DAGSTER_HOME']}/dagster.yaml"] == "./dagster.yaml"
        url = env["DAGSTER_POSTGRES_URL"]
        assert url.startswith("postgresql+psycopg2://") and "@postgres:5432/" in url
        # Same user, password and database as the postgres service reads.
        assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"} <= _interpolated(url)
        assert all(_interpolated(str(v)) for v in postgres_env.values())
        assert set(env) >= RUN_VARIABLES, sorted(RUN_VARIABLES - set(env))
        lydspor = {k for k in env if k.startswith("LYDSPOR_")}
        assert lydspor <= KNOWN_VARIABLES, sorted(lydspor - KNOWN_VARIABLES)
        assert env[KEY_FILE_VARIABLE].startswith("/run/secrets/")
        assert "subprocess" in env[agent_audio_worker.WORKER_VARIABLE]
    # Files the services mount exist (relative to deploy/), unless a variable names them.
    for service in services.values():
        for source in _mounts(service).values():
            if source.startswith("."):
                default = re.fullmatch(r"\$\{[A-Z0-9_]+:-(.+)\}", source)
                path = default.group(1) if default else source
                if not _interpolated(path):
                    assert (DEPLOY / path).exists(), source


def test_every_required_compose_setting_is_in_the_example_env_file(compose):
    text = (DEPLOY / "docker-compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    example = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "lydspor.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert required and required <= example, sorted(required - example)


def test_the_image_is_built_from_the_lock_file_without_runtime_state():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        assert name in dockerfile and (REPO / name).exists(), name
    assert "uv sync --frozen --no-dev" in dockerfile
    assert re.search(r"^USER (?!root)", dockerfile, re.M)
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    # The catalogue, the audio, Dagster's history, keys and the local .env never reach an image.
    assert {"data/state", "data/secrets", ".env", ".venv"} <= set(ignored)


# -- the cost projection ----------------------------------------------------------------------


def _figure(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, pattern
    return float(match.group(1).replace(",", ""))


def test_the_cost_projection_follows_from_the_measured_figures():
    """docs/scale.md's formula, recomputed from benchmarks/README.md's measured end-to-end
    figures: a new benchmark that is not carried into the projection fails here."""
    bench = (REPO / "benchmarks" / "README.md").read_text()
    end_to_end = bench[bench.index("## End to end") :]
    assert "2-core" in end_to_end
    audio_min = _figure(r"\| audio \| ([\d.]+) min", end_to_end)
    wall_s = _figure(r"\| pipeline wall time \| ([\d.]+) s", end_to_end)
    transcripts_s = _figure(r"\| per step \| transcripts ([\d.]+) s", end_to_end)
    scale = (REPO / "docs" / "scale.md").read_text()
    minutes, audio_hours = 1_000_000 * 5, 1_000_000 * 5 / 60
    gpu_hours = [audio_hours / speed for speed in (70, 45)]
    core_s = (wall_s - transcripts_s) * 2 / audio_min
    core_hours = minutes * core_s / 3600
    assert _figure(r"c = ([\d.]+) s . 2 cores", scale) == pytest.approx(wall_s - transcripts_s)
    assert _figure(r"= ([\d.]+) core-s per audio minute", scale) == pytest.approx(core_s, 0.01)
    assert _figure(r"= 5,000,000 . [\d.]+ / 3600 = ([\d,]+)", scale) == pytest.approx(
        core_hours, 0.01
    )
    shown = re.search(r"= ([\d,]+) … ([\d,]+)  \(", scale)
    assert [float(g.replace(",", "")) for g in shown.groups()] == pytest.approx(gpu_hours, 0.01)
    cheap, dear = (float(c.replace(",", "")) for c in re.findall(r"=\s+([\d,]+) \$", scale))
    assert cheap == pytest.approx(gpu_hours[0] * 1.00 + core_hours * 0.04, 0.01)
    assert dear == pytest.approx(gpu_hours[1] * 2.50 + core_hours * 0.04, 0.01)
