"""A throwaway, real PostgreSQL server for the test suite, on a Unix socket only.

Everything lives in a temporary directory: the cluster (``initdb``, trust authentication for
the account running the tests), its socket directory, its log. No TCP port is opened
(``listen_addresses=''``), so parallel sessions never collide and nothing outside this machine
can reach it.

    with PostgresServer() as pg:
        psycopg.connect(pg.dsn)            # "host=/tmp/... port=5432 dbname=postgres user=..."
        pg.url                             # "postgresql://user@/postgres?host=/tmp/..."
        pg.create_database("dagster")      # a fresh database per user of the server

The binaries come from Debian's ``postgresql`` package (``scripts/install-test-deps.sh``); they
live outside PATH (``/usr/lib/postgresql/<major>/bin``), so they are looked up there too. A cold
start takes about 1 s: fsync and the WAL's full-page writes are off, the data is throwaway.

Postgres refuses to run as root; when the tests run as root (containers, CI) the server runs as
the ``postgres`` account Debian's package creates (else ``nobody``), and clients connect as the
database superuser ``lydspor`` through the socket, whatever their OS account.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres", "psql")

#: The port only names the socket file (``.s.PGSQL.<port>``); no TCP port is opened.
_PORT = 5432
#: The database superuser initdb creates; trust authentication on the socket.
SUPERUSER = "lydspor"


def _server_account() -> pwd.struct_passwd | None:
    """The OS account the server runs as: None (the current one) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresError("running as root and neither a 'postgres' nor a 'nobody' account exists")


class PostgresError(RuntimeError):
    """The throwaway Postgres server failed to start."""


def _bin_dirs() -> list[str]:
    """PATH first, then Debian's versioned directories, newest major first."""
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    return [*os.environ.get("PATH", "").split(os.pathsep), *debian]


def find_binary(name: str) -> str | None:
    """The path of a Postgres binary, on PATH or in Debian's ``/usr/lib/postgresql/*/bin``."""
    return shutil.which(name, path=os.pathsep.join(_bin_dirs()))


def missing_binaries() -> list[str]:
    """The Postgres binaries the server needs that cannot be found."""
    return [b for b in REQUIRED_BINARIES if find_binary(b) is None]


def postgres_available() -> bool:
    return not missing_binaries()


class PostgresServer:
    """One Postgres cluster in a temporary directory, reachable only through its socket."""

    def __init__(self, base_dir: str | os.PathLike | None = None) -> None:
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._base = Path(base_dir) if base_dir is not None else None
        self.user = SUPERUSER
        self._account = _server_account()
        self.data_dir: Path | None = None
        self.socket_dir: Path | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Self:
        missing = missing_binaries()
        if missing:
            raise PostgresError(f"Postgres binaries not found: {', '.join(missing)}")
        if self._base is None:
            # Short path: a Unix socket path is limited to ~107 bytes.
            self._tmp = tempfile.TemporaryDirectory(prefix="lydspor-pg-", dir="/tmp")
            self._base = Path(self._tmp.name)
        self.data_dir = self._base / "data"
        self.socket_dir = self._base / "sock"
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self._account is not None:
            for path in (self._base, self.socket_dir):
                os.chown(path, self._account.pw_uid, self._account.pw_gid)
        self._run_server(
            find_binary("initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={self.socket_dir} "
            f"-c port={_PORT} -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off -c max_connections=100"
        )
        self._run_server(
            find_binary("pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self._base / "postgres.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        self._wait_ready()
        return self

    def stop(self) -> None:
        if self.data_dir is not None and (self.data_dir / "postmaster.pid").exists():
            # Already gone is fine: the directory is removed below either way.
            with contextlib.suppress(PostgresError):
                self._run_server(
                    find_binary("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"
                )
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------

    def dsn_for(self, database: str = "postgres") -> str:
        """A libpq key/value connection string (psycopg, DuckDB's postgres extension)."""
        return f"host={self.socket_dir} port={_PORT} dbname={database} user={self.user}"

    def url_for(self, database: str = "postgres", driver: str = "") -> str:
        """A ``postgresql://`` URL (libpq, psql); ``driver="psycopg2"`` names the driver for
        SQLAlchemy, whose 2.1 maps a bare ``postgresql://`` to psycopg 3 while
        ``dagster-postgres`` ships psycopg2."""
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{self.user}@/{database}?host={self.socket_dir}&port={_PORT}"

    @property
    def dsn(self) -> str:
        return self.dsn_for()

    @property
    def url(self) -> str:
        return self.url_for()

    # -- helpers ----------------------------------------------------------------------------

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through ``psql`` (stops on the first error) and return its unaligned output."""
        result = self._run(
            find_binary("psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            self.dsn_for(database),
            "-c",
            sql,
        )
        return result.stdout.strip()

    def create_database(self, name: str) -> str:
        """Create a database (name: letters, digits, underscores) and return its DSN."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a plain database name: {name!r}")
        self.psql(f'CREATE DATABASE "{name}"')
        return self.dsn_for(name)

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.psql("SELECT 1")
                return
            except PostgresError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _run_server(self, *argv: str | None) -> subprocess.CompletedProcess[str]:
        """Run a server binary as the server's account (see the module docstring)."""
        if self._account is None:
            return self._run(*argv)
        return self._run(
            *argv, user=self._account.pw_uid, group=self._account.pw_gid, extra_groups=[]
        )

    def _run(self, *argv: str | None, **as_account: object) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(a) for a in argv],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            cwd=self._base,
            **as_account,
        )
        if result.returncode != 0:
            log = ""
            if self._base is not None and (self._base / "postgres.log").exists():
                log = (self._base / "postgres.log").read_text(errors="replace")[-2000:]
            raise PostgresError(
                f"{Path(str(argv[0])).name} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}\n{log}"
            )
        return result
