"""Skeletons for knowledge authors (``necessity new guideline NAME``): a guideline file and one policy
test case, written from the templates of ``ontology/templates/`` into a data folder, ready to fill in.
What the skeleton leaves to do is marked TODO; ``necessity check`` names each one left. The guide is
docs/authoring.md."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from reasoner.errors import NecessityError

_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)+")
# template (under ontology/templates/) -> where it is written, relative to the data folder
_SKELETON = {"guideline.ttl": "kg/guidelines/{name}.ttl",
             "case.json": "kg/tests/{name}/example.json",
             "case.expected.json": "kg/tests/{name}/example.expected.json"}


def new_guideline(root: Path, name: str) -> list[Path]:
    """Write the skeleton of guideline ``name`` (issuer, year and subject in lower case with hyphens, e.g.
    ``asco-2015-wbc-growth-factors``) into the data folder ``root``; return the files written. Writes
    nothing, and raises NecessityError, when the name is not of that form, ``root`` holds no ontology/,
    kg/ and queries/, or a file of the skeleton exists already."""
    if not _NAME.fullmatch(name):
        raise NecessityError(f"{name!r}: a guideline's name is its issuer, year and subject in lower case with "
                             "hyphens, e.g. asco-2015-wbc-growth-factors")
    missing = [folder for folder in ("ontology", "kg", "queries") if not (root / folder).is_dir()]
    if missing:
        raise NecessityError(f"{root}: no {', '.join(f'{m}/' for m in missing)} here: run it in a copy of the "
                             "repository, or give its folder with --data")
    targets = {template: root / place.format(name=name) for template, place in _SKELETON.items()}
    existing = [str(path) for path in targets.values() if path.exists()]
    if existing:
        raise NecessityError(f"{', '.join(existing)}: exists already; nothing written")
    texts = {template: _fill(root / "ontology" / "templates" / template, name) for template in targets}
    for template, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[template], encoding="utf-8")
    return list(targets.values())


def _fill(template: Path, name: str) -> str:
    if not template.is_file():
        raise NecessityError(f"{template}: the template is missing")
    return Template(template.read_text(encoding="utf-8")).substitute(name=name)
