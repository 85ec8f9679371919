"""``lydspor sample``, ``run`` and ``demo``: calls in, the pipeline over their days, a summary."""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assets.common.settings import apply_embedded_defaults, write_dotenv
from assets.common.storage import ObjectStore
from assets.recordings.samples import SampleCall, generate_sample_calls
from lydspor.cli.shared import (
    CALLS,
    DAYS,
    FROM_DATE,
    SEED,
    START,
    TO_DATE,
    console,
    report_run,
    report_sweep,
    store,
    warehouse,
)
from lydspor.demo import run_call_pipeline, run_retention_sweep, summarise
from lydspor.web.demo_account import URL, demo_sign_in

app = typer.Typer()


def land_directory(source: Path, target: ObjectStore) -> int:
    """Upload ``source/<date>/*`` into the landing area, keeping the dated layout."""
    files = sorted(p for p in source.rglob("*") if p.is_file())
    with Progress(
        TextColumn("landing"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("land", total=len(files))
        for path in files:
            target.put_bytes(f"landing/{path.relative_to(source).as_posix()}", path.read_bytes())
            progress.advance(task)
    return len(files)


def _generate(out: Path, seed: int, calls: int, days: int, start: date) -> list[SampleCall]:
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
        landing = store()
        land_directory(Path(tmp), landing)
    console.print(f"[green]{len(made)} calls[/] landed in {landing.description} under landing/")


@app.command()
def run(from_date: FROM_DATE, to_date: TO_DATE) -> None:
    """Run the call pipeline for a range of call dates, in this process."""
    apply_embedded_defaults()
    outcome = run_call_pipeline(date.fromisoformat(from_date), date.fromisoformat(to_date))
    report_run(outcome)
    # The sweep runs after every pipeline run, failed or not: deadlines do not wait.
    swept = run_retention_sweep()
    report_sweep(swept)
    if not (outcome.success and swept.success):
        raise typer.Exit(1)


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
        console.print("wrote .env (settings for `dagster dev`; existing lines kept)")
    began = time.monotonic()
    first = date.fromisoformat(start)
    last = first + timedelta(days=days - 1)
    sample(out=None, seed=seed, calls=calls, days=days, start=start)
    console.rule(f"call pipeline {first} … {last}")
    outcome = run_call_pipeline(first, last)
    swept = run_retention_sweep()
    summary = summarise(warehouse(), first, last)

    table = Table(title="lydspor demo", show_header=False)
    table.add_row("calls", str(summary.calls))
    table.add_row("dialer formats ingested", ", ".join(summary.dialers) or "none")
    table.add_row("audio minutes", f"{summary.audio_minutes:.1f}")
    table.add_row("agent-only minutes", f"{summary.agent_only_minutes:.1f}")
    table.add_row("quarantined calls", str(summary.quarantined))
    table.add_row("customer audio objects deleted", str(summary.customer_objects_deleted))
    table.add_row("deletion receipts (verified)", str(summary.deletion_receipts))
    table.add_row("customer audio kept (consent)", str(summary.customer_objects_kept_with_consent))
    table.add_row(
        "mono calls isolated (mix deleted)",
        f"{summary.mono_calls_isolated} of {summary.mono_calls}",
    )
    table.add_row("transcribed words", str(summary.transcribed_words))
    table.add_row("personal data muted in audio", f"{summary.audio_spans_muted} spans")
    for mart, rows in summary.mart_rows.items():
        table.add_row(f"mart {mart}", f"{rows} rows")
    table.add_row(
        "checks passed",
        f"{outcome.checks_passed} of {outcome.checks_passed + outcome.checks_failed}",
    )
    table.add_row("took", f"{time.monotonic() - began:.0f} s")
    console.print(table)
    report_run(outcome)
    report_sweep(swept)
    console.print(
        'Next: [bold]lydspor query --as analyst "select * from fct_call_kpis"[/], '
        "[bold]make notebooks[/] for the plots, or [bold]lydspor dev[/] (dagster dev) for the UI."
    )
    user, password, _ = demo_sign_in()  # the compliance web app (lydspor serve)
    console.print(f"Web app: [bold]lydspor serve[/], then {URL}")
    console.print(f"  sign in as {user}, password {password}", soft_wrap=True)
    if not outcome.success:
        raise typer.Exit(1)
