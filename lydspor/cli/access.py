"""Reading data: ``lydspor query``, ``transcript``, ``audio`` and ``whoami``.

Every command runs as the user the OS account maps to in the access policy (an owner may act
for another with ``--as``, audited) and reads through ``assets.access``, so the CLI, notebooks
and scripts share one enforcement point.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import duckdb
import polars as pl
import typer
from rich.table import Table

from assets.access.authorise import Action
from assets.access.identity import Identity, record_act_for
from assets.access.policy import AccessDenied, AccessPolicy
from assets.access.reads import read_audio, read_transcript
from assets.access.session import open_session
from assets.common.settings import apply_embedded_defaults
from assets.common.storage import ObjectStore
from assets.retention import audit
from lydspor.cli.shared import (
    AS_USER,
    anchor,
    catalog,
    console,
    fail,
    identity,
    store,
    warehouse,
)

app = typer.Typer()

T = TypeVar("T")


def _scope(principal) -> str:
    teams = ", ".join(principal.teams) or "all teams"
    agent = f", agent {principal.agent_id}" if principal.agent_id else ""
    return f"{principal.user}: {principal.role} ({teams}{agent})"


@app.command()
def whoami(as_user: AS_USER = None) -> None:
    """Who you are (your OS account's user in the access policy) and the scope it gives you."""
    apply_embedded_defaults()
    _, who = identity(as_user, "whoami")
    console.print(f"{_scope(who.authenticated)} [dim](OS account {who.account})[/]")
    if who.acting_for:
        console.print(f"acting as {_scope(who.principal)}")


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """List and struct columns as JSON text: CSV has no nested values."""
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    return frame.with_columns(
        pl.Series(
            name, [json.dumps(v, default=str, ensure_ascii=False) for v in frame[name].to_list()]
        )
        for name in nested
    )


@app.command()
def query(
    sql: Annotated[str | None, typer.Argument(help="SQL over the marts you may read.")] = None,
    as_user: AS_USER = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    tables: Annotated[bool, typer.Option("--tables", help="List what you may query.")] = False,
) -> None:
    """Query the marts within your scope (rows of other teams are not in your session)."""
    apply_embedded_defaults()
    if fmt not in {"table", "csv", "json"}:
        fail("--format must be table, csv or json")
    if not tables and not sql:
        fail("give a SQL query, or --tables to see what you may query")
    policy, who = identity(as_user, "query", Action.READ_MARTS)
    principal = who.principal
    try:
        record_act_for(who, "query")
    except (OSError, duckdb.Error) as exc:
        fail(f"acting for {principal.user} must be audited, and could not be: {exc}")
    try:
        session = open_session(warehouse(), principal, policy)
    except (FileNotFoundError, duckdb.IOException) as exc:
        fail(str(exc))
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
        typer.echo(_flat(frame).write_csv(), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps(frame.to_dicts(), default=str, ensure_ascii=False, indent=2))
    else:
        out = Table(*frame.columns)
        for row in frame.iter_rows():
            out.add_row(*("" if v is None else str(v) for v in row))
        console.print(out)


def _audited(
    as_user: str | None,
    command: str,
    read: Callable[[duckdb.DuckDBPyConnection, ObjectStore, Identity, AccessPolicy], T],
) -> T:
    """Run ``read(con, store, identity, policy)`` on the catalogue, after checking the audit
    chain it will be recorded in; anchor the audit head after it."""
    policy, who = identity(as_user, command, Action.READ_CALL)
    objects = store()
    try:
        con = catalog()
    except duckdb.IOException as exc:  # another process (a run) holds the write lock
        console.print(f"[red]the catalogue is busy, try again when the run ends:[/] {exc}")
        raise typer.Exit(2) from exc
    with con:
        chain = audit.verify_anchored(con, objects)
        if not chain.ok:
            # Reading on would add entries to a log that no longer proves anything.
            fail(f"the audit log fails verification ({chain.problem}): reads are refused", 1)
        try:
            return read(con, objects, who, policy)
        except AccessDenied as exc:
            console.print(f"[red]{exc}[/] (refusal audited)")
            raise typer.Exit(3) from exc
        except LookupError as exc:
            fail(str(exc))
        finally:
            anchor(con, objects)


@app.command()
def transcript(
    call_id: str,
    as_user: AS_USER = None,
    as_json: Annotated[bool, typer.Option("--json", help="Emit the words as JSON.")] = False,
) -> None:
    """Print a call's stored (redacted) transcript; the read is written to the audit log."""
    apply_embedded_defaults()
    words = _audited(
        as_user,
        "transcript",
        lambda con, _s, who, pol: read_transcript(con, who.principal, pol, call_id, who.actor),
    )
    if as_json:
        typer.echo(json.dumps(words.to_dicts(), ensure_ascii=False, indent=2))
        return
    for (track,), part in words.group_by("track", maintain_order=True):
        console.print(f"[bold]{track}[/] ({part.height} words)")
        console.print(" ".join(part["word"].to_list()))


@app.command()
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
    try:
        result = _audited(
            as_user,
            "audio",
            lambda con, objects, who, pol: read_audio(
                con, objects, who.principal, pol, call_id, track, who.actor
            ),
        )
    except ValueError as exc:
        fail(str(exc))
    out.write_bytes(result.data)
    console.print(f"wrote {out} ({len(result.data)} bytes) from {result.object_key}")
