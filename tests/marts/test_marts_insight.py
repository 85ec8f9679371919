"""The insight marts on a tiny hand-made catalogue: metric values, nulls with reasons, purposes."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assets.agent_audio.extract import AGENT_AUDIO_TABLE
from assets.common.dbt_project import (
    DBT_PROJECT_DIR,
    PRODUCTION_BUILD_EXCLUDES,
    dbt_project,
)
from assets.consent.assets import CONSENT_LINEAGE_TABLE
from assets.retention.assets import RETENTION_STATE_TABLE
from assets.transcripts.tables import WORDS_TABLE
from tests.support.dbt import ensure_sources, run_dbt

DAY = date(2026, 11, 2)  # a Monday
AGENT_PURPOSES = ["coaching", "quality_assurance", "analytics"]
CONSENTED = ["quality_assurance", "training"]
#: Every synthetic word lasts 0.3 s and the next starts 0.35 s after it.
WORD_STEP_S, WORD_S = 0.35, 0.3

#: call_id: (agent, team, mode, direction, outcome, nps, duration_s, agent purposes, customer
#: basis, customer purposes, turns as (track, start_s, text))
CALLS = {
    # Both sides: the customer interrupts once (8.0 s, while the agent speaks until 8.45 s).
    "c-both": (
        "a-support",
        "support",
        "stereo",
        "inbound",
        "resolved",
        10,
        12.5,
        AGENT_PURPOSES,
        "consent",
        CONSENTED,
        [
            ("agent", 0.0, "Northwind support, how can I help?"),
            ("customer", 3.0, "My bill is too expensive this month."),
            ("agent", 6.4, "I can lower your plan today."),
            ("customer", 8.0, "Great, thanks."),
            ("agent", 10.15, "Anything else?"),
        ],
    ),
    "c-agent-only": (
        "a-sales",
        "sales",
        "agent_only",
        "outbound",
        "sale",
        3,
        10.0,
        AGENT_PURPOSES,
        "not_recorded",
        [],
        [("agent", 0.5, "Hi, no contract at all. Interested?")],
    ),
    "c-mono": (
        "a-sales",
        "sales",
        "mono",
        "outbound",
        "no_sale",
        None,
        20.0,
        AGENT_PURPOSES,
        "legitimate_interest_temporary",
        ["agent_extraction"],
        [],
    ),
    # An agent track the controller allows for analytics only: trackers and NPS, no coaching.
    "c-analytics-only": (
        "a-sales",
        "sales",
        "agent_only",
        "outbound",
        "callback",
        8,
        10.0,
        ["analytics"],
        "not_recorded",
        [],
        [("agent", 0.0, "That sounds like a problem.")],
    ),
}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(c for row in rows for c in row))
    values = ", ".join("(" + ", ".join("?" for _ in columns) + ")" for _ in rows)
    params = [row.get(c) for row in rows for c in columns]
    con.execute(f"insert into {table} ({', '.join(columns)}) values {values}", params)


def _words(call_id: str, purposes: list[str], basis: str, turns) -> list[dict]:
    rows, index = [], {"agent": 0, "customer": 0}
    for track, start, text in turns:
        for k, word in enumerate(text.split()):
            begin = round(start + k * WORD_STEP_S, 3)
            rows.append(
                {
                    "call_id": call_id,
                    "call_date": DAY,
                    "track": track,
                    "word_index": index[track],
                    "segment_index": 0,
                    "word": word,
                    "start_s": begin,
                    "end_s": round(begin + WORD_S, 3),
                    "probability": 0.9,
                    "language": "en",
                    "legal_basis": "contract" if track == "agent" else basis,
                    "purposes": purposes if track == "agent" else CONSENTED,
                }
            )
            index[track] += 1
    return rows


def _fill(con: duckdb.DuckDBPyConnection) -> None:
    ensure_sources(con)
    recordings, audio, bases, words, ledger = [], [], [], [], []
    status = {"stereo": "extracted", "agent_only": "passthrough", "mono": "needs_isolation"}
    for call_id, call in CALLS.items():
        agent, team, mode, direction, outcome, nps, duration, purposes, basis, cpurp, turns = call
        recordings.append(
            {
                "call_id": call_id,
                "call_date": DAY,
                "dialer": "generic",
                "direction": direction,
                "agent_id": agent,
                "team": team,
                "campaign": "test",
                "language": "en",
                "recording_mode": mode,
                "outcome": outcome,
                "nps": nps,
                "duration_s": duration,
            }
        )
        audio.append({"call_id": call_id, "call_date": DAY, "status": status[mode]})
        bases.append(
            {
                "call_id": call_id,
                "call_date": DAY,
                "track": "agent",
                "legal_basis": "contract",
                "purposes": purposes,
                "reason": "employment contract",
            }
        )
        bases.append(
            {
                "call_id": call_id,
                "call_date": DAY,
                "track": "customer",
                "legal_basis": basis,
                "purposes": cpurp,
                "consent_valid": basis == "consent" or None,
                "reason": "test",
            }
        )
        words += _words(call_id, purposes, basis, turns)
        # The ledger entries the marts' rows derive from (owned_by_live_entry tests them).
        for object_class in ("call_metadata", "redacted_transcript"):
            ledger.append(
                {
                    "object_key": f"{object_class}/{call_id}",
                    "call_id": call_id,
                    "call_date": DAY,
                    "kind": object_class,
                    "object_class": object_class,
                    "legal_basis": "contract",
                    "purposes": purposes,
                    "in_store": True,
                    "in_ledger": True,
                }
            )
    _insert(con, RETENTION_STATE_TABLE, ledger)
    _insert(con, "raw.recordings", recordings)
    _insert(con, AGENT_AUDIO_TABLE, audio)
    _insert(con, CONSENT_LINEAGE_TABLE, bases)
    _insert(con, WORDS_TABLE, words)


@pytest.fixture
def marts(catalog, tmp_path, policy):
    _fill(catalog)
    catalog.close()  # dbt needs the file to itself
    run_dbt("build", tmp_path, policy.mart_purposes, *PRODUCTION_BUILD_EXCLUDES)
    con = duckdb.connect(os.environ["LYDSPOR_DUCKDB_PATH"], read_only=True)
    yield con
    con.close()


def _row(con, sql: str, *params) -> dict:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    return dict(zip(names, row, strict=True)) if row else {}


def test_conversation_kpis_from_both_sides(marts):
    kpis = _row(marts, "select * from fct_call_kpis where call_id = 'c-both'")
    # Agent: 3 turns, 14 words in 4.75 s; customer: 2 turns of 2.4 and 0.65 s.
    assert kpis["agent_turns"] == 3 and kpis["agent_words"] == 14
    assert kpis["agent_talk_s"] == pytest.approx(4.75)
    assert kpis["speech_rate_wpm"] == pytest.approx(176.8)
    assert kpis["longest_monologue_s"] == pytest.approx(2.05)
    assert kpis["longest_customer_story_s"] == pytest.approx(2.4)
    assert kpis["talk_ratio"] == pytest.approx(4.75 / 7.8, abs=1e-3)
    assert kpis["agent_questions"] == 2 and kpis["question_rate_per_min"] == pytest.approx(9.6)
    assert kpis["speaker_switches"] == 4 and kpis["interactivity_per_min"] == pytest.approx(19.2)
    # The agent answers after 1.0 s, then 1.5 s after the customer's interruption ended.
    assert kpis["agent_answers"] == 2 and kpis["patience_s"] == pytest.approx(1.25)
    assert (kpis["agent_interruptions"], kpis["customer_interruptions"]) == (0, 1)
    assert kpis["silence_s"] == pytest.approx(5.15) and kpis["silence_share"] == pytest.approx(
        0.412
    )
    assert kpis["agent_metrics_missing_reason"] is None
    assert kpis["customer_metrics_missing_reason"] is None


def test_missing_sides_are_null_with_a_reason(marts):
    agent_only = _row(marts, "select * from fct_call_kpis where call_id = 'c-agent-only'")
    assert agent_only["speech_rate_wpm"] > 0
    for metric in ("talk_ratio", "customer_talk_s", "patience_s", "silence_share"):
        assert agent_only[metric] is None, metric
    assert agent_only["customer_metrics_missing_reason"] == (
        "customer not recorded: agent-only recording"
    )
    mono = _row(marts, "select * from fct_call_kpis where call_id = 'c-mono'")
    assert mono["speech_rate_wpm"] is None and mono["agent_turns"] is None
    assert mono["agent_metrics_missing_reason"] == "no agent-only audio: needs_isolation"
    week = _row(marts, "select * from fct_agent_weekly_kpis where agent_id = 'a-sales'")
    assert week["calls"] == 2 and week["talk_ratio"] is None
    assert week["customer_metrics_missing_reason"].startswith("no call with both sides")


def test_trackers_hit_with_words_and_times(marts):
    hits = {
        r[0]: r[1:]
        for r in marts.execute(
            "select call_id || ':' || tracker, track, phrase, matched_words, start_s, end_s "
            "from fct_tracker_hits"
        ).fetchall()
    }
    assert hits["c-both:price"] == (
        "customer",
        "too expensive",
        "too expensive",
        pytest.approx(4.05),
        pytest.approx(4.7),
    )
    assert hits["c-agent-only:contract_lock_in"][0] == "agent"
    assert hits["c-agent-only:interest"][2] == "Interested?"
    assert "c-analytics-only:technical_problem" in hits


def test_purposes_limit_every_mart(marts, tmp_path, policy):
    # Coaching marts leave out the call whose agent track allows analytics only ...
    for mart in ("fct_call_kpis", "fct_call_scores", "fct_onboarding_curves"):
        key = "agent_id" if mart == "fct_onboarding_curves" else "call_id"
        rows = marts.execute(f"select {key} from {mart}").fetchall()
        assert rows and ("c-analytics-only",) not in rows, mart
    calls = {r[0] for r in marts.execute("select call_id from fct_call_kpis").fetchall()}
    assert calls == {"c-both", "c-agent-only", "c-mono"}
    # ... while the analytics marts keep it.
    nps = {
        r[0]: r[1:]
        for r in marts.execute(
            "select call_id, nps_class, trackers_hit from fct_survey_responses"
        ).fetchall()
    }
    assert nps["c-analytics-only"] == ("passive", ["technical_problem"])
    # NPS may not use the customer's words: the consent covered QA and training, not analytics.
    assert nps["c-both"] == ("promoter", [])
    assert nps["c-agent-only"] == ("detractor", ["contract_lock_in", "interest"])
    overall = _row(marts, "select * from fct_nps_weekly where dimension = 'overall'")
    assert (overall["responses"], overall["promoters"], overall["detractors"]) == (3, 1, 1)
    assert overall["nps"] == 0.0

    # A stricter policy for the tracker mart drops the customer's words from it at once.
    marts.close()
    narrowed = {**policy.mart_purposes, "fct_tracker_hits": ["analytics"]}
    run_dbt("build", tmp_path, narrowed, "--select", "fct_tracker_hits", *PRODUCTION_BUILD_EXCLUDES)
    with duckdb.connect(os.environ["LYDSPOR_DUCKDB_PATH"], read_only=True) as con:
        tracks = {
            r[0] for r in con.execute("select distinct track from fct_tracker_hits").fetchall()
        }
    assert tracks == {"agent"}


def test_policy_names_every_mart_as_the_macro_defaults_do(policy):
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    marts = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"].startswith(("fct_", "dim_"))
    }
    macro = (DBT_PROJECT_DIR / "macros" / "mart_purposes.sql").read_text()
    defaults = {
        name: re.findall(r"'(\w+)'", purposes)
        for name, purposes in re.findall(r"'(\w+)': \[([^\]]*)\]", macro)
    }
    assert set(policy.mart_purposes) == marts
    assert defaults == policy.mart_purposes


@pytest.mark.parametrize(
    "damage",
    [
        None,  # the words as loaded: the test passes
        # A repeat that fills the place of another word: count, min and max still fit.
        "update {words} set word_index = 0 where call_id = 'c-both' and track = 'agent' "
        "and word_index = 1",
        # A word loaded twice.
        "insert into {words} select * from {words} where call_id = 'c-both' and word_index = 2",
        # A gap.
        "delete from {words} where call_id = 'c-both' and track = 'customer' and word_index = 1",
    ],
)
def test_word_key_test_catches_repeats_and_gaps(catalog, tmp_path, policy, damage):
    _fill(catalog)
    if damage:
        catalog.execute(damage.format(words=WORDS_TABLE))
    catalog.close()
    run_dbt("run", tmp_path, policy.mart_purposes, "--select", "stg_lydspor__transcript_words")
    done = run_dbt(
        "test",
        tmp_path,
        policy.mart_purposes,
        "--select",
        "stg_lydspor__transcript_words,test_name:dense_index",
        check=False,
    )
    if damage is None:
        assert done.returncode == 0, done.stdout[-2000:]
    else:
        assert done.returncode != 0
        assert re.search(r"FAIL \d+ dense_index_stg_lydspor__transcript_words", done.stdout)


def test_a_mart_row_whose_owner_is_gone_fails_the_build(marts, tmp_path, policy):
    """A copy that escaped the sweep: the call's metadata entry is deleted, its mart rows are
    not. The owned_by_live_entry tests name the marts that still hold them."""
    marts.close()
    with duckdb.connect(os.environ["LYDSPOR_DUCKDB_PATH"]) as con:
        con.execute(
            f"update {RETENTION_STATE_TABLE} set deleted_at = now() where call_id = 'c-both'"
        )
    done = run_dbt(
        "test", tmp_path, policy.mart_purposes, "--select", "test_name:owned_by_live_entry",
        check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert re.search(r"FAIL 1 owned_by_live_entry_fct_calls_call_id", done.stdout)
    assert re.search(r"FAIL \d+ owned_by_live_entry_fct_tracker_hits", done.stdout)


def test_dbt_unit_tests_pass(catalog, tmp_path, policy):
    """The models' unit tests (one per metric), which production builds leave out, run here."""
    _fill(catalog)
    catalog.close()
    # Unit tests read their inputs' column types from the warehouse: empty models suffice.
    run_dbt("build", tmp_path, policy.mart_purposes, "--empty", *PRODUCTION_BUILD_EXCLUDES)
    done = run_dbt("test", tmp_path, policy.mart_purposes, "--select", "test_type:unit")
    # Every unit test of this very parse, not of a manifest that may be older.
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    unit_tests = [uid for uid in manifest.get("unit_tests", {}) if uid.startswith("unit_test.")]
    assert len(unit_tests) >= 15
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    passed = {r["unique_id"] for r in results if r["status"] == "pass"}
    assert passed == set(unit_tests), done.stdout[-4000:]
