"""The package's import graph: no cycles, and no import up the layers.

Why a test: the cycles that were patched with function-level imports came back one at a time;
this reads every ``import`` (module level and inside functions) with ``ast`` and fails on the
first one that runs upwards or closes a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import planner

ROOT = Path(planner.__file__).parent

#: Lowest first. A module may import its own package and any package of a lower layer.
LAYERS = [
    {"errors", "schema", "plan_schema", "units", "helper"},
    {"config", "options", "tables", "validate", "validate_network", "validate_leases", "record"},
    {"io"},
    {"network", "solver"},
    {"forecast", "optimize", "verify", "verify_leases"},
    {"survive", "scenarios"},
    {"report"},
    {"pipeline"},
    {"sweep"},
    {"commands"},
    {"cli", "docs", "__main__", "__init__"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def _imports() -> dict[str, set[str]]:
    """Module name -> planner modules it imports (anywhere in the file)."""
    graph: dict[str, set[str]] = {}
    for f in sorted(ROOT.rglob("*.py")):
        parts = f.relative_to(ROOT.parent).with_suffix("").parts
        mod = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        is_pkg = parts[-1] == "__init__"
        deps = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {a.name + ".*" for a in node.names if a.name.startswith("planner")}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against this module's package
                    pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
                if base.startswith("planner"):
                    deps |= {f"{base}.{a.name}" for a in node.names}  # resolved below
        graph[mod] = deps
    known = set(graph)
    for mod, deps in graph.items():
        # ``from pkg import name``: the submodule if ``name`` is one, else the package; an
        # import of a module's own ancestor package is not an edge (it is initialised first)
        res = {d if d in known else d.rpartition(".")[0] for d in deps}
        res = {d if d in known else d.rpartition(".")[0] for d in res}
        graph[mod] = {d for d in res if d != mod and not mod.startswith(d + ".")}
    return graph


def _top(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_top_level_module_has_a_layer():
    tops = {_top(m) for m in _imports()}
    assert tops <= set(LAYER), f"add to LAYERS: {sorted(tops - set(LAYER))}"


def test_no_import_runs_up_the_layers():
    bad = [
        f"{m} -> {d}"
        for m, deps in _imports().items()
        for d in deps
        if _top(d) != _top(m) and LAYER[_top(d)] > LAYER[_top(m)]
    ]
    assert not bad, "imports up the layers:\n" + "\n".join(sorted(bad))


def test_verify_is_independent_of_the_optimiser():
    deps = _imports()["planner.verify"]
    assert not [d for d in deps if _top(d) in ("optimize", "network", "solver")]


def test_only_the_solver_layer_imports_highspy():
    users = [
        str(f.relative_to(ROOT))
        for f in ROOT.rglob("*.py")
        if "highspy"
        in {
            a.name.split(".")[0]
            for n in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
            if isinstance(n, ast.Import)
            for a in n.names
        }
        | {
            (n.module or "").split(".")[0]
            for n in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
            if isinstance(n, ast.ImportFrom)
        }
    ]
    assert all(u.startswith("solver/") for u in users), users


def test_no_import_cycles():
    graph = _imports()
    # an import of a package runs its __init__: resolve "planner.x.y" to the deepest module
    known = set(graph)

    def resolve(d: str) -> str | None:
        while d and d not in known:
            d = d.rpartition(".")[0]
        return d or None

    edges = {m: {r for d in deps if (r := resolve(d)) and r != m} for m, deps in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(edges[m]):
            if state.get(d) == 1:
                return stack[stack.index(d) :] + [d]
            if d not in state and (cycle := visit(d)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (cycle := visit(m)):
            raise AssertionError("import cycle: " + " -> ".join(cycle))
