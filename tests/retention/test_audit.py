"""The audit log's keyed chain detects edits, removals, reordering, a cut-off tail, a full
rewrite with recomputed hashes, and tampering with what anchors it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC

import duckdb
import pytest
from typer.testing import CliRunner

from assets.common.secrets import audit_heads_file
from assets.retention import audit
from assets.retention.tables import ensure_compliance_tables
from lydspor.cli import app
from tests.support.calls import DAY


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


def test_cut_off_tail_is_detected_against_the_anchor(log):
    audit.anchor(log)
    log.execute("delete from raw.audit_log where seq >= 4")
    assert audit.verify(log).ok  # the chain alone cannot see it...
    result = audit.verify_anchored(log)
    assert not result.ok and result.first_bad_seq == 4  # ...the anchored head can


def _plain_hash(seq, at, actor, action, call_id, subject, details, prev_hash) -> str:
    """The unkeyed hash an attacker without the key can compute (the chain's old design)."""
    fields = [seq, at.astimezone(UTC).isoformat(timespec="microseconds"), actor, action,
              call_id, subject, details, prev_hash]  # fmt: skip
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize("forge", ["plain", "wrong key"])
def test_a_full_rewrite_with_recomputed_hashes_is_detected(log, forge):
    audit.anchor(log)
    rows = log.execute("select * from raw.audit_log order by seq").fetchall()
    prev = audit.GENESIS
    for seq, at, _actor, action, call_id, subject, details, _, _ in rows:
        actor = "nobody"  # the rewrite's point: who read is changed everywhere
        fields = (seq, at, actor, action, call_id, subject, details, prev)
        digest = (
            _plain_hash(*fields) if forge == "plain" else audit.entry_hash(*fields, key=b"k" * 32)
        )
        log.execute(
            "update raw.audit_log set actor = ?, prev_hash = ?, hash = ? where seq = ?",
            [actor, prev, digest, seq],
        )
        prev = digest
    result = audit.verify(log)
    assert not result.ok and result.first_bad_seq == 1 and "altered" in result.problem
    assert not audit.verify_anchored(log).ok


def test_truncation_then_a_refused_read_is_not_laundered(log):
    anchored = audit.anchor(log)
    assert anchored["seq"] == 5 and audit.anchored_head(log)["seq"] == 5
    log.execute("delete from raw.audit_log where seq >= 4")
    for _ in range(3):  # a refused read, then any number of entries, each followed by anchor
        audit.append(log, "read_denied", actor="someone", call_id="c1", subject="transcript")
        assert audit.anchor(log) is None
        with pytest.raises(
            audit.AuditChainBroken, match=r"removed from the end|differs from the anchored"
        ):
            audit.anchor(log, strict=True)
    assert audit.anchored_head(log)["seq"] == 5  # the head was never moved
    result = audit.verify_anchored(log)
    assert not result.ok and result.first_bad_seq == 5


def test_a_deleted_or_edited_heads_file_is_detected(log):
    audit.anchor(log)
    heads = audit_heads_file()
    assert heads.stat().st_mode & 0o777 == 0o600
    lines = heads.read_text().splitlines()
    edited = json.loads(lines[-1]) | {"seq": 3}
    heads.write_text("\n".join([*lines[:-1], json.dumps(edited)]) + "\n")
    result = audit.verify_anchored(log)
    assert not result.ok and "not an authentic anchored head" in result.problem
    heads.unlink()
    result = audit.verify_anchored(log)
    assert not result.ok and "deleted or edited" in result.problem
    assert audit.anchor(log) is None and not heads.exists()  # nothing re-anchors over it


def test_a_forged_prune_checkpoint_is_detected(log):
    audit.anchor(log)
    third = log.execute("select hash from raw.audit_log where seq = 3").fetchone()[0]
    log.execute("delete from raw.audit_log where seq <= 3")
    log.execute(
        "insert into raw.audit_checkpoints (seq, hash, pruned_before, entries_pruned, pruned_at) "
        "values (3, ?, now(), 3, now())",
        [third],
    )
    result = audit.verify(log)
    assert not result.ok and "checkpoint 3 is not authentic" in result.problem


def test_a_replaced_log_id_is_detected(log):
    audit.anchor(log)
    log.execute("update raw.audit_meta set log_id = 'another'")
    result = audit.verify_anchored(log)
    assert not result.ok and "id was altered" in result.problem


def _holds_catalog(catalog):
    ensure_compliance_tables(catalog)
    catalog.execute(
        "insert into raw.recordings (call_id, call_date, agent_id, team) values "
        "('c1', ?, 'agent-a', 'sales-oslo')",
        [DAY],
    )
    catalog.close()


def test_erase_and_hold_anchor_the_head(catalog):
    _holds_catalog(catalog)
    path = os.environ["LYDSPOR_DUCKDB_PATH"]
    runner = CliRunner()
    commands = [
        (["hold", "place", "--call", "c1", "--reason", "court order"], 0),
        (["hold", "place", "--call", "nope", "--reason", "court order"], 2),  # refused, audited
        (["erase", "--call", "c1", "--decision", "refuse", "--reason", "claim pending"], 0),
    ]
    for command, code in commands:
        done = runner.invoke(app, command)
        assert done.exit_code == code, done.output
        with duckdb.connect(path, read_only=True) as con:
            last = audit.entries(con)[-1]
            assert audit.anchored_head(con)["seq"] == last.seq, command
            assert audit.verify_anchored(con).ok
    with duckdb.connect(path, read_only=True) as con:
        hold_id = con.execute("select hold_id from raw.legal_holds").fetchone()[0]
        actors = {e.actor for e in audit.entries(con)}
    assert actors == {"owner"}  # the authenticated user: no free-text --by any more
    done = runner.invoke(app, ["hold", "release", hold_id, "--reason", "settled"])
    assert done.exit_code == 0, done.output
    with duckdb.connect(path, read_only=True) as con:
        assert audit.entries(con)[-1].action == "hold_released"
        assert audit.anchored_head(con)["seq"] == audit.head(con)["seq"]


def test_cli_verify_passes_then_fails_on_a_tampered_copy(log, local_store, tmp_path):
    audit.anchor(log, local_store)
    assert json.loads(local_store.get_bytes(audit.HEAD_KEY))["seq"] == 5  # a copy, not trusted
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
