"""transcripts: word-level, timestamped text of the agent's speech (and the customer's where
valid consent allows), redacted, written as Parquet to object storage and registered in DuckDB.

Per track four objects are written under ``transcripts/<call date>/<call id>/``: the unredacted
words (class ``transcript``, a short policy window, so the sweep deletes them soon) and the
redacted words, segments and language (class ``redacted_transcript``). DuckDB holds only the
redacted tables. Personal data the agent reads aloud is then muted in the kept agent audio,
and inbound calls are searched for spoken consent to recording (evidence for review).

The asset is three ops: ``plan`` and ``load`` open the catalogue (``warehouse`` pool); ``hear``
runs the Pipes worker, if any, and holds no slot while the GPU works (``pipes.py``).
"""

import io
import time
from collections.abc import Generator, Iterable
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.agent_audio.assets import agent_audio
from assets.agent_audio.extract import AGENT_AUDIO_TABLE
from assets.common.concurrency import WAREHOUSE_POOL
from assets.common.partitions import HEAVY_PARTITIONS, in_run_shards, window_dates
from assets.common.resources import ObjectStoreResource
from assets.common.warehouse import ensure_table
from assets.consent.assets import CONSENT_LINEAGE_TABLE, consent_lineage
from assets.recordings.ingest import RECORDINGS_TABLE
from assets.retention.ledger import StoredObject, alive_object, write_through
from assets.retention.resources import PolicyResource
from assets.retention.work_files import discard_work
from assets.transcripts.engines import Transcript, decode_track
from assets.transcripts.hearing import hear_tracks, track_audio
from assets.transcripts.language import LanguageChoice
from assets.transcripts.models import TrackResult
from assets.transcripts.pii import find_pii
from assets.transcripts.pipes import (
    TranscriptionPlan,
    collect_work,
    register_work,
    run_worker,
    step_op_tags,
    work_items,
    worker_extras,
    worker_mode,
)
from assets.transcripts.post_processing import mute_pending_agent_audio, record_verbal_consent
from assets.transcripts.redaction import TrackInfo, segments_frame, words_frame
from assets.transcripts.resources import WhisperResource
from assets.transcripts.tables import (
    AUDIO_REDACTIONS_SCHEMA,
    AUDIO_REDACTIONS_TABLE,
    LANGUAGES_SCHEMA,
    LANGUAGES_TABLE,
    SEGMENTS_SCHEMA,
    SEGMENTS_TABLE,
    VERBAL_CONSENT_SCHEMA,
    VERBAL_CONSENT_TABLE,
    WORDS_SCHEMA,
    WORDS_TABLE,
)

#: Object name suffix -> (object class, DuckDB table or None for the unredacted words).
OBJECTS = {
    "words": ("transcript", None),
    "redacted": ("redacted_transcript", WORDS_TABLE),
    "segments": ("redacted_transcript", SEGMENTS_TABLE),
    "language": ("redacted_transcript", LANGUAGES_TABLE),
}
_DUCKDB_TYPES = {pl.String: "varchar", pl.Boolean: "boolean", pl.Float64: "double"}


def object_key(call_date, call_id: str, track: str, part: str) -> str:
    return f"transcripts/{call_date.isoformat()}/{call_id}/{track}.{part}.parquet"


def words_key(call_date, call_id: str, track: str) -> str:
    """The unredacted words: deleted by the sweep once the short ``transcript`` window ends."""
    return object_key(call_date, call_id, track, "words")


def ensure_transcript_tables(con) -> None:
    for table, schema in [
        (WORDS_TABLE, WORDS_SCHEMA),
        (SEGMENTS_TABLE, SEGMENTS_SCHEMA),
        (LANGUAGES_TABLE, LANGUAGES_SCHEMA),
        (AUDIO_REDACTIONS_TABLE, AUDIO_REDACTIONS_SCHEMA),
        (VERBAL_CONSENT_TABLE, VERBAL_CONSENT_SCHEMA),
    ]:
        ensure_table(con, table, schema)
        # A catalogue made by an older lydspor lacks the newer columns: add them, empty.
        have = {r[0] for r in con.execute(f"describe {table}").fetchall()}
        for name, dtype in schema.items():
            if name not in have:
                con.execute(f"alter table {table} add column {name} {_DUCKDB_TYPES[dtype]}")


def language_frame(
    transcript: Transcript, choice: LanguageChoice, track: TrackInfo, model: str, spans: int
) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "call_id": track.call_id,
                "call_date": track.call_date,
                "track": track.track,
                "language": choice.language,
                "language_source": choice.source,
                "language_probability": choice.probability,
                "engine": transcript.engine,
                "model": model,
                "word_timestamps": transcript.timestamps,
                "audio_s": transcript.duration_s,
                "word_count": len(transcript.words),
                "pii_spans": spans,
            }
        ],
        schema=LANGUAGES_SCHEMA,
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


@dg.op(
    pool=WAREHOUSE_POOL,
    ins={"after": dg.In(dg.Nothing)},
    description="The tracks to transcribe whose audio is alive; with a worker, every work "
    "file registered in the retention ledger before the worker may write it.",
)
def plan(
    context: dg.OpExecutionContext,
    object_store: ObjectStoreResource,
    duckdb: DuckDBResource,
    whisper: WhisperResource,
    policy: PolicyResource,
) -> TranscriptionPlan:
    tenant_policy = policy.load()
    settings = tenant_policy.transcription
    # Every model the policy names is located before any audio is read.
    whisper.get_pool(
        settings.models, settings.max_loaded_models, Path(policy.path).resolve().parent
    )
    mode = worker_mode(whisper)
    start, end = window_dates(context)
    with duckdb.get_connection() as con:
        object_store.attach_to(con)
        ensure_transcript_tables(con)
        todo = in_run_shards(context, _tracks_to_transcribe(con, start, end))
        context.log.info(
            f"{len(todo)} track(s) to transcribe with {whisper.engine} {whisper.model}"
        )
        tracks, sources = [], []
        for track in todo:
            source = _source(track)
            if alive_object(con, source) is None:
                context.log.warning(f"{track['call_id']}/{track['track']}: audio gone, skipped")
                continue
            tracks.append(track)
            sources.append(source)
        live = [(t, track_audio(t, s)) for t, s in zip(tracks, sources, strict=True)]
        # Work files (a Pipes worker's results) are registered before the worker may write.
        intents = register_work(con, tenant_policy, live) if mode != "inprocess" and live else []
    return TranscriptionPlan(mode, tracks, sources, intents)


@dg.op(
    tags=step_op_tags(),
    description="The Pipes worker hears the planned tracks and writes one work file each; "
    "it holds no warehouse slot and opens no catalogue. In process it does nothing.",
)
def hear(
    context: dg.OpExecutionContext,
    work: TranscriptionPlan,
    object_store: ObjectStoreResource,
    whisper: WhisperResource,
    policy: PolicyResource,
) -> dg.Output[dict]:
    # An explicit Output: once a Pipes session opened, Dagster takes no bare return value.
    if not work.intents:
        return dg.Output({})
    settings = policy.load().transcription
    base_dir = str(Path(policy.path).resolve().parent)
    extras = worker_extras(whisper, settings, base_dir, work_items(work.live()))
    return dg.Output(run_worker(context, whisper, object_store, extras))


@dg.op(
    pool=WAREHOUSE_POOL,
    out=dg.Out(dg.Nothing),
    description="Redacts, writes and loads the heard tracks (hearing them first in process), "
    "deletes the work files with receipts, mutes agent audio, records verbal consent.",
)
def load(
    context: dg.OpExecutionContext,
    work: TranscriptionPlan,
    worker_metadata: dict,
    object_store: ObjectStoreResource,
    duckdb: DuckDBResource,
    whisper: WhisperResource,
    policy: PolicyResource,
) -> None:
    store, tenant_policy = object_store.get_store(), policy.load()
    settings = tenant_policy.transcription
    start, end = window_dates(context)
    audio_s = elapsed_s = 0.0
    written: dict[str, list[str]] = {part: [] for part in OBJECTS}
    pii_spans = 0
    pool = whisper.get_pool(
        settings.models, settings.max_loaded_models, Path(policy.path).resolve().parent
    )
    models_used: dict[str, str] = {}
    with duckdb.get_connection() as con:
        object_store.attach_to(con)
        ensure_transcript_tables(con)
        live, intents, dropped = _still_to_load(con, work, start, end, context)
        began = time.perf_counter()
        heard_tracks: Iterable[TrackResult] = []
        try:
            discard_work(store, con, dropped, "call no longer to transcribe: not loaded")
            if work.intents:
                heard_tracks = collect_work(store, con, intents)
            else:
                heard_tracks = hear_tracks(
                    store, pool, settings.languages, [a for _, a in live], decode=decode_track
                )
            # Results come back in track order and are redacted and written here, in turn.
            for i, ((track, _), heard) in enumerate(zip(live, heard_tracks, strict=True), 1):
                result, choice = heard.transcript, heard.choice
                models_used[choice.language] = heard.model
                audio_s += result.duration_s
                spans = find_pii(result.words, choice.language)
                pii_spans += len(spans)
                context.log.info(
                    f"[{i}/{len(live)}] {track['call_id']}/{track['track']}: "
                    f"{len(result.words)} words ({choice.language}, {choice.source}, "
                    f"{heard.model}), {len(spans)} personal-data span(s), "
                    f"{result.duration_s:.0f} s audio"
                )
                _write_track(store, con, tenant_policy, track, heard, spans, written)
            elapsed_s = time.perf_counter() - began
            for part, (_, table) in OBJECTS.items():
                if table and written[part]:
                    _load(con, table, [object_store.url_for(k) for k in written[part]])
        except BaseException:
            if isinstance(heard_tracks, Generator):
                heard_tracks.close()  # the tracks not yet started are not decoded
            _discard_after_failure(store, con, work.intents, context)
            raise
        work_deleted = discard_work(
            store,
            con,
            [i.object_key for i in intents],
            "transcribed words loaded into the catalogue",
        )
        muted = mute_pending_agent_audio(
            store, con, start, end, settings.mute_padding_s, log=context.log
        )
        consent_rows = record_verbal_consent(
            con, {k.split("/")[2] for k in written["redacted"]}, settings.verbal_consent
        )
        totals = con.execute(
            f"select count(distinct call_id || track), count(*) from {WORDS_TABLE} "
            "where call_date >= ? and call_date < ?",
            [start, end],
        ).fetchone()
    context.add_output_metadata(
        {
            "tracks_transcribed_now": len(written["redacted"]),
            "tracks_total": totals[0],
            "words_total": totals[1],
            "pii_spans_now": pii_spans,
            "agent_audio_muted_now": muted,
            "verbal_consent_evidence_now": consent_rows,
            "audio_seconds_now": round(audio_s, 1),
            "real_time_factor": round(elapsed_s / audio_s, 3) if audio_s else None,
            "engine": whisper.engine,
            "model": pool.model_for(None),
            "models_by_language": dg.MetadataValue.json(models_used),
            "worker": work.mode,
            "work_files_deleted_now": len(work_deleted),
            **worker_metadata,
        }
    )


@dg.graph_asset(
    **HEAVY_PARTITIONS,
    ins={
        "audio_done": dg.AssetIn(key=agent_audio.key, dagster_type=dg.Nothing),
        "consent_done": dg.AssetIn(key=consent_lineage.key, dagster_type=dg.Nothing),
    },
    group_name="transcripts",
    kinds={"s3", "parquet", "duckdb"},
    description="Word-level transcripts (faster-whisper or whisperx, word timestamps, language "
    "from metadata or detected among the tenant's) of agent audio, and of customer audio only "
    "where consent allows; personal data redacted in the text and muted in the agent audio. "
    "Three ops: plan and load hold the warehouse slot, hear (the GPU worker) does not.",
)
def transcripts(audio_done, consent_done):
    work = plan(after=[audio_done, consent_done])
    return load(work, hear(work))


def _source(track: dict) -> str:
    return track["agent_key"] if track["track"] == "agent" else track["raw_key"]


def _still_to_load(con, work: TranscriptionPlan, start, end, context):
    """The planned tracks still to transcribe now, with their intents, and the work-file keys
    of those that are not: while the worker ran (no slot held) a call may have been erased,
    its consent withdrawn or its audio deleted, and its words must then not be loaded."""
    still = {(t["call_id"], t["track"]) for t in _tracks_to_transcribe(con, start, end)}
    intents = work.intents or [None] * len(work.tracks)
    live, kept, dropped = [], [], []
    for (track, audio), intent in zip(work.live(), intents, strict=True):
        if (track["call_id"], track["track"]) in still and alive_object(con, audio.source):
            live.append((track, audio))
            kept.append(intent)
            continue
        context.log.warning(f"{track['call_id']}/{track['track']}: no longer to do, skipped")
        if intent is not None:
            dropped.append(intent.object_key)
    return live, [i for i in kept if i is not None], dropped


def _discard_after_failure(store, con, intents, context) -> None:
    """The work files of a failed step, deleted with receipts; where even that fails they stay
    registered, so the sweep deletes them at their deadline."""
    if not intents:
        return
    try:
        discard_work(store, con, [i.object_key for i in intents], "transcription step failed")
    except Exception as exc:  # the step's own failure is the one to report
        context.log.warning(f"work files left to the retention sweep: {type(exc).__name__}")


def _load(con, table: str, urls: list[str]) -> None:
    """Register through the Parquet in the store: the same path an S3 deployment reads."""
    relation = f"read_parquet({urls!r})"
    con.execute(
        f"delete from {table} w using (select distinct call_id, track from "
        f"{relation}) n where w.call_id = n.call_id and w.track = n.track"
    )
    con.execute(f"insert into {table} by name select * from {relation}")


def _write_track(store, con, tenant_policy, track: dict, heard: TrackResult, spans, written):
    """The track's four objects, each registered, written and confirmed (``write_through``)."""
    result, choice = heard.transcript, heard.choice
    info = TrackInfo(
        track["call_id"],
        track["call_date"],
        track["track"],
        track["legal_basis"],
        list(track["purposes"]),
    )
    redacted = words_frame(result, spans, info, redacted=True)
    frames = {
        "words": words_frame(result, spans, info, redacted=False),
        "redacted": redacted,
        "segments": segments_frame(redacted),
        "language": language_frame(result, choice, info, heard.model, len(spans)),
    }
    now = datetime.now(UTC)
    for part, frame in frames.items():
        object_class = OBJECTS[part][0]
        key = object_key(info.call_date, info.call_id, info.track, part)
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        # Registered (intent) before it is written and confirmed after.
        write_through(
            store,
            con,
            StoredObject(
                object_key=key,
                call_id=info.call_id,
                call_date=info.call_date,
                kind=f"{info.track}_{part}",
                object_class=object_class,
                legal_basis=info.legal_basis,
                purposes=info.purposes,
                sha256=None,
                size_bytes=None,
                created_at=now,
                deadline=tenant_policy.deadline(object_class, info.legal_basis, now),
            ),
            buffer.getvalue(),
            content_type="application/parquet",
        )
        written[part].append(key)
