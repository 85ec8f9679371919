"""dbt's parse for the run's window, started with a run that transcribes and used by the build."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from assets.common.partitions import run_window_vars
from assets.marts.resources import MartsDbtResource, dbt_vars, marts_dbt_resource, parses_beside
from assets.retention.resources import PolicyResource

REPO = Path(__file__).resolve().parents[2]
POLICY = PolicyResource(path=str(REPO / "data" / "policies" / "default.yaml"))
PIPELINE_STEPS = ["raw_recordings", "agent_audio", "transcripts.plan", "transcripts.load"]
MARTS_STEPS = ["retention_state", "lydspor_dbt_models"]
DAY = {"dagster/partition": "2026-11-02"}


def init_context(steps: list[str], tags: dict[str, str]) -> SimpleNamespace:
    """What ``setup_for_execution`` reads of Dagster's init context: the run and its plan."""
    run = SimpleNamespace(run_id=str(uuid.uuid4()), tags=tags, execution_plan_snapshot_id="p")
    plan = SimpleNamespace(step_keys_to_execute=steps)
    instance = SimpleNamespace(get_execution_plan_snapshot=lambda snapshot_id: plan)
    return SimpleNamespace(dagster_run=run, instance=instance, log=None)


def expected_vars(start: str, end: str) -> str:
    window = {"min_call_date": start, "max_call_date": end}
    return dbt_vars(window, POLICY.load().mart_purposes)


@pytest.fixture
def dbt() -> Iterator[MartsDbtResource]:
    resource = marts_dbt_resource(POLICY)
    yield resource
    resource.teardown_after_execution(None)


def test_only_a_run_with_a_long_step_parses_ahead():
    assert parses_beside(PIPELINE_STEPS)
    assert not parses_beside(MARTS_STEPS)
    assert not parses_beside(["transcripts_words_check"])


def test_the_window_from_tags_is_the_one_the_marts_step_passes():
    assert run_window_vars(DAY) == {"min_call_date": "2026-11-02", "max_call_date": "2026-11-03"}
    backfill = {
        "dagster/asset_partition_range_start": "2026-11-02",
        "dagster/asset_partition_range_end": "2026-11-04",
    }
    assert run_window_vars(backfill) == {
        "min_call_date": "2026-11-02",
        "max_call_date": "2026-11-05",
    }
    assert run_window_vars({}) is None
    assert date.fromisoformat(run_window_vars(DAY)["max_call_date"]) == date(2026, 11, 3)


def test_a_pipeline_run_parses_ahead_and_the_build_gets_that_target(dbt):
    context = init_context(PIPELINE_STEPS, DAY)
    dbt.setup_for_execution(context)
    dbt._ahead.process.wait(timeout=120)  # --quiet: nothing fills the pipe meanwhile
    target = dbt.parsed_target(expected_vars("2026-11-02", "2026-11-03"))
    assert target is not None
    assert target.name == f"lydspor_dbt_models-{context.dagster_run.run_id[:7]}-parsed"
    assert (target / "partial_parse.msgpack").is_file()
    manifest = json.loads((target / "manifest.json").read_text())
    assert any(key.startswith("model.lydspor.fct_") for key in manifest["nodes"])
    # Handed over once: a second build parses itself.
    assert dbt.parsed_target(expected_vars("2026-11-02", "2026-11-03")) is None


def test_an_unfinished_parse_is_stopped_and_the_build_parses_itself(dbt):
    dbt.setup_for_execution(init_context(PIPELINE_STEPS, DAY))
    process = dbt._ahead.process
    assert process.poll() is None  # dbt takes seconds to start
    assert dbt.parsed_target(expected_vars("2026-11-02", "2026-11-03")) is None
    assert process.poll() is not None


def test_other_vars_get_no_target_and_stop_the_parse(dbt):
    dbt.setup_for_execution(init_context(PIPELINE_STEPS, DAY))
    process = dbt._ahead.process
    assert dbt.parsed_target(expected_vars("2026-11-03", "2026-11-04")) is None
    assert process.poll() is not None


def test_a_marts_only_run_or_a_run_without_a_date_starts_no_parse(dbt):
    dbt.setup_for_execution(init_context(MARTS_STEPS, DAY))
    assert dbt._ahead is None
    dbt.setup_for_execution(init_context(PIPELINE_STEPS, {}))
    assert dbt._ahead is None
    assert dbt.parsed_target(expected_vars("2026-11-02", "2026-11-03")) is None


def test_a_broken_policy_starts_no_parse_and_fails_no_resource(tmp_path):
    # The run's own steps load the policy and report what is wrong with it.
    broken = tmp_path / "policy.yaml"
    broken.write_text("tenant: x\nwindows: {customer_audio: {legitimate_interest_temporary: 1d}}\n")
    dbt = marts_dbt_resource(PolicyResource(path=str(broken)))
    dbt.setup_for_execution(init_context(PIPELINE_STEPS, DAY))
    assert dbt._ahead is None


def test_a_step_in_a_pod_of_its_own_starts_no_parse(dbt, monkeypatch):
    monkeypatch.setenv("LYDSPOR_EXECUTOR", "k8s")
    dbt.setup_for_execution(init_context(PIPELINE_STEPS, DAY))
    assert dbt._ahead is None


def test_teardown_stops_a_parse_the_run_never_used(dbt):
    dbt.setup_for_execution(init_context(PIPELINE_STEPS, DAY))
    process = dbt._ahead.process
    dbt.teardown_after_execution(None)
    assert process.poll() is not None
    assert dbt._ahead is None
