"""vigil's imports: no cycle, and the stages in a straight line.

Read from the source with ``ast``, not by importing: every ``import`` counts, at the top of a
module, inside a function (vigil imports lazily, so most are there) or under
``if TYPE_CHECKING:`` (a type is a dependency too). ``import vigil`` and
``from vigil import __version__`` run only the package's ``__init__``, which imports nothing at
its top: they are no dependency on its lazy ``vigil.build``.

- No cycle between modules, and none between the parts of vigil (its top-level modules and
  packages: importing ``vigil.assemble.join`` runs ``vigil/assemble/__init__.py`` first, and
  a part is one piece of the design): a cycle is named with the imports that make it.
- Stages in a line: read < compose < typeset < assemble < check < publish; a stage imports
  only earlier stages and the shared utilities below them; a shared utility imports only
  shared utilities; the orchestrators above (the build cache, the pipeline, the commands
  around it) import what is below them, never one above.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src"

# Each top-level module or package of vigil, by its name under ``vigil.``, and its rank: a
# module may import a module of its own part, or of a part of a lower rank (utilities, rank 0,
# may import one another).
UTILITY = 0
RANKS: dict[str, int] = {
    # shared utilities
    "errors": UTILITY, "sandbox": UTILITY, "resources": UTILITY, "usercache": UTILITY,
    "i18n": UTILITY, "limits": UTILITY, "pdf": UTILITY, "workers": UTILITY,
    "profiles": UTILITY, "dependencies": UTILITY, "programs": UTILITY, "hyphenation": UTILITY,
    "pdfart": UTILITY, "cacheoption": UTILITY, "options": UTILITY, "store": UTILITY,
    "jsontypes": UTILITY,
    # the six stages
    "read": 1, "compose": 2, "typeset": 3, "assemble": 4, "check": 5, "publish": 6,
    # orchestrators
    "result": 7, "cache": 8, "pipeline": 9,
    "console": 10,  # what the commands print of a build
    "watch": 11, "archive": 11, "clean": 11, "scaffold": 11,
    "serve": 12,
    "feedback": 13,
    "cli": 14,
    "__main__": 15, "": 15,  # "": the package itself (vigil.build, vigil.read_publication)
}

# Known edges against the rules, each with the reason it is allowed (none today).
KNOWN_EDGES: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SOURCE / "vigil").rglob("*.py")):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of vigil that importing ``name`` runs (a name inside a module: the module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Each module of vigil that ``module`` imports, with the line, wherever the import is."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names
                     if not (base == "vigil" and alias.name == "__version__")]
        for name in names:
            # ``import vigil`` (its __file__) and ``from vigil import __version__`` run only
            # the package's __init__, which imports nothing; its lazy ``vigil.build`` is an
            # import of the pipeline by whoever calls it, written as such where it is.
            if name.startswith("vigil."):
                target = _resolve(name)
                if target is not None and target != module:
                    yield target, node.lineno


def _graph() -> dict[str, dict[str, int]]:
    """module → {module it imports: the line of the first such import}."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in MODULES.items():
        edges = graph.setdefault(module, {})
        for target, line in _imported(module, path):
            if (module, target) not in KNOWN_EDGES:
                edges.setdefault(target, line)
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The cycles of ``graph``: in each strongly connected component of more than one node
    (Tarjan), a shortest cycle through each of its nodes (once each), in import order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(start: str) -> None:  # iterative: no recursion limit on a long chain
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(component)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    cycles: list[list[str]] = []
    seen: set[frozenset[tuple[str, str]]] = set()
    for component in components:
        for start in sorted(component):
            cycle = _a_cycle(graph, component, start)
            edges = frozenset(pairwise(cycle))
            if edges not in seen:
                seen.add(edges)
                cycles.append(cycle)
    return cycles


def _a_cycle(graph: dict[str, dict[str, int]], component: set[str], start: str) -> list[str]:
    """A shortest cycle from ``start`` through ``component`` (breadth first)."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node]):
                if target == start:
                    return [*paths[node], start]
                if target in component and target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def _named(graph: dict[str, dict[str, int]], cycle: list[str]) -> str:
    steps = [f"{a} (line {graph[a][b]})" for a, b in pairwise(cycle)]
    return " → ".join([*steps, cycle[-1]])


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _parts_graph(graph: dict[str, dict[str, int]]) -> tuple[
        dict[str, dict[str, int]], dict[tuple[str, str], str]]:
    """The graph of the parts of vigil, and for each of its edges one import that makes it."""
    parts: dict[str, dict[str, int]] = {_part(module) or "vigil": {} for module in graph}
    by: dict[tuple[str, str], str] = {}
    for module, edges in sorted(graph.items()):
        for target, line in sorted(edges.items()):
            ours, theirs = _part(module) or "vigil", _part(target) or "vigil"
            if ours != theirs and theirs not in parts[ours]:
                parts[ours][theirs] = line
                by[(ours, theirs)] = f"{module} line {line} imports {target}"
    return parts, by


def test_no_import_cycles_between_modules() -> None:
    graph = _graph()
    cycles = [_named(graph, cycle) for cycle in _cycles(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_import_cycles_between_parts() -> None:
    parts, by = _parts_graph(_graph())
    cycles = [" → ".join(cycle) + " (" + "; ".join(
        by[(a, b)] for a, b in pairwise(cycle)) + ")"
        for cycle in _cycles(parts)]
    assert not cycles, "import cycles between parts of vigil:\n" + "\n".join(cycles)


def test_every_part_of_vigil_has_a_rank() -> None:
    assert {_part(module) for module in MODULES} <= set(RANKS), \
        "give each new top-level module or package its rank in RANKS"


def test_stages_import_only_earlier_stages_and_utilities() -> None:
    graph = _graph()
    wrong = []
    for module, edges in sorted(graph.items()):
        ours = _part(module)
        for target, line in sorted(edges.items()):
            theirs = _part(target)
            if ours == theirs:
                continue
            rank, other = RANKS[ours], RANKS[theirs]
            if other > rank or (other == rank and rank != UTILITY):
                wrong.append(f"{module} (line {line}) imports {target}: "
                             f"{ours or 'vigil'} ({rank}) may not import {theirs} ({other})")
    assert not wrong, "imports against the order of the stages:\n" + "\n".join(wrong)


@pytest.mark.parametrize(("code", "expected"), [
    ("import vigil.typeset.sections\n", "vigil.typeset.sections"),
    ("def f():\n    from vigil.assemble.join import join\n", "vigil.assemble.join"),
    ("from vigil import workers\n", "vigil.workers"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from vigil.read import X\n",
     "vigil.read"),
    ("from vigil import __version__\nimport vigil\n", None),
    ("from vigil import __version__, workers\n", "vigil.workers"),
    ("from . import chunks\n", "vigil.typeset.chunks"),
])
def test_the_reader_of_imports_sees_every_kind(tmp_path: Path, code: str,
                                                expected: str | None) -> None:
    path = tmp_path / "probe.py"
    path.write_text(code, encoding="utf-8")
    found = [target for target, _ in _imported("vigil.typeset.probe", path)]
    assert found == ([expected] if expected else [])


def test_a_cycle_is_found_and_named() -> None:
    graph = {"vigil.a": {"vigil.b": 3}, "vigil.b": {"vigil.c": 5}, "vigil.c": {"vigil.a": 7},
             "vigil.d": {"vigil.a": 1}}
    cycles = _cycles(graph)
    assert cycles == [["vigil.a", "vigil.b", "vigil.c", "vigil.a"]]
    assert _named(graph, cycles[0]) == \
        "vigil.a (line 3) → vigil.b (line 5) → vigil.c (line 7) → vigil.a"
