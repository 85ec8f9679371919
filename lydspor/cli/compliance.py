"""The compliance officer's commands: ``sweep``, ``erase``, ``lineage``, ``report``, and the
``hold`` and ``audit`` groups."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import dagster as dg
import typer
from rich.table import Table

from assets.access.authorise import Action
from assets.access.identity import Refused, require
from assets.common.settings import apply_embedded_defaults
from assets.retention import audit
from assets.retention.erasure import ErasureError, execute_request
from assets.retention.holds import HoldError, active_holds, place_hold, release_hold
from assets.retention.lineage import UnknownCall, call_lineage, period_report
from assets.retention.policy import REQUIRED_WINDOWS
from assets.retention.remnants import RemnantPurgeError, RemnantTargets, purge_remnants
from assets.retention.report import write_report
from lydspor.cli.shared import (
    AS_USER,
    FROM_DATE,
    TO_DATE,
    anchor,
    catalog,
    console,
    fail,
    identity,
    policy,
    refused,
    report_run,
    report_sweep,
    store,
)
from lydspor.demo import purged_warehouse, refresh_marts, run_retention_sweep

app = typer.Typer()
hold_app = typer.Typer(help="Legal holds: keep a call or an agent's calls past their deadlines.")
audit_app = typer.Typer(help="The audit log: chained with a keyed MAC, its head anchored.")


@app.command()
def sweep() -> None:
    """Delete everything past its retention deadline now: objects, the rows copied from them,
    their bytes (legal holds excepted)."""
    apply_embedded_defaults()
    outcome = run_retention_sweep()
    report_sweep(outcome)
    if not outcome.success:
        raise typer.Exit(1)


@app.command()
def erase(
    decision: Annotated[str, typer.Option(help="The controller's decision: erase or refuse.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
    phone: Annotated[str | None, typer.Option(help="Every call with this phone number.")] = None,
    agent: Annotated[str | None, typer.Option(help="Every recording of this employee.")] = None,
    call: Annotated[str | None, typer.Option(help="One call.")] = None,
    as_user: AS_USER = None,
) -> None:
    """Record an erasure request's decision and carry it out (erase) or document it (refuse);
    the decision is recorded as yours (owner or compliance)."""
    apply_embedded_defaults()
    _, who = identity(as_user, "erase", Action.ERASE)
    chosen = [(k, v) for k, v in (("phone", phone), ("agent", agent), ("call", call)) if v]
    if len(chosen) != 1:
        fail("give exactly one of --phone, --agent, --call")
    selector, value = chosen[0]
    tenant_policy = policy()
    began = time.monotonic()
    try:
        objects = store()
        with catalog() as con:
            outcome = execute_request(
                objects,
                con,
                selector=selector,
                value=value,
                decision=decision,
                reason=reason,
                decided_by=who.actor,
                keep_phone_hash=tenant_policy.erasure.keep_phone_hash,
                expiry=tenant_policy.expiry,
            )
            anchor(con, objects)
    except ErasureError as exc:
        console.print(f"[red]{exc}[/] (nothing was changed)")
        raise typer.Exit(2) from exc
    console.print(
        f"request {outcome.request_id[:8]}: {decision} — {len(outcome.calls_matched)} call(s) "
        f"matched, {len(outcome.calls_erased)} erased, {len(outcome.calls_held)} under legal "
        f"hold, {outcome.objects_deleted} object(s) deleted "
        f"({time.monotonic() - began:.1f} s)"
    )
    if outcome.purged is not None:
        purged = outcome.purged
        console.print(
            f"rows purged: {sum(purged.deleted.values())} deleted, "
            f"{sum(purged.anonymised.values())} anonymised"
        )
    refreshed = None
    if outcome.calls_erased and outcome.call_dates:
        # The purge removed the calls' mart rows; rebuilding the days recounts the aggregates.
        refreshed = refresh_marts(outcome.call_dates[0], outcome.call_dates[-1])
        report_run(refreshed)
    if decision == "erase":
        # Whether or not the rebuild succeeded: the erased bytes must not wait for it.
        purge_erased_bytes(tenant_policy, [value, *outcome.calls_erased])
    if refreshed is not None and not refreshed.success:
        raise typer.Exit(1)
    console.print(f"done in {time.monotonic() - began:.1f} s (marts and bytes included)")


def purge_erased_bytes(tenant_policy, mentioning: list[str]) -> None:
    """Purge the warehouse (the DuckDB file's rewrite, or the lake's) and delete the Dagster
    runs and dbt artefacts that name the erased subject or calls (see "How long erased bytes
    survive" in docs/compliance.md)."""
    cutoff = datetime.now(UTC) - tenant_policy.window("run_logs", REQUIRED_WINDOWS["run_logs"])
    with dg.DagsterInstance.get() as instance:
        try:
            report = purge_remnants(
                RemnantTargets.from_environment(), cutoff, mentioning=mentioning, instance=instance
            )
        except RemnantPurgeError as exc:
            console.print(f"[red]the erased bytes could not all be purged:[/] {exc}")
            raise typer.Exit(1) from exc
    meta = report.metadata()
    console.print(
        f"bytes purged in {meta['purge_seconds']:.1f} s: {purged_warehouse(report)}, "
        f"{meta.get('runs_deleted', 0)} Dagster run(s) and "
        f"{meta.get('dbt_artefacts_removed', 0)} dbt artefact(s) naming them deleted"
    )


@hold_app.command("place")
def hold_place(
    reason: Annotated[str, typer.Option(help="Why the data must be kept.")],
    call: Annotated[str | None, typer.Option(help="Hold one call.")] = None,
    agent: Annotated[str | None, typer.Option(help="Hold all of an agent's calls.")] = None,
    as_user: AS_USER = None,
) -> None:
    """Place a legal hold (owner or compliance; recorded as yours)."""
    apply_embedded_defaults()
    if bool(call) == bool(agent):
        fail("give exactly one of --call, --agent")
    _, who = identity(as_user, "hold place", Action.HOLD)
    objects = store()
    try:
        with catalog() as con:
            try:
                hold = place_hold(
                    con, "call" if call else "agent", call or agent, reason, who.actor, objects
                )
            finally:  # a refused hold is audited too
                anchor(con, objects)
    except HoldError as exc:
        fail(f"{exc} (no hold was placed)")
    console.print(f"hold {hold.hold_id} placed on {hold.scope} {hold.subject}")


@hold_app.command("release")
def hold_release(
    hold_id: str,
    reason: Annotated[str, typer.Option(help="Why the hold ends.")],
    as_user: AS_USER = None,
) -> None:
    """Release a legal hold (the next sweep deletes what is past its deadline)."""
    apply_embedded_defaults()
    _, who = identity(as_user, "hold release", Action.HOLD)
    objects = store()
    try:
        with catalog() as con:
            release_hold(con, hold_id, who.actor, reason, store=objects)
            anchor(con, objects)
    except HoldError as exc:
        fail(str(exc))
    console.print(f"hold {hold_id} released")


@hold_app.command("list")
def hold_list(as_user: AS_USER = None) -> None:
    """List open legal holds."""
    apply_embedded_defaults()
    identity(as_user, "hold list", Action.HOLD)
    with catalog() as con:
        holds = active_holds(con)
    table = Table("hold", "scope", "subject", "reason", "placed by", "placed at")
    for h in holds:
        table.add_row(
            h["hold_id"], h["scope"], h["subject"], h["reason"], h["placed_by"], str(h["placed_at"])
        )
    console.print(table)


@audit_app.command("verify")
def audit_verify(as_user: AS_USER = None) -> None:
    """Check the audit log's keyed chain against its anchored head; exit 1 naming the first bad
    entry (or what else is wrong: the heads file, a checkpoint, the log's id)."""
    apply_embedded_defaults()
    identity(as_user, "audit verify", Action.AUDIT)
    with catalog(read_only=True) as con:
        result = audit.verify_anchored(con, store())
    if result.ok:
        console.print(f"[green]audit log intact[/]: {result.entries} entries")
        return
    where = f" at entry {result.first_bad_seq}" if result.first_bad_seq is not None else ""
    console.print(f"[red]audit log broken{where}[/]: {result.problem}")
    raise typer.Exit(1)


@app.command()
def lineage(
    call_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Emit JSON.")] = False,
    as_user: AS_USER = None,
) -> None:
    """A call's legal basis, consent evidence, objects with deadlines and receipts, holds, reads
    (oversight roles: every call; team leads: their teams' calls)."""
    apply_embedded_defaults()
    _, who = identity(as_user, "lineage", Action.LINEAGE)
    try:
        with catalog(read_only=True) as con:
            data = call_lineage(con, call_id)
    except UnknownCall as exc:
        fail(str(exc))
    try:  # with the read-only connection closed: a refusal is written to the catalogue
        # A call whose catalogue row is gone has no team: only the oversight roles see it.
        require(who, Action.LINEAGE, "lineage", team=data["call"].get("team") or "")
    except Refused as exc:
        refused(exc)
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_lineage(data)


def _print_lineage(data: dict) -> None:
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
    from_date: FROM_DATE,
    to_date: TO_DATE,
    out: Annotated[Path, typer.Option(help="The HTML file to write.")],
    as_user: AS_USER = None,
) -> None:
    """Write the self-contained HTML compliance report for a period (oversight roles)."""
    apply_embedded_defaults()
    identity(as_user, "report", Action.REPORT)
    with catalog(read_only=True) as con:
        data = period_report(con, date.fromisoformat(from_date), date.fromisoformat(to_date))
    write_report(data, out)
    totals = data["totals"]
    console.print(
        f"wrote {out}: {totals['calls']} calls, {totals['deletions']} deletions "
        f"({totals['deletions_late']} late), {totals['open_holds']} open holds, "
        f"{totals['erasure_requests']} erasure requests"
    )
