"""The one exception family of necessity: raised at the boundaries, mapped to exit code 2 by the CLI."""

from __future__ import annotations


class NecessityError(Exception):
    """Base class of every error necessity reports to a user."""


class InputError(NecessityError):
    """A request that cannot be read: names the file, the resource and the field at fault."""

    def __init__(self, path: str, resource: str, field: str, problem: str) -> None:
        self.path, self.resource, self.field, self.problem = path, resource, field, problem
        super().__init__(f"{path}: {resource}: {field}: {problem}")

    @property
    def detail(self) -> str:
        """The field and the problem, without the file and the resource: "valueQuantity.code: unit ..."."""
        return f"{self.field}: {self.problem}"

    def __reduce__(self) -> tuple[type, tuple[str, str, str, str]]:
        """Pickle by the four parts, so that the error crosses to and from worker processes."""
        return (InputError, (self.path, self.resource, self.field, self.problem))


class KnowledgeError(NecessityError):
    """The knowledge base (ontology/, kg/, queries/) is broken or missing."""


class ReasoningError(NecessityError):
    """A request the chosen inference engine cannot reason about (the message says which engine can)."""
