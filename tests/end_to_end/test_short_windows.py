"""The compliance regression suite (``pytest -m compliance``): run the pipeline under a policy
whose windows are seconds long, wait, sweep, and prove through SQL over every column of every
table and through the raw bytes of every file under the state directory that no phone number,
no customer word and no agent id of those calls remains anywhere, while the audit log still
verifies and says what was deleted and why."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from tests.conftest import REPO, lydspor_env
from tests.support.remanence import scan_bytes
from tests.support.scan import scan_tables

pytestmark = pytest.mark.compliance

LYDSPOR = Path(sys.executable).parent / "lydspor"
DAY = "2026-11-02"
#: Every window a few seconds long, but the audit log's: it must outlive what it records.
SHORT = "3s"


def short_policy(path: Path, expiry: str) -> Path:
    policy = yaml.safe_load((REPO / "data" / "policies" / "default.yaml").read_text())
    policy["expiry"] = {"call_metadata": expiry}
    policy["windows"] = {
        object_class: {basis: SHORT for basis in by_basis}
        for object_class, by_basis in policy["windows"].items()
    }
    policy["windows"]["audit_log"] = {"legal_obligation": "1825d"}
    path.write_text(yaml.safe_dump(policy))
    return path


@pytest.fixture(params=["delete", "anonymise"])
def short_state(tmp_path, monkeypatch, request):
    """Both things the policy may do with expired call metadata: delete the rows, or keep them
    for statistics with the personal columns nulled."""
    state = tmp_path / "state"
    policy = short_policy(tmp_path / "short.yaml", request.param)
    env = lydspor_env(state, LYDSPOR_POLICY=str(policy))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    return state, {**os.environ, **env, "COLUMNS": "200"}, request.param


def cli(env: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LYDSPOR), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=900
    )


def reference_words() -> str:
    """Words lydspor ships (tracker phrases, KPI labels, the policy): not the customer's."""
    files = [*(REPO / "dbt" / "seeds").glob("*.csv"), *(REPO / "data" / "policies").glob("*")]
    return " ".join(p.read_text().lower() for p in files)


def needles_of(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """What must be gone: the calls' phone numbers (as stored and as bare national digits),
    their agents, and the customer's words (five letters or more, not reference words)."""
    numbers, agents = set(), set()
    for number, agent in con.execute(
        "select customer_number, agent_id from raw.recordings"
    ).fetchall():
        if number:
            numbers |= {number, re.sub(r"\D", "", number)[-8:]}
        agents.add(agent)
    shipped = reference_words()
    said = {
        w.strip(".,?!")
        for (w,) in con.execute(
            "select word from raw.transcript_words where speaker_role = 'customer' "
            "and not coalesce(redacted, false)"
        ).fetchall()
    }
    # As written and in lower case: the byte scan matches exact bytes.
    words = {
        form
        for w in said
        if len(w) >= 5 and w.isalpha() and w.lower() not in shipped
        for form in (w, w.lower())
    }
    return {"phone": numbers, "agent": agents, "customer_word": words}


def test_short_windows_leave_no_personal_data_anywhere(short_state):
    from lydspor.demo import run_call_pipeline

    state, env, expiry = short_state
    landed = cli(env, state.parent, "sample", "--calls", "3", "--days", "1", "--seed", "7")
    assert landed.returncode == 0, landed.stdout + landed.stderr
    day = datetime.fromisoformat(DAY).date()
    with dg.DagsterInstance.get() as instance:
        outcome = run_call_pipeline(day, day, instance=instance)
    # Seconds-long windows end while the run is still going: the gate must say so.
    assert "retention_state:personal_rows_within_deadline" in outcome.failed_checks

    with duckdb.connect(env["LYDSPOR_DUCKDB_PATH"], read_only=True) as con:
        needles = needles_of(con)
        due = con.execute("select max(deadline) from raw.stored_objects").fetchone()[0]
    assert needles["phone"] and needles["agent"] and needles["customer_word"], needles
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 1)

    swept = cli(env, state.parent, "sweep")
    assert swept.returncode == 0, swept.stdout + swept.stderr

    everything = [n for group in needles.values() for n in group]
    with duckdb.connect(env["LYDSPOR_DUCKDB_PATH"], read_only=True) as con:
        rows = scan_tables(con, everything)
        assert not rows, rows
        alive = con.execute(
            "select object_key from raw.stored_objects where deleted_at is null"
        ).fetchall()
        assert alive == []
        ledger = dict(
            con.execute("select object_key, object_class from raw.stored_objects").fetchall()
        )
        receipts = dict(
            con.execute("select object_key, reason from raw.deletion_receipts").fetchall()
        )
        audited = dict(
            con.execute(
                "select subject, json_extract_string(details, '$.reason') from raw.audit_log "
                "where action = 'delete'"
            ).fetchall()
        )
        purged = con.execute(
            "select details from raw.audit_log where action = 'purge_rows'"
        ).fetchall()
        kept = con.execute(
            "select count(*), count(customer_number), count(agent_id), count(metadata_json), "
            "count(duration_s) from raw.recordings"
        ).fetchone()
    # The effective access policy is configuration (which user is which agent id), not data.
    left = [hit for hit in scan_bytes(state, everything) if hit[0] != state / "access.yaml"]
    assert not left, "\n".join(f"{path}: {needle}" for path, needle in left)
    # Every ledger entry went with a receipt and an audit entry that says why; the rows entries
    # of the calls' metadata among them, at their deadline, and the purge of their rows.
    assert ledger and set(receipts) == set(ledger) == set(audited)
    assert all(receipts[key] == audited[key] and receipts[key] for key in ledger)
    metadata = [key for key, object_class in ledger.items() if object_class == "call_metadata"]
    assert metadata and all("retention deadline" in audited[key] for key in metadata)
    assert purged and "raw.recordings" in purged[0][0]
    # "anonymise" keeps each call's statistics without who; "delete" keeps nothing.
    assert kept == ((3, 0, 0, 0, 3) if expiry == "anonymise" else (0, 0, 0, 0, 0))
    verified = cli(env, state.parent, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
