"""The audit log's hash chain detects edits, removals, reordering and a cut-off tail."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from assets.retention import audit
from lydspor.cli import app


@pytest.fixture
def log(catalog):
    for i in range(5):
        audit.append(
            catalog,
            "read",
            actor=f"analyst-{i}",
            call_id=f"c{i}",
            subject="audio",
            details={"n": i},
        )
    return catalog


def test_intact_chain_verifies(log):
    result = audit.verify(log, audit.head(log))
    assert result.ok and result.entries == 5


def test_edited_entry_is_named(log):
    log.execute("update raw.audit_log set details = '{\"n\": 99}' where seq = 3")
    result = audit.verify(log)
    assert not result.ok and result.first_bad_seq == 3 and "altered" in result.problem


def test_removed_entry_is_named(log):
    log.execute("delete from raw.audit_log where seq = 2")
    result = audit.verify(log)
    assert not result.ok and result.first_bad_seq == 2


def test_reordered_entries_are_detected(log):
    log.execute("update raw.audit_log set seq = 100 where seq = 2")
    log.execute("update raw.audit_log set seq = 2 where seq = 4")
    log.execute("update raw.audit_log set seq = 4 where seq = 100")
    result = audit.verify(log)
    assert not result.ok and result.first_bad_seq == 2


def test_cut_off_tail_is_detected_against_the_anchor(log, local_store):
    audit.anchor(log, local_store)
    log.execute("delete from raw.audit_log where seq >= 4")
    assert audit.verify(log).ok  # the chain alone cannot see it...
    result = audit.verify(log, audit.anchored_head(local_store))
    assert not result.ok and result.first_bad_seq == 4  # ...the anchored head can


def test_cli_verify_passes_then_fails_on_a_tampered_copy(log, local_store, tmp_path):
    audit.anchor(log, local_store)
    log.close()
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(os.environ["LYDSPOR_DUCKDB_PATH"], tampered)
    with duckdb.connect(str(tampered)) as con:
        con.execute("update raw.audit_log set actor = 'someone-else' where seq = 2")
    os.environ["LYDSPOR_DUCKDB_PATH"] = str(tampered)
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "entry 2" in bad.output
