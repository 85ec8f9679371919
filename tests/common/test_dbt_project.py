"""The dbt CLI resource: dbt runs without `dbt --version` or an in-process adapter first."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from dagster_dbt.core import resource as dagster_dbt_resource

from assets.common.dbt_project import dbt_resource


def _no_subprocess_output(*args, **kwargs):
    raise AssertionError(f"a subprocess was asked for its output: {args}")


def test_the_version_is_the_installed_dbt_core_without_asking_the_executable(monkeypatch):
    monkeypatch.setattr(dagster_dbt_resource, "check_output", _no_subprocess_output)
    assert str(dbt_resource()._cli_version) == version("dbt-core")


def test_another_executable_is_still_asked_its_version(monkeypatch, tmp_path):
    asked = []

    def fake_output(command, *args, **kwargs):
        asked.append(command)
        return b"Core:\n  - installed: 1.9.4\n"

    monkeypatch.setattr(dagster_dbt_resource, "check_output", fake_output)
    other = dbt_resource().model_copy(update={"dbt_executable": str(tmp_path / "dbt")})
    assert str(other._cli_version) == "1.9.4"
    assert asked == [[str(tmp_path / "dbt"), "--version"]]


def test_a_dbt_command_runs_with_no_version_subprocess_and_no_adapter(monkeypatch, tmp_path):
    monkeypatch.setattr(dagster_dbt_resource, "check_output", _no_subprocess_output)
    invocation = dbt_resource().cli(["parse", "--quiet"], target_path=tmp_path / "target")
    assert invocation.wait().is_successful()
    assert invocation.adapter is None
    assert (tmp_path / "target" / "manifest.json").is_file()


@pytest.mark.parametrize("attribute", ["_cli_version", "_initialize_dbt_core_adapter"])
def test_the_overridden_dagster_dbt_members_still_exist(attribute):
    # Both are private to dagster-dbt: an upgrade that renames them fails here, not in a run.
    assert hasattr(dagster_dbt_resource.DbtCliResource, attribute)
