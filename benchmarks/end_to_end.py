"""The whole pipeline on generated calls: throughput, time per stage, peak memory, and how long
the customer's voice lives from landing to verified deletion when calls stream in.

1. Throughput: ``--calls`` sample calls (mixed modes, languages and dialer exports; real
   synthetic speech) land at once and go through the call pipeline and the sweep in this
   process, as ``lydspor run`` does. Prints audio minutes, wall time, times real time, the time of
   each step (from Dagster's step events) and the pipeline process's peak memory.
2. Streaming: the Dagster daemon runs the code location on a fresh embedded state (what
   ``lydspor dev`` starts), and calls land one by one at ``--arrival-rate`` calls a minute;
   nothing is launched by hand. Each call's customer-audio lifetime runs from the moment its
   audio landed to the deletion receipt (verified absent) of its last customer-audio object in
   the ledger; calls without customer audio (agent-only) and those kept on consent are counted
   apart. Prints p50, p95, p100.
3. ``--find-max-rate``: streaming trials at doubling rates (from ``--arrival-rate``, at most
   ``--max-rate``), on the same daemon; the highest rate whose p100 stays under 60 s.

Not a test (minutes on 2 cores; the machine's load average is printed with the figures)::

    uv run python benchmarks/end_to_end.py [--calls 40] [--arrival-rate 4] [--find-max-rate]

Only the progress lines and the figures (JSON) reach the terminal: what the pipeline writes
itself (Dagster's and dbt's logs, from this process and from the processes it starts) goes to
``--log`` (default ``lydspor-e2e-<pid>.log`` in the temp folder), which the JSON names.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np

from assets.common.lake import warehouse_from_environment
from assets.common.settings import CALL_TIMEZONE, apply_embedded_defaults, embedded_defaults
from assets.common.storage import LocalObjectStore
from assets.recordings.samples import SampleCall, generate_sample_calls
from lydspor.demo import run_call_pipeline, run_retention_sweep, summarise

REPO = Path(__file__).resolve().parents[1]
#: The bundled Whisper model assembled once for the checkout (as the tests use it).
MODEL_DIR = REPO / "data" / "state" / "models"
#: The lifetime the streaming path must keep the customer's voice under (seconds).
TARGET_P100_S = 60.0
#: How long to wait for the last landed call's intake after the last arrival (seconds).
DRAIN_S = 600


def use_state(state: Path) -> dict[str, str]:
    """Point this process (and what it starts) at a fresh embedded state under ``state``."""
    env = embedded_defaults(state)
    env["LYDSPOR_MODEL_DIR"] = str(MODEL_DIR)
    env["LYDSPOR_POLICY"] = str(REPO / "data" / "policies" / "default.yaml")
    os.environ.update(env)
    apply_embedded_defaults(state)
    return env


def store() -> LocalObjectStore:
    return LocalObjectStore(Path(os.environ["LYDSPOR_STORE_ROOT"]), os.environ["LYDSPOR_BUCKET"])


@contextmanager
def output_to(log: Path) -> Iterator[None]:
    """This process's stdout and stderr, and those of the processes it starts (dbt), go to
    ``log`` meanwhile: at the file descriptors, since dbt writes to them from a subprocess."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "a") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


# -- 1. throughput ------------------------------------------------------------------------


def throughput(calls: int, seed: int, work: Path, log: Path) -> dict:
    with output_to(log):
        return _throughput(calls, seed, work)


def _throughput(calls: int, seed: int, work: Path) -> dict:
    source = work / "throughput-calls"
    made = generate_sample_calls(source, seed=seed, calls=calls, start_date=call_day(), days=1)
    use_state(work / "throughput")
    target = store()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        target.put_bytes(f"landing/{path.relative_to(source).as_posix()}", path.read_bytes())
    day = call_day()
    # The state's own instance: the sweep purges Dagster's run logs of what it deleted.
    instance = dg.DagsterInstance.from_config(os.environ["DAGSTER_HOME"])
    started = time.perf_counter()
    outcome = run_call_pipeline(day, day, instance=instance, log_level="WARNING")
    pipeline_s = time.perf_counter() - started
    sweep = run_retention_sweep(instance=instance)
    wall_s = time.perf_counter() - started
    summary = summarise(warehouse_from_environment(), day, day)
    # This process's own peak: a forked child's peak would count the parent's pages too.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    modes: dict[str, int] = {}
    for call in made:
        key = f"{call.recording_mode.value}/{call.language}"
        modes[key] = modes.get(key, 0) + 1
    return {
        "calls": len(made),
        "modes": modes,
        "succeeded": outcome.success and sweep.success,
        "errors": outcome.errors,
        "audio_minutes": summary.audio_minutes,
        "pipeline_s": round(pipeline_s, 1),
        "wall_s": round(wall_s, 1),
        "x_real_time": round(summary.audio_minutes * 60 / wall_s, 1),
        "steps_s": step_times(instance, outcome.run_id),
        "checks": f"{outcome.checks_passed} passed, {outcome.checks_failed} failed",
        "peak_rss_mb": round(own),
        "transcribed_words": summary.transcribed_words,
    }


def step_times(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Seconds from each step's start to its end, from the run's events."""
    began, took = {}, {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            began[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            took[event.step_key] = round(record.timestamp - began.get(event.step_key, 0), 1)
    return took


def call_day() -> date:
    """Yesterday in the calls' time zone: the sample calls start during working hours, and a
    call that starts later than it landed is quarantined (the dialer's clock), so today's would
    not all be processed before the afternoon."""
    return datetime.now(CALL_TIMEZONE).date() - timedelta(days=1)


# -- 2. streaming -------------------------------------------------------------------------


class Daemon:
    """``dagster-daemon run`` over the code location, as ``dagster dev`` starts it."""

    def __init__(self, log: Path):
        venv_bin = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}
        self.log = log
        self._out = open(log, "w")  # noqa: SIM115 - closed in stop()
        # Started beside its log, not in the repository: Dagster's CLI loads a .env from its
        # working directory over the environment, and `make demo` leaves one there.
        self.process = subprocess.Popen(
            [f"{venv_bin}/dagster-daemon", "run", "-m", "orchestration.definitions", "-d", REPO],
            cwd=log.parent,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for_first_tick(self, timeout: float = 300) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if "landing_sensor" in self.log.read_text():
                return time.monotonic() - started
            time.sleep(1)
        raise TimeoutError(f"the landing sensor never ticked:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._out.close()


def land_call(target: LocalObjectStore, call: SampleCall) -> float:
    """Land one call as its dialer would; when its audio (the customer's voice) arrived."""
    prefix = f"landing/{call.call_date.isoformat()}/"
    if call.metadata_format == "manifest":
        # A day's manifest lists calls that have not landed yet: stream this one as the
        # canonical record instead (same call, same metadata).
        metadata = (call.metadata.model_dump_json() + "\n").encode()
        target.put_bytes(f"{prefix}{call.call_id}.json", metadata)
    else:
        target.put_bytes(prefix + call.metadata_path.name, call.metadata_path.read_bytes())
    landed = time.time()
    target.put_bytes(prefix + call.audio_path.name, call.audio_path.read_bytes())
    return landed


def stream(calls: list[SampleCall], rate: float, instance: dg.DagsterInstance) -> dict[str, float]:
    """Land ``calls`` at ``rate`` a minute, then wait until the intake has taken them all."""
    target, landed = store(), {}
    first = time.monotonic()
    for i, call in enumerate(calls):
        time.sleep(max(0.0, first + i * 60 / rate - time.monotonic()))
        landed[call.call_id] = land_call(target, call)
    deadline, quiet = time.monotonic() + DRAIN_S, 0
    day = calls[0].call_date.isoformat()
    while time.monotonic() < deadline and quiet < 3:
        waiting = list(target.list(f"landing/{day}/"))
        busy = instance.get_runs(
            filters=dg.RunsFilter(
                job_name="call_intake",
                statuses=[
                    dg.DagsterRunStatus.QUEUED,
                    dg.DagsterRunStatus.NOT_STARTED,
                    dg.DagsterRunStatus.STARTING,
                    dg.DagsterRunStatus.STARTED,
                ],
            ),
            limit=1,
        )
        quiet = 0 if waiting or busy else quiet + 1
        time.sleep(2)
    return landed


def lifetimes(landed: dict[str, float]) -> dict:
    """Each call's customer-audio lifetime (s) from the ledger's verified deletion receipts."""
    with duckdb.connect(os.environ["LYDSPOR_DUCKDB_PATH"], read_only=True) as con:
        rows = con.execute(
            "select o.call_id, o.legal_basis, o.deleted_at is null, "
            "epoch(r.deleted_at), coalesce(r.verified_absent, false) "
            "from raw.stored_objects o left join raw.deletion_receipts r using (object_key) "
            "where o.object_class = 'customer_audio'"
        ).fetchall()
    per_call: dict[str, list] = {}
    for call_id, basis, alive, deleted_at, verified in rows:
        if call_id in landed:
            per_call.setdefault(call_id, []).append((basis, alive, deleted_at, verified))
    seconds, kept, left = [], 0, []
    for call_id, objects in per_call.items():
        if any(alive and basis == "consent" for basis, alive, _, _ in objects):
            kept += 1
        elif all(not alive and verified for _, alive, _, verified in objects):
            seconds.append(max(d for _, _, d, _ in objects) - landed[call_id])
        else:
            left.append(call_id)
    result = {
        "calls": len(landed),
        "with_customer_audio_deleted": len(seconds),
        "kept_on_consent": kept,
        "without_customer_audio": len(landed) - len(per_call),
        "not_deleted": left,
    }
    if seconds:
        values = np.array(seconds)
        result.update(
            {
                f"p{q}_s": round(float(np.percentile(values, q, method="inverted_cdf")), 1)
                for q in (50, 95, 100)
            }
        )
    return result


def streaming(args, work: Path, log: Path) -> dict:
    console = os.fdopen(os.dup(1), "w")
    with output_to(log), console:
        return _streaming(args, work, console)


def _streaming(args, work: Path, console) -> dict:
    rates = [args.arrival_rate]
    if args.find_max_rate:
        while rates[-1] * 2 <= args.max_rate:
            rates.append(rates[-1] * 2)
    per_trial = args.stream_calls or args.calls
    made = generate_sample_calls(
        work / "stream-calls",
        seed=args.seed + 1,
        calls=per_trial * len(rates),
        start_date=call_day(),
        days=1,
    )
    use_state(work / "streaming")
    daemon = Daemon(work / "daemon.log")
    trials = []
    try:
        startup = daemon.wait_for_first_tick()
        instance = dg.DagsterInstance.from_config(os.environ["DAGSTER_HOME"])
        for n, rate in enumerate(rates):
            batch = made[n * per_trial : (n + 1) * per_trial]
            started = time.monotonic()
            landed = stream(batch, rate, instance)
            took = round(time.monotonic() - started)
            trials.append({"rate_per_min": rate, "took_s": took, "landed": landed})
            print(
                f"  {rate:g} calls/min: {len(batch)} calls landed and taken in "
                f"{trials[-1]['took_s']} s (load {load_average()})",
                file=console,
                flush=True,
            )
        instance.dispose()
    finally:
        daemon.stop()
    results = []
    for trial in trials:
        figures = lifetimes(trial.pop("landed"))
        results.append({**trial, **figures})
    # A rate that left customer audio behind, or kept it over the target, is not sustained.
    sustained = [
        r["rate_per_min"]
        for r in results
        if not r["not_deleted"] and r.get("p100_s", 0) < TARGET_P100_S
    ]
    return {
        "daemon_start_s": round(startup),
        "trials": results,
        "max_sustained_rate_per_min": max(sustained) if sustained else None,
        "runs": run_counts(work / "streaming"),
    }


def run_counts(state: Path) -> dict[str, int]:
    instance = dg.DagsterInstance.from_config(str(state / "dagster"))
    counts: dict[str, int] = {}
    for run in instance.get_runs():
        counts[run.job_name] = counts.get(run.job_name, 0) + 1
    instance.dispose()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=40, help="calls through the pipeline")
    parser.add_argument(
        "--arrival-rate", type=float, default=4.0, help="calls a minute while streaming"
    )
    parser.add_argument(
        "--stream-calls", type=int, default=0, help="calls per streaming trial (default --calls)"
    )
    parser.add_argument("--find-max-rate", action="store_true")
    parser.add_argument("--max-rate", type=float, default=32.0, help="the search stops here")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-streaming", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the states here (default: a temp dir)")
    parser.add_argument("--log", type=Path, help="the pipeline's own output (default: temp)")
    args = parser.parse_args()
    log = args.log or Path(tempfile.gettempdir()) / f"lydspor-e2e-{os.getpid()}.log"

    work = args.keep or Path(tempfile.mkdtemp(prefix="lydspor-e2e-"))
    work.mkdir(parents=True, exist_ok=True)
    report = {"cpus": os.cpu_count(), "load_average_at_start": load_average(), "log": str(log)}
    try:
        if not args.skip_throughput:
            print(f"throughput: {args.calls} calls through the pipeline ...", flush=True)
            report["throughput"] = throughput(args.calls, args.seed, work, log)
            report["load_average_after_throughput"] = load_average()
        if not args.skip_streaming:
            print(f"streaming at {args.arrival_rate:g} calls/min ...", flush=True)
            report["streaming"] = streaming(args, work, log)
            report["load_average_after_streaming"] = load_average()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
