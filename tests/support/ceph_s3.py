"""A throwaway, real S3 server for the test suite: a three-OSD Ceph cluster with radosgw.

Everything lives in a temporary directory: its own ``ceph.conf`` (never ``/etc/ceph``), one
monitor, three memstore OSDs (data in RAM, each its own process) and one radosgw (beast
frontend), all bound to 127.0.0.1 on ports chosen at start.  cephx is off, so no keyrings are
needed.  The pools radosgw creates are replicated size 3, min_size 2 with the OSD as failure
domain: one OSD may die and every object stays readable and writable; two down block writes.

    with CephS3Server() as s3:
        Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=False, region=s3.region)

Faults: ``stop_osd(i)`` SIGKILLs OSD ``i`` (a dead disk) and waits until the monitor marks it
down (~1 s: its peers ping each second and report a refused connection at once);
``start_osd(i)`` brings it back empty (memstore) to be refilled from the other two.
``stop_osd(i, crash=False)`` shuts it down cleanly instead: it comes back with its replicas,
stale, to be brought up to date.  ``health()`` and ``wait_clean()`` read the PG states from the
OSDs' admin sockets (there is no ceph-mgr).  ``stop_gateway``/``pause_gateway`` do the
same for radosgw.  ``CephS3Server(osds=1)`` is the old single-OSD cluster (size 1).

The binaries come from Debian's ``radosgw ceph-mon ceph-osd`` packages
(``scripts/install-test-deps.sh``).  A cold start takes ~0.65 s more than the single-OSD
cluster's: median 3.2 s against 2.5 s on the shared 2-core machine under load (~12 s more
with the monitor's default 1 s paxos batching: radosgw creates its pools one osdmap epoch at
a time).  The daemons hold ~225 MB RSS (130 MB with one OSD); each memstore is capped
at 1 GiB and holds only what is written, three times over.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import weakref
from pathlib import Path
from typing import Self

from tests.support.ceph_daemons import (
    CLUSTER,
    MON_ID,
    RGW_NAME,
    CephS3Error,
    admin_socket,
    ceph_conf,
    free_port,
    kill_group,
    set_pdeathsig,
)

REQUIRED_BINARIES = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "monmaptool")

_QUIET = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def missing_binaries() -> list[str]:
    """The Ceph binaries the server needs that are not on PATH."""
    return [b for b in REQUIRED_BINARIES if shutil.which(b) is None]


def ceph_available() -> bool:
    """True when every Ceph binary the server needs is on PATH."""
    return not missing_binaries()


def _cleanup(procs: list[subprocess.Popen], tmpdir: str | None) -> None:
    # Stop in reverse start order: rgw, osd, mon.
    for proc in reversed(procs):
        kill_group(proc)
    procs.clear()
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)


class CephS3Server:
    """Ceph cluster (``osds`` OSDs) + radosgw on 127.0.0.1, in a temp dir. A context manager."""

    access_key = "LYDSPORTESTACCESSKEY"
    secret_key = "lydspor-test-secret-key-0123456789abcdef"
    region = "default"  # radosgw's default zonegroup; works as the SigV4 region for minio/boto3
    user_id = "lydspor-test"

    def __init__(
        self,
        *,
        start_timeout: float = 120.0,
        lc_debug_interval: int = 10,
        osds: int = 3,
        extra_conf: dict[str, str] | None = None,
    ) -> None:
        self.start_timeout = start_timeout
        self.osds = osds
        self.lc_debug_interval = lc_debug_interval
        self.extra_conf = dict(extra_conf or {})
        self.tmpdir: str | None = None
        self.mon_port: int | None = None
        self.rgw_port: int | None = None
        self.startup_seconds: float | None = None
        self._procs: list[subprocess.Popen] = []
        self._osd_procs: dict[int, subprocess.Popen] = {}
        self._finalizer: weakref.finalize | None = None

    # -- public API ---------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """``host:port`` of the S3 API (plain HTTP)."""
        if self.rgw_port is None:
            raise CephS3Error("server not started")
        return f"127.0.0.1:{self.rgw_port}"

    @property
    def endpoint_url(self) -> str:
        """``http://host:port`` (for boto3's ``endpoint_url``)."""
        return f"http://{self.endpoint}"

    @property
    def conf_path(self) -> Path:
        if self.tmpdir is None:
            raise CephS3Error("server not started")
        return Path(self.tmpdir) / "ceph.conf"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Self:
        if self.tmpdir is not None:
            raise CephS3Error("server already started")
        missing = missing_binaries()
        if missing:
            raise CephS3Error(
                f"Ceph binaries missing from PATH: {', '.join(missing)}; "
                "run scripts/install-test-deps.sh"
            )
        t0 = time.monotonic()
        self.tmpdir = tempfile.mkdtemp(prefix="lydspor-ceph-")
        # Make sure daemons die and the dir goes away even if stop() is never called.
        self._finalizer = weakref.finalize(self, _cleanup, self._procs, self.tmpdir)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        """Kill all daemons (whole process groups) and remove the temp dir. Idempotent."""
        if self._finalizer is not None:
            self._finalizer()  # runs _cleanup once
            self._finalizer = None
        self.tmpdir = None
        self.mon_port = None
        self.rgw_port = None

    def stop_gateway(self) -> None:
        """Kill radosgw alone: the S3 endpoint refuses connections, while the monitor and the OSD
        (whose memstore holds the data) keep running, so ``start_gateway`` brings it all back."""
        proc = self._gateway()
        kill_group(proc)
        self._procs.remove(proc)

    def start_gateway(self, timeout: float = 60.0) -> None:
        """Start radosgw again (same conf, same port) and wait until S3 answers."""
        if self.tmpdir is None:
            raise CephS3Error("server not started")
        if any(proc.args[0] == "radosgw" for proc in self._procs):
            raise CephS3Error("radosgw is already running")
        self._spawn(
            "rgw",
            ["radosgw", "--cluster", CLUSTER, "-c", str(self.conf_path), "-f", "-n", RGW_NAME],
        )
        self._wait_for(self._s3_answers, "radosgw to answer again", time.monotonic() + timeout)

    def pause_gateway(self, timeout: float = 10.0) -> None:
        """SIGSTOP radosgw: connections are still accepted but never answered (a hung server).

        Returns once every thread has stopped: the signal lands asynchronously, and on a busy
        machine radosgw would otherwise still answer a request sent right after the kill."""
        pid = self._gateway().pid
        os.killpg(pid, signal.SIGSTOP)

        def stopped() -> bool:
            tasks = Path(f"/proc/{pid}/task").iterdir()
            # The state follows the parenthesised command name in /proc/<pid>/task/<tid>/stat.
            return all(
                (t / "stat").read_text().rpartition(")")[2].split()[0] in "tT" for t in tasks
            )

        self._wait_for(stopped, "radosgw to stop", time.monotonic() + timeout)

    def resume_gateway(self) -> None:
        os.killpg(self._gateway().pid, signal.SIGCONT)

    def stop_osd(self, i: int, *, crash: bool = True, timeout: float = 60.0) -> None:
        """Stop OSD ``i`` and wait until the monitor has marked it down.

        ``crash``: SIGKILL, a dead disk: its replicas are gone (memstore), its peers report it.
        Otherwise SIGTERM, a host shut down: memstore saves its replicas to the temp dir and the
        OSD comes back with them, stale, for its peers to bring up to date."""
        proc = self._osd_procs.pop(i)
        kill_group(proc, grace=0 if crash else 30)
        self._procs.remove(proc)
        self._wait_for(
            lambda: i not in self._up_osds(), f"osd.{i} marked down", time.monotonic() + timeout
        )

    def start_osd(self, i: int, timeout: float = 60.0) -> None:
        """Start OSD ``i`` again and wait until it is up: empty after a crash, with its stale
        replicas after a clean stop; either way its peers bring it up to date (``wait_clean``)."""
        if i in self._osd_procs:
            raise CephS3Error(f"osd.{i} is already running")
        self._spawn_osd(i)
        self._wait_for(
            lambda: i in self._up_osds(), f"osd.{i} to come up", time.monotonic() + timeout
        )

    def health(self) -> dict:
        """``status`` and ``checks`` (the monitor's health), ``osds_up`` (ids) and ``pgs`` (PG
        count per state, as its primary OSD reports it: ``active+clean`` when all replicas are
        in place; ``unknown`` for a PG no running OSD leads).  There is no ceph-mgr, so the
        PG states come from the OSDs' admin sockets rather than ``ceph pg stat``."""
        mon = json.loads(self.ceph("health", "-f", "json", timeout=15))
        dump = json.loads(self.ceph("osd", "dump", "-f", "json", timeout=15))
        pgs: dict[str, int] = {}
        for i in sorted(self._osd_procs):
            sock = str(Path(self.tmpdir or "") / "run" / f"osd.{i}.asok")
            for pg in admin_socket(sock, {"prefix": "dump_pgstate_history"})["pgs"]:
                if pg["currently"].startswith("Started/Primary/"):
                    with contextlib.suppress(CephS3Error):  # no longer its primary
                        state = admin_socket(sock, {"prefix": "query", "pgid": pg["pg"]})["state"]
                        pgs[state] = pgs.get(state, 0) + 1
        unknown = sum(pool["pg_num"] for pool in dump["pools"]) - sum(pgs.values())
        if unknown:
            pgs["unknown"] = unknown
        return {
            "status": mon["status"],
            "checks": sorted(mon.get("checks", {})),
            "osds_up": sorted(o["osd"] for o in dump["osds"] if o["up"] and o["in"]),
            "pgs": pgs,
        }

    def wait_clean(self, timeout: float = 120.0) -> dict:
        """Wait until every PG is active+clean (all replicas in place); return ``health()``."""

        def clean() -> bool:
            pgs = self.health()["pgs"]
            return bool(pgs) and set(pgs) == {"active+clean"}

        self._wait_for(clean, "every PG active+clean", time.monotonic() + timeout)
        return self.health()

    def object_store(self, bucket: str, **options):
        """lydspor's own S3 store on ``bucket`` of this server (created if missing)."""
        from assets.common.storage import S3ObjectStore

        return S3ObjectStore(
            self.endpoint, bucket, self.access_key, self.secret_key, region=self.region, **options
        )

    def lydspor_env(self, bucket: str) -> dict[str, str]:
        """The LYDSPOR_* variables that point lydspor's resources at ``bucket`` here."""
        return {
            "LYDSPOR_S3_ENDPOINT": self.endpoint,
            "LYDSPOR_BUCKET": bucket,
            "LYDSPOR_S3_ACCESS_KEY": self.access_key,
            "LYDSPOR_S3_SECRET_KEY": self.secret_key,
            "LYDSPOR_S3_REGION": self.region,
        }

    def minio_client(self):
        """A ``minio.Minio`` client for this server (plain HTTP)."""
        from minio import Minio

        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region=self.region,
        )

    def boto3_client(self):
        """A boto3 S3 client for this server (path-style addressing)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}),
        )

    def admin(self, *args: str, timeout: float = 60.0) -> str:
        """Run ``radosgw-admin`` against this cluster and return stdout."""
        return self._run(["radosgw-admin", *self._client_args("client.admin"), *args], timeout)

    def ceph(self, *args: str, timeout: float = 60.0) -> str:
        """Run the ``ceph`` CLI against this cluster and return stdout."""
        return self._run(["ceph", *self._client_args("client.admin"), *args], timeout)

    def logs_tail(self, lines: int = 40) -> str:
        """The last lines of every daemon log, for error messages."""
        if self.tmpdir is None:
            return ""
        out = []
        for log in sorted((Path(self.tmpdir) / "log").glob("*")):
            try:
                text = log.read_text(errors="replace").splitlines()
            except OSError:
                continue
            if not text:
                continue
            out.append(f"==> {log.name} <==")
            out.extend(text[-lines:])
        return "\n".join(out)

    # -- internals ----------------------------------------------------------------------------

    def _start(self) -> None:
        assert self.tmpdir is not None
        tmp = Path(self.tmpdir)
        for sub in ("mon", "osd", "rgw", "run", "log"):
            (tmp / sub).mkdir()
        self.mon_port = free_port()
        self.rgw_port = free_port()
        while self.rgw_port == self.mon_port:
            self.rgw_port = free_port()
        fsid = str(uuid.uuid4())
        self.conf_path.write_text(
            ceph_conf(
                tmp,
                fsid,
                mon_port=self.mon_port,
                rgw_port=self.rgw_port,
                osds=self.osds,
                lc_debug_interval=self.lc_debug_interval,
                extra_conf=self.extra_conf,
            )
        )
        deadline = time.monotonic() + self.start_timeout

        # Monitor.
        monmap = tmp / "monmap"
        self._run(
            [
                "monmaptool",
                "--create",
                "--clobber",
                "--fsid",
                fsid,
                "--addv",
                MON_ID,
                f"[v2:127.0.0.1:{self.mon_port}]",
                str(monmap),
            ]
        )
        conf = ["--cluster", CLUSTER, "-c", str(self.conf_path)]
        self._run(["ceph-mon", *conf, "--mkfs", "-i", MON_ID, "--monmap", str(monmap)])
        self._spawn("mon", ["ceph-mon", *conf, "-f", "-i", MON_ID])

        # OSDs: register each with the mon and create its (memstore) store, all at once (mkfs
        # works offline: the fsid is in the conf), then start them.
        jobs = []
        for i in range(self.osds):
            osd_uuid = str(uuid.uuid4())
            (tmp / "osd" / f"{CLUSTER}-{i}").mkdir()
            mkfs = ["ceph-osd", *conf, "-i", str(i), "--mkfs", "--osd-uuid", osd_uuid]
            register = ["ceph", *self._client_args("client.admin"), "osd", "new", osd_uuid, str(i)]
            jobs += [subprocess.Popen(cmd, cwd=tmp, **_QUIET) for cmd in (mkfs, register)]
        for proc in jobs:
            if proc.wait(timeout=self._left(deadline)) != 0:
                raise CephS3Error(f"{' '.join(proc.args)} failed\n{self.logs_tail()}")
        for i in range(self.osds):
            self._spawn_osd(i)
        self._wait_for(lambda: len(self._up_osds()) == self.osds, "OSDs to come up", deadline)

        # radosgw (creates its pools on first start), then wait until S3 answers.
        self._spawn("rgw", ["radosgw", *conf, "-f", "-n", RGW_NAME])
        self._wait_for(self._s3_answers, "radosgw to answer S3 requests", deadline)

        self.admin(
            "user",
            "create",
            f"--uid={self.user_id}",
            "--display-name=lydspor tests",
            f"--access-key={self.access_key}",
            f"--secret={self.secret_key}",
            timeout=self._left(deadline),
        )

    def _gateway(self) -> subprocess.Popen:
        for proc in self._procs:
            if proc.args[0] == "radosgw" and proc.poll() is None:
                return proc
        raise CephS3Error("radosgw is not running")

    def _client_args(self, name: str) -> list[str]:
        return ["--cluster", CLUSTER, "-c", str(self.conf_path), "-n", name]

    def _spawn(self, name: str, cmd: list[str]) -> None:
        assert self.tmpdir is not None
        out = open(Path(self.tmpdir) / "log" / f"{name}.stdout", "ab")  # noqa: SIM115
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group, killed as a whole in stop()
                preexec_fn=(
                    set_pdeathsig if threading.current_thread() is threading.main_thread() else None
                ),
                cwd=self.tmpdir,
            )
        finally:
            out.close()
        self._procs.append(proc)

    def _run(self, cmd: list[str], timeout: float = 60.0) -> str:
        try:
            res = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=max(timeout, 1.0),
                cwd=self.tmpdir,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired as e:
            raise CephS3Error(
                f"timed out after {timeout:.0f}s: {' '.join(cmd)}\n{self.logs_tail()}"
            ) from e
        if res.returncode != 0:
            raise CephS3Error(
                f"command failed ({res.returncode}): {' '.join(cmd)}\n"
                f"stdout: {res.stdout[-2000:]}\nstderr: {res.stderr[-2000:]}\n{self.logs_tail()}"
            )
        return res.stdout

    def _left(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise CephS3Error(f"cluster did not start within {self.start_timeout:g}s")
        return left

    def _check_daemons(self) -> None:
        for proc in self._procs:
            if proc.poll() is not None:
                raise CephS3Error(
                    f"daemon exited with status {proc.returncode}: {' '.join(proc.args)}\n"
                    f"{self.logs_tail()}"
                )

    def _wait_for(self, probe, what: str, deadline: float) -> None:
        delay = 0.1
        last_exc: Exception | None = None
        while True:
            self._check_daemons()
            try:
                if probe():
                    return
            except Exception as e:
                last_exc = e
            if time.monotonic() > deadline:
                raise CephS3Error(
                    f"timed out waiting for {what} (last error: {last_exc!r})\n{self.logs_tail()}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def _up_osds(self) -> set[int]:
        dump = json.loads(self.ceph("osd", "dump", "-f", "json", timeout=15))
        return {o["osd"] for o in dump["osds"] if o["up"] and o["in"]}

    def _spawn_osd(self, i: int) -> None:
        conf = ["--cluster", CLUSTER, "-c", str(self.conf_path)]
        self._spawn(f"osd.{i}", ["ceph-osd", *conf, "-f", "-i", str(i)])
        self._osd_procs[i] = self._procs[-1]

    def _s3_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.endpoint}/", timeout=2) as resp:
                return resp.status == 200
        except urllib.error.HTTPError as e:
            # Any S3-shaped answer (e.g. 403 AccessDenied) means radosgw is serving.
            return e.code < 500
        except (urllib.error.URLError, OSError):
            return False
