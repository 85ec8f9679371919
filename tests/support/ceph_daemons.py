"""The daemons of the test suite's throwaway Ceph cluster (``tests.support.ceph_s3``): their
``ceph.conf``, their admin sockets and their process groups.

One monitor, ``osds`` memstore OSDs and one radosgw on 127.0.0.1, everything under ``tmp``.
Pools get ``min(3, osds)`` replicas and need one fewer to take writes (size 3, min_size 2 for
the default three OSDs), with the OSD as the failure domain: they all share one host.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
from pathlib import Path

CLUSTER = "ceph"
MON_ID = "a"
RGW_NAME = "client.rgw.test"


class CephS3Error(RuntimeError):
    """The throwaway Ceph/radosgw cluster failed to start."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


try:  # loaded here, not in the forked child (dlopen after fork can deadlock)
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def set_pdeathsig() -> None:
    """Runs in the child before exec: SIGKILL it when the parent (pytest) dies, even by SIGKILL."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def kill_group(proc: subprocess.Popen, grace: float = 0.0) -> None:
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


def admin_socket(path: str, command: dict) -> dict:
    """One command on a daemon's admin socket (what ``ceph daemon`` does, without its start-up):
    the JSON command and a NUL go in, a 4-byte big-endian length and the answer come out."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(15)
        sock.connect(path)
        sock.sendall(json.dumps(command).encode() + b"\0")
        data = b""
        while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:4], "big"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise CephS3Error(f"{path}: admin socket closed mid-answer")
            data += chunk
    if data[4:].startswith(b"ERROR:"):
        raise CephS3Error(f"{path}: {command}: {data[4:].decode(errors='replace').strip()}")
    return json.loads(data[4:])


def ceph_conf(
    tmp: Path,
    fsid: str,
    *,
    mon_port: int,
    rgw_port: int,
    osds: int,
    lc_debug_interval: int,
    extra_conf: dict[str, str],
) -> str:
    """The text of ``ceph.conf``; ``extra_conf`` goes into the radosgw section."""
    opts: dict[str, str] = {
        "fsid": fsid,
        "mon_host": f"[v2:127.0.0.1:{mon_port}]",
        "mon_initial_members": MON_ID,
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
        # Three replicas, one OSD may be lost without blocking writes; few PGs, and the
        # failure domain (and failure reporters) are OSDs: they all share one host.
        "osd_pool_default_size": str(min(3, osds)),
        "osd_pool_default_min_size": str(max(1, min(3, osds) - 1)),
        "mon_allow_pool_size_one": "true",
        "osd_pool_default_pg_num": "8",
        "osd_pool_default_pgp_num": "8",
        "osd_pool_default_pg_autoscale_mode": "off",
        "mon_max_pg_per_osd": "1000",
        "osd_crush_chooseleaf_type": "0",
        "mon_osd_reporter_subtree_level": "osd",
        # A dead OSD is found in ~1-2 s (peers ping every second; a refused connection is
        # reported at once), and stays "in": its PGs run degraded, not remapped.
        "osd_heartbeat_interval": "1",
        "osd_heartbeat_grace": "4",
        "mon_osd_down_out_interval": "0",
        "mon_warn_on_osd_down_out_interval_zero": "false",
        # A restarted OSD catches up at once: no sleeps between recovery ops, many PGs at once.
        "osd_recovery_sleep_hdd": "0",
        "osd_recovery_sleep_ssd": "0",
        "osd_recovery_sleep_hybrid": "0",
        "osd_recovery_max_active": "16",
        "osd_max_backfills": "16",
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
        "osd_fast_shutdown": "false",  # a SIGTERM unmounts: memstore saves what it holds
        "osd_data": str(tmp / "osd" / "$cluster-$id"),
        "memstore_device_bytes": str(1024**3),  # a cap (full ratio), not allocated
        "osd_crush_update_on_start": "true",
        "osd_class_update_on_start": "false",
    }
    rgw = {
        "rgw_frontends": f"beast endpoint=127.0.0.1:{rgw_port}",
        "rgw_data": str(tmp / "rgw"),
        "rgw_lc_debug_interval": str(lc_debug_interval),
        "rgw_enable_usage_log": "false",
        "rgw_thread_pool_size": "64",
    }
    rgw.update(extra_conf)
    sections = {"global": opts, "osd": osd, RGW_NAME: rgw}
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {v}" for k, v in values.items())
        lines.append("")
    return "\n".join(lines)
