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

from orchestration.isolate_cli import isolate as isolate_command
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
        object_lock=env["LYDSPOR_S3_OBJECT_LOCK"],
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
    from orchestration.demo import run_call_pipeline, run_retention_sweep

    outcome = run_call_pipeline(date.fromisoformat(from_date), date.fromisoformat(to_date))
    _report_run(outcome)
    # The sweep runs after every pipeline run, failed or not: deadlines do not wait.
    swept = run_retention_sweep()
    _report_sweep(swept)
    if not (outcome.success and swept.success):
        raise typer.Exit(1)


def _report_run(outcome) -> None:
    colour = "green" if outcome.success else "red"
    console.print(
        f"[{colour}]run {outcome.run_id[:8]} {'succeeded' if outcome.success else 'FAILED'}[/]"
        f" — checks passed {outcome.checks_passed}, failed {outcome.checks_failed}"
    )
    for check in outcome.failed_checks:
        console.print(f"  [red]failed check[/] {check}")
    for error in outcome.errors:
        console.print(f"  [red]failed step[/] {error}")


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
    from orchestration.demo import (
        database_path,
        run_call_pipeline,
        run_retention_sweep,
        summarise,
    )

    began = time.monotonic()
    first = date.fromisoformat(start)
    last = first + timedelta(days=days - 1)
    sample(out=None, seed=seed, calls=calls, days=days, start=start)
    console.rule(f"call pipeline {first} … {last}")
    outcome = run_call_pipeline(first, last)
    swept = run_retention_sweep()
    summary = summarise(database_path(), first, last)

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
    _report_run(outcome)
    _report_sweep(swept)
    console.print(
        'Next: [bold]lydspor query --as analyst "select * from fct_call_kpis"[/], '
        "[bold]make notebooks[/] for the plots, or [bold]lydspor dev[/] (dagster dev) for the UI."
    )
    if not outcome.success:
        raise typer.Exit(1)


def _catalog(read_only: bool = False):
    """The catalogue; read-only for commands that only look, so they never block a run."""
    import duckdb

    from assets.retention.tables import ensure_compliance_tables, has_compliance_tables

    path = Path(os.environ["LYDSPOR_DUCKDB_PATH"])
    if not path.exists():
        console.print(f"[red]no catalogue at {path}[/]: run `lydspor demo` or `lydspor run` first")
        raise typer.Exit(2)
    if read_only:
        con = duckdb.connect(str(path), read_only=True)
        if has_compliance_tables(con):
            return con
        con.close()
    # Tables a newer lydspor added are created once, read-write, before anything reads them.
    with duckdb.connect(str(path)) as writable:
        ensure_compliance_tables(writable)
    return duckdb.connect(str(path), read_only=read_only)


def _policy():
    from assets.retention.policy import PolicyError, load_policy

    try:
        return load_policy(os.environ["LYDSPOR_POLICY"])
    except PolicyError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


@app.command()
def sweep() -> None:
    """Delete every object past its retention deadline now (legal holds excepted)."""
    apply_embedded_defaults()
    from orchestration.demo import run_retention_sweep

    outcome = run_retention_sweep()
    _report_sweep(outcome)
    if not outcome.success:
        raise typer.Exit(1)


def _report_sweep(outcome) -> None:
    colour = "green" if outcome.success else "red"
    console.print(
        f"[{colour}]retention sweep:[/] {outcome.deleted} deleted, {len(outcome.held)} held, "
        f"{len(outcome.failed)} failed"
    )
    for key in outcome.held:
        console.print(f"  [yellow]held past deadline[/] {key}")
    for failure in outcome.failed:
        console.print(f"  [red]could not delete[/] {failure['key']}: {failure['error']}")


@app.command()
def erase(
    decision: Annotated[str, typer.Option(help="The controller's decision: erase or refuse.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
    phone: Annotated[str | None, typer.Option(help="Every call with this phone number.")] = None,
    agent: Annotated[str | None, typer.Option(help="Every recording of this employee.")] = None,
    call: Annotated[str | None, typer.Option(help="One call.")] = None,
    by: Annotated[str, typer.Option(help="Who decided.")] = "controller",
) -> None:
    """Record an erasure request's decision and carry it out (erase) or document it (refuse)."""
    apply_embedded_defaults()
    from assets.retention.erasure import ErasureError, execute_request

    chosen = [(k, v) for k, v in (("phone", phone), ("agent", agent), ("call", call)) if v]
    if len(chosen) != 1:
        console.print("[red]give exactly one of --phone, --agent, --call[/]")
        raise typer.Exit(2)
    selector, value = chosen[0]
    keep_hash = _policy().erasure.keep_phone_hash
    began = time.monotonic()
    try:
        with _catalog() as con:
            outcome = execute_request(
                _store(),
                con,
                selector=selector,
                value=value,
                decision=decision,
                reason=reason,
                decided_by=by,
                keep_phone_hash=keep_hash,
            )
            dates = con.execute(
                "select min(call_date), max(call_date) from raw.recordings where call_id in "
                "(select unnest(?::varchar[]))",
                [outcome.calls_erased],
            ).fetchone()
    except ErasureError as exc:
        console.print(f"[red]{exc}[/] (nothing was changed)")
        raise typer.Exit(2) from exc
    console.print(
        f"request {outcome.request_id[:8]}: {decision} — {len(outcome.calls_matched)} call(s) "
        f"matched, {len(outcome.calls_erased)} erased, {len(outcome.calls_held)} under legal "
        f"hold, {outcome.objects_deleted} object(s) deleted "
        f"({time.monotonic() - began:.1f} s)"
    )
    if outcome.calls_erased and dates[0] is not None:
        # Rebuild the marts of the affected days so no mart keeps what was anonymised.
        from orchestration.demo import refresh_marts

        refreshed = refresh_marts(dates[0], dates[1])
        _report_run(refreshed)
        if not refreshed.success:
            raise typer.Exit(1)
    console.print(f"done in {time.monotonic() - began:.1f} s (marts included)")


hold_app = typer.Typer(help="Legal holds: keep a call or an agent's calls past their deadlines.")
app.add_typer(hold_app, name="hold")


@hold_app.command("place")
def hold_place(
    reason: Annotated[str, typer.Option(help="Why the data must be kept.")],
    by: Annotated[str, typer.Option(help="Who placed the hold.")],
    call: Annotated[str | None, typer.Option(help="Hold one call.")] = None,
    agent: Annotated[str | None, typer.Option(help="Hold all of an agent's calls.")] = None,
) -> None:
    """Place a legal hold."""
    apply_embedded_defaults()
    from assets.retention.holds import HoldError, place_hold

    if bool(call) == bool(agent):
        console.print("[red]give exactly one of --call, --agent[/]")
        raise typer.Exit(2)
    try:
        with _catalog() as con:
            hold = place_hold(
                con, "call" if call else "agent", call or agent, reason, by, store=_store()
            )
    except HoldError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"hold {hold.hold_id} placed on {hold.scope} {hold.subject}")


@hold_app.command("release")
def hold_release(
    hold_id: str,
    reason: Annotated[str, typer.Option(help="Why the hold ends.")],
    by: Annotated[str, typer.Option(help="Who released it.")],
) -> None:
    """Release a legal hold (the next sweep deletes what is past its deadline)."""
    apply_embedded_defaults()
    from assets.retention.holds import HoldError, release_hold

    try:
        with _catalog() as con:
            release_hold(con, hold_id, by, reason, store=_store())
    except HoldError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"hold {hold_id} released")


@hold_app.command("list")
def hold_list() -> None:
    """List open legal holds."""
    apply_embedded_defaults()
    from assets.retention.holds import active_holds

    with _catalog() as con:
        holds = active_holds(con)
    table = Table("hold", "scope", "subject", "reason", "placed by", "placed at")
    for h in holds:
        table.add_row(
            h["hold_id"], h["scope"], h["subject"], h["reason"], h["placed_by"], str(h["placed_at"])
        )
    console.print(table)


audit_app = typer.Typer(help="The hash-chained audit log.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 naming the first bad entry."""
    apply_embedded_defaults()
    from assets.retention import audit

    with _catalog(read_only=True) as con:
        result = audit.verify(con, audit.anchored_head(_store()))
    if result.ok:
        console.print(f"[green]audit log intact[/]: {result.entries} entries")
        return
    console.print(f"[red]audit log broken at entry {result.first_bad_seq}[/]: {result.problem}")
    raise typer.Exit(1)


@app.command()
def lineage(
    call_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Emit JSON.")] = False,
) -> None:
    """A call's legal basis, consent evidence, objects with deadlines and receipts, holds, reads."""
    apply_embedded_defaults()
    import json

    from assets.retention.lineage import UnknownCall, call_lineage

    try:
        with _catalog(read_only=True) as con:
            data = call_lineage(con, call_id)
    except UnknownCall as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    call_row = data["call"]
    console.print(
        f"[bold]{call_row['call_id']}[/] {call_row['call_date']} {call_row['direction']} "
        f"{call_row['recording_mode']} agent {call_row['agent_id']} ({call_row['team']})"
    )
    tracks = Table("track", "basis", "purposes", "consent", "evidence", "why", title="bases")
    for t in data["tracks"]:
        valid = {True: "valid", False: "invalid", None: "—"}[t["consent_valid"]]
        evidence = " ".join(
            str(t[k])
            for k in ("consent_mechanism", "consent_at", "prompt_version", "lia_reference")
            if t[k]
        )
        tracks.add_row(
            t["track"],
            t["legal_basis"],
            ", ".join(t["purposes"] or []),
            valid,
            evidence,
            t["reason"],
        )
    console.print(tracks)
    objects = Table(
        "object", "class", "basis", "created", "deadline", "deleted", "receipt", title="objects"
    )
    for o in data["objects"]:
        objects.add_row(
            o["object_key"],
            o["object_class"],
            o["legal_basis"],
            o["created_at"],
            o["deadline"],
            o["deleted_at"] or "[green]kept[/]",
            (o["receipt_id"] or "")[:8],
        )
    console.print(objects)
    for h in data["holds"]:
        state = "released" if h["released_at"] else "open"
        console.print(f"hold {h['hold_id'][:8]} ({state}): {h['reason']} — {h['placed_by']}")
    for e in data["reads"]:
        verb = "read" if e["action"] == "read" else "[red]read refused[/]"
        console.print(f"{verb}: {e['subject']} by {e['actor']} at {e['at']}")
    for e in data["erasure_requests"]:
        console.print(f"erasure {e['request_id'][:8]}: {e['decision']} — {e['reason']}")


@app.command()
def report(
    from_date: Annotated[str, typer.Option("--from", help="First call date (YYYY-MM-DD).")],
    to_date: Annotated[str, typer.Option("--to", help="Last call date, inclusive.")],
    out: Annotated[Path, typer.Option(help="The HTML file to write.")],
) -> None:
    """Write the self-contained HTML compliance report for a period."""
    apply_embedded_defaults()
    from assets.retention.lineage import period_report
    from assets.retention.report import write_report

    with _catalog(read_only=True) as con:
        data = period_report(con, date.fromisoformat(from_date), date.fromisoformat(to_date))
    write_report(data, out)
    totals = data["totals"]
    console.print(
        f"wrote {out}: {totals['calls']} calls, {totals['deletions']} deletions "
        f"({totals['deletions_late']} late), {totals['open_holds']} open holds, "
        f"{totals['erasure_requests']} erasure requests"
    )


@app.command()
def transcribe(
    input_file: Annotated[Path, typer.Argument(help="An audio file (wav, flac, mp3, ...).")],
    out: Annotated[Path, typer.Option(help="The JSON file to write.")],
    language: Annotated[
        str | None,
        typer.Option(help="nb, nn, da, sv or en; left out: detected among the policy's languages."),
    ] = None,
    channel: Annotated[
        int | None, typer.Option(help="For a stereo file: the channel to transcribe (0 or 1).")
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(help="faster-whisper (CPU) or whisperx (GPU; the whisperx extra)."),
    ] = None,
) -> None:
    """Transcribe one file offline, with word timestamps and personal data found and redacted."""
    apply_embedded_defaults()
    import json

    from assets.transcripts.engine import ENGINES, WHISPER_LANGUAGE, decode_track
    from assets.transcripts.language import choose_language
    from assets.transcripts.pii import find_pii, redact_text
    from orchestration.resources import WhisperResource

    if language is not None and language not in WHISPER_LANGUAGE:
        console.print(f"[red]--language must be one of {', '.join(WHISPER_LANGUAGE)}[/]")
        raise typer.Exit(2)
    engine = engine or os.environ.get("LYDSPOR_WHISPER_ENGINE") or ENGINES[0]
    if engine not in ENGINES:
        console.print(f"[red]--engine must be one of {', '.join(ENGINES)}[/]")
        raise typer.Exit(2)
    if not input_file.is_file():
        console.print(f"[red]no such file: {input_file}[/]")
        raise typer.Exit(2)
    try:
        samples = decode_track(input_file.read_bytes(), channel)
    except Exception as exc:  # av raises many kinds; the user needs the reason, not the type
        console.print(f"[red]could not decode {input_file}: {exc}[/]")
        raise typer.Exit(2) from exc
    whisper = WhisperResource(
        model=os.environ["LYDSPOR_WHISPER_MODEL"],
        model_dir=os.environ["LYDSPOR_MODEL_DIR"],
        engine=engine,
        align_model=os.environ.get("LYDSPOR_WHISPERX_ALIGN_MODEL", ""),
        diarize_model=os.environ.get("LYDSPOR_WHISPERX_DIARIZE_MODEL", ""),
    )
    with console.status(f"transcribing {len(samples) / 16000:.0f} s of audio with {engine}"):
        speech = whisper.get_engine()
        allowed = _policy().transcription.languages if language is None else []
        choice = choose_language(language, allowed, lambda: speech.language_probabilities(samples))
        result = speech.transcribe(samples, choice.language)
    spans = find_pii(result.words, choice.language)
    document = {
        "language": choice.language,
        "text": result.text,
        "redacted_text": redact_text(result.words, spans),
        "words": [
            {"word": w.word, "start": w.start, "end": w.end, "probability": w.probability}
            for w in result.words
        ],
        "pii": [{"kind": p.kind, "start": p.start, "end": p.end} for p in spans],
    }
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2))
    console.print(f"wrote {out}: {len(result.words)} words, {len(spans)} personal-data span(s)")


app.command(name="isolate")(isolate_command)


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


# Reading as someone (query, transcript, audio, whoami) lives in its own module.
from orchestration.cli_access import access_app  # noqa: E402

app.add_typer(access_app)

if __name__ == "__main__":
    app()
