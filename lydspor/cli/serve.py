"""``lydspor serve``: the compliance web app; ``lydspor accounts``: its local sign-in accounts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
import uvicorn

from assets.access.authorise import Action
from assets.access.policy import AccessDenied, AccessPolicyError, load_access_policy
from lydspor.cli.shared import console, fail, identity
from lydspor.web.accounts import AccountError, Accounts
from lydspor.web.app import create_app
from lydspor.web.settings import WebSettings

app = typer.Typer()
accounts_app = typer.Typer(help="Local sign-in accounts of the web app (lydspor serve).")
app.add_typer(accounts_app, name="accounts")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    proxy_headers: Annotated[
        bool,
        typer.Option(help="Trust X-Forwarded-For/-Proto from --forwarded-allow-ips (a proxy)."),
    ] = False,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Proxies whose forwarded headers are trusted.")
    ] = "127.0.0.1",
) -> None:
    """Start the compliance web app (sign-in, lineage, report, erasures, holds, audit, marts)."""
    settings = WebSettings.from_environment()
    if not settings.warehouse.is_lake and not settings.catalogue.exists():
        console.print(f"[yellow]no catalogue at {settings.catalogue} yet[/]: run `lydspor demo`")
    console.print(f"lydspor web app on http://{host}:{port}/ (sign in: `lydspor accounts add`)")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        log_level="info",
    )


def _accounts() -> tuple[Accounts, WebSettings]:
    settings = WebSettings.from_environment()
    return Accounts(settings.accounts), settings


@accounts_app.command("add")
def accounts_add(
    user: Annotated[str, typer.Argument(help="A user of the access policy.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    replace: Annotated[bool, typer.Option(help="Set a new password for an account.")] = False,
) -> None:
    """Create a local account (argon2id hash); the role and teams stay in the access policy."""
    identity(None, "accounts add", Action.MANAGE_ACCOUNTS)
    accounts, settings = _accounts()
    try:
        load_access_policy(settings.access_policy).principal(user)
    except (AccessDenied, AccessPolicyError) as exc:
        fail(f"{exc} (add the user to the access policy first)")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.add(user, password, replace=replace)
    except AccountError as exc:
        fail(str(exc))
    console.print(f"account {user} {'updated' if replace else 'created'} in {accounts.path}")


@accounts_app.command("disable")
def accounts_disable(user: str) -> None:
    """Disable an account and end its sessions."""
    identity(None, "accounts disable", Action.MANAGE_ACCOUNTS)
    accounts, _ = _accounts()
    if not accounts.disable(user):
        fail(f"no account {user!r}")
    console.print(f"account {user} disabled, its sessions ended")


@accounts_app.command("list")
def accounts_list() -> None:
    """List the local accounts."""
    identity(None, "accounts list", Action.MANAGE_ACCOUNTS)
    accounts, _ = _accounts()
    for user, disabled in accounts.users():
        console.print(f"{user}{' (disabled)' if disabled else ''}")
