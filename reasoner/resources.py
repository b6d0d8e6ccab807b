"""Finds the data folders (ontology/, kg/, queries/): the only module that knows where they live.

In a source checkout and an editable install they sit beside the package; an installed wheel
carries them as package data under ``reasoner/_data``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reasoner.errors import KnowledgeError

_PACKAGE = Path(__file__).resolve().parent
_FOLDERS = ("ontology", "kg", "queries")


@cache
def data_root() -> Path:
    """Return the folder that holds ontology/, kg/ and queries/."""
    for root in (_PACKAGE / "_data", _PACKAGE.parent):
        if all((root / name).is_dir() for name in _FOLDERS):
            return root
    raise KnowledgeError(f"cannot find {', '.join(_FOLDERS)} beside {_PACKAGE}")


def knowledge_files(root: Path | None = None) -> list[Path]:
    """Every Turtle file of the ontology and the knowledge graph, in a stable order (shapes excluded, and
    the policy test cases of kg/tests/: their Turtle files are requests, not knowledge).

    ``root`` is another folder holding ontology/, kg/ and queries/ (``necessity check --data``)."""
    root = root or data_root()
    ontology = sorted(p for p in (root / "ontology").glob("*.ttl"))
    tests = policy_test_dir(root)
    return ontology + sorted(p for p in (root / "kg").rglob("*.ttl") if tests not in p.parents)


def policy_test_dir(root: Path | None = None) -> Path:
    """Return kg/tests/: the policy test cases, a folder per knowledge file (``necessity test``)."""
    return (root or data_root()) / "kg" / "tests"


def code_hierarchy_file(root: Path | None = None) -> Path:
    """Return kg/codes/icd10cm.ttl.gz: all of ICD-10-CM, kept out of the graph that inference closes."""
    return _existing((root or data_root()) / "kg" / "codes" / "icd10cm.ttl.gz")


def shapes_file(name: str, root: Path | None = None) -> Path:
    """Return the SHACL shapes file ``ontology/shapes/<name>.ttl``."""
    return _existing((root or data_root()) / "ontology" / "shapes" / f"{name}.ttl")


def query_files(root: Path | None = None) -> list[Path]:
    """Every SPARQL file under queries/ (``.rq`` queries and ``.ru`` updates), sorted."""
    return sorted(((root or data_root()) / "queries").rglob("*.r[qu]"))


@dataclass(frozen=True)
class Queries:
    """The text of every SPARQL file under one queries/ folder, keyed by its name relative to queries/."""

    texts: dict[str, str]

    def text(self, name: str) -> str:
        """The text of ``queries/<name>``; KnowledgeError when there is none."""
        if name not in self.texts:
            raise KnowledgeError(f"missing query file queries/{name}")
        return self.texts[name]

    def names(self, folder: str, suffix: str) -> list[str]:
        """The names of the files in ``queries/<folder>`` (not its subfolders) ending in ``suffix``, sorted."""
        prefix = f"{folder}/"
        return sorted(n for n in self.texts if n.startswith(prefix) and "/" not in n[len(prefix):]
                      and n.endswith(suffix))


def read_queries(root: Path | None = None) -> Queries:
    """Read every query and update under ``root``'s queries/ (the installed one by default)."""
    base = (root or data_root()) / "queries"
    return Queries({str(p.relative_to(base)): p.read_text(encoding="utf-8") for p in query_files(root)})


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise KnowledgeError(f"missing data file {path}")
    return path
