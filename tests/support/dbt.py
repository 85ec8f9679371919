"""Run the real dbt project from a test: its own target and log folders, the policy's purposes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb

from assets.agent_audio.extract import AGENT_AUDIO_SCHEMA, AGENT_AUDIO_TABLE
from assets.common.dbt_project import DBT_EXECUTABLE, DBT_PROJECT_DIR
from assets.common.warehouse import ensure_table
from assets.consent.assets import CONSENT_LINEAGE_TABLE
from assets.consent.basis import CONSENT_LINEAGE_SCHEMA
from assets.retention.assets import RETENTION_STATE_TABLE
from assets.retention.ledger import RETENTION_STATE_SCHEMA
from assets.transcripts.tables import WORDS_SCHEMA, WORDS_TABLE

#: The dbt sources that the ``catalog`` fixture's ingest tables do not already create.
_OTHER_SOURCES = {
    AGENT_AUDIO_TABLE: AGENT_AUDIO_SCHEMA,
    CONSENT_LINEAGE_TABLE: CONSENT_LINEAGE_SCHEMA,
    RETENTION_STATE_TABLE: RETENTION_STATE_SCHEMA,
    WORDS_TABLE: WORDS_SCHEMA,
}


def ensure_sources(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table dbt reads, empty, beside the catalogue's ingest tables."""
    for table, schema in _OTHER_SOURCES.items():
        ensure_table(con, table, schema)


def run_dbt(
    command: str, tmp_path: Path, mart_purposes: dict, *args: str, check: bool = True
) -> subprocess.CompletedProcess:
    """``dbt <command> <args>`` on the catalogue in ``LYDSPOR_DUCKDB_PATH``; with ``check``, a
    failure fails the test with dbt's output."""
    done = subprocess.run(
        [
            *(DBT_EXECUTABLE, command, "--profiles-dir", str(DBT_PROJECT_DIR)),
            *("--vars", json.dumps({"mart_purposes": mart_purposes})),
            *("--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")),
            *args,
        ],
        cwd=DBT_PROJECT_DIR,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0 or not check, done.stdout[-4000:]
    return done
