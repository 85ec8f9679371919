"""The embedded defaults: what lydspor runs on when nothing is configured, and where each
resource setting is read from.

Resources read these through ``dg.EnvVar`` at run time; the CLI fills in any variable the user
has not set before it loads the definitions, and writes a ``.env`` so ``dagster dev`` sees them.
Both build their resources with :func:`from_environment` over the same variable tables, so a
setting cannot be read from one variable by the pipeline and from another by the CLI.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from assets.common.secrets import KEY_FILE_VARIABLE, default_key_file

#: Calls are partitioned by their local call date in the tenant's time zone.
CALL_TIMEZONE = ZoneInfo("Europe/Oslo")

STATE_DIR = Path("data/state")
#: The policy shipped with the repository, used when the working directory has none.
SHIPPED_POLICY = Path(__file__).resolve().parents[2] / "data" / "policies" / "default.yaml"
#: The access policy template: the embedded default's effective policy is written from it into
#: the state directory on first use, with the OS account that set lydspor up as its owner
#: (``assets.access.identity``). Never read from the working directory: a file anyone can drop
#: there must not decide who is who.
SHIPPED_ACCESS_POLICY = SHIPPED_POLICY.with_name("access.yaml")
ACCESS_POLICY_NAME = "access.yaml"


def default_policy_path() -> Path:
    local = Path("data/policies/default.yaml")
    return local.resolve() if local.exists() else SHIPPED_POLICY


def embedded_defaults(state_dir: Path = STATE_DIR) -> dict[str, str]:
    state = state_dir.resolve()
    return {
        "LYDSPOR_DUCKDB_PATH": str(state / "lydspor.duckdb"),
        # The warehouse: the DuckDB file above, or "ducklake" (assets/common/lake.py) with a
        # catalogue (a Postgres DSN, or a DuckDB file) and a data path (s3://bucket/prefix or
        # a folder) for deployments with many writers.
        "LYDSPOR_WAREHOUSE": "duckdb",
        "LYDSPOR_DUCKLAKE_CATALOG": "",
        "LYDSPOR_DUCKLAKE_DATA_PATH": "",
        # Empty endpoint = the embedded directory store under LYDSPOR_STORE_ROOT.
        "LYDSPOR_S3_ENDPOINT": "",
        "LYDSPOR_STORE_ROOT": str(state / "objects"),
        "LYDSPOR_BUCKET": "lydspor",
        "LYDSPOR_S3_ACCESS_KEY": "",
        "LYDSPOR_S3_SECRET_KEY": "",
        "LYDSPOR_S3_SECURE": "false",
        "LYDSPOR_S3_REGION": "",
        "LYDSPOR_S3_OBJECT_LOCK": "false",
        "LYDSPOR_WHISPER_MODEL": "bundled:base",
        "LYDSPOR_MODEL_DIR": str(state / "models"),
        # faster-whisper (CPU) or whisperx (GPU machines, the `whisperx` extra).
        "LYDSPOR_WHISPER_ENGINE": "faster-whisper",
        "LYDSPOR_WHISPERX_ALIGN_MODEL": "",
        "LYDSPOR_WHISPERX_DIARIZE_MODEL": "",
        # Where the engine runs: in the step's process, or a Dagster Pipes worker
        # (subprocess, k8s): assets/transcripts/README.md, "Workers".
        "LYDSPOR_TRANSCRIBE_WORKER": "inprocess",
        "LYDSPOR_TRANSCRIBE_WORKER_IMAGE": "",
        "LYDSPOR_POLICY": str(default_policy_path()),
        "LYDSPOR_ACCESS_POLICY": str(state / ACCESS_POLICY_NAME),
        "DAGSTER_HOME": str(state / "dagster"),
        # The key of keyed pseudonyms (assets/common/secrets.py): beside the state, not in it.
        KEY_FILE_VARIABLE: str(default_key_file(state)),
    }


def apply_embedded_defaults(state_dir: Path = STATE_DIR) -> dict[str, str]:
    """Set every unset lydspor variable to its embedded default; return the effective values."""
    for name, value in embedded_defaults(state_dir).items():
        os.environ.setdefault(name, value)
    lock_down(Path(os.environ["LYDSPOR_DUCKDB_PATH"]))
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    dagster_yaml = home / "dagster.yaml"
    if not dagster_yaml.exists() or _ours(dagster_yaml.read_text()):
        dagster_yaml.write_text(embedded_dagster_yaml(home))
    return {name: os.environ[name] for name in embedded_defaults(state_dir)}


def lock_down(catalogue: Path) -> None:
    """Keep what lydspor writes to its own account: files 0600 and folders 0700 from here on
    (the process umask, inherited by the runs it starts), the catalogue's folder 0700 and the
    catalogue 0600, also where an older lydspor created them readable by everyone."""
    os.umask(os.umask(0o077) | 0o077)
    folder = catalogue.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path, mode in ((folder, 0o700), (catalogue, 0o600)):
        if path.exists() and path.stat().st_uid == os.geteuid():
            path.chmod(mode)


#: The tag every run that writes the DuckDB catalogue carries: DuckDB admits one writing
#: process, so the run queue starts one such run at a time (the limit in ``DAGSTER_YAML``).
CATALOGUE_WRITER_TAG = "lydspor/catalogue"

#: The embedded Dagster instance: runs the sensors and schedules request wait in the daemon's
#: queue (``dagster dev`` runs the daemon) and start one catalogue writer at a time; the queue
#: is looked at every second, so a landed call is not kept waiting for it.
DAGSTER_YAML = f"""\
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
concurrency:
  runs:
    tag_concurrency_limits:
      - key: {CATALOGUE_WRITER_TAG}
        limit: 1
telemetry:
  enabled: false
"""
#: The embedded instance's event log: Dagster's SQLite files where Dagster keeps them
#: (``history/runs/`` under the home), written with connections kept open
#: (``assets/common/event_log.py``). The path is absolute, so it is rewritten for the home it is
#: in each time the defaults are applied (a moved state points at itself again).
_EVENT_LOG_YAML = """\
event_log_storage:
  module: assets.common.event_log
  class: EmbeddedEventLogStorage
  config:
    base_dir: {base_dir}
"""
#: What older versions wrote (runs started at once, never queued; no event log): replaced.
_PREVIOUS_DAGSTER_YAML = (
    "run_coordinator:\n"
    "  module: dagster._core.run_coordinator\n"
    "  class: DefaultRunCoordinator\n"
    "telemetry:\n"
    "  enabled: false\n"
)


def embedded_dagster_yaml(home: Path) -> str:
    """The embedded instance's ``dagster.yaml`` for the Dagster home ``home``."""
    return DAGSTER_YAML + _EVENT_LOG_YAML.format(
        base_dir=json.dumps(str(home / "history" / "runs"))
    )


def _ours(text: str) -> bool:
    """Whether a ``dagster.yaml`` is one lydspor wrote (any version, any home), not the user's."""
    if text in (_PREVIOUS_DAGSTER_YAML, DAGSTER_YAML):
        return True
    pattern = re.escape(DAGSTER_YAML + _EVENT_LOG_YAML).replace(re.escape("{base_dir}"), '"[^\n]*"')
    return re.fullmatch(pattern, text) is not None


def write_dotenv(values: dict[str, str], path: Path = Path(".env")) -> bool:
    """Write ``.env`` for ``dagster dev``. An existing file keeps every line it has; only
    settings it lacks are appended (a newer lydspor reads more of them, and ``dagster dev``
    fails a run on a missing variable). Returns whether anything was written."""
    text = path.read_text() if path.exists() else ""
    present = {line.split("=", 1)[0].strip() for line in text.splitlines() if "=" in line}
    missing = {k: v for k, v in values.items() if k not in present}
    if not missing:
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + "".join(f"{k}={v}\n" for k, v in missing.items()))
    return True


#: Each setting of the object store (``ObjectStoreResource``) and the variable it is read from.
OBJECT_STORE_VARIABLES = {
    "endpoint": "LYDSPOR_S3_ENDPOINT",
    "root": "LYDSPOR_STORE_ROOT",
    "bucket": "LYDSPOR_BUCKET",
    "access_key": "LYDSPOR_S3_ACCESS_KEY",
    "secret_key": "LYDSPOR_S3_SECRET_KEY",
    "secure": "LYDSPOR_S3_SECURE",
    "region": "LYDSPOR_S3_REGION",
    "object_lock": "LYDSPOR_S3_OBJECT_LOCK",
}
#: The warehouse (``CatalogResource``): the DuckDB file, or the DuckLake that replaces it.
CATALOGUE_VARIABLES = {
    "database": "LYDSPOR_DUCKDB_PATH",
    "warehouse": "LYDSPOR_WAREHOUSE",
    "ducklake_catalog": "LYDSPOR_DUCKLAKE_CATALOG",
    "ducklake_data_path": "LYDSPOR_DUCKLAKE_DATA_PATH",
}
#: The tenant's retention policy file (``PolicyResource``).
POLICY_VARIABLES = {"path": "LYDSPOR_POLICY"}
#: The speech engine and model (``WhisperResource``).
WHISPER_VARIABLES = {
    "model": "LYDSPOR_WHISPER_MODEL",
    "model_dir": "LYDSPOR_MODEL_DIR",
    "engine": "LYDSPOR_WHISPER_ENGINE",
    "align_model": "LYDSPOR_WHISPERX_ALIGN_MODEL",
    "diarize_model": "LYDSPOR_WHISPERX_DIARIZE_MODEL",
    "worker": "LYDSPOR_TRANSCRIBE_WORKER",
    "worker_image": "LYDSPOR_TRANSCRIBE_WORKER_IMAGE",
}


def from_environment(
    variables: Mapping[str, str], read: Callable[[str], Any] = os.environ.__getitem__
) -> dict[str, Any]:
    """A resource's settings from its variable table: read now (the CLI, the default), or
    ``read=dg.EnvVar`` to have Dagster read each variable when a run starts (the definitions)."""
    return {setting: read(variable) for setting, variable in variables.items()}
