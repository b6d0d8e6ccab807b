"""Bearer tokens for ``necessity api``: the token file holds one line per client, ``NAME sha256:HEX``,
the SHA-256 of the token and never the token itself. ``necessity token NAME --token-file FILE`` makes a
token, appends its line and prints the token once."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from reasoner.errors import NecessityError

LINE = re.compile(r"^(?P<name>[A-Za-z0-9._@-]{1,100}) sha256:(?P<digest>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Tokens:
    """The clients allowed in: each name with the SHA-256 of its token."""

    digests: tuple[tuple[str, str], ...]

    @classmethod
    def read(cls, path: Path) -> Tokens:
        """The token file at ``path``; raise NecessityError naming the line that is not ``NAME sha256:HEX``."""
        if not path.is_file():
            raise NecessityError(f"--token-file {path}: no such file")
        digests = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            match = LINE.match(line.strip())
            if match is None:
                raise NecessityError(f"{path}: line {number}: expected 'NAME sha256:HEX' (the token's hash, "
                                     "never the token)")
            digests.append((match["name"], match["digest"]))
        if not digests:
            raise NecessityError(f"{path}: no token: make one with 'necessity token NAME --token-file {path}'")
        return cls(tuple(digests))

    def client(self, authorization: str | None) -> str | None:
        """The client named by an ``Authorization: Bearer TOKEN`` header, or None."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        digest = _digest(token.strip())
        found = None
        for name, expected in self.digests:  # every line compared, in constant time each
            if hmac.compare_digest(digest, expected):
                found = name
        return found


def new_token(name: str) -> tuple[str, str]:
    """A new token for client ``name`` and the token file's line for it."""
    if not LINE.match(f"{name} sha256:{'0' * 64}"):
        raise NecessityError(f"client name {name!r}: letters, digits and . _ @ - only, at most 100")
    token = secrets.token_urlsafe(32)
    return token, f"{name} sha256:{_digest(token)}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
