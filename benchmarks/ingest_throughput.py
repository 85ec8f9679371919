"""How fast ``ingest_day`` validates, hashes, stores and catalogues landed calls.

Generates ``--calls`` calls of ``--seconds`` seconds each (8 kHz 16-bit PCM WAV, two mono calls
for every stereo one: a 5-minute mono call is 4.8 MB), made of seeded noise and tones (cheap
and deterministic, no TTS; every call's audio is different, so none is a duplicate), and
streams them through a real store in batches: land a batch (untimed), run ``ingest_day`` on it
(timed), then delete what it stored (untimed), so the disk (or the S3 server's memory) never
holds more than about one batch. Runs on (1) the embedded local store and (2) a real S3 server
(Ceph radosgw from ``tests/support/ceph_s3.py``; skipped with a message when its binaries are
missing). Prints calls/s and MB/s of audio, and where the time goes: reading the landed files,
metadata, hashing, probing/decoding, writing to raw/, catalogue writes (DuckDB: ledger,
recordings, receipts, audit log), removing the landing copies, and the rest.

Target: >= 50 calls/s on 2 cores for 5-minute calls, limited by disk or network.
Run: ``uv run python benchmarks/ingest_throughput.py [--calls 1000] [--seconds 300]
[--batch 25] [--store local|s3|both] [--profile]``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assets.common.settings import CALL_TIMEZONE
from assets.common.storage import LocalObjectStore, S3ObjectStore
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import (
    CATALOGUE_TABLES,
    grouping,
    ingest_day,
    quarantine,
    release,
    validation,
)
from assets.retention.policy import load_policy
from assets.retention.tables import ensure_compliance_tables

REPO = Path(__file__).resolve().parent.parent
POLICY = REPO / "data" / "policies" / "default.yaml"
RATE = 8_000
TARGET_CALLS_PER_S = 50.0
#: A noise bed this long is generated once per channel layout and rotated per call.
_BED_SECONDS = 60


# -- the calls ----------------------------------------------------------------------------------


class CallFactory:
    """Deterministic, distinct calls: a seeded noise bed, rotated by a per-call offset, with
    per-call tones on top (cheap enough that generating never dominates the run)."""

    def __init__(self, seconds: float, seed: int = 7) -> None:
        self.frames = int(seconds * RATE)
        rng = np.random.default_rng(seed)
        bed = rng.normal(0, 600, _BED_SECONDS * RATE).astype(np.int16)
        reps = -(-self.frames // bed.size) + 1
        self.bed = np.tile(bed, reps)
        t = np.arange(RATE) / RATE
        self.tones = {f: (3000 * np.sin(2 * np.pi * f * t)).astype(np.int16) for f in (300, 440)}

    def audio(self, index: int) -> tuple[bytes, int]:
        stereo = index % 3 == 2
        channels = 2 if stereo else 1
        offset = (index * 7919) % (_BED_SECONDS * RATE)
        columns = []
        for ch in range(channels):
            signal = self.bed[offset + ch * 997 : offset + ch * 997 + self.frames].copy()
            tone = self.tones[300 if ch == 0 else 440]
            for start in range(0, self.frames - tone.size, RATE * 10):
                signal[start : start + tone.size] += tone
            signal[:4] = (index, index >> 16, ch, 0x7E57)  # a unique first few samples
            columns.append(signal)
        pcm = np.stack(columns, axis=1) if stereo else columns[0]
        return _wav(pcm.tobytes(), channels), channels

    @staticmethod
    def metadata(call_id: str, day: date, channels: int, seconds: float, index: int) -> dict:
        start = datetime.combine(day, datetime.min.time(), CALL_TIMEZONE) + timedelta(
            hours=8, seconds=index * 7
        )
        stereo = channels == 2
        outbound = index % 2 == 0
        return {
            "call_id": call_id,
            "direction": "outbound" if outbound else "inbound",
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(seconds=seconds)).isoformat(),
            "agent_id": f"agent-{index % 40:02d}",
            "team": "bench",
            "language": "nb",
            "recording_mode": "stereo" if stereo else ("agent_only" if outbound else "mono"),
            "agent_channel": 0 if stereo else None,
            "lia_reference": "LIA-2026-01" if outbound else None,
        }


def _wav(pcm: bytes, channels: int) -> bytes:
    """A canonical 44-byte-header PCM WAV (16-bit)."""
    block = 2 * channels
    header = b"".join(
        [
            b"RIFF",
            (36 + len(pcm)).to_bytes(4, "little"),
            b"WAVEfmt ",
            (16).to_bytes(4, "little"),
            (1).to_bytes(2, "little"),
            channels.to_bytes(2, "little"),
            RATE.to_bytes(4, "little"),
            (RATE * block).to_bytes(4, "little"),
            block.to_bytes(2, "little"),
            (16).to_bytes(2, "little"),
            b"data",
            len(pcm).to_bytes(4, "little"),
        ]
    )
    return header + pcm


# -- where the time goes ------------------------------------------------------------------------


class Stopwatch:
    """Exclusive time per category, per thread: a wrapped call's time minus the wrapped calls
    inside it. Ingest works in several threads, so the steps add up to more than the wall time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()
        self._local = threading.local()  # .stack: time spent in children, per open frame

    def wrap(self, category: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            stack = self._local.__dict__.setdefault("stack", [])
            stack.append(0.0)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                children = stack.pop()
                with self._lock:
                    self.seconds[category] += elapsed - children
                if stack:
                    stack[-1] += elapsed

        return timed


class TimedConnection:
    """The DuckDB connection, with every call on it (statements, commits) timed as catalogue."""

    def __init__(self, con: duckdb.DuckDBPyConnection, watch: Stopwatch) -> None:
        self._con = con
        self._watch = watch

    def __getattr__(self, name: str):
        attr = getattr(self._con, name)
        return self._watch.wrap(CATALOGUE, attr) if callable(attr) else attr


class TimedStore:
    """The store, with each operation timed under the step it belongs to."""

    def __init__(self, store, watch: Stopwatch) -> None:
        self._store = store
        self.description = store.description
        self.get_bytes = watch.wrap("read landed file", store.get_bytes)
        self.put_bytes = watch.wrap("write raw/ (put)", store.put_bytes)
        self.remove = watch.wrap("remove landing copy", store.remove)
        self.stat = watch.wrap("remove landing copy", store.stat)
        self.list = watch.wrap("list landing", lambda prefix="": list(store.list(prefix)))

    def set_legal_hold(self, key: str, on: bool) -> bool:
        return self._store.set_legal_hold(key, on)


class _TimedHashlib:
    def __init__(self, watch: Stopwatch) -> None:
        import hashlib

        self._hashlib = hashlib
        self.sha256 = watch.wrap("hash (sha256)", hashlib.sha256)

    def __getattr__(self, name):
        return getattr(self._hashlib, name)


CATALOGUE = "catalogue (DuckDB statements, commits)"
#: ingest-module names timed as a step (patched only where the module still has them).
_STEPS = {
    "probe_audio": "probe/decode",
    "_probe_matching": "probe/decode",
    "_parse_metadata": "metadata",
    "_check_date": "metadata",
    "recording_row": "catalogue rows (Polars)",
    "truth_rows": "catalogue rows (Polars)",
}
#: The ingest modules whose names are timed.
_MODULES = (grouping, quarantine, release, validation)


@contextlib.contextmanager
def instrumented(watch: Stopwatch) -> Iterator[None]:
    saved = {
        (module, name): getattr(module, name)
        for module in _MODULES
        for name in [*_STEPS, "hashlib"]
        if hasattr(module, name)
    }
    try:
        for (module, name), fn in saved.items():
            timed = _TimedHashlib(watch) if name == "hashlib" else watch.wrap(_STEPS[name], fn)
            setattr(module, name, timed)
        yield
    finally:
        for (module, name), fn in saved.items():
            setattr(module, name, fn)


# -- one run ------------------------------------------------------------------------------------


def run(
    store, label: str, args: argparse.Namespace, workdir: Path, after_batch=None
) -> dict | None:
    policy = load_policy(POLICY)
    raw_con = duckdb.connect(str(workdir / f"{label}.duckdb"))
    ensure_compliance_tables(raw_con)
    for table, schema in CATALOGUE_TABLES.items():
        ensure_table(raw_con, table, schema)
    factory = CallFactory(args.seconds, args.seed)
    # Yesterday in Oslo: a call date in the past wherever and whenever this runs.
    day = datetime.now(CALL_TIMEZONE).date() - timedelta(days=1)
    prefix = f"landing/{day.isoformat()}/"
    watch = Stopwatch()
    timed_store = TimedStore(store, watch)
    con = TimedConnection(raw_con, watch)
    profiler = cProfile.Profile() if args.profile else None
    ingest_s = ingest_cpu_s = land_s = audio_bytes = 0.0
    done = bad = 0
    for first in range(0, args.calls, args.batch):
        batch = range(first, min(first + args.batch, args.calls))
        t0 = time.perf_counter()
        for i in batch:
            call_id = f"bench-{i:06d}"
            audio, channels = factory.audio(i)
            meta = CallFactory.metadata(call_id, day, channels, args.seconds, i)
            store.put_bytes(f"{prefix}{call_id}.wav", audio, content_type="audio/wav")
            store.put_bytes(f"{prefix}{call_id}.json", json.dumps(meta).encode())
            audio_bytes += len(audio)
        land_s += time.perf_counter() - t0
        t0, cpu0 = time.perf_counter(), time.process_time()
        with instrumented(watch):
            if profiler:
                profiler.enable()
            outcomes = ingest_day(timed_store, con, policy, day)
            if profiler:
                profiler.disable()
        ingest_s += time.perf_counter() - t0
        ingest_cpu_s += time.process_time() - cpu0
        done += sum(o.status == "ingested" for o in outcomes)
        for outcome in outcomes:
            if outcome.status != "ingested":
                bad += 1
                if bad <= 3:
                    print(f"  ! {outcome.stem}: {outcome.status} ({outcome.reason})")
        # Keep the disk (or the S3 server's RAM) bounded: drop what this batch stored.
        for obj in list(store.list(f"raw/{day.isoformat()}/")):
            store.remove(obj.key)
        if after_batch:
            after_batch()
        print(
            f"  {label}: {first + len(batch):>5}/{args.calls} calls, "
            f"{done / ingest_s:6.1f} calls/s so far",
            end="\r",
            flush=True,
        )
    print()
    raw_con.close()
    if bad:
        print(f"  {bad} calls were not ingested: the figures below are not comparable")
    result = {
        "store": label,
        "calls": done,
        "seconds": ingest_s,
        "calls_per_s": done / ingest_s,
        "mb_per_s": audio_bytes / 1e6 / ingest_s,
        "landing_s": land_s,
        "cpu_s": ingest_cpu_s,
        "steps": dict(watch.seconds),
    }
    report(result, args)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        print(out.getvalue())
    return result


def report(result: dict, args: argparse.Namespace) -> None:
    total = result["seconds"]
    verdict = "meets" if result["calls_per_s"] >= TARGET_CALLS_PER_S else "misses"
    print(
        f"{result['store']}: {result['calls']} calls of {args.seconds:g} s in {total:.1f} s: "
        f"{result['calls_per_s']:.1f} calls/s, {result['mb_per_s']:.0f} MB/s of audio "
        f"({verdict} the {TARGET_CALLS_PER_S:g} calls/s target; landing them took "
        f"{result['landing_s']:.1f} s, not counted)"
    )
    cpu_ms = result["cpu_s"] / max(result["calls"], 1) * 1000
    print(
        f"  CPU: {result['cpu_s']:.1f} s of this process ({cpu_ms:.1f} ms per call, all threads): "
        f"at most {2000 / cpu_ms:.0f} calls/s on two otherwise idle cores"
    )
    print(
        "  where the time goes (busy time in every ingest thread: steps overlap, so they can "
        "add up to more than the wall time):"
    )
    for name, seconds in sorted(result["steps"].items(), key=lambda kv: -kv[1]):
        per_call = seconds / max(result["calls"], 1) * 1000
        share = 100 * seconds / total
        print(f"    {name:<40} {seconds:7.2f} s {share:6.1f} % of wall {per_call:6.2f} ms/call")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=300.0, help="length of each call")
    parser.add_argument("--batch", type=int, default=50, help="calls landed per ingest_day run")
    parser.add_argument("--store", choices=("local", "s3", "both"), default="both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of ingest")
    parser.add_argument(
        "--threads", type=int, default=None, help="ingest's I/O threads (default: its own)"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp directory")
    args = parser.parse_args()
    if args.threads:
        grouping.IO_THREADS = args.threads
    workdir = Path(tempfile.mkdtemp(prefix="lydspor-bench-", dir=args.workdir))
    print(
        f"{args.calls} calls x {args.seconds:g} s at {RATE} Hz (2 mono : 1 stereo), "
        f"batches of {args.batch}, {grouping.IO_THREADS} ingest thread(s), "
        f"in {workdir}"
    )
    results = []
    try:
        if args.store in ("local", "both"):
            store = LocalObjectStore(workdir / "objects", "lydspor")
            results.append(run(store, "local", args, workdir))
        if args.store in ("s3", "both"):
            results.append(run_s3(args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results = [r for r in results if r]
    return 0 if results and all(r["calls_per_s"] >= TARGET_CALLS_PER_S for r in results) else 1


def run_s3(args: argparse.Namespace, workdir: Path) -> dict | None:
    from tests.support.ceph_s3 import CephS3Server, missing_binaries

    missing = missing_binaries()
    if missing:
        print(
            f"s3: skipped: Ceph binaries not on PATH ({', '.join(missing)}); "
            "run scripts/install-test-deps.sh"
        )
        return None
    # One OSD: the figure is lydspor's cost per call against an S3 API on the same two cores;
    # the tests' three-OSD cluster would add two more replica writes on those cores.
    with CephS3Server(osds=1) as server:
        print(f"s3: Ceph radosgw at {server.endpoint} (started in {server.startup_seconds:.1f} s)")
        store = S3ObjectStore(
            server.endpoint,
            "lydspor-bench",
            server.access_key,
            server.secret_key,
            region=server.region,
        )
        # radosgw frees deleted objects' data in its garbage collector (by default two hours
        # later); the OSD keeps data in RAM, so collect after every batch.
        return run(
            store, "s3", args, workdir, lambda: server.admin("gc", "process", "--include-all")
        )


if __name__ == "__main__":
    sys.exit(main())
