"""What the command groups share: the console, the store, catalogue and policy of the
environment, and how a pipeline run or a sweep is reported."""

from __future__ import annotations

from typing import Annotated, NoReturn

import duckdb
import typer
from rich.console import Console

from assets.access.authorise import Action
from assets.access.catalogue import CatalogueMissing, open_catalogue
from assets.access.identity import Identity, Refused, establish, require
from assets.access.policy import AccessPolicy, AccessPolicyError
from assets.common.lake import Warehouse, WarehouseError, warehouse_from_environment
from assets.common.resources import store_from_environment
from assets.common.storage import ObjectStore
from assets.retention import audit
from assets.retention.policy import PolicyError, RetentionPolicy
from assets.retention.resources import policy_from_environment
from lydspor.demo import RunOutcome, SweepOutcome

console = Console()

SEED = Annotated[int, typer.Option(help="Random seed; the same seed gives the same calls.")]
CALLS = Annotated[int, typer.Option(help="Number of calls to generate.")]
DAYS = Annotated[int, typer.Option(help="Spread the calls over this many days.")]
START = Annotated[str, typer.Option(help="First call date (YYYY-MM-DD).")]
FROM_DATE = Annotated[str, typer.Option("--from", help="First call date (YYYY-MM-DD).")]
TO_DATE = Annotated[str, typer.Option("--to", help="Last call date, inclusive.")]
AS_USER = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act for this user of the access policy: owners only, and audited as "
        "'<owner> acting as <user>' (default: the user your OS account maps to).",
    ),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` in red and leave with ``code`` (2: the user's input or setup)."""
    console.print(f"[red]{message}[/]")
    raise typer.Exit(code)


def refused(exc: Refused) -> NoReturn:
    """Leave with exit 3 for a refusal, saying whether it reached the audit log."""
    console.print(f"[red]{exc}[/] ({exc.audit_note})")
    raise typer.Exit(3)


def identity(
    as_user: str | None, command: str, action: Action | None = None
) -> tuple[AccessPolicy, Identity]:
    """Who runs ``command`` (the OS account's user, or whom an owner acts for) and, with
    ``action``, that they may take it; refusals are audited and exit 3."""
    try:
        policy, who = establish(as_user, command)
        if action is not None:
            require(who, action, command)
    except AccessPolicyError as exc:
        fail(str(exc))
    except Refused as exc:
        refused(exc)
    return policy, who


def anchor(con: duckdb.DuckDBPyConnection, objects: ObjectStore | None = None) -> None:
    """Anchor the audit head after a command's entries; a chain that fails verification is
    left unanchored (so the break stays visible) and said so."""
    try:
        audit.anchor(con, objects, strict=True)
    except audit.AuditChainBroken as exc:
        console.print(f"[red]the audit log fails verification; its head was not anchored:[/] {exc}")


def store() -> ObjectStore:
    """The object store the environment names (the embedded directory store by default)."""
    return store_from_environment()


def policy() -> RetentionPolicy:
    """The tenant's policy file the environment names; exit 2 naming what is wrong with it."""
    try:
        return policy_from_environment()
    except PolicyError as exc:
        fail(str(exc))


def catalog(read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse (the DuckDB file, or the DuckLake ``LYDSPOR_WAREHOUSE`` names), opened as
    every reader opens it (``assets.access.catalogue``); read-only for commands that only
    look, so they never block a run."""
    try:
        return open_catalogue(warehouse(), read_only=read_only)
    except CatalogueMissing as exc:
        fail(str(exc))


def warehouse() -> Warehouse:
    """The warehouse the environment names; exit 2 naming what is wrong with its settings."""
    try:
        return warehouse_from_environment()
    except WarehouseError as exc:
        fail(str(exc))


def report_run(outcome: RunOutcome) -> None:
    colour = "green" if outcome.success else "red"
    console.print(
        f"[{colour}]run {outcome.run_id[:8]} {'succeeded' if outcome.success else 'FAILED'}[/]"
        f" — checks passed {outcome.checks_passed}, failed {outcome.checks_failed}"
    )
    for check in outcome.failed_checks:
        console.print(f"  [red]failed check[/] {check}")
    for error in outcome.errors:
        console.print(f"  [red]failed step[/] {error}")


def report_sweep(outcome: SweepOutcome) -> None:
    colour = "green" if outcome.success else "red"
    console.print(
        f"[{colour}]retention sweep:[/] {outcome.deleted} deleted, {len(outcome.held)} held, "
        f"{len(outcome.failed)} failed; rows purged: {sum(outcome.rows_deleted.values())} "
        f"deleted, {sum(outcome.rows_anonymised.values())} anonymised"
    )
    for table, count in sorted({**outcome.rows_deleted, **outcome.rows_anonymised}.items()):
        console.print(f"  rows of {table}: {count}")
    for key in outcome.held:
        console.print(f"  [yellow]held past deadline[/] {key}")
    for failure in outcome.failed:
        console.print(f"  [red]could not delete[/] {failure['key']}: {failure['error']}")
