"""Reading data as someone: ``lydspor query``, ``transcript``, ``audio`` and ``whoami``.

Every command resolves a principal from the access policy and reads through ``assets.access``,
so the CLI, notebooks and scripts share one enforcement point.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import duckdb
import typer
from rich.table import Table

from assets.access.policy import (
    AccessDenied,
    AccessPolicy,
    AccessPolicyError,
    Principal,
    load_access_policy,
)
from assets.access.reads import read_audio, read_transcript
from assets.access.session import open_session
from assets.common.settings import CATALOGUE_VARIABLES, apply_embedded_defaults, from_environment
from assets.common.storage import ObjectStore
from assets.retention import audit
from lydspor.cli.shared import catalog, console, fail, store

app = typer.Typer()

T = TypeVar("T")

AS_USER = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Read as this user of the access policy (default: $LYDSPOR_USER, else your login).",
    ),
]


def current_user(as_user: str | None) -> str:
    return as_user or os.environ.get("LYDSPOR_USER") or getpass.getuser()


def principal_of(as_user: str | None) -> tuple[AccessPolicy, Principal]:
    """The access policy, and the principal ``--as`` (or the environment) names in it."""
    try:
        policy = load_access_policy(os.environ["LYDSPOR_ACCESS_POLICY"])
        return policy, policy.principal(current_user(as_user))
    except (AccessPolicyError, AccessDenied) as exc:
        fail(str(exc))


@app.command()
def whoami(as_user: AS_USER = None) -> None:
    """Who you read as, and the scope the access policy gives you."""
    apply_embedded_defaults()
    _, principal = principal_of(as_user)
    teams = ", ".join(principal.teams) or "all teams"
    agent = f", agent {principal.agent_id}" if principal.agent_id else ""
    console.print(f"{principal.user}: {principal.role} ({teams}{agent})")


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
    policy, principal = principal_of(as_user)
    try:
        session = open_session(from_environment(CATALOGUE_VARIABLES)["database"], principal, policy)
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
        typer.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps(frame.to_dicts(), default=str, ensure_ascii=False, indent=2))
    else:
        out = Table(*frame.columns)
        for row in frame.iter_rows():
            out.add_row(*("" if v is None else str(v) for v in row))
        console.print(out)


def _audited(
    as_user: str | None,
    read: Callable[[duckdb.DuckDBPyConnection, ObjectStore, Principal, AccessPolicy], T],
) -> T:
    """Run ``read(con, store, principal, policy)`` on the catalogue; anchor the audit head."""
    policy, principal = principal_of(as_user)
    objects = store()
    try:
        con = catalog()
    except duckdb.IOException as exc:  # another process (a run) holds the write lock
        console.print(f"[red]the catalogue is busy, try again when the run ends:[/] {exc}")
        raise typer.Exit(2) from exc
    with con:
        try:
            return read(con, objects, principal, policy)
        except AccessDenied as exc:
            console.print(f"[red]{exc}[/] (refusal audited)")
            raise typer.Exit(3) from exc
        except LookupError as exc:
            fail(str(exc))
        finally:
            audit.anchor(con, objects)


@app.command()
def transcript(
    call_id: str,
    as_user: AS_USER = None,
    as_json: Annotated[bool, typer.Option("--json", help="Emit the words as JSON.")] = False,
) -> None:
    """Print a call's stored (redacted) transcript; the read is written to the audit log."""
    apply_embedded_defaults()
    words = _audited(as_user, lambda con, _s, who, pol: read_transcript(con, who, pol, call_id))
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
            lambda con, objects, who, pol: read_audio(con, objects, who, pol, call_id, track),
        )
    except ValueError as exc:
        fail(str(exc))
    out.write_bytes(result.data)
    console.print(f"wrote {out} ({len(result.data)} bytes) from {result.object_key}")
