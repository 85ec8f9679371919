"""The committed notebooks are exactly what ``notebooks/build.py`` writes (no hand edits)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_committed_notebooks_match_their_source(tmp_path):
    spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    written = build.build(tmp_path)
    assert {p.name for p in written} == {p.name for p in NOTEBOOKS.glob("*.ipynb")}
    for path in written:
        stale = (NOTEBOOKS / path.name).read_text() != path.read_text()
        assert not stale, f"{path.name}: run `uv run python notebooks/build.py`"
