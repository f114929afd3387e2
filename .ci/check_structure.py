#!/usr/bin/env python3
"""Structural rules of the ``forecasting`` package (run by the test suite).

Each rule prints one line per offence; the exit code is the number of offences
(capped at 100). Rules:

1. no module over 800 lines;
2. no function over 100 lines;
3. at most 10 modules at the top level of ``forecasting/``;
4. no private name (``_x``) imported from, or read off, another forecasting module;
5. no import cycle between forecasting modules, counting imports inside functions;
6. no streamlit import outside ``forecasting/ui/``;
7. no hand-typed list of two or more registered model names outside the registry.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "forecasting"
MAX_MODULE, MAX_FUNCTION, MAX_TOP = 800, 100, 10
REGISTRY_FILE = PKG / "models" / "registry.py"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def is_module(name: str, mods: dict[str, Path]) -> bool:
    return name in mods


def resolve(node: ast.ImportFrom, current: str, is_pkg: bool) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".")
    base = base if is_pkg else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(tree: ast.AST, current: str, is_pkg: bool, mods: dict[str, Path]):
    """(target module, imported names, line) for every forecasting import, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("forecasting"):
                    yield a.name, [], node.lineno, {a.asname or a.name.split(".")[0]: a.name}
        elif isinstance(node, ast.ImportFrom):
            src = resolve(node, current, is_pkg)
            if not src.startswith("forecasting"):
                continue
            aliases = {}
            for a in node.names:
                sub = f"{src}.{a.name}"
                if is_module(sub, mods):
                    aliases[a.asname or a.name] = sub
            yield src, [a.name for a in node.names], node.lineno, aliases


def in_type_checking(tree: ast.AST) -> set[int]:
    """Lines of imports under ``if TYPE_CHECKING:`` (no runtime edge)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                for n in ast.walk(sub):
                    if isinstance(n, ast.Import | ast.ImportFrom):
                        lines.add(n.lineno)
    return lines


def registered_models() -> set[str]:
    """The registry's model names (the registry is the one place that may list them)."""
    sys.path.insert(0, str(ROOT))
    from forecasting.models import available

    return set(available())


def check() -> list[str]:
    mods = modules()
    problems: list[str] = []
    graph: dict[str, set[str]] = defaultdict(set)
    model_names = registered_models()
    top = [p for p in PKG.glob("*.py")]
    if len(top) > MAX_TOP:
        problems.append(f"forecasting/: {len(top)} top-level modules (max {MAX_TOP})")
    for name, path in mods.items():
        rel = path.relative_to(ROOT)
        text = path.read_text("utf-8")
        n_lines = text.count("\n") + 1
        if n_lines > MAX_MODULE:
            problems.append(f"{rel}: {n_lines} lines (max {MAX_MODULE})")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION:
                    problems.append(
                        f"{rel}:{node.lineno}: function {node.name} has {length} lines"
                        f" (max {MAX_FUNCTION})"
                    )
        typing_only = in_type_checking(tree)
        is_pkg = path.name == "__init__.py"
        aliases: dict[str, str] = {}
        for src, names, line, found in imports(tree, name, is_pkg, mods):
            aliases.update(found)
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    problems.append(f"{rel}:{line}: imports private name {n} from {src}")
            if line in typing_only:
                continue
            targets = set(found.values()) or {src}
            for tgt in targets:
                while tgt and tgt not in mods:
                    tgt = tgt.rpartition(".")[0]
                if tgt and tgt != name and not name.startswith(tgt + "."):
                    graph[name].add(tgt)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                problems.append(
                    f"{rel}:{node.lineno}: uses private {aliases[node.value.id]}.{node.attr}"
                )
            if isinstance(node, ast.Import | ast.ImportFrom) and "ui" not in rel.parts[1:2]:
                mod = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                if (mod or "").split(".")[0] == "streamlit":
                    problems.append(f"{rel}:{node.lineno}: imports streamlit outside ui/")
            if path != REGISTRY_FILE and isinstance(node, ast.List | ast.Tuple | ast.Set):
                lits = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                hits = [v for v in lits if isinstance(v, str) and v in model_names]
                if len(hits) >= 2 and len(hits) == len(node.elts):
                    problems.append(
                        f"{rel}:{node.lineno}: hand-typed model list {hits} (derive it from"
                        " forecasting.models)"
                    )
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected component (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    problems = check()
    for p in problems:
        print(p)
    print(f"{len(problems)} structural problem(s)")
    return min(len(problems), 100)


if __name__ == "__main__":
    sys.exit(main())
