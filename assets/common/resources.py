"""The generic resources: object storage and the DuckDB catalogue (dbt's is in dbt_project).

``object_store_resource`` and ``catalogue_resource`` build them from the environment: the code
location passes ``read=dg.EnvVar`` (each variable read when a run starts), the CLI and the web
app read now, so every entry point opens the same store and catalogue the same way.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from assets.common.lake import Warehouse, connect, create_s3_secret, warehouse_from_settings
from assets.common.settings import CATALOGUE_VARIABLES, OBJECT_STORE_VARIABLES, from_environment
from assets.common.storage import ObjectStore, is_true, open_store


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
        return is_true(self.secure)

    def get_store(self) -> ObjectStore:
        if self._store is None:
            self._store = open_store(**self.model_dump(include=set(OBJECT_STORE_VARIABLES)))
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
        create_s3_secret(con, self.model_dump(include=set(OBJECT_STORE_VARIABLES)))


_LAKE_SETTINGS = ("warehouse", "ducklake_catalog", "ducklake_data_path")


class CatalogResource(DuckDBResource):
    """The warehouse: the DuckDB file, or the DuckLake ``warehouse`` names (``lake.py``).
    Unlike the stock resource, the connection is closed even when the step fails, so a failed
    step never leaves the file locked for dbt or the next step."""

    #: ``duckdb`` (the file at ``database``) or ``ducklake``.
    warehouse: str = "duckdb"
    ducklake_catalog: str = ""
    ducklake_data_path: str = ""

    def get_warehouse(self) -> Warehouse:
        """These settings, with the object store's S3 credentials from the environment (a
        lake whose data path is on S3 writes with them)."""
        return warehouse_from_settings(
            self.model_dump(include={"database", *_LAKE_SETTINGS}),
            from_environment(OBJECT_STORE_VARIABLES, os.environ.get),
        )

    @contextmanager
    def get_connection(self):
        config = {"custom_user_agent": "dagster", **self.connection_config}
        warehouse = self.get_warehouse()
        for attempt in range(20):
            try:
                conn = connect(warehouse, config=config)
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


#: How a setting is read: now, from ``os.environ`` (the default), or ``dg.EnvVar`` (at run start).
Read = Callable[[str], object]


def object_store_resource(read: Read = os.environ.__getitem__) -> ObjectStoreResource:
    """The object store the ``LYDSPOR_*`` variables name (``OBJECT_STORE_VARIABLES``)."""
    return ObjectStoreResource(**from_environment(OBJECT_STORE_VARIABLES, read))


def catalogue_resource(read: Read = os.environ.__getitem__) -> CatalogResource:
    """The catalogue the ``LYDSPOR_DUCKDB_PATH`` variable names (``CATALOGUE_VARIABLES``)."""
    return CatalogResource(**from_environment(CATALOGUE_VARIABLES, read))


def store_from_environment() -> ObjectStore:
    """The object store, opened now: for the CLI, the web app and notebooks."""
    return object_store_resource().get_store()


def catalogue_path() -> Path:
    """Where the catalogue lives, read now."""
    return Path(catalogue_resource().database)
