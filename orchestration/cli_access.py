"""Reading data as someone: ``lydspor query``, ``transcript``, ``audio`` and ``whoami``.

Every command resolves a principal from the access policy and reads through ``assets.access``,
so the CLI, notebooks and scripts share one enforcement point.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from orchestration.settings import apply_embedded_defaults

access_app = typer.Typer()

AS_USER = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Read as this user of the access policy (default: $LYDSPOR_USER, else your login).",
    ),
]


def current_user(as_user: str | None) -> str:
    return as_user or os.environ.get("LYDSPOR_USER") or getpass.getuser()


def _principal(as_user: str | None):
    from assets.access.policy import AccessDenied, AccessPolicyError, load_access_policy
    from orchestration.cli import console

    try:
        policy = load_access_policy(os.environ["LYDSPOR_ACCESS_POLICY"])
        return policy, policy.principal(current_user(as_user))
    except (AccessPolicyError, AccessDenied) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


@access_app.command()
def whoami(as_user: AS_USER = None) -> None:
    """Who you read as, and the scope the access policy gives you."""
    apply_embedded_defaults()
    from orchestration.cli import console

    _, principal = _principal(as_user)
    teams = ", ".join(principal.teams) or "all teams"
    agent = f", agent {principal.agent_id}" if principal.agent_id else ""
    console.print(f"{principal.user}: {principal.role} ({teams}{agent})")


@access_app.command()
def query(
    sql: Annotated[str | None, typer.Argument(help="SQL over the marts you may read.")] = None,
    as_user: AS_USER = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    tables: Annotated[bool, typer.Option("--tables", help="List what you may query.")] = False,
) -> None:
    """Query the marts within your scope (rows of other teams are not in your session)."""
    apply_embedded_defaults()
    from assets.access.session import open_session
    from orchestration.cli import console

    if fmt not in {"table", "csv", "json"}:
        console.print("[red]--format must be table, csv or json[/]")
        raise typer.Exit(2)
    if not tables and not sql:
        console.print("[red]give a SQL query, or --tables to see what you may query[/]")
        raise typer.Exit(2)
    policy, principal = _principal(as_user)
    import duckdb

    try:
        session = open_session(os.environ["LYDSPOR_DUCKDB_PATH"], principal, policy)
    except (FileNotFoundError, duckdb.IOException) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    with session:
        if tables:
            listing = Table("table", "rows", "scope", title=f"readable by {principal.user}")
            for t in session.tables:
                listing.add_row(t.name, str(t.rows), t.scope)
            console.print(listing)
            return
        try:
            frame = session.sql(sql).pl()
        except Exception as exc:  # DuckDB raises many types; all are the user's SQL
            console.print(f"[red]query failed:[/] {exc}")
            raise typer.Exit(1) from exc
    if fmt == "csv":
        typer.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps(frame.to_dicts(), default=str, ensure_ascii=False, indent=2))
    else:
        out = Table(*frame.columns)
        for row in frame.iter_rows():
            out.add_row(*("" if v is None else str(v) for v in row))
        console.print(out)


def _audited(as_user: str | None, call_id: str, read):
    """Run ``read(con, store, principal, policy)`` on the catalogue; anchor the audit head."""
    import duckdb

    from assets.access.policy import AccessDenied
    from assets.retention import audit
    from orchestration.cli import _catalog, _store, console

    policy, principal = _principal(as_user)
    store = _store()
    try:
        con = _catalog()
    except duckdb.IOException as exc:  # another process (a run) holds the write lock
        console.print(f"[red]the catalogue is busy, try again when the run ends:[/] {exc}")
        raise typer.Exit(2) from exc
    with con:
        try:
            return read(con, store, principal, policy)
        except AccessDenied as exc:
            console.print(f"[red]{exc}[/] (refusal audited)")
            raise typer.Exit(3) from exc
        except LookupError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from exc
        finally:
            audit.anchor(con, store)


@access_app.command()
def transcript(
    call_id: str,
    as_user: AS_USER = None,
    as_json: Annotated[bool, typer.Option("--json", help="Emit the words as JSON.")] = False,
) -> None:
    """Print a call's stored (redacted) transcript; the read is written to the audit log."""
    apply_embedded_defaults()
    from assets.access.reads import read_transcript
    from orchestration.cli import console

    words = _audited(
        as_user, call_id, lambda con, _s, who, pol: read_transcript(con, who, pol, call_id)
    )
    if as_json:
        typer.echo(json.dumps(words.to_dicts(), ensure_ascii=False, indent=2))
        return
    for (track,), part in words.group_by("track", maintain_order=True):
        console.print(f"[bold]{track}[/] ({part.height} words)")
        console.print(" ".join(part["word"].to_list()))


@access_app.command()
def audio(
    call_id: str,
    out: Annotated[Path, typer.Option(help="Where to write the audio.")],
    as_user: AS_USER = None,
    track: Annotated[str, typer.Option(help="agent, or customer (kept with consent only).")] = (
        "agent"
    ),
) -> None:
    """Export a call's stored audio for one track; the read is written to the audit log."""
    apply_embedded_defaults()
    from assets.access.reads import read_audio
    from orchestration.cli import console

    try:
        result = _audited(
            as_user,
            call_id,
            lambda con, store, who, pol: read_audio(con, store, who, pol, call_id, track),
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    out.write_bytes(result.data)
    console.print(f"wrote {out} ({len(result.data)} bytes) from {result.object_key}")


@access_app.command()
def notebooks(
    as_user: AS_USER = None,
    out: Annotated[Path, typer.Option(help="Where executed notebooks and HTML go.")] = Path(
        "data/state/notebooks"
    ),
) -> None:
    """Run the analyst notebooks against the catalogue as a user; write executed copies + HTML."""
    apply_embedded_defaults()
    from orchestration.cli import console
    from orchestration.notebooks import notebook_paths, run_notebook

    _, principal = _principal(as_user)
    table = Table("notebook", "plots", "seconds", "html", title=f"notebooks as {principal.user}")
    failed = 0
    for path in notebook_paths():
        with console.status(f"running {path.name}"):
            try:
                run = run_notebook(path, out, principal.user)
            except Exception as exc:  # a failing cell: report it, run the others
                console.print(f"[red]{path.name} failed:[/] {str(exc).strip()[-600:]}")
                failed += 1
                continue
        table.add_row(run.name, str(run.plots), str(run.seconds), str(run.html))
    console.print(table)
    if failed:
        raise typer.Exit(1)
