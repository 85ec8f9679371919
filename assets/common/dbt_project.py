"""The dbt project handle and its CLI resource; kept apart from the assets, so preparing the
manifest (which the dbt assets read when they are defined) imports none of them."""

from __future__ import annotations

import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt"
#: The venv's dbt, so an unactivated venv (or a bare `.venv/bin/lydspor`) works.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

#: What a production `dbt build` leaves out: the unit tests, which CI runs (they test the
#: models' logic on fixed inputs, so rerunning them on every partition only costs time).
PRODUCTION_BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def _newest_source() -> float:
    sources = [
        p
        for p in DBT_PROJECT_DIR.rglob("*")
        if p.is_file() and "target" not in p.parts and p.suffix in {".sql", ".yml", ".yaml", ".csv"}
    ]
    return max(p.stat().st_mtime for p in sources)


def prepare_manifest() -> Path:
    """Parse the project into target/manifest.json, which the dbt assets read at import;
    skipped when the manifest is newer than every model, macro, seed and YAML file."""
    manifest = dbt_project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime > _newest_source():
        return manifest

    dbt_resource().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
    return dbt_project.manifest_path


class LydsporDbtCliResource(DbtCliResource):
    """dagster-dbt's CLI resource without two steps its ``cli`` takes before every dbt command
    and that lydspor has no use for, on one core while the other waits: without them the dbt
    step of a marts-only run on 40 calls' data went from 9.5 to 7.7 s (2 cores).

    - ``dbt --version`` in a subprocess (1.3 s), to tell dbt Core from the Fusion engine;
      it also asks pypi.org for the latest dbt-core and dbt-duckdb on every run, a call out
      that a self-hosted install should not make. The executable is this environment's own
      dbt (``DBT_EXECUTABLE``), so its version is the installed dbt-core's; another
      executable is still asked.
    - a dbt Core adapter built in this process, the profile loaded and every macro parsed
      (1.9 s under a profiler), which only ``fetch_column_metadata`` and ``fetch_row_counts``
      use; lydspor's marts call neither. Without it the invocation runs dbt exactly as
      before."""

    @cached_property
    def _cli_version(self) -> Version:
        if self.dbt_executable == DBT_EXECUTABLE:
            return Version(installed_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args) -> None:
        return None


def dbt_resource() -> DbtCliResource:
    return LydsporDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
