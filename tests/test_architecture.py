"""The layout ARCHITECTURE.md describes: no import cycles, and each room imports only the rooms below it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("chizai", "ingest", "assistant", "evals", "bench")
# room → rooms it must never import (module prefixes)
FORBIDDEN = {
    "chizai": ("assistant", "ingest", "evals", "bench"),
    "ingest": ("assistant", "evals", "bench"),
    "assistant": ("evals", "bench"),
    "assistant.answer": ("assistant.ui", "assistant.tickets"),
    "assistant.retrieval": ("assistant.answer", "assistant.handoff", "assistant.ui", "assistant.tickets"),
    "assistant.handoff": ("assistant.answer", "assistant.ui", "assistant.tickets", "ingest"),
    "assistant.tickets": ("assistant.answer", "assistant.retrieval", "assistant.ui", "ingest"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """First-party module → first-party modules it imports (at any depth of the file, lazy imports included)."""
    files = [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py") if "migrations" not in p.parts]
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            deps |= {t for t in targets if t in modules and t != name}
        graph[name] = deps
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    assert _cycle(import_graph()) is None


def test_cycle_detector_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_rooms_import_only_what_is_below_them() -> None:
    bad = []
    for module, deps in import_graph().items():
        for room, forbidden in FORBIDDEN.items():
            if module == room or module.startswith(room + "."):
                bad += [f"{module} → {d}" for d in deps if any(d == f or d.startswith(f + ".") for f in forbidden)]
    assert not bad, bad


def test_architecture_md_names_every_module() -> None:
    """ARCHITECTURE.md has one line per module: a new module without a line there fails here."""
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [
        name for name in import_graph()
        if not name.endswith("__main__") and name.split(".")[-1] != "__init__"
        and f"`{name.replace('.', '/')}" not in text and f"`{name}`" not in text
    ]
    assert not missing, missing
