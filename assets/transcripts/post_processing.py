"""After transcription: mute personal data in kept agent audio, and look for spoken consent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import duckdb
import polars as pl

from assets.agent_audio.extract import AGENT_AUDIO_TABLE
from assets.common.storage import ObjectStore
from assets.common.warehouse import table_exists, upsert
from assets.recordings.ingest import RECORDINGS_TABLE
from assets.retention.holds import HOLDS_TABLE, held_call_ids
from assets.retention.ledger import alive_object
from assets.transcripts.engines import Word
from assets.transcripts.muting import replace_many_with_muted
from assets.transcripts.pii import PiiSpan, mute_spans
from assets.transcripts.settings import VerbalConsentSettings
from assets.transcripts.tables import (
    AUDIO_REDACTIONS_TABLE,
    VERBAL_CONSENT_SCHEMA,
    VERBAL_CONSENT_TABLE,
    WORDS_TABLE,
)
from assets.transcripts.verbal_consent import find_verbal_consent


def pii_spans_of(words: pl.DataFrame) -> list[tuple[float, float, str]]:
    """(start, end, kind) to mute for each run of consecutive personal-data words of one track,
    widened as ``pii.mute_spans`` widens a span: by ``MUTE_MARGIN_S`` either side, and up to
    ``MUTE_REACH_S`` into the silence before and after it, as far as the neighbouring word.
    ``muting.mute_intervals`` then adds the policy padding and merges."""
    rows = list(words.sort("word_index").iter_rows(named=True))
    runs: list[PiiSpan] = []
    for position, row in enumerate(rows):
        if row["pii_kind"] is None:
            continue
        last = runs[-1] if runs else None
        if (
            last is not None
            and last.last_word == position - 1
            and rows[position - 1]["word_index"] == row["word_index"] - 1
        ):
            runs[-1] = replace(last, last_word=position, end=row["end_s"])
            continue
        runs.append(
            PiiSpan(row["pii_kind"], position, position, row["start_s"], row["end_s"], "", "")
        )
    timed = [_Timed(row["start_s"], row["end_s"]) for row in rows]
    return mute_spans(runs, timed)


@dataclass(frozen=True)
class _Timed:
    """A word row's times, as ``mute_spans`` reads its neighbours."""

    start: float
    end: float
    word: str = ""


def mute_pending_agent_audio(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    padding_s: float,
    log=None,
) -> int:
    """Mute every kept agent audio object of the window whose transcript has personal data and
    that is not the muted copy yet; returns how many were replaced."""
    pending = con.execute(
        f"""
        select a.call_id, a.agent_key
        from {AGENT_AUDIO_TABLE} a
        where a.call_date >= ? and a.call_date < ? and a.agent_key is not null
          and exists (select 1 from {WORDS_TABLE} w where w.call_id = a.call_id
                      and w.track = 'agent' and w.pii_kind is not null)
          and not exists (select 1 from {AUDIO_REDACTIONS_TABLE} r
                          where r.call_id = a.call_id and r.muted_key = a.agent_key)
        order by a.call_id
        """,
        [start, end],
    ).fetchall()
    held = held_call_ids(con) if table_exists(con, HOLDS_TABLE) else set()
    jobs = []
    for call_id, agent_key in pending:
        if call_id in held:
            # A hold preserves the audio as it is; it is muted once the hold is released.
            if log:
                log.warning(f"{call_id}: under legal hold, agent audio left unmuted for now")
            continue
        if alive_object(con, agent_key) is None:
            if log:
                log.warning(f"{call_id}: agent audio {agent_key} is gone; nothing to mute")
            continue
        jobs.append((call_id, agent_key))
    if not jobs:
        return 0
    words = con.sql(
        f"select call_id, word_index, start_s, end_s, pii_kind from {WORDS_TABLE} "
        "where track = 'agent' and list_contains($calls, call_id)",
        params={"calls": [call_id for call_id, _ in jobs]},
    ).pl()
    rows = replace_many_with_muted(
        store,
        con,
        [
            (call_id, key, pii_spans_of(words.filter(pl.col("call_id") == call_id)))
            for call_id, key in jobs
        ],
        padding_s,
    )
    if log:
        # One line for the step: each log line is an event in Dagster's event log.
        log.info(f"{len(jobs)} agent recording(s) muted, {rows.height} span(s)")
    return len(jobs)


def _words(frame: pl.DataFrame) -> list[Word]:
    return [
        Word(r["word"], r["start_s"], r["end_s"], r["probability"], r["segment_index"])
        for r in frame.sort("word_index").iter_rows(named=True)
    ]


def record_verbal_consent(
    con: duckdb.DuckDBPyConnection,
    call_ids: Iterable[str],
    settings: VerbalConsentSettings,
    now: datetime | None = None,
) -> int:
    """Evidence of spoken consent for the inbound calls among ``call_ids``; returns rows
    written. The customer's words are there only where consent let lydspor keep them."""
    now = now or datetime.now(UTC)
    rows = []
    for call_id in sorted(set(call_ids)):
        call = con.execute(
            f"select call_date, direction, language from {RECORDINGS_TABLE} where call_id = ?",
            [call_id],
        ).fetchone()
        if call is None or call[1] != "inbound":
            continue
        words = con.sql(
            f"select track, word_index, segment_index, word, start_s, end_s, probability, "
            f"language from {WORDS_TABLE} where call_id = '{call_id}'"
        ).pl()
        agent = words.filter(pl.col("track") == "agent")
        customer = words.filter(pl.col("track") == "customer")
        if agent.is_empty():
            continue
        language = agent["language"][0]
        evidence = find_verbal_consent(
            _words(agent),
            _words(customer) if not customer.is_empty() else None,
            language,
            settings.window_s,
        )
        if evidence is None:
            continue
        counts = settings.counts_as_consent and evidence.answer == "yes"
        rows.append(
            {
                "call_id": call_id,
                "call_date": call[0],
                "language": language,
                "question_text": evidence.question_text,
                "question_start_s": evidence.question_start_s,
                "question_end_s": evidence.question_end_s,
                "answer": evidence.answer,
                "answer_text": evidence.answer_text,
                "answer_start_s": evidence.answer_start_s,
                "answer_end_s": evidence.answer_end_s,
                "counts_as_consent": counts,
                "needs_review": not counts,
                "found_at": now,
            }
        )
    return upsert(
        con, VERBAL_CONSENT_TABLE, pl.DataFrame(rows, schema=VERBAL_CONSENT_SCHEMA), ["call_id"]
    )
