"""``lydspor dev``: the Dagster UI and daemon on the embedded defaults; with the daemon up, a
call that lands is ingested and its customer audio deleted within seconds (the landing sensor),
and transcripts and marts follow in batches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from assets.common.settings import apply_embedded_defaults
from lydspor.demo import prepare_code_location

app = typer.Typer()


@app.command()
def dev(port: Annotated[int, typer.Option(help="Web UI port.")] = 3000) -> None:
    """Start the Dagster UI and daemon (dagster dev) on the embedded defaults: landed calls are
    processed as they land."""
    apply_embedded_defaults()
    prepare_code_location()
    venv_bin = str(Path(sys.executable).parent)
    # dagster dev's code server looks for `dbt` on PATH: put this venv's first.
    env = {**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}
    command = [f"{venv_bin}/dagster", "dev", "-m", "orchestration.definitions", "-p", str(port)]
    raise typer.Exit(subprocess.call(command, env=env))
