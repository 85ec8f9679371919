"""The embedded instance's event log: Dagster's SQLite event log, with its connections kept open.

Dagster's ``SqliteEventLogStorage`` opens a new SQLite connection for every event it stores (one
for the run's file, one or two more for the index when the event is an asset materialisation or
an asset check) and closes it again. Closing the last connection to a WAL database checkpoints
the WAL into the database and deletes it, with an fsync each time: 20-30 ms a connection on this
machine's disk, so a dbt build's ~480 events (and the ~170 "planned" events stored when a
pipeline run is created) cost seconds of waiting on the disk. Here each file's engine keeps its
connection open between events, so a commit only appends to the WAL, and whether a table exists
is asked once, not before every write.

``PRAGMA synchronous=NORMAL`` (SQLite's recommendation for WAL) drops the fsync of each commit:
an application crash loses nothing; a power cut may lose the last events of a run, never corrupt
the file. Everything else (schema, queries, what is stored) is Dagster's own. Deployments keep
Postgres (``deploy/``).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.engine import Connection, Engine

#: How many SQLite files (the index and the latest runs') keep an open connection; the rest are
#: closed, least recently used first, so a webserver reading many runs holds no more than this.
OPEN_FILES = 4


def _synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class EmbeddedEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` (same files, same ``base_dir``) whose connections stay open."""

    def __init__(self, base_dir: str, inst_data: Any = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables: set[str] = set()
        self._pid = os.getpid()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> EmbeddedEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        if self._pid != os.getpid():
            # A forked child must not use its parent's connections: it opens its own.
            for engine in self._engines.values():
                engine.dispose(close=False)
            self._engines.clear()
            self._pid = os.getpid()
        engine = self._engines.get(shard)
        if engine is not None and not os.path.exists(self.path_for_shard(shard)):
            # The file was deleted (a run-log purge, a wipe): let go of the deleted file.
            self._engines.pop(shard).dispose()
            engine = None
        if engine is None:
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                pool_size=1,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            db.event.listen(engine, "connect", _synchronous_normal)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_FILES:
                self._engines.popitem(last=False)[1].dispose()
        self._engines.move_to_end(shard)
        return engine

    def has_table(self, table_name: str) -> bool:
        # Dagster asks before most writes, each time on a new connection; a table, once there,
        # stays (migrations add tables, none drops one).
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's own, but the engine (and its one connection) outlives the call.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def delete_events(self, run_id: str) -> None:
        super().delete_events(run_id)
        # A deleted run's file is removed next (the run-log purge): nothing may hold it open.
        with self._db_lock:
            engine = self._engines.pop(run_id, None)
        if engine is not None:
            engine.dispose()

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()
