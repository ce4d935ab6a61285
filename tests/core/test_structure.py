"""The package's shape: no import cycles, no module importing a layer above it,
no function longer than a screen.

The layers, lowest first. A module may import modules of its own layer or of a
lower one (imports inside functions count too); a module not named here
fails the test until it is given a layer.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "matcher"

LAYERS: list[tuple[str, ...]] = [
    # 0. foundations: errors, geometry, the frozen domain types, process pools
    ("matcher.version", "matcher.jsontext", "matcher.digest", "matcher.errors", "matcher.geo", "matcher.bitsets", "matcher.model", "matcher.windows", "matcher.parallel"),
    # 1. reading a round and turning it into arrays; the typed output document
    ("matcher.jsondoc", "matcher.crossref", "matcher.columns", "matcher.bulkcheck", "matcher.validation", "matcher.results", "matcher.tables", "matcher.candidates", "matcher.problem", "matcher.locks"),
    # 2. solving and checking the arrays
    ("matcher.solvers", "matcher.verify", "matcher.reasons", "matcher.kpis"),
    # 3. building the output document
    ("matcher.output",),
    # 4. the one wiring of a round
    ("matcher.service",),
    # 5. features built on rounds
    ("matcher.whatif", "matcher.tabular", "matcher.report", "matcher.cycle", "matcher.recommend", "matcher.i18n"),
    # 6. persistence and background work
    ("matcher.store", "matcher.worker"),
    # 7. the HTTP API and console
    ("matcher.web", "matcher.console"),
    # 8. the command line, and the package's public face
    ("matcher.cli", "matcher"),
]

# Deliberately long: the verifier's plain loops (independent of the vectorised
# engine on purpose) and the Alembic migrations (declarative table lists).
LONG_FUNCTIONS_ALLOWED = {"matcher/verify.py:verify"}
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


def _layer_of(module: str) -> int:
    best, best_len = None, -1
    for k, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best_len:
                best, best_len = k, len(name)
    if best is None:
        raise AssertionError(f"{module} has no layer: add it to LAYERS in {Path(__file__).name}")
    return best


def _imports(module: str, path: Path) -> set[str]:
    """matcher modules imported by ``module`` (resolved relative imports; any depth in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name == "matcher" or a.name.startswith("matcher."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "matcher" or target.startswith("matcher."):
                for alias in node.names:  # `from . import solvers` imports the module, not the package
                    sub = f"{target}.{alias.name}"
                    out.add(sub if sub in _MODULES else target)
        if isinstance(node, ast.Import) and any(a.name == "api" for a in node.names):
            out.add("api")
        if isinstance(node, ast.ImportFrom) and not node.level and node.module == "api":
            out.add("api")
    out.discard(module)
    return out


_MODULES = _modules()
GRAPH = {m: _imports(m, p) for m, p in _MODULES.items()}


def test_every_module_has_a_layer():
    for module in _MODULES:
        _layer_of(module)


def test_no_module_imports_a_layer_above_it():
    upward = []
    for module, targets in GRAPH.items():
        for target in sorted(targets):
            if target == "api":
                upward.append(f"{module} imports the top-level api.py")
            elif target in _MODULES and _layer_of(target) > _layer_of(module):
                upward.append(f"{module} (layer {_layer_of(module)}) imports {target} (layer {_layer_of(target)})")
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    # the package __init__ re-exports the public names; it is not part of a cycle
    graph = {m: {t for t in ts if t in GRAPH and t != "matcher"} for m, ts in GRAPH.items() if m != "matcher"}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            # a package importing its own submodules (re-exports) is not a cycle
            if len(comp) > 1 and not _only_package_reexports(comp):
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def _only_package_reexports(comp: list[str]) -> bool:
    """True when every edge inside ``comp`` that closes the cycle starts at a package's __init__."""
    inside = set(comp)
    non_init = {m for m in comp if _MODULES[m].name != "__init__.py"}
    edges = [(a, b) for a in non_init for b in GRAPH[a] if b in inside and b in non_init]
    # cycles among plain modules are real; cycles that need an __init__ edge are re-exports
    reach: dict[str, set[str]] = {a: {b for x, b in edges if x == a} for a in non_init}
    for a in non_init:
        seen, todo = set(), list(reach[a])
        while todo:
            b = todo.pop()
            if b == a:
                return False
            if b not in seen:
                seen.add(b)
                todo.extend(reach.get(b, ()))
    return True


def _long_functions() -> list[str]:
    out = []
    for path in _MODULES.values():
        rel = path.relative_to(PACKAGE.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and f"{rel}:{node.name}" not in LONG_FUNCTIONS_ALLOWED:
                    out.append(f"{rel}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_no_function_longer_than_a_screen():
    long = _long_functions()
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)


@pytest.mark.parametrize("module", ["matcher.solvers.flow", "matcher.validation"])
def test_layer_lookup_uses_the_longest_prefix(module):
    assert _layer_of(module) in (1, 2)


def test_ruff_is_clean():
    """The lint configuration in pyproject.toml holds for the whole tree."""
    import shutil
    import subprocess
    import sys

    ruff = Path(sys.executable).with_name("ruff")
    exe = str(ruff) if ruff.exists() else shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed (it comes with the test extras)")
    out = subprocess.run([exe, "check", "--output-format", "concise", "--no-cache", str(PACKAGE.parent)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
