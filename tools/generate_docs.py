"""Write the generated sections of README.md and docs/*.md from the knowledge, so that no count or list of
the knowledge is typed by hand.

A generated section lies between ``<!-- generated: NAME -->`` and ``<!-- end generated -->``; everything
between the two comments is replaced by the section NAME, read from the knowledge graph
(``reasoner.knowledge.parse_knowledge``) and its counts (``reasoner.check.knowledge_counts``):

- ``unconfirmed`` and ``secondary-only``: tables of the items marked ``nec:Unconfirmed`` or
  ``nec:SecondaryOnly`` (``nec:evidenceStatus``), with the codes they bear on and their ``nec:evidenceNote``;
- ``counts``: the counts ``necessity check`` prints; ``check-output``: its output, as a console block;
- ``icd10cm-classes``: the number of ICD-10-CM classes;
- ``test-output``: what ``necessity test`` prints when every policy test case of ``kg/tests/`` passes.

tests/test_generated_docs.py checks that the committed docs are what this script writes.

Usage: python tools/generate_docs.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from rdflib import Graph, URIRef

from reasoner.check import knowledge_counts
from reasoner.cli.check import describe_counts, passing_line
from reasoner.knowledge import parse_knowledge
from reasoner.policy_tests import find_cases
from reasoner.resources import policy_test_dir
from reasoner.vocab import NEC

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "python tools/generate_docs.py"
SECTION = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->)(?P<body>.*?)(<!-- end generated -->)", re.DOTALL)
ITEMS = """PREFIX nec: <https://necessity.example/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?item ?label ?citation ?note ?code WHERE {
  ?item nec:evidenceStatus ?status .
  OPTIONAL { ?item rdfs:label ?label }
  OPTIONAL { ?item nec:fullCitation ?citation }
  OPTIONAL { ?item nec:evidenceNote ?note }
  OPTIONAL { ?item nec:supportsCode|nec:opposesCode|nec:appliesTo ?governed .
             ?billed rdfs:subClassOf* ?governed ; skos:notation ?code . }
}"""


def doc_files(root: Path = ROOT) -> list[Path]:
    """The documents that may hold generated sections: README.md and docs/*.md."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def evidence_table(graph: Graph, status: URIRef) -> str:
    """A Markdown table of the items whose ``nec:evidenceStatus`` is ``status``: what each is (its label, or a
    citation's full text), the billing codes it bears on and why (its ``nec:evidenceNote``), sorted by item."""
    items: dict[str, dict[str, set[str]]] = {}
    for row in graph.query(ITEMS, initBindings={"status": status}):
        item = items.setdefault(graph.namespace_manager.normalizeUri(row.item),  # type: ignore[union-attr]
                                {"what": set(), "codes": set(), "why": set()})
        item["what"].update(str(v) for v in (row.label, row.citation) if v is not None)  # type: ignore[union-attr]
        item["codes"].update({str(row.code)} if row.code is not None else set())  # type: ignore[union-attr]
        item["why"].update({str(row.note)} if row.note is not None else set())  # type: ignore[union-attr]
    lines = ["| item | what | codes | why |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {_cell(item['what'])} | {_cell(item['codes'], ', ')} | {_cell(item['why'])} |"
              for name, item in sorted(items.items())]
    return "\n".join(lines)


def sections(root: Path = ROOT) -> dict[str, str]:
    """Every generated section by name, read from the knowledge under ``root``."""
    graph = parse_knowledge(root)
    counts = knowledge_counts(root, graph)
    return {
        "unconfirmed": evidence_table(graph, NEC.Unconfirmed),
        "secondary-only": evidence_table(graph, NEC.SecondaryOnly),
        "counts": describe_counts(counts),
        "check-output": f"```console\n$ necessity check\n{passing_line(counts)}\n```",
        "icd10cm-classes": f"{counts['ICD-10-CM classes']:,}",
        "test-output": f"```console\n$ necessity test\n{len(find_cases(policy_test_dir(root)))} passed, 0 failed\n```",
    }


def rewrite(text: str, generated: dict[str, str], where: str = "the document") -> str:
    """``text`` with the body of each generated section replaced by the section of its name (a section of
    more than one line on lines of its own); ValueError for a section with no such name."""
    def body(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in generated:
            raise ValueError(f"{where}: no generated section {name!r}; {COMMAND} writes {', '.join(generated)}")
        content = generated[name]
        content = f"\n{content}\n" if "\n" in content else content
        return f"{match[1]}{content}{match[4]}"
    return SECTION.sub(body, text)


def generated_docs(root: Path = ROOT) -> dict[Path, str]:
    """Each document under ``root`` that holds a generated section, with the text this script writes to it."""
    found = sections(root)
    docs = {path: path.read_text(encoding="utf-8") for path in doc_files(root)}
    return {path: rewrite(text, found, str(path.relative_to(root))) for path, text in docs.items()
            if SECTION.search(text)}


def main() -> int:
    """Rewrite the generated sections of the documents that are stale, and name them."""
    for path, text in generated_docs().items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"{path.relative_to(ROOT)}: generated sections rewritten")
    return 0


def _cell(values: set[str], separator: str = "; ") -> str:
    """A table cell of sorted values, its pipes escaped; an em dash when there are none."""
    return separator.join(sorted(values)).replace("|", "\\|") or "—"


if __name__ == "__main__":
    sys.exit(main())
