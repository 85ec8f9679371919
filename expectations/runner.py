"""Validate a frame against a suite in an ephemeral GX context (no project files, no server),
and report the result as a blocking Dagster asset check."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType

import dagster as dg
import pandas as pd


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str
    column: str | None
    unexpected_count: int
    unexpected_examples: list


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    failed: list[FailedExpectation]

    @property
    def failed_names(self) -> list[str]:
        """The failed expectations as a check's metadata names them: ``type(column)``."""
        return [f.expectation + (f"({f.column})" if f.column else "") for f in self.failed]


@cache
def _context():
    # Building a GX context costs seconds; one ephemeral context serves the whole process.
    import great_expectations as gx

    return gx.get_context(mode="ephemeral")


def build_suite(name: str, expectations: Callable[[ModuleType], list]):
    """The GX suite ``name`` of the expectations ``expectations(gx.expectations)`` lists: GX
    is imported here, when a suite is first built, not when the checks are defined."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=name, expectations=expectations(gx.expectations))


def validate_frame(frame: pd.DataFrame, suite) -> SuiteResult:
    """Bind ``suite`` (built without a context) to the ephemeral context and validate."""
    context = _context()
    name = f"lydspor-{uuid.uuid4().hex[:8]}"
    batch = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe(name)
        .get_batch(batch_parameters={"dataframe": frame})
    )
    bound = context.suites.add(
        suite.__class__(name=f"{suite.name}-{name}", expectations=suite.expectations)
    )
    result = batch.validate(bound, result_format="COMPLETE")
    failed = [
        FailedExpectation(
            expectation=r.expectation_config.type,
            column=r.expectation_config.kwargs.get("column"),
            unexpected_count=int(r.result.get("unexpected_count") or 0),
            unexpected_examples=list(r.result.get("unexpected_list") or [])[:20],
        )
        for r in result.results
        if not r.success
    ]
    return SuiteResult(suite.name, bool(result.success), len(result.results), failed)


def check_result(result: SuiteResult, **metadata) -> dg.AssetCheckResult:
    """The suite's result as an asset check that fails the run (ERROR) when the suite fails."""
    return dg.AssetCheckResult(
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"suite": result.suite, **metadata},
    )
