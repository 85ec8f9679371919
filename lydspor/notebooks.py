"""Execute the analyst notebooks headless and keep what they show (executed copy + HTML)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from assets.access.identity import ACT_AS_VARIABLE

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"


@dataclass(frozen=True)
class NotebookRun:
    name: str
    seconds: float
    plots: int
    executed: Path
    html: Path


def notebook_paths(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    return sorted(directory.glob("*.ipynb"))


def run_notebook(
    path: Path, out_dir: Path, act_as: str | None = None, timeout_s: int = 300
) -> NotebookRun:
    """Run ``path`` top to bottom as the OS account's user, or acting for ``act_as`` (the
    kernel's ``connect()`` honours that only for an owner, and audits it); raise on the first
    failing cell."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    previous = os.environ.pop(ACT_AS_VARIABLE, None)
    if act_as:
        os.environ[ACT_AS_VARIABLE] = act_as  # the kernel inherits it
    started = time.perf_counter()
    try:
        NotebookClient(
            nb,
            timeout=timeout_s,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent.parent)}},
        ).execute()
    finally:
        os.environ.pop(ACT_AS_VARIABLE, None)
        if previous is not None:
            os.environ[ACT_AS_VARIABLE] = previous
    seconds = time.perf_counter() - started
    plots = sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    nbformat.write(nb, executed)
    html = out_dir / f"{path.stem}.html"
    html.write_text(HTMLExporter().from_notebook_node(nb)[0])
    return NotebookRun(path.stem, round(seconds, 1), plots, executed, html)
