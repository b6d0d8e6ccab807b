"""The shape of the package: no import cycle among the modules of ``reasoner/`` (imports inside functions
count, those only for type checking do not), no module below the CLI imports click, and the knowledge
reaches the code only as an argument: no module keeps a loaded knowledge of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[2] / "reasoner"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path) -> set[str]:
    """The reasoner modules ``path`` imports, anywhere in it but under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                and getattr(block.test, "id", None) == "TYPE_CHECKING" for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                      for a in node.names}
    return {name for name in found if name in MODULES}


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        graph.add_edges_from((name, other) for other in imported(path) if other != name)
    return graph


def test_the_modules_import_each_other_without_a_cycle():
    cycles = list(nx.simple_cycles(import_graph()))
    assert cycles == [], f"import cycles: {cycles}"


def test_only_the_cli_imports_click():
    users = {name for name, path in MODULES.items() if "click" in _top_level_imports(path)}
    assert users and all(name.startswith("reasoner.cli") for name in users), sorted(users)


def test_the_knowledge_is_loaded_only_at_the_edges():
    # Knowledge.load is called by the CLI's process cache, a batch worker and a Spark executor (each its own
    # process), and by check, which checks another folder; nothing else loads knowledge for itself.
    callers = {name for name, path in MODULES.items()
               if "Knowledge.load(" in path.read_text(encoding="utf-8") and name != "reasoner.knowledge"}
    assert callers == {"reasoner.cli.options", "reasoner.batch.executors", "reasoner.spark", "reasoner.check"}, callers


def test_the_import_graph_sees_lazy_imports():
    # the test above would pass on a graph that misses imports inside functions (executors import spark there)
    assert ("reasoner.batch.executors", "reasoner.spark") in import_graph().edges


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_renderers_import_no_reasoning():
    allowed = {"reasoner.render", "reasoner.results", "reasoner.vocab", "reasoner.errors", "reasoner.ingest.model"}
    graph = import_graph()
    found = {(name, other) for name, other in graph.edges if name.startswith("reasoner.render")
             and not other.startswith("reasoner.render.") and other not in allowed}
    assert found == set(), sorted(found)
