"""Architecture tests: the layers, no import cycles, and a cheap ``import attrition``.

The package is layered, top to bottom::

    cli > jobs > tracking > reporting > scoring > analysis > models > snapshots
        > features > data > (exceptions | _version | _lazy)

A module may import from its own layer and the layers below it, never from a
layer above: not directly, not through another module, not inside a
function. ``attrition/__init__.py`` is a lazy façade over the layers (public
names are imported on first use) and ``attrition/__main__.py`` is the entry
point; both stand outside the layers, and no module of the package imports
from the façade.

The layers contract lives in ``pyproject.toml`` (``[tool.importlinter]``);
``lint-imports`` checks it from the command line too.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
PACKAGE = "attrition"
PACKAGE_DIR = SRC / PACKAGE

#: Optional or slow third-party packages that ``import attrition`` and ``attrition --help`` must
#: not load.
HEAVY = ("mlflow", "shap", "matplotlib")

#: Imports of attrition modules allowed inside function bodies: module -> allowed targets (a
#: target and its submodules). The command line, the top layer, imports what each command
#: runs inside that command so that ``attrition --help`` stays instant (the layers contract
#: still checks where those imports point). Nothing else may defer an import of attrition
#: code: a deferred import hides a dependency from the layers contract's reader and usually
#: papers over a cycle.
LAZY_ATTRITION_IMPORTS_ALLOWED: dict[str, tuple[str, ...]] = {
    "attrition.cli": ("attrition.jobs", "attrition.data", "attrition.reporting"),
}

SUBPROCESS_TIMEOUT = 600


# --------------------------------------------------------------------------- source parsing


@dataclass(frozen=True)
class SourceModule:
    name: str  # dotted module name, "attrition.data._loading"
    path: Path
    is_package: bool  # an __init__.py

    @property
    def rel(self) -> str:
        return self.path.relative_to(REPO).as_posix()


@dataclass(frozen=True)
class FoundImport:
    module: SourceModule
    line: int
    code: str  # the statement, unparsed
    targets: tuple[str, ...]  # absolute names of the modules it imports
    function: str | None  # innermost enclosing function, None at module level

    def __str__(self) -> str:
        where = f" (in {self.function}())" if self.function else ""
        return f"{self.module.rel}:{self.line}{where}: {self.code}"


def _source_modules() -> list[SourceModule]:
    modules = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules.append(SourceModule(".".join(parts), path, is_package))
    return modules


MODULES = _source_modules()
MODULE_NAMES = {m.name for m in MODULES}


def _resolve_base(module: SourceModule, node: ast.ImportFrom) -> str:
    """The absolute name of the module in ``from <base> import ...``."""
    if node.level == 0:
        return node.module or ""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    parts = package.split(".")
    if node.level - 1 > len(parts) - 1:
        raise ValueError(f"{module.rel}:{node.lineno}: relative import beyond the top-level package")
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def _targets(module: SourceModule, node: ast.AST) -> tuple[str, ...]:
    """Absolute names of the modules an import statement (or import call) loads.

    ``from pkg import name`` targets ``pkg.name`` when that is a module of the package (a
    submodule import), else ``pkg`` itself (an attribute of the package's ``__init__``).
    """
    if isinstance(node, ast.Import):
        return tuple(alias.name for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        base = _resolve_base(module, node)
        found = []
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            found.append(candidate if candidate in MODULE_NAMES else base)
        return tuple(dict.fromkeys(found))
    if isinstance(node, ast.Call):  # importlib.import_module("x") / __import__("x")
        return (node.args[0].value,)
    raise TypeError(node)


def _is_import_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not node.args:
        return False
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in {"import_module", "__import__"}


class _ImportCollector(ast.NodeVisitor):
    """Every import statement of a module, with the function it sits in (if any)."""

    def __init__(self, module: SourceModule):
        self.module = module
        self.functions: list[str] = []
        self.found: list[FoundImport] = []

    def _add(self, node: ast.AST) -> None:
        self.found.append(FoundImport(
            module=self.module,
            line=node.lineno,
            code=ast.unparse(node),
            targets=_targets(self.module, node),
            function=".".join(self.functions) if self.functions else None,
        ))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        self._add(node)

    visit_ImportFrom = visit_Import

    def visit_Call(self, node: ast.Call) -> None:
        if _is_import_call(node):
            self._add(node)
        self.generic_visit(node)


def _all_imports() -> list[FoundImport]:
    found: list[FoundImport] = []
    for module in MODULES:
        tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
        collector = _ImportCollector(module)
        collector.visit(tree)
        found.extend(collector.found)
    return found


def _is_attrition(target: str) -> bool:
    return target == PACKAGE or target.startswith(PACKAGE + ".")


def _is_under(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


# --------------------------------------------------------------------------- 1. layers contract


def test_layers_contract_holds():
    """``lint-imports`` (the contract in pyproject.toml) passes; its report is shown if not."""
    pytest.importorskip("importlinter")
    # In a fresh interpreter: lint_imports puts the working directory on sys.path. No cache
    # folder is written; the logo (import-linter >= 2.4) is left out where it can be.
    code = textwrap.dedent(f"""
        import inspect, sys
        from importlinter.cli import lint_imports
        options = dict(config_filename={str(REPO / "pyproject.toml")!r}, no_cache=True)
        if "no_logo" in inspect.signature(lint_imports).parameters:
            options["no_logo"] = True
        sys.exit(lint_imports(**options))
    """)
    env = {**os.environ, "COLUMNS": "200"}  # rich wraps the report at 80 columns otherwise
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            env=env, timeout=SUBPROCESS_TIMEOUT)
    report = (result.stdout + result.stderr).strip()
    print(report)
    assert result.returncode == 0, f"import-linter: the layers contract is broken\n\n{report}"


# --------------------------------------------------------------------------- 2. no cycles


def _strongly_connected_components(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on long chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(edges[succ])))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _a_cycle(component: list[str], edges: dict[str, list[str]]) -> list[str]:
    """One shortest cycle through the first module of a strongly connected component."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for succ in edges[node]:
                if succ not in members:
                    continue
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if succ not in previous:
                    previous[succ] = node
                    nxt.append(succ)
        frontier = nxt
    raise AssertionError(f"no cycle in component {component}")


def test_no_import_cycles_counting_imports_inside_functions():
    """The module graph (imports in function bodies included), façade left out, is acyclic."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph(PACKAGE, cache_dir=None)  # every import statement, at any depth
    modules = sorted(m for m in graph.modules if m != PACKAGE)
    edges = {m: sorted(t for t in graph.find_modules_directly_imported_by(m) if t != PACKAGE)
             for m in modules}
    in_function = {(imp.module.name, imp.line): imp.function
                   for imp in _all_imports() if imp.function}

    cycles = [c for c in _strongly_connected_components(edges) if len(c) > 1]
    lines = []
    for component in sorted(cycles, key=len, reverse=True):
        cycle = _a_cycle(component, edges)
        lines.append(f"{len(component)} modules import each other: {', '.join(component)}")
        lines.append("  for example:")
        for importer, imported in pairwise(cycle):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                function = in_function.get((importer, detail["line_number"]))
                where = f" [inside {function}()]" if function else ""
                lines.append(f"    {importer}:{detail['line_number']}{where}: "
                             f"{detail['line_contents']}")
    report = "\n".join(lines)
    print(report or f"no cycle among {len(modules)} modules")
    assert not cycles, f"{len(cycles)} import cycle(s) among attrition's modules:\n{report}"


def test_no_module_imports_from_the_facade():
    """``from attrition import X`` inside the package would cycle through the lazy façade.

    Modules import a name from the module that defines it (``from attrition.data._tables
    import Tables``), never from ``attrition`` itself (``from attrition import Tables``,
    ``from . import Tables`` in a top-level module, ``import attrition``).
    """
    offenders = [imp for imp in _all_imports()
                 if imp.module.name != PACKAGE and PACKAGE in imp.targets]
    report = "\n".join(f"  {imp}" for imp in offenders)
    print(report or "no module imports from the façade")
    assert not offenders, (f"{len(offenders)} import(s) from the attrition façade "
                           f"(import from the defining module instead):\n{report}")


# --------------------------------------------------------------------------- 3. function-level imports


def test_imports_inside_functions_are_not_of_attrition_modules():
    """Imports inside functions are only of optional or heavy third-party packages.

    (The command line may import the jobs layer inside its commands: see
    ``LAZY_ATTRITION_IMPORTS_ALLOWED``.)
    """
    offenders = []
    for imp in _all_imports():
        if imp.function is None:
            continue
        allowed = LAZY_ATTRITION_IMPORTS_ALLOWED.get(imp.module.name, ())
        bad = [t for t in imp.targets
               if _is_attrition(t) and not any(_is_under(t, prefix) for prefix in allowed)]
        if bad:
            offenders.append(imp)
    by_module: dict[str, int] = {}
    for imp in offenders:
        by_module[imp.module.rel] = by_module.get(imp.module.rel, 0) + 1
    report = "\n".join(f"  {imp}" for imp in offenders)
    summary = "\n".join(f"  {n:3d}  {rel}" for rel, n in sorted(by_module.items()))
    print(f"{report}\nper module:\n{summary}" if offenders else "no attrition import inside a function")
    assert not offenders, (
        f"{len(offenders)} import(s) of attrition modules inside functions (move them to the top "
        f"of the module; a layer may import only the layers below it):\n{report}\n"
        f"per module:\n{summary}")


# --------------------------------------------------------------------------- 4. cheap import


def _run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args, "-c", textwrap.dedent(code)], cwd=REPO,
                          capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)


def test_import_attrition_loads_no_heavy_dependency():
    result = _run_python(f"""
        import json, sys
        import attrition
        heavy = [m for m in {HEAVY!r} if m in sys.modules]
        print(json.dumps({{"heavy": heavy, "version": attrition.__version__}}))
    """)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["heavy"] == [], f"`import attrition` imported {found['heavy']}"
    assert found["version"], "attrition.__version__ is empty"


def test_public_names_resolve_lazily():
    result = _run_python("""
        import json, sys
        import attrition
        before = "attrition.models._model" in sys.modules
        model = attrition.AttritionModel
        print(json.dumps({"before": before, "module": model.__module__,
                          "name": model.__name__, "in_dir": "AttritionModel" in dir(attrition)}))
    """)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["before"] is False, "`import attrition` imported attrition.models._model eagerly"
    assert found["name"] == "AttritionModel" and found["module"].startswith("attrition.models")
    assert found["in_dir"]


def test_dir_lists_every_public_name():
    import attrition

    assert len(set(attrition.__all__)) == len(attrition.__all__), "duplicate names in __all__"
    missing = sorted(set(attrition.__all__) - set(dir(attrition)))
    assert not missing, f"dir(attrition) lacks {missing}"
    assert "__version__" in dir(attrition)


def test_every_public_name_resolves():
    import attrition

    broken = {}
    for name in attrition.__all__:
        try:
            getattr(attrition, name)
        except Exception as exc:  # report every broken name, not only the first
            broken[name] = f"{type(exc).__name__}: {exc}"
    report = "\n".join(f"  {name}: {error}" for name, error in sorted(broken.items()))
    assert not broken, f"public names that do not resolve:\n{report}"
    with pytest.raises(AttributeError, match="no_such_name"):
        attrition.no_such_name  # noqa: B018


def _importtime_entries(stderr: str) -> list[tuple[int, str]]:
    """(depth, module) for each ``-X importtime`` line, in the order printed (children first)."""
    entries = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and not line.rstrip().endswith("imported package"):
            raw = line.rpartition("|")[2]
            entries.append((len(raw) - len(raw.lstrip()), raw.strip()))
    return entries


def _importer_chain(entries: list[tuple[int, str]], at: int) -> list[str]:
    """The module at ``entries[at]`` and the modules that imported it, innermost first."""
    depth, name = entries[at]
    chain = [name]
    for next_depth, next_name in entries[at + 1:]:
        if next_depth < depth:  # the parent is printed after its children, less indented
            chain.append(next_name)
            depth = next_depth
    return chain


def test_cli_help_loads_no_heavy_dependency():
    """``python -m attrition --help`` imports neither MLflow, SHAP nor matplotlib.

    ``-X importtime`` lists every module the interpreter imported (on stderr).
    """
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", PACKAGE, "--help"],
                            cwd=REPO, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    other_stderr = "\n".join(line for line in result.stderr.splitlines()
                             if not line.startswith("import time:"))
    assert result.returncode == 0, f"`python -m attrition --help` failed:\n{other_stderr}"
    assert "Usage" in result.stdout
    entries = _importtime_entries(result.stderr)
    heavy = sorted({name.split(".")[0] for _, name in entries} & set(HEAVY))
    chains = []
    for top in heavy:  # how each one came in: the outermost import of the package
        at = next(i for i, (_, name) in enumerate(entries) if name == top)
        chains.append("  " + " <- ".join(_importer_chain(entries, at)))
    report = "\n".join(chains)
    assert not heavy, (f"`attrition --help` imported {heavy}:\n{report}\n"
                       "Import the workflows inside the commands of attrition/cli.py.")
