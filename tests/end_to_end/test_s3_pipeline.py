"""The whole pipeline against a real S3 server (Ceph radosgw): audio, deletions and Parquet."""

from __future__ import annotations

import uuid

import dagster as dg
import duckdb
import pytest

from tests.support.calls import CONSENT, DAY, land, metadata, stereo, tone, wav

pytestmark = pytest.mark.s3


def test_pipeline_on_s3(lydspor_state, ceph_s3, monkeypatch):
    from lydspor.demo import run_call_pipeline

    bucket = f"lydspor-{uuid.uuid4().hex[:8]}"
    for name, value in ceph_s3.lydspor_env(bucket).items():
        monkeypatch.setenv(name, value)
    store = ceph_s3.object_store(bucket)
    land(store, "out-1", wav(stereo()), metadata("out-1"))
    land(
        store, "in-1", wav(stereo(350, 800)), metadata("in-1", direction="inbound", consent=CONSENT)
    )
    land(store, "ao-1", wav(tone(440)), metadata("ao-1", mode="agent_only"))
    land(store, "broken", b"garbage", metadata("broken", mode="agent_only"))

    outcome = run_call_pipeline(DAY, DAY, instance=dg.DagsterInstance.ephemeral())
    assert outcome.success, outcome.failed_checks

    keys = {o.key for o in store.list("")}
    assert f"agent/{DAY}/out-1/agent.wav" in keys
    assert f"raw/{DAY}/out-1/recording.wav" not in keys  # outbound customer voice deleted
    assert f"raw/{DAY}/in-1/recording.wav" in keys  # kept with consent
    assert not [k for k in keys if k.startswith("landing/")]
    assert [k for k in keys if k.startswith(f"quarantine/{DAY}/") and k.endswith("broken.wav")]
    parquet = sorted(k for k in keys if k.endswith(".words.parquet"))
    assert f"transcripts/{DAY}/in-1/customer.words.parquet" in parquet
    assert f"transcripts/{DAY}/out-1/agent.words.parquet" in parquet

    with duckdb.connect(str(lydspor_state / "lydspor.duckdb"), read_only=True) as con:
        deleted = con.execute(
            "select count(*) from raw.deletion_receipts where object_key = ? and verified_absent",
            [f"raw/{DAY}/out-1/recording.wav"],
        ).fetchone()[0]
        assert deleted == 1
        rows = dict(con.execute("select call_id, customer_audio_status from fct_calls").fetchall())
    assert rows == {"out-1": "deleted", "in-1": "kept_with_consent", "ao-1": "never_recorded"}
