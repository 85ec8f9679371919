"""The ``lydspor`` command line."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orchestration.settings import apply_embedded_defaults, write_dotenv

app = typer.Typer(
    help="lydspor: recorded calls in; coaching, pain and NPS insight out; GDPR enforced.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

SEED = Annotated[int, typer.Option(help="Random seed; the same seed gives the same calls.")]
CALLS = Annotated[int, typer.Option(help="Number of calls to generate.")]
DAYS = Annotated[int, typer.Option(help="Spread the calls over this many days.")]
START = Annotated[str, typer.Option(help="First call date (YYYY-MM-DD).")]


def _store():
    from orchestration.resources import ObjectStoreResource

    env = os.environ
    return ObjectStoreResource(
        endpoint=env["LYDSPOR_S3_ENDPOINT"],
        root=env["LYDSPOR_STORE_ROOT"],
        bucket=env["LYDSPOR_BUCKET"],
        access_key=env["LYDSPOR_S3_ACCESS_KEY"],
        secret_key=env["LYDSPOR_S3_SECRET_KEY"],
        secure=env["LYDSPOR_S3_SECURE"],
        region=env["LYDSPOR_S3_REGION"],
    ).get_store()


def land_directory(source: Path, store) -> int:
    """Upload ``source/<date>/*`` into the landing area, keeping the dated layout."""
    files = sorted(p for p in source.rglob("*") if p.is_file())
    with Progress(
        TextColumn("landing"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("land", total=len(files))
        for path in files:
            store.put_bytes(f"landing/{path.relative_to(source).as_posix()}", path.read_bytes())
            progress.advance(task)
    return len(files)


def _generate(out: Path, seed: int, calls: int, days: int, start: date):
    from assets.recordings.samples import generate_sample_calls

    with Progress(
        TextColumn("synthesising calls"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        progress.add_task("synth", total=None)
        return generate_sample_calls(out, seed=seed, calls=calls, start_date=start, days=days)


@app.command()
def sample(
    out: Annotated[
        Path | None,
        typer.Option(help="Write to this directory instead of the store's landing area."),
    ] = None,
    seed: SEED = 7,
    calls: CALLS = 12,
    days: DAYS = 2,
    start: START = "2026-11-02",
) -> None:
    """Synthesise sample sales and support calls (English and Norwegian, real speech)."""
    apply_embedded_defaults()
    first = date.fromisoformat(start)
    if out is not None:
        made = _generate(out, seed, calls, days, first)
        console.print(f"[green]{len(made)} calls[/] written under {out}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        made = _generate(Path(tmp), seed, calls, days, first)
        store = _store()
        land_directory(Path(tmp), store)
    console.print(f"[green]{len(made)} calls[/] landed in {store.description} under landing/")


@app.command()
def run(
    from_date: Annotated[str, typer.Option("--from", help="First call date (YYYY-MM-DD).")],
    to_date: Annotated[str, typer.Option("--to", help="Last call date, inclusive.")],
) -> None:
    """Run the call pipeline for a range of call dates, in this process."""
    apply_embedded_defaults()
    from orchestration.demo import run_call_pipeline

    outcome = run_call_pipeline(date.fromisoformat(from_date), date.fromisoformat(to_date))
    _report_run(outcome)
    if not outcome.success:
        raise typer.Exit(1)


def _report_run(outcome) -> None:
    colour = "green" if outcome.success else "red"
    console.print(
        f"[{colour}]run {outcome.run_id[:8]} {'succeeded' if outcome.success else 'FAILED'}[/]"
        f" — checks passed {outcome.checks_passed}, failed {outcome.checks_failed}"
    )
    for check in outcome.failed_checks:
        console.print(f"  [red]failed check[/] {check}")


@app.command()
def demo(
    seed: SEED = 7,
    calls: CALLS = 12,
    days: DAYS = 2,
    start: START = "2026-11-02",
) -> None:
    """Sample calls in, every asset for their days, marts and a summary out."""
    values = apply_embedded_defaults()
    if write_dotenv(values):
        console.print("wrote .env (settings for `dagster dev`)")
    from orchestration.demo import database_path, run_call_pipeline, summarise

    began = time.monotonic()
    first = date.fromisoformat(start)
    last = first + timedelta(days=days - 1)
    sample(out=None, seed=seed, calls=calls, days=days, start=start)
    console.rule(f"call pipeline {first} … {last}")
    outcome = run_call_pipeline(first, last)
    summary = summarise(database_path(), first, last)

    table = Table(title="lydspor demo", show_header=False)
    table.add_row("calls", str(summary.calls))
    table.add_row("audio minutes", f"{summary.audio_minutes:.1f}")
    table.add_row("agent-only minutes", f"{summary.agent_only_minutes:.1f}")
    table.add_row("quarantined calls", str(summary.quarantined))
    table.add_row("customer audio objects deleted", str(summary.customer_objects_deleted))
    table.add_row("customer audio kept (consent)", str(summary.customer_objects_kept_with_consent))
    table.add_row("transcribed words", str(summary.transcribed_words))
    for mart, rows in summary.mart_rows.items():
        table.add_row(f"mart {mart}", f"{rows} rows")
    table.add_row("checks passed", f"{outcome.checks_passed} of "
                  f"{outcome.checks_passed + outcome.checks_failed}")
    table.add_row("took", f"{time.monotonic() - began:.0f} s")
    console.print(table)
    _report_run(outcome)
    console.print(
        f"Next: query [bold]{database_path()}[/] with duckdb "
        "(e.g. select * from fct_call_coaching), or run [bold]lydspor dev[/] "
        "(dagster dev) for the UI."
    )
    if not outcome.success:
        raise typer.Exit(1)


@app.command()
def dev(port: Annotated[int, typer.Option(help="Web UI port.")] = 3000) -> None:
    """Start the Dagster UI (dagster dev) on the embedded defaults."""
    apply_embedded_defaults()
    from orchestration.dbt_project import prepare_manifest

    prepare_manifest()
    venv_bin = str(Path(sys.executable).parent)
    # dagster dev's code server looks for `dbt` on PATH: put this venv's first.
    env = {**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}
    command = [f"{venv_bin}/dagster", "dev", "-m", "orchestration.definitions", "-p", str(port)]
    raise typer.Exit(subprocess.call(command, env=env))


if __name__ == "__main__":
    app()
