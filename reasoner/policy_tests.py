"""Policy tests: small requests kept beside the policy they test (``kg/tests/<source>/``, one folder per
knowledge file), each with what a correct review gives (``<case>.expected.json``: the status of each
line listed and, optionally, the state of its key criteria). ``run_case`` reviews the request as
``necessity determine`` does, with the knowledge it is given, and names every mismatch in one line.
A case that cannot be read (bad JSON, an unknown status, a code not on the request, a request that
cannot be reviewed) is a failure with its reason, never an exception. The format: docs/commands.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.knowledge import Knowledge
from reasoner.pipeline import review
from reasoner.results import Determination, Status

EXPECTED = ".expected.json"
REQUESTS = (".json", ".ttl")
STATES = ("met", "refuted", "unknown")
_TOP_KEYS, _LINE_KEYS = ("lines", "note"), ("status", "criteria")


@dataclass(frozen=True)
class Case:
    """One policy test case: its name (the path of its files without the suffixes), the request files
    that stand beside its expected file (one when the case is well formed) and the expected file."""

    name: Path
    requests: tuple[Path, ...]
    expected: Path


@dataclass(frozen=True)
class Outcome:
    """What running a case gave: one message per mismatch or problem; none when it passed."""

    case: Case
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether the review gave everything the case expects."""
        return not self.failures


@dataclass(frozen=True)
class Expectation:
    """What one code's lines must give: a status, and the state of some of their criteria."""

    code: str
    status: str
    criteria: dict[str, str] = field(default_factory=dict)


class CaseError(NecessityError):
    """A case that cannot be run as written: one message per problem, each saying what is wrong and where."""

    def __init__(self, *problems: str) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def find_cases(path: Path) -> list[Case]:
    """The cases at ``path``: a folder (every case under it), or one case, named by its request file or its
    expected file. NecessityError when ``path`` does not exist, is not a case, or holds none."""
    if path.is_dir():
        stems = {_stem(p) for p in path.rglob("*") if p.is_file() and _is_case_file(p)}
        if not stems:
            raise NecessityError(f"{path}: no policy test case here (a request .json or .ttl with its {EXPECTED})")
        return [_case(stem) for stem in sorted(stems)]
    if path.is_file() and _is_case_file(path):
        return [_case(_stem(path))]
    if path.exists():
        raise NecessityError(f"{path}: not a policy test case (a request .json or .ttl, or its {EXPECTED})")
    raise NecessityError(f"{path}: no such file or folder")


def run_cases(cases: Iterable[Case], knowledge: Knowledge, engine: Engine | None = None) -> list[Outcome]:
    """Run every case with ``knowledge`` (and ``engine``, the fast one by default), in order."""
    return [run_case(case, knowledge, engine) for case in cases]


def run_case(case: Case, knowledge: Knowledge, engine: Engine | None = None) -> Outcome:
    """Review the case's request with ``knowledge`` as ``necessity determine`` does and compare the result
    with its expected file: one failure message per mismatch."""
    try:
        request = _request(case)
        expectations = read_expected(case.expected)
        lines = _reviewed_lines(request, knowledge, engine)
    except CaseError as exc:
        return Outcome(case, exc.problems)
    failures = [message for expectation in expectations for message in compare(request, expectation, lines)]
    return Outcome(case, tuple(failures))


def summary(outcomes: list[Outcome]) -> str:
    """The closing line of a run: how many cases passed and how many failed."""
    failed = sum(not outcome.passed for outcome in outcomes)
    return f"{len(outcomes) - failed} passed, {failed} failed"


def read_expected(path: Path) -> list[Expectation]:
    """The expectations of an expected file; CaseError naming the file and what is wrong in it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_unique_keys)
    except FileNotFoundError:
        raise CaseError(f"{path}: missing: every request needs its {EXPECTED} beside it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CaseError(f"{path}: not valid JSON: {exc}") from None
    except CaseError as exc:
        raise CaseError(f"{path}: {exc}") from None
    problems = _shape_problems(data)
    if problems:
        raise CaseError(*(f"{path}: {problem}" for problem in problems))
    return [Expectation(code, spec["status"], dict(spec.get("criteria", {}))) for code, spec in data["lines"].items()]


def compare(request: Path, expected: Expectation, lines: dict[str, list[Determination]]) -> list[str]:
    """The mismatches between what ``expected`` says of a code and the request's lines billed with it (``lines``:
    the determinations by code), each naming the request, the line and code, what was expected and what came out."""
    found = lines.get(expected.code, [])
    if not found:
        billed = ", ".join(sorted(lines)) or "none"
        return [f"{request}: {expected.code}: not on the request (its codes: {billed})"]
    failures = []
    for line in found:
        where = f"{request}: line {line.sequence} {line.code}"
        if line.status != expected.status:
            failures.append(f"{where}: status expected {expected.status}, got {line.status}")
        for criterion, state in expected.criteria.items():
            failures += _criterion_mismatches(where, line, criterion, state)
    return failures


def _criterion_mismatches(where: str, line: Determination, criterion: str, state: str) -> list[str]:
    """A criterion must be assessed on the line, in ``state`` in every entry (recommendation or rule) it is in."""
    entries = [c for c in line.criteria if c.id == criterion]
    if not entries:
        return [f"{where}: {criterion} expected {state}, not assessed on this line"]
    return [f"{where}: {criterion} of {c.of} expected {state}, got {c.state}" for c in entries if c.state != state]


def _reviewed_lines(request: Path, knowledge: Knowledge, engine: Engine | None) -> dict[str, list[Determination]]:
    """Every line of every claim of the request, by code; CaseError when the request cannot be reviewed."""
    try:
        result = review(request, knowledge, engine)
    except NecessityError as exc:
        raise CaseError(f"{request}: cannot be reviewed: {exc}") from None
    if result.rejected:
        first = result.rejected[0]
        raise CaseError(f"{request}: {first.source} was not reviewed: {first.error}")
    lines: dict[str, list[Determination]] = {}
    for claim in result.claims:
        for line in claim.determinations:
            lines.setdefault(line.code, []).append(line)
    return lines


def _shape_problems(data: Any) -> list[str]:
    """What is wrong with the parsed expected file (empty when it is well formed)."""
    if not isinstance(data, dict):
        return ['expected a JSON object {"lines": {CODE: {"status": ...}}}']
    problems = [f"unknown key {key!r} (a case has {_listed(_TOP_KEYS)})" for key in data if key not in _TOP_KEYS]
    if not isinstance(data.get("note", ""), str):
        problems.append('"note" must be a string')
    lines = data.get("lines")
    if not isinstance(lines, dict) or not lines:
        return [*problems, '"lines" must map at least one code to {"status": ...}']
    return problems + [problem for code, spec in lines.items() for problem in _line_problems(code, spec)]


def _line_problems(code: str, spec: Any) -> list[str]:
    """What is wrong with what one code's entry expects."""
    if not isinstance(spec, dict):
        return [f'lines.{code}: expected an object {{"status": ..., "criteria": {{...}}}}']
    problems = [f"lines.{code}: unknown key {key!r} (a line has {_listed(_LINE_KEYS)})"
                for key in spec if key not in _LINE_KEYS]
    statuses = [s.value for s in Status]
    if "status" not in spec:
        problems.append(f"lines.{code}: no \"status\" ({_listed(statuses)})")
    elif spec["status"] not in statuses:
        problems.append(f"lines.{code}.status: {spec['status']!r} is not a status ({_listed(statuses)})")
    criteria = spec.get("criteria", {})
    if not isinstance(criteria, dict):
        return [*problems, f"lines.{code}.criteria: expected an object {{\"crit:...\": \"met\"}}"]
    for criterion, state in criteria.items():
        if not criterion.startswith("crit:"):
            problems.append(f"lines.{code}.criteria: {criterion!r} is not a criterion (crit:...)")
        if state not in STATES:
            problems.append(f"lines.{code}.criteria.{criterion}: {state!r} is not a state ({_listed(STATES)})")
    return problems


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when it gives the same key twice (the second would silently win)."""
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) != 1})
    if twice:
        raise CaseError(f"the key {twice[0]!r} is given twice")
    return dict(pairs)


def _request(case: Case) -> Path:
    """The case's one request file; CaseError when it has none or several."""
    if len(case.requests) == 1:
        return case.requests[0]
    if case.requests:
        raise CaseError(f"{case.expected}: several requests for one expected file: "
                        + _listed(p.name for p in case.requests))
    raise CaseError(f"{case.expected}: no request beside it ({_listed(case.name.name + s for s in REQUESTS)})")


def _case(stem: Path) -> Case:
    requests = tuple(p for p in (stem.with_name(stem.name + s) for s in REQUESTS) if p.is_file())
    return Case(name=stem, requests=requests, expected=stem.with_name(stem.name + EXPECTED))


def _is_case_file(path: Path) -> bool:
    return path.name.endswith(EXPECTED) or path.suffix in REQUESTS


def _stem(path: Path) -> Path:
    """The case a file belongs to: its path without ``.expected.json``, ``.json`` or ``.ttl``."""
    name = path.name.removesuffix(EXPECTED) if path.name.endswith(EXPECTED) else path.name.removesuffix(path.suffix)
    return path.with_name(name)


def _listed(words: Iterable[str]) -> str:
    return ", ".join(words)
