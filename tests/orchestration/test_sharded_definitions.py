"""The code location with ``LYDSPOR_SHARDS=4``: the heavy jobs per (date, shard), the marts
daily, and the marts launched only once every shard of a date is in. The setting is read when
the definitions load, so each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO

PROBE = r"""
import json, warnings
warnings.simplefilter("ignore")
import dagster as dg
from orchestration.definitions import defs
from orchestration.sensors import dates_complete
from assets.common.partitions import day_partition_keys

out = {}
for name in ("call_pipeline", "call_intake", "call_marts"):
    job = defs.resolve_job_def(name)
    out[name] = {
        "multi": isinstance(job.partitions_def, dg.MultiPartitionsDefinition),
        "assets": sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys),
    }
out["sensors"] = sorted(s.name for s in defs.sensors)
schedule = defs.resolve_schedule_def("nightly_call_pipeline")
import datetime
tick = schedule.evaluate_tick(
    dg.build_schedule_context(scheduled_execution_time=datetime.datetime(2026, 11, 3, 2, 0))
)
out["nightly"] = sorted(r.partition_key for r in tick.run_requests)
with dg.DagsterInstance.ephemeral() as instance:
    keys = day_partition_keys("2026-11-02")
    seen = []
    for key in keys:
        seen.append(dates_complete(instance, ["2026-11-02"]))
        instance.report_runless_asset_event(dg.AssetMaterialization("transcripts", partition=key))
    seen.append(dates_complete(instance, ["2026-11-02"]))
out["complete"] = seen
print("PROBE" + json.dumps(out))
"""


def probe(shards: int) -> dict:
    env = {**os.environ, "LYDSPOR_SHARDS": str(shards)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.split("PROBE", 1)[1])


def test_four_shards_split_heavy_and_daily_jobs():
    out = probe(4)
    heavy = ["agent_audio", "consent_lineage", "raw_recordings", "transcripts"]
    assert out["call_pipeline"] == {"multi": True, "assets": heavy}
    assert out["call_intake"]["multi"] is True
    marts = out["call_marts"]
    assert marts["multi"] is False
    assert "retention_state" in marts["assets"] and "fct_calls" in marts["assets"]
    assert not set(heavy) & set(marts["assets"])
    assert "marts_after_shards" in out["sensors"]
    # The nightly schedule asks for every shard of the date.
    assert out["nightly"] == [f"2026-11-03|{s}" for s in range(4)]
    # The marts wait for the fourth shard, and go once it is in.
    assert out["complete"] == [[], [], [], [], ["2026-11-02"]]
