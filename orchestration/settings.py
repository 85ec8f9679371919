"""The embedded defaults: what lydspor runs on when nothing is configured.

Resources read these through ``dg.EnvVar`` at run time; the CLI fills in any variable the user
has not set before it loads the definitions, and writes a ``.env`` so ``dagster dev`` sees them.
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR = Path("data/state")
#: The policy shipped with the repository, used when the working directory has none.
SHIPPED_POLICY = Path(__file__).resolve().parent.parent / "data" / "policies" / "default.yaml"
SHIPPED_ACCESS_POLICY = SHIPPED_POLICY.with_name("access.yaml")


def default_policy_path() -> Path:
    local = Path("data/policies/default.yaml")
    return local.resolve() if local.exists() else SHIPPED_POLICY


def default_access_policy_path() -> Path:
    local = Path("data/policies/access.yaml")
    return local.resolve() if local.exists() else SHIPPED_ACCESS_POLICY


def embedded_defaults(state_dir: Path = STATE_DIR) -> dict[str, str]:
    state = state_dir.resolve()
    return {
        "LYDSPOR_DUCKDB_PATH": str(state / "lydspor.duckdb"),
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
        "LYDSPOR_POLICY": str(default_policy_path()),
        "LYDSPOR_ACCESS_POLICY": str(default_access_policy_path()),
        "DAGSTER_HOME": str(state / "dagster"),
    }


def apply_embedded_defaults(state_dir: Path = STATE_DIR) -> dict[str, str]:
    """Set every unset lydspor variable to its embedded default; return the effective values."""
    for name, value in embedded_defaults(state_dir).items():
        os.environ.setdefault(name, value)
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    dagster_yaml = home / "dagster.yaml"
    if not dagster_yaml.exists():
        # Without the daemon, runs launched from the UI would queue forever.
        dagster_yaml.write_text(
            "run_coordinator:\n"
            "  module: dagster._core.run_coordinator\n"
            "  class: DefaultRunCoordinator\n"
            "telemetry:\n"
            "  enabled: false\n"
        )
    return {name: os.environ[name] for name in embedded_defaults(state_dir)}


def write_dotenv(values: dict[str, str], path: Path = Path(".env")) -> bool:
    """Write ``.env`` for ``dagster dev`` unless the user already has one."""
    if path.exists():
        return False
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return True
