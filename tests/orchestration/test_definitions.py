"""The code location loads, with every asset, the shared partitions, the gate, job and sensor."""

from __future__ import annotations

import dagster as dg


def test_definitions_load_and_share_one_partitioning():
    from assets.common.partitions import call_date_partitions
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "raw_recordings",
        "consent_lineage",
        "agent_audio",
        "transcripts",
        "retention_state",
        "stg_lydspor__calls",
        "stg_lydspor__transcript_words",
        "int_agent_turns",
        "fct_calls",
        "fct_call_coaching",
        "int_call_turns",
        "fct_call_kpis",
        "fct_tracker_hits",
        "fct_nps_weekly",
        "fct_best_practice_calls",
        "fct_onboarding_curves",
    } <= keys
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.partitions_def == call_date_partitions, key
    checks = {c.name for c in graph.asset_check_keys}
    assert "customer_audio_within_deadline" in checks
    assert defs.resolve_job_def("call_pipeline") is not None
    assert defs.resolve_sensor_def("landing_sensor") is not None
    assert defs.resolve_schedule_def("nightly_call_pipeline") is not None


def test_marts_are_downstream_of_the_gate():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey("fct_calls")).parent_keys
    seen, todo = set(), list(upstream)
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(graph.get(key).parent_keys)
    assert dg.AssetKey("retention_state") in seen


def test_the_intake_is_light_and_every_job_is_one_catalogue_writer():
    """The landing sensor's job ingests, decides the basis and extracts the agent's audio, and
    nothing slower; every job takes the one writer slot the embedded instance's queue allows."""
    import yaml

    from assets.common.settings import CATALOGUE_WRITER_TAG, DAGSTER_YAML
    from orchestration.definitions import defs

    intake = defs.resolve_job_def("call_intake")
    assert {k.to_user_string() for k in intake.asset_layer.executable_asset_keys} == {
        "raw_recordings",
        "consent_lineage",
        "agent_audio",
    }
    for name in ("call_pipeline", "call_intake", "retention_sweep"):
        assert defs.resolve_job_def(name).tags.get(CATALOGUE_WRITER_TAG), name
    limits = yaml.safe_load(DAGSTER_YAML)["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": CATALOGUE_WRITER_TAG, "limit": 1} in limits
