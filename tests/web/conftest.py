"""A small catalogue built by the pipeline's own steps (ingest, agent audio, consent lineage),
an access policy with one user per role, and local accounts for them; on the DuckDB file, or
(``web_state_on``) on a DuckLake."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.access.policy import AccessPolicy
from assets.agent_audio.extract import AGENT_AUDIO_SCHEMA, AGENT_AUDIO_TABLE, process_recording
from assets.common.lake import DUCKDB, DUCKLAKE, connect, warehouse_from_environment
from assets.common.storage import LocalObjectStore
from assets.common.warehouse import ensure_table, upsert
from assets.consent.assets import CONSENT_LINEAGE_TABLE
from assets.consent.basis import CONSENT_LINEAGE_SCHEMA, decide_track_bases
from assets.recordings.ingest import CATALOGUE_TABLES, ingest_landed_call
from assets.recordings.landing import list_landed_calls
from assets.recordings.metadata import CallMetadata
from assets.retention.tables import ensure_compliance_tables
from lydspor.web.accounts import Accounts
from lydspor.web.settings import WebSettings
from tests.conftest import lydspor_env
from tests.support.calls import CONSENT, DAY, land, metadata, stereo, wav
from tests.support.warehouses import use_ducklake

PASSWORD = "correct horse battery staple"
SALES, SUPPORT = "sales-oslo", "support-bergen"
#: call id, team, agent, consented
CALLS = [
    ("out-1", SALES, "agent-ingrid", False),
    ("in-2", SUPPORT, "agent-sara", True),
    ("out-3", SALES, "agent-lars", False),
]
POLICY = {
    "principals": [
        {"user": "owner", "role": "owner"},
        {"user": "dpo", "role": "compliance"},
        {"user": "analyst", "role": "admin"},
        {"user": "lead-sales", "role": "team_lead", "teams": [SALES]},
        {"user": "lead-support", "role": "team_lead", "teams": [SUPPORT]},
        {"user": "ingrid", "role": "agent", "agent_id": "agent-ingrid", "teams": [SALES]},
    ],
    "shared_marts": [],
}


def _consent_lineage(con: duckdb.DuckDBPyConnection, policy) -> None:
    """What the consent_lineage asset writes, for the calls ingested."""
    rows = []
    calls = con.execute("select call_date, metadata_json from raw.recordings").fetchall()
    for call_date, meta in calls:
        for b in decide_track_bases(CallMetadata.model_validate_json(meta), policy):
            rows.append({
                "call_id": b.call_id, "call_date": call_date, "track": b.track,
                "legal_basis": b.legal_basis, "purposes": b.purposes,
                "consent_valid": b.consent_valid, "reason": b.reason,
                "consent_mechanism": b.consent_mechanism, "consent_at": b.consent_at,
                "prompt_version": b.prompt_version, "lia_reference": b.lia_reference,
            })  # fmt: skip
    ensure_table(con, CONSENT_LINEAGE_TABLE, CONSENT_LINEAGE_SCHEMA)
    upsert(con, CONSENT_LINEAGE_TABLE, pl.DataFrame(rows, schema=CONSENT_LINEAGE_SCHEMA),
           ["call_id", "track"])  # fmt: skip


def build_catalogue(state: Path, policy) -> None:
    store = LocalObjectStore(Path(os.environ["LYDSPOR_STORE_ROOT"]), os.environ["LYDSPOR_BUCKET"])
    con = connect(warehouse_from_environment())
    ensure_compliance_tables(con)
    for table, schema in CATALOGUE_TABLES.items():
        ensure_table(con, table, schema)
    ensure_table(con, AGENT_AUDIO_TABLE, AGENT_AUDIO_SCHEMA)
    for i, (call_id, team, agent, consented) in enumerate(CALLS):
        extra = {"consent": CONSENT} if consented else {}
        direction = "inbound" if consented else "outbound"
        meta = metadata(call_id, direction=direction, team=team, agent_id=agent, **extra)
        land(store, call_id, wav(stereo(agent_freq=300.0 + 40 * i)), meta)  # distinct audio
    for landed in list_landed_calls(store, DAY):
        assert ingest_landed_call(store, con, policy, landed).status == "ingested"
    recordings = con.sql(
        "select call_id, call_date, recording_mode, agent_channel, object_key, duration_s "
        "from raw.recordings"
    ).pl()
    for row in recordings.to_dicts():
        process_recording(store, con, policy, row)
    _consent_lineage(con, policy)
    # A per-call mart, as dbt builds them: scoped by team and agent in each user's session.
    con.execute(
        "create table main.fct_calls as select call_id, call_date, team, agent_id, duration_s "
        "from raw.recordings"
    )
    con.close()


@contextmanager
def web_state_on(
    tmp_path_factory, policy, warehouse: str = DUCKDB, postgres=None
) -> Iterator[WebSettings]:
    """An embedded lydspor state with the catalogue on ``warehouse`` (a DuckLake: in a
    Postgres database of its own on ``postgres``), the access policy and accounts."""
    state = tmp_path_factory.mktemp("web") / "state"
    access = state.parent / "access.yaml"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in lydspor_env(state, LYDSPOR_ACCESS_POLICY=str(access)).items():
            patch.setenv(name, value)
        if warehouse == DUCKLAKE:
            use_ducklake(patch, postgres, f"{state / 'lake'}/")
        patch.setenv("LYDSPOR_WEB_ERASURE_FOLLOWUP", "false")
        patch.delenv("LYDSPOR_OIDC_ISSUER", raising=False)
        Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        access.write_text(AccessPolicy.model_validate(POLICY).model_dump_json())
        build_catalogue(state, policy)
        settings = WebSettings.from_environment()
        accounts = Accounts(settings.accounts)
        for principal in POLICY["principals"]:
            accounts.add(principal["user"], PASSWORD)
        yield settings


@pytest.fixture(scope="module")
def web_state(tmp_path_factory, policy):
    """An embedded lydspor state with the catalogue, access policy and accounts, for a module."""
    with web_state_on(tmp_path_factory, policy) as settings:
        yield settings
