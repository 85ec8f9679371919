"""The layers point one way: import-linter's contracts (pyproject.toml) hold, no first-party
import hides inside a function, and no first-party modules import each other in a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("lydspor", "orchestration", "assets", "expectations")
#: Where imports are checked: the packages, and the benchmark scripts that use them.
CHECKED = (*FIRST_PARTY, "benchmarks")
#: First-party imports deliberately made inside a function, with why (anything else fails).
DEFERRED = {
    ("lydspor/demo.py", "assets.common.dbt_project"): "dagster-dbt imports dbt (seconds): only "
    "the commands that run the pipeline or the UI pay for it",
    ("lydspor/demo.py", "orchestration.definitions"): "its dbt assets read the manifest when "
    "they are defined: it is imported after the manifest is prepared",
}


def python_files() -> Iterator[Path]:
    for root in CHECKED:
        yield from sorted((REPO / root).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(node: ast.Import | ast.ImportFrom, known: set[str]) -> list[str]:
    """The first-party modules an import statement names (``from a import b`` names ``a.b``
    where that is a module, else ``a``)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    return [n for n in names if n.split(".")[0] in FIRST_PARTY]


def imports_of(path: Path, known: set[str]) -> tuple[set[str], list[tuple[str, int]]]:
    """(modules imported at module level, (module, line) imported inside functions)."""
    top: set[str] = set()
    inner: list[tuple[str, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for name in imported_modules(child, known):
                    if in_function:
                        inner.append((name, child.lineno))
                    else:
                        top.add(name)
            nested = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, in_function or nested)

    visit(ast.parse(path.read_text()), False)
    return top, inner


def test_import_contracts_hold():
    """lint-imports: lydspor > orchestration > domains > expectations > assets.common."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_no_first_party_import_hides_in_a_function():
    """A first-party import inside a function hides a dependency (or a cycle) from the layers;
    lazy imports of heavy third-party libraries (torch, senko, whisperx) are fine."""
    known = {module_name(p) for p in python_files()}
    hidden = []
    for path in python_files():
        where = path.relative_to(REPO).as_posix()
        for name, line in imports_of(path, known)[1]:
            if (where, name) not in DEFERRED:
                hidden.append(f"{where}:{line} imports {name}")
    assert not hidden, "\n".join(hidden)


def test_first_party_modules_import_no_cycle():
    known = {module_name(p) for p in python_files()}
    graph = {
        module_name(p): imports_of(p, known)[0] & known
        for p in python_files()
        if module_name(p).split(".")[0] in FIRST_PARTY
    }
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        assert cycle is None, " -> ".join(cycle)
