"""The folders show the layers (docs/architecture.md): every import of our packages runs down or
sideways as allowed below, and no files import each other in a loop.

Read from the source with `ast`, so nothing is imported: module-level and function-level imports
count alike (a lazy import is still a dependency); only `if TYPE_CHECKING:` blocks are left out,
since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each package of ours and the packages of ours it may import; anything else is an upward or a
# sideways import. From the bottom: the domain and the member-media SFU import nothing of ours; the
# public outputs and the minutes stand on the domain; the media worker wires the SFU and the public
# stream to the domain's log; the pages sit above the domain packages; settings, URLs and asgi.py
# wire everything.
DOMAIN = {"meetings", "livestream", "minutes"}
MAY_IMPORT: dict[str, set[str]] = {
    "meetings": set(),
    "conference": set(),
    "livestream": {"meetings", "conference"},
    "minutes": {"meetings", "livestream", "captions"},  # captions: the recording's moments of the votes
    "captions": {"meetings", "livestream"},
    "archive_search": {"meetings", "minutes", "captions"},
    "mediaworker": {"meetings", "conference", "livestream"},
    "frontend": DOMAIN | {"captions"},
    "accounts": {"meetings"},
    "config": DOMAIN | {"conference", "mediaworker", "frontend", "accounts", "captions"},
    "asgi": DOMAIN | {"conference", "mediaworker", "frontend", "accounts", "config", "captions"},
}
PACKAGES = [name for name in MAY_IMPORT if name != "asgi"]


def source_files() -> list[Path]:
    files = [path for name in PACKAGES for path in sorted((ROOT / name).rglob("*.py"))]
    return [*files, ROOT / "asgi.py"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str, str | None]]:
    """(line, module, name) of every import that runs, relative imports made absolute: `import a.b`
    gives ("a.b", None), `from a import b` gives ("a", "b"), where `b` may be a module or a name."""
    found: list[tuple[int, str, str | None]] = []
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.extend((node.lineno, base, alias.name) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def file_of(name: str, modules: dict[str, Path]) -> Path | None:
    """The file of ours that a dotted name lives in: the module itself, else the nearest package."""
    while name:
        if name in modules:
            return modules[name]
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[Path, dict[Path, int]]:
    """file -> {file it imports: line of the first such import}, our files only."""
    files = source_files()
    modules = {module_name(path): path for path in files}
    graph: dict[Path, dict[Path, int]] = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: dict[Path, int] = {}
        for line, module, name in imported_modules(tree, module_name(path), path.name == "__init__.py"):
            target = modules.get(f"{module}.{name}") if name else None
            target = target or file_of(module, modules)
            if target is not None and target != path:
                edges.setdefault(target, line)
        graph[path] = edges
    return graph


def package_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def circles(graph: dict[Path, dict[Path, int]]) -> list[list[Path]]:
    """Strongly connected components of more than one file (Tarjan)."""
    index: dict[Path, int] = {}
    low: dict[Path, int] = {}
    stack: list[Path] = []
    on_stack: set[Path] = set()
    found: list[list[Path]] = []

    def connect(node: Path) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, {}):
            if succ not in index:
                connect(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            connect(node)
    return found


def test_it_reads_every_package():
    for name in PACKAGES:
        assert (ROOT / name / "__init__.py").is_file(), f"{name}/ is gone: update MAY_IMPORT and docs/architecture.md"


def test_it_finds_no_import_against_the_layers():
    def allowed(package: str) -> str:
        may = MAY_IMPORT[package]
        return f"may import only {', '.join(sorted(may))}" if may else "imports nothing of ours"

    wrong = [
        f"{rel(path)}:{line} imports {rel(target)} ({package_of(path)} {allowed(package_of(path))})"
        for path, edges in import_graph().items()
        for target, line in edges.items()
        if package_of(target) != package_of(path) and package_of(target) not in MAY_IMPORT[package_of(path)]
    ]
    assert wrong == []


def test_it_finds_no_circle_between_files():
    graph = import_graph()
    found = [[f"{rel(a)}:{graph[a][b]} imports {rel(b)}" for a in circle for b in circle if b in graph[a]]
             for circle in circles(graph)]
    assert found == []
