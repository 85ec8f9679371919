"""A disk of the object store dies in the middle of a run: lydspor on a three-OSD Ceph.

The store is a versioned bucket with object lock on a Ceph whose pools keep three replicas and
take writes with two (size 3, min_size 2).  One OSD is SIGKILLed while ``lydspor run`` moves
recordings into ``raw/``; the run must complete on the two left with nothing lost (every object
the ledger holds alive is readable and its bytes match the catalogue's SHA-256) and nothing past
its deadline (customer audio due while the OSD is down is deleted, every version of it, with a
verified receipt).  The OSD then comes back empty, as a replaced disk would, and the cluster
must be whole again: every PG active+clean, three replicas, the same bytes, nothing deleted
brought back.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from tests.end_to_end.test_faults import (
    CONSENTED,
    LEDGER_PREFIXES,
    LYDSPOR,
    RUN_TIMEOUT,
    _assert_converged,
    _calls,
    _kill,
    _land_all,
    _start_run,
    _wait_for,
)
from tests.support.calls import DAY
from tests.support.fixtures import private_ceph

pytestmark = pytest.mark.s3

#: The OSD that dies; any one leads about a third of the PGs.
VICTIM = 1
#: A call of each fate (customer audio deleted, kept with consent, never recorded, quarantined);
#: the two consented calls are the customer audio that falls due while the OSD is down.
CALLS = {"ao-1", "broken", "in-1", "in-2", "out-1"}


@pytest.fixture
def cluster():
    """A Ceph of this test's own: one of its OSDs is killed."""
    with private_ceph() as server:
        yield server


def _alive(database: Path) -> dict[str, str | None]:
    """Every stored object the ledger holds alive, with the SHA-256 it recorded."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select object_key, sha256 from raw.stored_objects where deleted_at is null"
        ).fetchall()
    return {key: sha for key, sha in rows if key.startswith(LEDGER_PREFIXES)}


def _assert_intact(store, database: Path) -> int:
    """Every object the ledger holds alive reads back with the bytes it catalogued."""
    alive = _alive(database)
    assert alive, "the ledger holds no objects"
    wrong = {
        key: (sha, hashlib.sha256(store.get_bytes(key)).hexdigest()) for key, sha in alive.items()
    }
    wrong = {key: pair for key, pair in wrong.items() if pair[0] != pair[1]}
    assert not wrong, f"objects whose bytes differ from the ledger's SHA-256: {wrong}"
    with duckdb.connect(str(database), read_only=True) as con:
        recordings = con.execute("select object_key, sha256 from raw.recordings").fetchall()
    for key, sha in recordings:
        if key in alive:
            assert alive[key] == sha, f"{key}: the catalogue and the ledger disagree"
    return len(alive)


def _pg_states(health: dict) -> set[str]:
    assert "unknown" not in health["pgs"], health
    return set(health["pgs"])


def test_osd_lost_mid_run_nothing_lost_nothing_overdue(
    lydspor_state, cluster, monkeypatch, tmp_path
):
    s3 = cluster
    pools = s3.ceph("osd", "pool", "ls", "detail")
    assert pools.count("replicated size 3 min_size 2") == len(pools.strip().splitlines()), pools
    bucket = f"lydspor-osd-{uuid.uuid4().hex[:8]}"
    for name, value in s3.lydspor_env(bucket).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LYDSPOR_S3_OBJECT_LOCK", "true")
    store = s3.object_store(bucket, object_lock=True)
    assert store.object_lock and store.versioned
    calls = {call_id: call for call_id, call in _calls().items() if call_id in CALLS}
    _land_all(store, calls)
    database = Path(os.environ["LYDSPOR_DUCKDB_PATH"])
    log = tmp_path / "runs.log"

    # 1. The OSD dies as soon as the first recording is in raw/: mid-way through ingestion.
    began = time.monotonic()
    proc = _start_run(log)
    try:
        _wait_for(lambda: any(True for _ in store.list("raw/")), proc, log, "raw/ object in S3")
        killed = time.monotonic()
        s3.stop_osd(VICTIM)
        marked_down = time.monotonic() - killed
        assert proc.poll() is None, "the run ended before the OSD was down: nothing was tested"
        before = {o.key for o in store.list("")}
        proc.wait(timeout=RUN_TIMEOUT)
    finally:
        _kill(proc)
    run_seconds = time.monotonic() - began
    assert proc.returncode == 0, log.read_text()[-4000:]

    # 2. Degraded, not down: every PG still active on the two OSDs left.
    degraded = s3.health()
    assert degraded["osds_up"] == [0, 2], degraded
    states = _pg_states(degraded)
    assert all(state.startswith("active") for state in states), degraded
    assert any("undersized" in state for state in states), degraded
    written = {o.key for o in store.list("")} - before
    assert written, "nothing was written while the OSD was down"

    # 3. Nothing lost: the run converged (no orphan, no duplicate, no overdue customer audio,
    # a verified receipt for each deletion) and every object reads back as catalogued.
    checked = time.monotonic()
    _assert_converged(store, database, calls, log)
    objects = _assert_intact(store, database)
    checked = time.monotonic() - checked

    # 4. Nothing past its deadline: the consented recordings fall due while the OSD is down,
    # and the sweep deletes them, every version, with verified receipts.
    due = sorted(f"raw/{DAY}/{call_id}/recording.wav" for call_id in CONSENTED)
    with duckdb.connect(str(database)) as con:
        con.execute(
            "update raw.stored_objects set deadline = now() - interval 1 second "
            "where object_key in (select unnest(?)) and deleted_at is null",
            [due],
        )
    sweep_began = time.monotonic()
    swept = subprocess.run([str(LYDSPOR), "sweep"], env=os.environ, capture_output=True, text=True)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    sweep_seconds = time.monotonic() - sweep_began
    with duckdb.connect(str(database), read_only=True) as con:
        receipts = con.execute(
            "select object_key from raw.deletion_receipts where verified_absent "
            "and object_key in (select unnest(?)) order by object_key",
            [due],
        ).fetchall()
        overdue = con.execute(
            "select object_key from raw.stored_objects where deleted_at is null "
            "and deadline <= now()"
        ).fetchall()
    assert [key for (key,) in receipts] == due
    assert overdue == []
    for key in due:
        assert store.stat(key) is None
        assert store.versions(key) == [], f"{key}: versions left behind"

    # 5. The OSD comes back empty and is refilled from the other two: whole again.
    restarted = time.monotonic()
    s3.start_osd(VICTIM)
    clean = s3.wait_clean(timeout=180)
    recovered = time.monotonic() - restarted
    assert clean["osds_up"] == [0, 1, 2]
    assert _pg_states(clean) == {"active+clean"}, clean
    assert _assert_intact(store, database) == objects - len(due)
    for key in due:
        assert store.versions(key) == [], f"{key}: brought back by the recovered OSD"
    print(
        f"osd.{VICTIM} marked down {marked_down:.1f} s after SIGKILL; the run completed in "
        f"{run_seconds:.0f} s, {len(written)} objects written with one OSD down; "
        f"{objects} objects intact (checked in {checked:.0f} s); the sweep took "
        f"{sweep_seconds:.0f} s; back to active+clean {recovered:.1f} s after restart"
    )


def test_lifecycle_runs_with_an_osd_down(cluster):
    """The bucket lifecycle a production Ceph needs for lydspor keeps working on two OSDs:
    torn multipart uploads are aborted, and an expiry rule removes the current version and
    then the noncurrent one (``rgw_lc_debug_interval``: a lifecycle "day" is 10 s here)."""
    s3 = cluster
    bucket = f"lydspor-lc-{uuid.uuid4().hex[:8]}"
    store = s3.object_store(bucket, object_lock=True)
    client = s3.boto3_client()
    client.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "torn-uploads",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                },
                {
                    "ID": "scratch",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "scratch/"},
                    "Expiration": {"Days": 1},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                },
            ]
        },
    )
    store.put_bytes("scratch/a.wav", b"customer voice" * 100)
    store.put_bytes("keep/b.wav", b"agent voice" * 100)
    upload = client.create_multipart_upload(Bucket=bucket, Key="raw/torn.wav")["UploadId"]
    client.upload_part(
        Bucket=bucket, Key="raw/torn.wav", UploadId=upload, PartNumber=1, Body=b"torn" * 1000
    )
    s3.stop_osd(VICTIM)

    began = time.monotonic()

    def done() -> bool:
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        held = [key for key, marker in store.versions("scratch/") if not marker]
        return not uploads and not held

    while not done():
        assert time.monotonic() - began < 240, "the lifecycle did not run with an OSD down"
        time.sleep(2)
    assert store.stat("scratch/a.wav") is None
    assert store.get_bytes("keep/b.wav") == b"agent voice" * 100
    print(f"lifecycle done {time.monotonic() - began:.0f} s after osd.{VICTIM} went down")


def test_osd_back_with_stale_replicas_brings_nothing_back(cluster):
    """An OSD shut down (not lost) comes back with the replicas it had: of audio deleted and of
    objects rewritten while it was away.  Recovery must bring it up to date, so that it alone
    (the other two down, the pools let to serve from one) holds no deleted audio, no old bytes."""
    s3 = cluster
    store = s3.object_store(f"lydspor-stale-{uuid.uuid4().hex[:8]}", object_lock=True)
    keys = [f"raw/{DAY}/call-{i}/recording.wav" for i in range(10)]
    for key in keys:
        store.put_bytes(key, b"customer voice " + key.encode())
    s3.stop_osd(VICTIM, crash=False)
    saved = Path(s3.tmpdir or "") / "osd" / f"ceph-{VICTIM}"
    assert list(saved.glob("*_head")), "the OSD saved no replicas: it would come back empty"
    deleted, rewritten = keys[:5], keys[5:]
    for key in deleted:
        store.remove(key)
    for key in rewritten:
        store.put_bytes(key, b"agent only " + key.encode())
    s3.start_osd(VICTIM)
    assert _pg_states(s3.wait_clean(timeout=180)) == {"active+clean"}

    for pool in json.loads(s3.ceph("osd", "pool", "ls", "-f", "json")):
        s3.ceph("osd", "pool", "set", pool, "min_size", "1")
    for other in sorted(set(range(3)) - {VICTIM}):
        s3.stop_osd(other)
    alone = s3.health()
    assert alone["osds_up"] == [VICTIM], alone
    assert all(state.startswith("active") for state in _pg_states(alone)), alone
    for key in deleted:
        assert store.stat(key) is None, f"{key}: deleted, back from the stale OSD"
        assert store.versions(key) == [], f"{key}: a version back from the stale OSD"
    for key in rewritten:
        assert store.get_bytes(key) == b"agent only " + key.encode()
