"""What ``lydspor erase`` does after the retention engine has carried out an erasure, done here
in the background so the page can show the decision at once: rebuild the affected days' marts
(the aggregates are recounted without the erased calls) and purge the erased bytes from the
warehouse (the DuckDB file or the lake), dbt's artefacts and Dagster's runs. One job at a time,
holding the catalogue (other requests wait, then get 503). ``LYDSPOR_WEB_ERASURE_FOLLOWUP=false``
leaves both to the next pipeline run and sweep (the sweep purges too); the rows themselves are
gone already.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg

from assets.retention.policy import REQUIRED_WINDOWS
from assets.retention.remnants import RemnantTargets, purge_remnants
from assets.retention.resources import policy_from_environment
from lydspor.demo import purged_warehouse, refresh_marts
from lydspor.web.catalogue import held


@dataclass
class FollowUp:
    state: str = "queued"  # queued, running, done, failed
    detail: str = ""


class FollowUps:
    """The erasures' follow-up jobs of this process, by request id."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="erasure-followup")
        self._jobs: dict[str, FollowUp] = {}
        self._lock = threading.Lock()

    def get(self, request_id: str) -> FollowUp | None:
        with self._lock:
            return self._jobs.get(request_id)

    def submit(self, request_id: str, dates: list[date], mentioning: list[str]) -> None:
        with self._lock:
            self._jobs[request_id] = FollowUp()
        self._pool.submit(self._run, request_id, dates, mentioning)

    def _run(self, request_id: str, dates: list[date], mentioning: list[str]) -> None:
        job = self._jobs[request_id]
        job.state = "running"
        notes = []
        try:
            with held():
                if dates:
                    outcome = refresh_marts(dates[0], dates[-1])
                    notes.append(
                        f"marts rebuilt for {dates[0]}..{dates[-1]}"
                        if outcome.success
                        else f"marts rebuild failed: {'; '.join(outcome.errors)[:300]}"
                    )
                tenant = policy_from_environment()
                cutoff = datetime.now(UTC) - tenant.window("run_logs", REQUIRED_WINDOWS["run_logs"])
                with dg.DagsterInstance.get() as instance:
                    report = purge_remnants(
                        RemnantTargets.from_environment(),
                        cutoff,
                        mentioning=mentioning,
                        instance=instance,
                    )
                notes.append(f"erased bytes purged ({purged_warehouse(report)})")
        except Exception as exc:  # a job in the background must report whatever stopped it
            notes.append(f"failed: {exc}")
            job.state, job.detail = "failed", "; ".join(notes)
            return
        job.state = "failed" if any("failed" in n for n in notes) else "done"
        job.detail = "; ".join(notes)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
