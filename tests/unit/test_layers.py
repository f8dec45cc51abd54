"""Layers import downward only, and no two modules import each other (also through a chain).

Every module of ``src/econsec`` is parsed with :mod:`ast`; every ``import`` and ``from ...
import`` is collected, at module level and inside functions and ``if TYPE_CHECKING``
blocks alike. The layer order (DESIGN.md, "Layout"):

    errors/domain 0 < data 1 < metrics 2 < simulation 3 < policy 4 < analysis 5
    < reports 6 < api/cli 7

A module may import its own layer or a lower one (``cli`` may import ``api``: ``econsec
serve`` starts it). A cycle is a strongly connected set of two or more modules in the graph
of those imports. Failures name the importing file and line.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "src"
PACKAGE = ROOT / "econsec"

# distributed: executors for chunks of runs (imports errors only; used by simulation)
RANK = {"errors": 0, "domain": 0, "data": 1, "distributed": 1, "metrics": 2, "simulation": 3,
        "policy": 4,
        "analysis": 5, "trade_analysis": 5, "reports": 6, "api": 7, "cli": 7}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def rank(module: str) -> int:
    """Layer of an ``econsec`` module: the top package ``econsec`` itself is the base."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0
    if parts[1] not in RANK:
        raise AssertionError(f"{module}: no layer for econsec.{parts[1]}; add it to RANK "
                             "(and to DESIGN.md)")
    return RANK[parts[1]]


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported econsec module, line) for every import statement in *path*."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "econsec" or alias.name.startswith("econsec."):
                    yield _known(alias.name), node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            if target != "econsec" and not target.startswith("econsec."):
                continue
            for alias in node.names:  # `from econsec import analysis` imports a module
                sub = f"{target}.{alias.name}"
                yield (sub if sub in MODULES else _known(target)), node.lineno


def _known(name: str) -> str:
    """The longest prefix of *name* that is a module of the package."""
    parts = name.split(".")
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts) or name


@functools.cache
def edges() -> list[tuple[str, str, int]]:
    """(importer, imported, line) for every import between two modules of the package
    (parsed on first use, not when the file is collected: each pytest-xdist worker collects
    every file)."""
    return [(src, dst, line) for src, path in MODULES.items()
            for dst, line in imports(src, path) if dst != src]


def where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT.parent)}:{line}"


def test_the_parser_sees_module_and_function_level_imports() -> None:
    # policy/runner.py imports the engine inside run_scenario (a function-level import)
    assert ("econsec.policy.runner", "econsec.simulation.engine") in {
        (s, d) for s, d, _ in edges()}
    # api/app.py imports handlers at module level (`from econsec.api import handlers`)
    assert ("econsec.api.app", "econsec.api.handlers") in {(s, d) for s, d, _ in edges()}
    assert len(MODULES) > 50 and len(edges()) > 100


def test_layers_import_downward_only() -> None:
    upward = [f"{where(src, line)}: {src} (layer {rank(src)}) imports {dst} "
              f"(layer {rank(dst)})"
              for src, dst, line in edges()
              if rank(dst) > rank(src) and not (src.startswith("econsec.cli")
                                               and dst.startswith("econsec.api"))]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (Tarjan 1972), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                out.append(sorted(comp))
    return out


def test_strongly_connected_finds_a_planted_cycle() -> None:
    # a -> b -> c -> a is one cycle; d -> a hangs off it; e stands alone
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    comps = strongly_connected(["a", "b", "c", "d", "e"], edges)
    assert sorted(c for c in comps if len(c) > 1) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for src, dst, _ in edges():
        graph.setdefault(src, set()).add(dst)
    cycles = [c for c in strongly_connected(sorted(MODULES), graph) if len(c) > 1]
    lines = []
    for comp in cycles:
        members = set(comp)
        lines.append("cycle: " + ", ".join(comp))
        lines += [f"  {where(src, line)}: {src} imports {dst}"
                  for src, dst, line in edges() if src in members and dst in members]
    assert not cycles, "import cycles:\n" + "\n".join(lines)
