"""The dbt project handle and its CLI resource; kept apart from the assets, so preparing the
manifest (which the dbt assets read when they are defined) imports none of them."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

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


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
