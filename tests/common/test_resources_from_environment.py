"""One way to build the store, the catalogue and the policy from the environment: the code
location defers each read to run start, the CLI and the web app read at once, and both go
through the same helpers and variable tables."""

from __future__ import annotations

import dagster as dg

from assets.common.resources import (
    catalogue_path,
    catalogue_resource,
    object_store_resource,
    store_from_environment,
)
from assets.common.settings import CATALOGUE_VARIABLES, OBJECT_STORE_VARIABLES, POLICY_VARIABLES
from assets.retention.resources import policy_from_environment, policy_resource


def test_the_code_location_defers_every_read_to_run_start():
    # Imported here: loading the code location needs the dbt manifest the session fixture builds.
    from orchestration.definitions import build_resources

    resources = build_resources()
    for key, variables in (
        ("object_store", OBJECT_STORE_VARIABLES),
        ("duckdb", CATALOGUE_VARIABLES),
        ("policy", POLICY_VARIABLES),
    ):
        fields = resources[key]._get_non_default_public_field_values()
        assert all(isinstance(value, dg.EnvVar) for value in fields.values()), key
        assert {name: value.env_var_name for name, value in fields.items()} == variables, key


def test_the_cli_reads_the_same_variables_at_once(tmp_path, monkeypatch):
    for variable in OBJECT_STORE_VARIABLES.values():
        monkeypatch.setenv(variable, "")
    monkeypatch.setenv("LYDSPOR_STORE_ROOT", str(tmp_path / "objects"))
    monkeypatch.setenv("LYDSPOR_BUCKET", "tenant-a")
    monkeypatch.setenv("LYDSPOR_S3_SECURE", "false")
    monkeypatch.setenv("LYDSPOR_S3_OBJECT_LOCK", "false")
    for variable in CATALOGUE_VARIABLES.values():
        monkeypatch.setenv(variable, "")
    monkeypatch.setenv("LYDSPOR_DUCKDB_PATH", str(tmp_path / "catalogue.duckdb"))
    monkeypatch.setenv("LYDSPOR_WAREHOUSE", "duckdb")
    monkeypatch.setenv("LYDSPOR_POLICY", "data/policies/default.yaml")

    store = store_from_environment()
    store.put_bytes("probe/one.txt", b"x")
    assert (tmp_path / "objects" / "tenant-a" / "probe" / "one.txt").read_bytes() == b"x"
    assert catalogue_path() == tmp_path / "catalogue.duckdb"
    assert catalogue_resource().database == str(tmp_path / "catalogue.duckdb")
    assert object_store_resource().bucket == "tenant-a"
    assert policy_resource().path == "data/policies/default.yaml"
    assert policy_from_environment().tenant
