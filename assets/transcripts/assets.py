"""transcripts: word-level, timestamped text of the agent's speech (and the customer's where
valid consent allows), written as Parquet to object storage and registered in DuckDB."""

import io
from datetime import UTC, datetime

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.agent_audio.assets import agent_audio
from assets.agent_audio.extract import AGENT_AUDIO_TABLE
from assets.consent.assets import CONSENT_LINEAGE_TABLE, consent_lineage
from assets.recordings.ingest import RECORDINGS_TABLE
from assets.retention.ledger import StoredObject, alive_object, register
from assets.transcripts.engine import WORDS_SCHEMA, Transcript, decode_track
from orchestration.partitions import call_date_partitions, window_dates
from orchestration.resources import ObjectStoreResource, PolicyResource, WhisperResource
from orchestration.warehouse import ensure_table

WORDS_TABLE = "raw.transcript_words"


def words_key(call_date, call_id: str, track: str) -> str:
    return f"transcripts/{call_date.isoformat()}/{call_id}/{track}.words.parquet"


def transcript_frame(
    transcript: Transcript, call_id: str, call_date, track: str, basis: str, purposes: list[str]
) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "call_id": call_id,
                "call_date": call_date,
                "track": track,
                "word_index": i,
                "segment_index": w.segment_index,
                "word": w.word,
                "start_s": w.start,
                "end_s": w.end,
                "probability": w.probability,
                "language": transcript.language,
                "legal_basis": basis,
                "purposes": purposes,
            }
            for i, w in enumerate(transcript.words)
        ],
        schema=WORDS_SCHEMA,
    )


def _tracks_to_transcribe(con, start, end) -> list[dict]:
    """Agent tracks with agent-only audio, and customer tracks whose consent is valid and whose
    audio is still kept; skipping tracks already transcribed."""
    return (
        con.sql(
            f"""
        select r.call_id, r.call_date, r.language, r.agent_channel, r.object_key as raw_key,
               a.agent_key, t.track, t.legal_basis, t.purposes
        from {RECORDINGS_TABLE} r
        join {AGENT_AUDIO_TABLE} a using (call_id)
        join {CONSENT_LINEAGE_TABLE} t using (call_id)
        where r.call_date >= '{start}' and r.call_date < '{end}'
          and (
            (t.track = 'agent' and a.agent_key is not null)
            or (t.track = 'customer' and t.legal_basis = 'consent' and t.consent_valid
                and r.recording_mode = 'stereo')
          )
          and not exists (
            select 1 from {WORDS_TABLE} w where w.call_id = r.call_id and w.track = t.track
          )
        order by r.call_id, t.track
        """
        )
        .pl()
        .to_dicts()
    )


@dg.asset(
    partitions_def=call_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[agent_audio, consent_lineage],
    group_name="transcripts",
    kinds={"s3", "parquet", "duckdb"},
    description="Word-level transcripts (faster-whisper, word timestamps, VAD, language from "
    "metadata) of agent audio, and of customer audio only where consent allows.",
)
def transcripts(
    context: dg.AssetExecutionContext,
    object_store: ObjectStoreResource,
    duckdb: DuckDBResource,
    whisper: WhisperResource,
    policy: PolicyResource,
) -> dg.MaterializeResult:
    store, tenant_policy = object_store.get_store(), policy.load()
    start, end = window_dates(context)
    audio_s = elapsed_s = 0.0
    written = []
    with duckdb.get_connection() as con:
        object_store.attach_to(con)
        ensure_table(con, WORDS_TABLE, WORDS_SCHEMA)
        todo = _tracks_to_transcribe(con, start, end)
        context.log.info(f"{len(todo)} track(s) to transcribe with {whisper.model}")
        for i, track in enumerate(todo, 1):
            source = track["agent_key"] if track["track"] == "agent" else track["raw_key"]
            if alive_object(con, source) is None:
                context.log.warning(f"{track['call_id']}/{track['track']}: audio gone, skipped")
                continue
            channel = None if track["track"] == "agent" else 1 - int(track["agent_channel"])
            samples = decode_track(store.get_bytes(source), channel)
            began = datetime.now(UTC)
            result = whisper.get_engine().transcribe(samples, track["language"])
            took = (datetime.now(UTC) - began).total_seconds()
            audio_s, elapsed_s = audio_s + result.duration_s, elapsed_s + took
            context.log.info(
                f"[{i}/{len(todo)}] {track['call_id']}/{track['track']}: {len(result.words)} "
                f"words, {result.duration_s:.0f} s audio in {took:.1f} s"
            )
            frame = transcript_frame(
                result,
                track["call_id"],
                track["call_date"],
                track["track"],
                track["legal_basis"],
                list(track["purposes"]),
            )
            key = words_key(track["call_date"], track["call_id"], track["track"])
            buffer = io.BytesIO()
            frame.write_parquet(buffer)
            put = store.put_bytes(key, buffer.getvalue(), content_type="application/parquet")
            now = datetime.now(UTC)
            register(
                con,
                StoredObject(
                    object_key=key,
                    call_id=track["call_id"],
                    call_date=track["call_date"],
                    kind=f"{track['track']}_transcript",
                    object_class="transcript",
                    legal_basis=track["legal_basis"],
                    purposes=list(track["purposes"]),
                    sha256=put.sha256,
                    size_bytes=put.size,
                    created_at=now,
                    deadline=tenant_policy.deadline("transcript", track["legal_basis"], now),
                ),
            )
            written.append(key)
        if written:
            # Register through the Parquet in the store: the same path an S3 deployment reads.
            urls = [object_store.url_for(k) for k in written]
            relation = f"read_parquet({urls!r})"
            con.execute(
                f"delete from {WORDS_TABLE} w using (select distinct call_id, track from "
                f"{relation}) n where w.call_id = n.call_id and w.track = n.track"
            )
            con.execute(f"insert into {WORDS_TABLE} by name select * from {relation}")
        totals = con.execute(
            f"select count(distinct call_id || track), count(*) from {WORDS_TABLE} "
            "where call_date >= ? and call_date < ?",
            [start, end],
        ).fetchone()
    return dg.MaterializeResult(
        metadata={
            "tracks_transcribed_now": len(written),
            "tracks_total": totals[0],
            "words_total": totals[1],
            "audio_seconds_now": round(audio_s, 1),
            "real_time_factor": round(elapsed_s / audio_s, 3) if audio_s else None,
            "model": whisper.model,
        }
    )
