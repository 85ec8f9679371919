"""Purging the remnants: dbt's artefacts, and the one entry point over DuckDB, dbt and Dagster."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.common.dbt_project import DBT_EXECUTABLE, DBT_PROJECT_DIR
from assets.retention.remnants import (
    DBT_PROJECT_DIR as REMNANTS_DBT_PROJECT_DIR,
)
from assets.retention.remnants import (
    RemnantPurgeError,
    RemnantTargets,
    purge_dbt_artefacts,
    purge_remnants,
)
from tests.support import remanence
from tests.support.remanence import scan_bytes

MARKER = "Ola Nordmann 41234567"
PHONE = "+4798765432"
RUN_ID = "f75cf079-7151-4e18-92b2-fabd6b95e9bb"
WEEK_AGO = datetime.now(UTC) - timedelta(days=7)
MONTH_AGO = datetime.now(UTC) - timedelta(days=30)


def age(path: Path, when: datetime) -> None:
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (when.timestamp(), when.timestamp()))


def plant(path: Path, text: str, when: datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if when:
        age(path, when)
    return path


def test_the_purge_finds_the_same_dbt_project():
    assert REMNANTS_DBT_PROJECT_DIR == DBT_PROJECT_DIR


def test_a_dbt_show_preview_is_purged(tmp_path):
    """`dbt show` writes the rows it previews to dbt.log (values cut at 20 characters): a real
    invocation, then the purge."""
    database = tmp_path / "lydspor.duckdb"
    con = duckdb.connect(str(database))
    con.execute("create schema raw")
    con.execute("create table raw.planted as select ? as customer", [PHONE])
    con.close()
    project = tmp_path / "dbt"
    env = {**os.environ, "LYDSPOR_DUCKDB_PATH": str(database)}
    subprocess.run(
        [
            DBT_EXECUTABLE,
            "show",
            "--inline",
            "select customer from raw.planted",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(project / "target"),
            "--log-path",
            str(project / "logs"),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    assert scan_bytes(project, [PHONE])

    result = purge_dbt_artefacts(project, MONTH_AGO, mentioning=[PHONE])

    assert scan_bytes(project, [PHONE]) == []
    assert "logs/dbt.log" in result.removed
    assert (project / "target" / "manifest.json").exists()


def test_dbt_artefacts_go_by_age_and_by_content(tmp_path):
    target = tmp_path / "target"
    plant(target / "manifest.json", "{}", MONTH_AGO)
    old_run = target / "lydspor_dbt_models-0a1b2c3-9b55e5a"
    plant(old_run / "manifest.json", "{}", MONTH_AGO)
    plant(old_run / "run_results.json", '{"message": "no row"}', MONTH_AGO)
    recent_run = target / "lydspor_dbt_models-1111111-9b55e5a"
    plant(recent_run / "manifest.json", "{}")
    plant(recent_run / "dbt.log", "nothing personal")
    mentioning_run = target / "lydspor_dbt_models-2222222-9b55e5a"
    plant(mentioning_run / "manifest.json", "{}")
    plant(mentioning_run / "dbt.log", f"Duplicate key {MARKER}")
    running = target / f"lydspor_dbt_models-{RUN_ID[:7]}-9b55e5a"
    plant(running / "manifest.json", "{}", MONTH_AGO)
    plant(running / "run_results.json", MARKER)
    plant(target / "run_results.json", f'{{"message": "Conversion Error: {MARKER}"}}')
    plant(target / "compiled" / "lydspor" / "old.sql", "select 1", MONTH_AGO)
    plant(target / "compiled" / "lydspor" / "new.sql", "select 2")
    plant(target / "dbt.log", "parse")
    plant(tmp_path / "logs" / "dbt.log", "anything")

    result = purge_dbt_artefacts(tmp_path, WEEK_AGO, mentioning=[MARKER], skip_run_ids=[RUN_ID])

    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(
        [
            "target/manifest.json",
            f"target/{recent_run.name}/manifest.json",
            f"target/{recent_run.name}/dbt.log",
            f"target/{running.name}/manifest.json",
            f"target/{running.name}/run_results.json",
            "target/compiled/lydspor/new.sql",
        ]
    )
    assert result.bytes_after < result.bytes_before


def dagster_home(root: Path) -> Path:
    home = root / "dagster"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


@dg.asset(config_schema={"call": str})
def logged(context):
    context.log.info(f"erasing rows of {context.op_config['call']}")


def test_purge_remnants_leaves_no_bytes_of_an_erased_customer(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    database = state / "lydspor.duckdb"
    con = duckdb.connect(str(database))
    con.execute("pragma force_compression = 'uncompressed'")
    con.execute("create schema raw")
    con.execute(
        "create table raw.words as select 'call-' || i as call_id, 'word ' || i as word "
        "from range(3000) t(i)"
    )
    con.execute("insert into raw.words select 'call-x', ? || i from range(500) t(i)", [MARKER])
    con.execute("checkpoint")
    con.execute("delete from raw.words where call_id = 'call-x'")
    con.close()
    home = dagster_home(state)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        config = {"ops": {"logged": {"config": {"call": MARKER}}}}
        assert dg.materialize([logged], instance=instance, run_config=config).success
    project = tmp_path / "dbt"
    plant(project / "target" / "lydspor_dbt_models-abcdef0-1" / "dbt.log", MARKER)
    plant(project / "target" / "lydspor_dbt_models-abcdef0-1" / "manifest.json", "{}")
    assert {p.parent.name for p, _ in scan_bytes(tmp_path, [MARKER])} >= {"state", "runs"}

    report = purge_remnants(
        RemnantTargets(database, home, project), MONTH_AGO, mentioning=[MARKER], lock_wait_s=0
    )

    assert scan_bytes(tmp_path, [MARKER]) == []
    meta = report.metadata()
    assert meta["runs_deleted"] == 1
    assert meta["dbt_artefacts_removed"] == 1
    assert meta["duckdb_bytes_after"] <= meta["duckdb_bytes_before"]
    assert meta["purge_seconds"] > 0
    con = duckdb.connect(str(database), read_only=True)
    assert con.execute("select count(*) from raw.words").fetchone() == (3000,)
    con.close()


def test_a_part_that_fails_is_raised_after_the_others_ran(tmp_path):
    database = tmp_path / "lydspor.duckdb"
    duckdb.connect(str(database)).close()
    home = dagster_home(tmp_path)
    plant(tmp_path / "dbt" / "target" / "run_results.json", MARKER)
    held = duckdb.connect(str(database))
    try:
        with pytest.raises(RemnantPurgeError, match="DuckDB rewrite") as failure:
            purge_remnants(
                RemnantTargets(database, home, tmp_path / "dbt"),
                MONTH_AGO,
                mentioning=[MARKER],
                lock_wait_s=0,
            )
    finally:
        held.close()
    report = failure.value.report
    assert report.duckdb is None
    assert report.dbt.removed == ["target/run_results.json"]
    assert report.run_logs is not None
    assert "purge_errors" in report.metadata()


def test_the_byte_scan_finds_every_form_of_a_value(tmp_path, monkeypatch):
    monkeypatch.setattr(remanence, "CHUNK_BYTES", 16)
    plant(tmp_path / "a" / "utf8.log", "x" * 10 + "Såh Nordmann" + "y" * 40)
    plant(tmp_path / "json.db", '{"word": "S\\u00e5h Nordmann"}')
    plant(tmp_path / "digits.txt", "call from 4741234567 ended")
    plant(tmp_path / "clean.txt", "Sah Nordmann 47 41 23")

    found = remanence.scan_bytes(tmp_path, ["Såh Nordmann", "+47 412 34 567"])

    assert sorted((p.name, n) for p, n in found) == [
        ("digits.txt", "+47 412 34 567"),
        ("json.db", "Såh Nordmann"),
        ("utf8.log", "Såh Nordmann"),
    ]
