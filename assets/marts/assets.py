"""The dbt marts, built on the DuckDB catalogue for the run's call-date window."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, dbt_assets

from assets.common.concurrency import WAREHOUSE_POOL
from assets.common.dbt_project import PRODUCTION_BUILD_EXCLUDES, dbt_project
from assets.common.partitions import call_date_partitions, dbt_window_vars
from assets.marts.resources import MARTS_OP, MartsDbtResource, dbt_vars
from assets.retention.resources import PolicyResource


class LydsporDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "marts"


@dbt_assets(
    name=MARTS_OP,
    pool=WAREHOUSE_POOL,
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=call_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=LydsporDbtTranslator(),
)
def lydspor_dbt_models(
    context: dg.AssetExecutionContext, dbt: MartsDbtResource, policy: PolicyResource
):
    # The window and the policy's purpose limits travel to dbt as vars.
    variables = dbt_vars(dbt_window_vars(context), policy.load().mart_purposes)
    # Unit tests check the models' logic on fixed inputs, not the run's data: they run in CI
    # (`make test`), not in every partition's build, as dbt recommends for production.
    yield from dbt.cli(
        ["build", "--vars", variables, *PRODUCTION_BUILD_EXCLUDES],
        context=context,
        target_path=dbt.parsed_target(variables),
    ).stream()
