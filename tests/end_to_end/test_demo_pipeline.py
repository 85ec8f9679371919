"""End to end on real synthetic speech: `lydspor demo` as a user runs it, then what it built."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import jiwer
import pytest

from tests.conftest import REPO, lydspor_env
from tests.support.remanence import scan_bytes
from tests.support.scan import scan_tables

pytestmark = pytest.mark.slow


LYDSPOR = Path(sys.executable).parent / "lydspor"


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    state = tmp_path_factory.mktemp("demo") / "state"
    return state, {**os.environ, **lydspor_env(state)}


def cli(demo_env, *args: str) -> subprocess.CompletedProcess:
    state, env = demo_env
    return subprocess.run(
        [str(LYDSPOR), *args],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=900,
        cwd=state.parent,
    )


@pytest.fixture(scope="module")
def demo(demo_env):
    done = cli(demo_env, "demo")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    con = duckdb.connect(str(demo_env[0] / "lydspor.duckdb"), read_only=True)
    yield done.stdout, con
    con.close()


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_summary_reports_calls_minutes_deletions_marts_and_checks(demo):
    out, con = demo
    calls = rows(con, "select count(*), count(distinct call_date) from raw.recordings")[0]
    assert calls[0] == 12 and calls[1] >= 2
    for label in (
        "calls",
        "audio minutes",
        "agent-only minutes",
        "customer audio objects deleted",
        "mart fct_calls",
        "mart fct_call_coaching",
        "checks passed",
    ):
        assert label in out, label
    assert "succeeded" in out
    mono = rows(con, "select count(*) from raw.recordings where recording_mode = 'mono'")[0][0]
    isolated = rows(con, "select count(*) from raw.agent_audio where status = 'isolated'")[0][0]
    assert re.search(rf"mono calls isolated \(mix deleted\)\s*│\s*{isolated} of {mono}", out)
    muted = rows(con, "select count(*) from raw.audio_redactions")[0][0]
    assert re.search(rf"personal data muted in audio\s*│\s*{muted} spans", out)


def test_customer_voice_is_deleted_unless_consent_keeps_it(demo):
    _, con = demo
    status = dict(
        rows(
            con,
            """
        select r.call_id, (s.deleted_at is not null) as deleted
        from raw.recordings r join raw.stored_objects s on s.object_key = r.object_key
        where r.recording_mode in ('stereo', 'mono')
    """,
        )
    )
    bases = dict(
        rows(con, "select call_id, legal_basis from raw.consent_lineage where track = 'customer'")
    )
    assert status, "the sample set has recordings with the customer's voice"
    for call_id, deleted in status.items():
        assert deleted == (bases[call_id] != "consent"), call_id
    receipts = rows(
        con,
        "select count(*) from raw.deletion_receipts r join raw.recordings c "
        "on c.object_key = r.object_key where r.verified_absent "
        "and c.recording_mode in ('stereo', 'mono')",
    )[0][0]
    assert receipts == sum(status.values())
    # An agent-only recording is deleted only when redaction replaced it by a muted copy.
    replaced = rows(
        con,
        "select r.reason, c.call_id from raw.deletion_receipts r join raw.recordings c "
        "on c.object_key = r.object_key where c.recording_mode = 'agent_only'",
    )
    for reason, call_id in replaced:
        assert reason.startswith("personal data muted: replaced by agent/"), call_id
        assert call_id in reason


def test_retention_state_finds_every_alive_object_in_the_store(demo):
    _, con = demo
    # Entries that own rows (kind 'rows') have no object: only missing objects count.
    missing = rows(
        con, "select object_key from raw.retention_state where problem = 'missing from the store'"
    )
    assert missing == []
    unexplained = rows(
        con,
        "select object_key, problem from raw.retention_state where problem is not null "
        "and problem <> 'pending (registered, not confirmed)'",
    )
    assert unexplained == []
    voiceprints = rows(
        con,
        "select count(*) from raw.retention_state where object_class = 'voiceprint' and in_store",
    )[0][0]
    assert voiceprints > 0, "the demo enrols its agents"


def test_transcripts_follow_consent_and_match_the_speech(demo):
    _, con = demo
    customer_calls = {
        r[0]
        for r in rows(
            con, "select distinct call_id from raw.transcript_words where track = 'customer'"
        )
    }
    consented = {
        r[0]
        for r in rows(
            con,
            "select call_id from raw.consent_lineage where "
            "track = 'customer' and legal_basis = 'consent'",
        )
    }
    assert customer_calls and customer_calls <= consented
    # The agent's words against the ground truth, English calls (espeak's Norwegian is poor).
    pairs = rows(
        con,
        """
        with said as (
            select call_id, string_agg(text, ' ' order by turn_index) as truth
            from raw.truth_turns where speaker = 'agent' group by call_id
        ),
        heard as (
            select call_id, string_agg(word, ' ' order by word_index) as hypothesis
            from raw.transcript_words where track = 'agent' group by call_id
        )
        select said.truth, heard.hypothesis from said
        join heard using (call_id) join raw.recordings r using (call_id)
        where r.language = 'en'
    """,
    )
    assert pairs
    normalise = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    wer = jiwer.wer(
        [t for t, _ in pairs],
        [h for _, h in pairs],
        reference_transform=normalise,
        hypothesis_transform=normalise,
    )
    assert wer < 0.35, wer


def test_personal_data_is_redacted_in_text_and_muted_in_agent_audio(demo, demo_env):
    import soundfile as sf

    _, con = demo
    masked = rows(
        con,
        "select call_id, count(*), bool_and(word like '[%]') from raw.transcript_words "
        "where pii_kind is not null group by call_id",
    )
    # The sample agents read phone numbers back; Whisper hears some of them well enough.
    assert masked and all(ok for _, _, ok in masked)
    assert not rows(
        con,
        "select word from raw.transcript_words where pii_kind is null "
        "and regexp_matches(word, '\\d{5,}')",
    )
    # The unredacted words live only in objects of the short-lived class; DuckDB has none.
    classes = dict(
        rows(
            con,
            "select kind, any_value(object_class) from raw.stored_objects "
            "where object_key like 'transcripts/%' group by kind",
        )
    )
    assert classes["agent_words"] == "transcript"
    assert classes["agent_redacted"] == classes["agent_segments"] == "redacted_transcript"
    windows = rows(
        con,
        "select distinct object_class, deadline - created_at from raw.stored_objects "
        "where object_class in ('transcript', 'redacted_transcript') and legal_basis = 'contract'",
    )
    assert dict(windows)["transcript"] < dict(windows)["redacted_transcript"]

    mutes = rows(
        con,
        "select m.call_id, m.source_key, m.muted_key, m.start_s, m.end_s, m.receipt_id, "
        "r.verified_absent from raw.audio_redactions m "
        "join raw.deletion_receipts r using (receipt_id)",
    )
    agent_calls = {c for c, *_ in rows(
        con,
        "select distinct call_id from raw.transcript_words where track = 'agent' "
        "and pii_kind is not null",
    )}  # fmt: skip
    assert agent_calls and {m[0] for m in mutes} == agent_calls
    objects = demo_env[0] / "objects" / "lydspor"
    for call_id, source, muted, start, end, _, verified in mutes:
        assert verified and not (objects / source).exists(), call_id
        assert rows(con, f"select agent_key from raw.agent_audio where call_id = '{call_id}'") == [
            (muted,)
        ]
        samples, rate = sf.read(objects / muted, dtype="int16", always_2d=True)
        assert not samples[int(start * rate) + 1 : int(end * rate) - 1].any(), call_id
        assert samples.any()  # the rest of the agent's speech is kept


def test_marts_are_built_with_coaching_kpis(demo):
    _, con = demo
    assert rows(con, "select count(*) from fct_calls")[0][0] == 12
    kpis = rows(
        con,
        "select speech_rate_wpm, longest_monologue_s, agent_talk_s, "
        "metrics_missing_reason from fct_call_coaching",
    )
    measured = [k for k in kpis if k[3] is None]
    assert measured and all(80 < k[0] < 260 and 0 < k[1] <= k[2] for k in measured)
    # Mono calls cannot be split yet: null metrics with a reason, never zeros.
    assert all(k[0] is None for k in kpis if k[3] is not None)


def test_every_insight_mart_has_rows(demo):
    from lydspor.demo import MARTS

    out, con = demo
    for mart in MARTS:
        assert rows(con, f"select count(*) from {mart}")[0][0] > 0, mart
        assert f"mart {mart}" in out, mart
    # Both sides were measured where the customer consented; trackers hit in en and nb.
    assert rows(con, "select count(*) from fct_call_kpis where talk_ratio is not null")[0][0] > 0
    languages = {r[0] for r in rows(con, "select distinct language from fct_tracker_hits")}
    assert {"en", "nb"} <= languages


def outbound_stereo_call(con) -> str:
    return rows(
        con,
        "select call_id from raw.recordings where direction = 'outbound' "
        "and recording_mode = 'stereo' order by call_id limit 1",
    )[0][0]


def test_lineage_json_shows_basis_objects_and_receipts(demo, demo_env):
    _, con = demo
    call_id = outbound_stereo_call(con)
    done = cli(demo_env, "lineage", call_id, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    bases = {t["track"]: t["legal_basis"] for t in data["tracks"]}
    assert bases == {"agent": "contract", "customer": "legitimate_interest_temporary"}
    raw = next(o for o in data["objects"] if o["kind"] == "raw_recording")
    assert raw["deleted_at"] and raw["receipt_id"] and raw["deleted_on_time"]
    assert [o for o in data["objects"] if o["kind"] == "agent_audio" and not o["deleted_at"]]


def test_report_and_audit_verify(demo, demo_env, tmp_path):
    out = tmp_path / "report.html"
    done = cli(demo_env, "report", "--from", "2026-11-02", "--to", "2026-11-03", "--out", str(out))
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    assert html.count('class="call"') == 12 and "LATE" not in html
    verified = cli(demo_env, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout


def test_erase_a_call_end_to_end(demo, demo_env):
    _, con = demo
    call_id = rows(
        con,
        "select call_id from raw.recordings where recording_mode = 'stereo' "
        "and direction = 'inbound' and call_id in (select call_id from "
        "raw.consent_lineage where legal_basis = 'consent') limit 1",
    )[0][0]
    con.close()
    done = cli(
        demo_env,
        "erase",
        "--call",
        call_id,
        "--decision",
        "erase",
        "--reason",
        "the caller asked",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 erased" in done.stdout and "succeeded" in done.stdout
    with duckdb.connect(str(demo_env[0] / "lydspor.duckdb"), read_only=True) as fresh:
        alive = rows(
            fresh,
            f"select count(*) from raw.stored_objects where call_id = '{call_id}' "
            "and deleted_at is null",
        )[0][0]
        words = rows(
            fresh, f"select count(*) from raw.transcript_words where call_id = '{call_id}'"
        )
        marts = rows(fresh, f"select count(*) from fct_call_coaching where call_id = '{call_id}'")
        others = rows(fresh, "select count(*) from fct_call_coaching")[0][0]
    assert alive == 0
    # The call's rows went with it (the policy's expiry: delete), marts included; not others'.
    assert words[0][0] == 0 and marts[0][0] == 0 and others > 0
    assert cli(demo_env, "audit", "verify").returncode == 0
    lineage = json.loads(cli(demo_env, "lineage", call_id, "--json").stdout)
    assert lineage["call"]["catalogue_row"] == "deleted" and lineage["erasure_requests"]


def test_analyst_notebooks_run_and_plot(demo, demo_env, tmp_path):
    out = tmp_path / "notebooks"
    done = cli(demo_env, "notebooks", "--as", "analyst", "--out", str(out))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    import nbformat

    for path in sorted(out.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("output_type") == "error"], path.name
        assert any("image/png" in o.get("data", {}) for o in outputs), f"{path.name}: no plot"
        assert (out / f"{path.stem}.html").stat().st_size > 10_000
    assert {p.stem for p in out.glob("*.ipynb")} == {
        "compliance_overview",
        "coaching",
        "pain_points",
        "nps",
    }


def test_an_agent_reads_only_their_team(demo, demo_env):
    done = cli(demo_env, "query", "--as", "sara", "--format", "json",
               "select distinct team, agent_id from fct_call_coaching")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"team": "support-bergen", "agent_id": "agent-sara"}]
    with duckdb.connect(str(demo_env[0] / "lydspor.duckdb"), read_only=True) as con:
        sql = "select call_id from raw.recordings where team = 'sales-oslo'"
        other_team = rows(con, sql)[0][0]
    # The module's shared read-only connection may still be open: close it for the audited read.
    demo[1].close()
    refused = cli(demo_env, "transcript", other_team, "--as", "sara")
    assert refused.returncode == 3


@pytest.mark.compliance
def test_erasing_a_number_and_an_agent_leaves_no_byte_of_them(demo, demo_env):
    """Item 4 of the compliance promise: after `erase --phone` and `erase --agent`, neither the
    number, nor the agent id, nor the erased customer's words are in any file under the state
    directory: not in DuckDB's free blocks, not in Parquet, not in Dagster's logs."""
    demo[1].close()
    with duckdb.connect(str(demo_env[0] / "lydspor.duckdb"), read_only=True) as con:
        call_id, number = rows(
            con,
            "select r.call_id, r.customer_number from raw.recordings r "
            "where r.customer_number is not null and exists (select 1 from "
            "raw.transcript_words w where w.call_id = r.call_id and w.track = 'customer') "
            "order by r.call_id limit 1",
        )[0]
        # Another agent than the caller's: both erasures must hold on their own.
        agent = rows(
            con,
            f"select min(agent_id) from raw.recordings where agent_id <> "
            f"(select agent_id from raw.recordings where call_id = '{call_id}')",
        )[0][0]
        said = {
            w.strip(".,?!")
            for (w,) in rows(
                con,
                f"select word from raw.transcript_words where call_id = '{call_id}' "
                "and track = 'customer' and not coalesce(redacted, false)",
            )
        }
        elsewhere = " ".join(
            w.lower()
            for (w,) in rows(
                con, f"select word from raw.transcript_words where call_id <> '{call_id}'"
            )
        )
    shipped = " ".join(
        p.read_text().lower()
        for p in [*(REPO / "dbt" / "seeds").glob("*.csv"), *(REPO / "data").rglob("*.yaml")]
    )
    words = {
        form
        for w in said
        if len(w) >= 5 and w.isalpha() and w.lower() not in elsewhere + shipped
        for form in (w, w.lower())
    }
    needles = [number, re.sub(r"\D", "", number)[-8:], agent, *sorted(words)]
    assert words, said
    for selector, value in (("--phone", number), ("--agent", agent)):
        done = cli(demo_env, "erase", selector, value, "--decision", "erase",
                   "--reason", "the data subject asked")  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    with duckdb.connect(str(demo_env[0] / "lydspor.duckdb"), read_only=True) as con:
        assert scan_tables(con, needles) == []
        subjects = rows(con, "select selector_value from raw.erasure_requests")
    assert all(s[0].split(":", 1)[0] in {"phone", "agent", "call"} for s in subjects)
    # Under the state directory, and what dbt keeps beside its project (logs, run artefacts).
    roots = [demo_env[0], REPO / "dbt" / "target", REPO / "dbt" / "logs"]
    left = [hit for root in roots if root.exists() for hit in scan_bytes(root, needles)]
    # The effective access policy is the controller's configuration (which user is which
    # agent id), not recorded data: erasing an agent's recordings leaves their user to it.
    left = [(path, needle) for path, needle in left if path != demo_env[0] / "access.yaml"]
    assert not left, "\n".join(f"{path}: {needle}" for path, needle in left)
    assert cli(demo_env, "audit", "verify").returncode == 0
