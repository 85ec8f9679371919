"""A throwaway, real S3 server for the test suite: a single-node Ceph cluster with radosgw.

Everything lives in a temporary directory: its own ``ceph.conf`` (never ``/etc/ceph``), one
monitor, one memstore OSD (data in RAM) and one radosgw (beast frontend), all bound to
127.0.0.1 on ports chosen at start.  cephx is off, so no keyrings are needed.

    with CephS3Server() as s3:
        Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=False, region=s3.region)

The binaries come from Debian's ``radosgw ceph-mon ceph-osd`` packages
(``scripts/install-test-deps.sh``).  A cold start takes about 1 s (it would be ~12 s with
the monitor's default 1 s paxos batching: radosgw creates its pools one osdmap epoch at a time).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
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

REQUIRED_BINARIES = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "monmaptool")

_CLUSTER = "ceph"
_MON_ID = "a"
_OSD_ID = 0
_RGW_NAME = "client.rgw.test"


class CephS3Error(RuntimeError):
    """The throwaway Ceph/radosgw cluster failed to start."""


def missing_binaries() -> list[str]:
    """The Ceph binaries the server needs that are not on PATH."""
    return [b for b in REQUIRED_BINARIES if shutil.which(b) is None]


def ceph_available() -> bool:
    """True when every Ceph binary the server needs is on PATH."""
    return not missing_binaries()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


try:  # loaded here, not in the forked child (dlopen after fork can deadlock)
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def _set_pdeathsig() -> None:
    """Runs in the child before exec: SIGKILL it when the parent (pytest) dies, even by SIGKILL."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _kill_group(proc: subprocess.Popen, grace: float = 0.0) -> None:
    """Kill the process group of ``proc`` (SIGTERM + ``grace`` seconds, then SIGKILL).

    The cluster is throwaway (memstore, temp dir), so there is nothing to flush: the default is
    an immediate SIGKILL.  (radosgw takes 5-10 s to honour SIGTERM.)
    """
    pgid = proc.pid  # started with start_new_session=True: it leads its own group
    if grace > 0 and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    # Also catches children left in the group after the leader exited.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)


def _cleanup(procs: list[subprocess.Popen], tmpdir: str | None) -> None:
    # Stop in reverse start order: rgw, osd, mon.
    for proc in reversed(procs):
        _kill_group(proc)
    procs.clear()
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)


class CephS3Server:
    """Single-node Ceph cluster + radosgw on 127.0.0.1, in a temp dir. Use as a context manager."""

    access_key = "LYDSPORTESTACCESSKEY"
    secret_key = "lydspor-test-secret-key-0123456789abcdef"
    region = "default"  # radosgw's default zonegroup; works as the SigV4 region for minio/boto3
    user_id = "lydspor-test"

    def __init__(
        self,
        *,
        start_timeout: float = 120.0,
        lc_debug_interval: int = 10,
        extra_conf: dict[str, str] | None = None,
    ) -> None:
        self.start_timeout = start_timeout
        self.lc_debug_interval = lc_debug_interval
        self.extra_conf = dict(extra_conf or {})
        self.tmpdir: str | None = None
        self.mon_port: int | None = None
        self.rgw_port: int | None = None
        self.startup_seconds: float | None = None
        self._procs: list[subprocess.Popen] = []
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
        _kill_group(proc)
        self._procs.remove(proc)

    def start_gateway(self, timeout: float = 60.0) -> None:
        """Start radosgw again (same conf, same port) and wait until S3 answers."""
        if self.tmpdir is None:
            raise CephS3Error("server not started")
        if any(proc.args[0] == "radosgw" for proc in self._procs):
            raise CephS3Error("radosgw is already running")
        self._spawn(
            "rgw",
            ["radosgw", "--cluster", _CLUSTER, "-c", str(self.conf_path), "-f", "-n", _RGW_NAME],
        )
        self._wait_for(self._s3_answers, "radosgw to answer again", time.monotonic() + timeout)

    def pause_gateway(self) -> None:
        """SIGSTOP radosgw: connections are still accepted but never answered (a hung server)."""
        os.killpg(self._gateway().pid, signal.SIGSTOP)

    def resume_gateway(self) -> None:
        os.killpg(self._gateway().pid, signal.SIGCONT)

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
        self.mon_port = _free_port()
        self.rgw_port = _free_port()
        while self.rgw_port == self.mon_port:
            self.rgw_port = _free_port()
        fsid = str(uuid.uuid4())
        self._write_conf(tmp, fsid)
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
                _MON_ID,
                f"[v2:127.0.0.1:{self.mon_port}]",
                str(monmap),
            ]
        )
        conf = ["--cluster", _CLUSTER, "-c", str(self.conf_path)]
        self._run(["ceph-mon", *conf, "--mkfs", "-i", _MON_ID, "--monmap", str(monmap)])
        self._spawn("mon", ["ceph-mon", *conf, "-f", "-i", _MON_ID])

        # OSD: register it with the mon, create its (memstore) store, start it.
        osd_uuid = str(uuid.uuid4())
        osd_id = self.ceph("osd", "new", osd_uuid, timeout=self._left(deadline)).strip()
        if osd_id != str(_OSD_ID):
            raise CephS3Error(f"expected osd id {_OSD_ID}, mon allocated {osd_id!r}")
        (tmp / "osd" / f"{_CLUSTER}-{osd_id}").mkdir()
        self._run(
            ["ceph-osd", *conf, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid],
            timeout=self._left(deadline),
        )
        self._spawn("osd", ["ceph-osd", *conf, "-f", "-i", osd_id])
        self._wait_for(self._osd_up, "OSD to come up", deadline)

        # radosgw (creates its pools on first start), then wait until S3 answers.
        self._spawn("rgw", ["radosgw", *conf, "-f", "-n", _RGW_NAME])
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

    def _write_conf(self, tmp: Path, fsid: str) -> None:
        opts: dict[str, str] = {
            "fsid": fsid,
            "mon_host": f"[v2:127.0.0.1:{self.mon_port}]",
            "mon_initial_members": _MON_ID,
            "public_addr": "127.0.0.1",
            "cluster_addr": "127.0.0.1",
            "ms_bind_msgr1": "false",
            "ms_bind_msgr2": "true",
            "ms_bind_ipv6": "false",
            # No cephx; with auth none the clients must not insist on secure mode.
            "auth_cluster_required": "none",
            "auth_service_required": "none",
            "auth_client_required": "none",
            "ms_mon_client_mode": "crc",
            "ms_client_mode": "crc",
            "ms_cluster_mode": "crc",
            "ms_service_mode": "crc",
            "ms_mon_cluster_mode": "crc",
            "ms_mon_service_mode": "crc",
            # Everything under the temp dir, nothing under /var or /etc.
            "run_dir": str(tmp / "run"),
            "admin_socket": str(tmp / "run" / "$name.asok"),
            "pid_file": str(tmp / "run" / "$name.pid"),
            "log_file": str(tmp / "log" / "$name.log"),
            "mon_cluster_log_file": str(tmp / "log" / "cluster.log"),
            "log_to_stderr": "false",
            "err_to_stderr": "true",
            "keyring": str(tmp / "keyring"),
            "crash_dir": str(tmp / "crash"),
            # Single node: one replica, few PGs, no host-level failure domain.
            "osd_pool_default_size": "1",
            "osd_pool_default_min_size": "1",
            "mon_allow_pool_size_one": "true",
            "osd_pool_default_pg_num": "8",
            "osd_pool_default_pgp_num": "8",
            "osd_pool_default_pg_autoscale_mode": "off",
            "mon_max_pg_per_osd": "1000",
            "osd_crush_chooseleaf_type": "0",
            "mon_warn_on_pool_no_redundancy": "false",
            "mon_warn_on_insecure_global_id_reclaim_allowed": "false",
            # Commit map changes at once instead of batching for 1 s: radosgw creates its pools
            # one osdmap epoch at a time, so this is most of the start-up time.
            "paxos_propose_interval": "0.01",
            "paxos_min_wait": "0.01",
            "mon_data_avail_warn": "1",
            "mon_data_avail_crit": "0",
            "osd_max_object_name_len": "460",
            "osd_max_object_namespace_len": "64",
            # Keep the cluster from wandering off disk or getting confused by other hosts.
            "mon_data": str(tmp / "mon" / "$cluster-$id"),
        }
        osd = {
            "osd_objectstore": "memstore",
            "osd_data": str(tmp / "osd" / "$cluster-$id"),
            "memstore_device_bytes": str(2 * 1024**3),
            "osd_crush_update_on_start": "true",
            "osd_class_update_on_start": "false",
        }
        rgw = {
            "rgw_frontends": f"beast endpoint=127.0.0.1:{self.rgw_port}",
            "rgw_data": str(tmp / "rgw"),
            "rgw_lc_debug_interval": str(self.lc_debug_interval),
            "rgw_enable_usage_log": "false",
            "rgw_thread_pool_size": "64",
        }
        rgw.update(self.extra_conf)
        sections = {"global": opts, "osd": osd, _RGW_NAME: rgw}
        lines = []
        for name, values in sections.items():
            lines.append(f"[{name}]")
            lines.extend(f"{k} = {v}" for k, v in values.items())
            lines.append("")
        self.conf_path.write_text("\n".join(lines))

    def _gateway(self) -> subprocess.Popen:
        for proc in self._procs:
            if proc.args[0] == "radosgw" and proc.poll() is None:
                return proc
        raise CephS3Error("radosgw is not running")

    def _client_args(self, name: str) -> list[str]:
        return ["--cluster", _CLUSTER, "-c", str(self.conf_path), "-n", name]

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
                    _set_pdeathsig
                    if threading.current_thread() is threading.main_thread()
                    else None
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
                    f"timed out after {self.start_timeout:g}s waiting for {what}"
                    f" (last error: {last_exc!r})\n{self.logs_tail()}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def _osd_up(self) -> bool:
        stat = json.loads(self.ceph("osd", "stat", "-f", "json", timeout=15))
        stat = stat.get("osdmap", stat)  # pacific nests it under "osdmap" in some versions
        return int(stat.get("num_up_osds", 0)) >= 1 and int(stat.get("num_in_osds", 0)) >= 1

    def _s3_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.endpoint}/", timeout=2) as resp:
                return resp.status == 200
        except urllib.error.HTTPError as e:
            # Any S3-shaped answer (e.g. 403 AccessDenied) means radosgw is serving.
            return e.code < 500
        except (urllib.error.URLError, OSError):
            return False
