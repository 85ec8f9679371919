"""Throughput of lydspor scaled out on this machine, with 1 and 2 parallel workers.

The deployment of the scale-out test (``tests/support/scaleout.py``): the Dagster instance and
a DuckLake catalogue in a throwaway Postgres, the store and the lake's Parquet on the
three-OSD Ceph, and a ``dagster-daemon`` that starts the queued runs. ``--calls`` generated
calls over two call dates land at once and are backfilled as one run per (date, shard), four
shards a date, as ``dagster job backfill`` submits them; the ``marts_after_shards`` sensor then
builds each date's marts, and the sweep sensors run the retention sweep after every run. For
each ``--workers`` value (``max_concurrent_runs`` and the ``lydspor/gpu`` limit, on a fresh
deployment; the ``warehouse`` pool stays at 1) it prints the audio minutes, the wall time from
the backfill to the last run's end, times real time, and the runs it took, by job.

Not a test (minutes on 2 cores; the machine's load average is printed with the figures)::

    uv run python benchmarks/scaleout_throughput.py [--calls 16] [--workers 1,2]
        [--transcribe-worker subprocess|inprocess]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

import dagster as dg

from assets.common.dbt_project import prepare_manifest
from assets.common.settings import embedded_defaults
from assets.recordings.samples import generate_sample_calls
from tests.support.ceph_s3 import CephS3Server
from tests.support.postgres import PostgresServer
from tests.support.scaleout import (
    backfill,
    deployment,
    idle,
    land,
    marts_built,
    shard_partitions,
    wait_for,
)

REPO = Path(__file__).resolve().parents[1]
MODEL_DIR = REPO / "data" / "state" / "models"
DAYS = ["2026-11-02", "2026-11-03"]
TIMEOUT_S = 3600


def measure(root: Path, pg, ceph, source: Path, workers: int, env: dict[str, str]) -> dict:
    with (
        deployment(root, pg, ceph, workers=workers, env=env) as dep,
        dep.environment(),
        dep.instance() as instance,
    ):
        land(dep.store, source)
        began = time.monotonic()
        backfill(instance, "call_pipeline", shard_partitions(DAYS))
        wait_for(
            "the runs",
            lambda: idle(instance) and marts_built(instance, DAYS),
            TIMEOUT_S,
            poll=1,
        )
        wall = time.monotonic() - began
        records = instance.get_run_records()
        return {
            "wall_s": wall,
            "runs": Counter(r.dagster_run.job_name for r in records),
            "failed": sum(r.dagster_run.status != dg.DagsterRunStatus.SUCCESS for r in records),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=16)
    parser.add_argument("--workers", default="1,2", help="comma-separated max_concurrent_runs")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument(
        "--transcribe-worker",
        default="subprocess",
        choices=["inprocess", "subprocess"],
        help="where the speech engine runs: subprocess keeps it out of the warehouse slot",
    )
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    prepare_manifest()
    with tempfile.TemporaryDirectory(prefix="lydspor-scaleout-") as tmp:
        root = Path(tmp)
        made = generate_sample_calls(
            root / "calls", seed=args.seed, calls=args.calls, start_date=date(2026, 11, 2), days=2
        )
        minutes = sum(call.duration_s for call in made) / 60
        env = {
            **embedded_defaults(root / "state"),
            "LYDSPOR_MODEL_DIR": str(MODEL_DIR),
            "LYDSPOR_POLICY": str(REPO / "data" / "policies" / "default.yaml"),
            "LYDSPOR_TRANSCRIBE_WORKER": args.transcribe_worker,
        }
        rows = []
        with PostgresServer() as pg, CephS3Server() as ceph:
            for count in workers:
                load = os.getloadavg()[0]
                result = measure(root / f"w{count}", pg, ceph, root / "calls", count, env)
                rows.append((count, load, os.getloadavg()[0], result))
    print(
        f"{args.calls} calls, {minutes:.2f} audio minutes, {len(DAYS)} dates x 4 shards, "
        f"speech engine {args.transcribe_worker}"
    )
    print(
        f"{'workers':>7} {'wall s':>8} {'x real time':>11} {'audio min/h':>11} "
        f"{'load 1m (start/end)':>19}  runs"
    )
    for count, before, after, result in rows:
        wall = result["wall_s"]
        runs = ", ".join(f"{job} {n}" for job, n in sorted(result["runs"].items()))
        print(
            f"{count:>7} {wall:>8.1f} {minutes * 60 / wall:>11.2f} {minutes * 3600 / wall:>11.1f} "
            f"{before:>9.1f}/{after:<9.1f}  {runs}; failed {result['failed']}"
        )


if __name__ == "__main__":
    main()
