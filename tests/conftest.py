"""Shared fixtures: an isolated lydspor state per test (whose effective access policy makes
the OS account running the tests the owner), the real S3 server, sample calls."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assets.common.settings import embedded_defaults
from tests.support.fixtures import ceph_s3, postgres  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
#: The assembled Whisper model is shared by every test (assembling it takes a few seconds).
MODEL_DIR = REPO / "data" / "state" / "models"


def lydspor_env(state: Path, **overrides: str) -> dict[str, str]:
    env = embedded_defaults(state)
    env["LYDSPOR_MODEL_DIR"] = str(MODEL_DIR)
    env["LYDSPOR_POLICY"] = str(REPO / "data" / "policies" / "default.yaml")
    env.update(overrides)
    return env


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest():
    """Dagster reads the dbt manifest when the definitions load: build it once per session."""
    from assets.common.dbt_project import prepare_manifest

    prepare_manifest()


@pytest.fixture(autouse=True)
def tenant_key(tmp_path, monkeypatch) -> None:
    """Every lydspor process has a tenant key (the CLI's embedded defaults point at one): so
    does every test, in a folder of its own, unless it sets one (``lydspor_state`` does)."""
    if not os.environ.get("LYDSPOR_SECRET_KEY") and not os.environ.get("LYDSPOR_SECRET_KEY_FILE"):
        monkeypatch.setenv("LYDSPOR_SECRET_KEY_FILE", str(tmp_path / "secrets" / "lydspor.key"))


@pytest.fixture
def lydspor_state(tmp_path, monkeypatch) -> Path:
    """A fresh embedded lydspor (DuckDB, object store, Dagster home) for one test."""
    for name, value in lydspor_env(tmp_path / "state").items():
        monkeypatch.setenv(name, value)
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    return tmp_path / "state"


@pytest.fixture
def act_as(lydspor_state, tmp_path, monkeypatch):
    """``act_as(policy, user)``: run the CLI and notebooks under ``policy`` with this test's OS
    account mapped to ``user`` (None: to no one). Without it, the embedded default's effective
    policy (written on first use) makes the account the owner, which ``--as`` then acts from."""
    from tests.support.identity import write_policy

    def use(policy, user: str | None):
        path = write_policy(tmp_path / f"access-{user}.json", policy, user)
        monkeypatch.setenv("LYDSPOR_ACCESS_POLICY", str(path))
        return path

    return use


@pytest.fixture
def local_store(lydspor_state):
    from assets.common.storage import LocalObjectStore

    return LocalObjectStore(Path(os.environ["LYDSPOR_STORE_ROOT"]), os.environ["LYDSPOR_BUCKET"])


@pytest.fixture
def catalog(lydspor_state):
    import duckdb

    from assets.common.warehouse import ensure_table
    from assets.recordings.ingest import CATALOGUE_TABLES
    from assets.retention.ledger import ensure_ledger

    con = duckdb.connect(os.environ["LYDSPOR_DUCKDB_PATH"])
    ensure_ledger(con)
    for table, schema in CATALOGUE_TABLES.items():
        ensure_table(con, table, schema)
    yield con
    con.close()


@pytest.fixture(scope="session")
def policy():
    from assets.retention.policy import load_policy

    return load_policy(REPO / "data" / "policies" / "default.yaml")
