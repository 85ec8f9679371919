"""The marts' dbt resource: dbt parses the project for the run's window while the run's
heavy steps work, so the marts' build starts from that parse instead of parsing again.

The window travels to dbt as ``--vars`` and dbt parses in full whenever the vars change,
which is every run: 3.5 s on one core (2.0 s of it the parse, the rest dbt's start-up) in a
pipeline run of 40 calls, before the first model is built. A run that transcribes leaves a
core idle at times (while the isolation models load, between calls); the parse started at
the run's start, at the lowest CPU priority, fits there. The build then finds that parse in
its target folder and dbt's partial parsing checks it is of the same files, vars and profile
before using it (anything else, or a parse not finished when the build starts, and dbt
parses in full, as before).

Knobs (module constants): ``PARSE_BESIDE`` (step names) the steps whose presence in a run's
plan starts the parse ahead (in-process runs only: on ``k8s`` each step has a pod of its
own): without one of them the marts' step would only wait for it, so a marts-only run parses
as before; ``PARSE_NICENESS`` (0-19, Unix niceness) the parse's CPU
priority.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from pydantic import PrivateAttr

from assets.common.concurrency import executor_name
from assets.common.dbt_project import DBT_EXECUTABLE, LydsporDbtCliResource, dbt_project
from assets.common.partitions import run_window_vars
from assets.retention.resources import PolicyResource

#: The steps (the first part of a step key) long enough to hide dbt's parse.
PARSE_BESIDE = ("transcripts",)
#: The parse's niceness: 19 yields the CPU to every step of the run.
PARSE_NICENESS = 19
#: The marts' op, the first part of dagster-dbt's per-invocation target folder names (the
#: retention sweep keeps a running run's folders by their ``-<run id[:7]>-`` part).
MARTS_OP = "lydspor_dbt_models"


def dbt_vars(window: Mapping[str, str], mart_purposes: Mapping[str, list[str]]) -> str:
    """The ``--vars`` of the marts' build: the call-date window and the policy's purposes."""
    return json.dumps({**window, "mart_purposes": mart_purposes})


def parses_beside(step_keys: list[str]) -> bool:
    """Whether a run with these steps has one long enough to hide dbt's parse."""
    return any(key.split(".")[0] in PARSE_BESIDE for key in step_keys)


class MartsDbtResource(LydsporDbtCliResource):
    """dbt for the marts; in a run that transcribes, dbt's parse starts with the run."""

    policy: PolicyResource
    _ahead: DbtCliInvocation | None = PrivateAttr(default=None)
    _ahead_vars: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        super().setup_for_execution(context)
        try:
            self._parse_ahead(context)
        except Exception as exc:  # a head start only: the step that needs it reports the cause
            self._ahead = None
            if context.log is not None:
                context.log.warning(f"dbt's parse ahead was not started: {exc}")

    def _parse_ahead(self, context: dg.InitResourceContext) -> None:
        run, instance = context.dagster_run, context.instance
        # A step of its own (k8s): the other steps run in other pods, none beside this one.
        if executor_name() != "in_process":
            return
        if run is None or instance is None or run.execution_plan_snapshot_id is None:
            return
        plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
        window = run_window_vars(run.tags)
        if window is None or not parses_beside(list(plan.step_keys_to_execute)):
            return
        self._ahead_vars = dbt_vars(window, self.policy.load().mart_purposes)
        target = Path(dbt_project.project_dir) / dbt_project.target_path
        self._ahead = self.cli(
            ["parse", "--quiet", "--vars", self._ahead_vars],
            target_path=target / f"{MARTS_OP}-{run.run_id[:7]}-parsed",
            raise_on_error=False,
        )
        # OSError: it has already finished, or the platform has no priorities.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self._ahead.process.pid, PARSE_NICENESS)

    def parsed_target(self, variables: str) -> Path | None:
        """The target folder of this run's parse ahead, when it parsed for ``variables`` and
        has finished; None otherwise, and the build parses itself. An unfinished parse is
        stopped, not waited for: at its priority it gets only idle CPU, and a busy machine
        may have had none to give."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        if variables != self._ahead_vars or ahead.process.poll() is None:
            _stop(ahead)
            return None
        return ahead.target_path if ahead.wait().is_successful() else None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._ahead is not None:
            _stop(self._ahead)
            self._ahead = None


def _stop(invocation: DbtCliInvocation) -> None:
    if invocation.process.poll() is None:
        invocation.process.terminate()
        try:
            invocation.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            invocation.process.kill()


def marts_dbt_resource(policy: PolicyResource) -> MartsDbtResource:
    return MartsDbtResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE, policy=policy)
