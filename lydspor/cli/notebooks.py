"""``lydspor notebooks``: the analyst notebooks executed as a user, with their plots kept."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assets.access.authorise import Action
from assets.common.settings import apply_embedded_defaults
from lydspor.cli.shared import AS_USER, console, identity
from lydspor.notebooks import notebook_paths, run_notebook

app = typer.Typer()


@app.command()
def notebooks(
    as_user: AS_USER = None,
    out: Annotated[Path, typer.Option(help="Where executed notebooks and HTML go.")] = Path(
        "data/state/notebooks"
    ),
) -> None:
    """Run the analyst notebooks against the catalogue as a user; write executed copies + HTML."""
    apply_embedded_defaults()
    # Checked here for a clear refusal; each kernel's connect() checks (and audits) again.
    _, who = identity(as_user, "notebooks", Action.READ_MARTS)
    table = Table("notebook", "plots", "seconds", "html", title=f"notebooks as {who.actor}")
    failed = 0
    for path in notebook_paths():
        with console.status(f"running {path.name}"):
            try:
                run = run_notebook(path, out, who.principal.user if who.acting_for else None)
            except Exception as exc:  # a failing cell: report it, run the others
                console.print(f"[red]{path.name} failed:[/] {str(exc).strip()[-600:]}")
                failed += 1
                continue
        table.add_row(run.name, str(run.plots), str(run.seconds), str(run.html))
    console.print(table)
    if failed:
        raise typer.Exit(1)
