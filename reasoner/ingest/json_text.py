"""Reads the JSON text of a request strictly: UTF-8, nesting that Python can read, numbers Python can
convert, and no object with the same key twice (JSON leaves duplicate keys undefined and Python keeps
the last one: a request that says two things in one place is ambiguous, so it is refused).
Every error names the file, the resource (``Bundle.entry[i]`` as ``Type/id``) and the field.
"""

from __future__ import annotations

import json
from typing import Any

from reasoner.errors import InputError


class _Repeated(dict[str, Any]):
    """A JSON object that had a key more than once (the first repeated key in ``repeated``)."""

    repeated: str


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            repeated = _Repeated(pairs)
            repeated.repeated = key
            return repeated
        seen.add(key)
    return dict(pairs)


def load_json(text: bytes, where: str) -> Any:
    """The JSON value of ``text``, or the InputError naming ``where``, the resource and the field."""
    try:
        data = json.loads(text.decode("utf-8"), object_pairs_hook=_object)
    except UnicodeDecodeError as exc:
        raise InputError(where, "-", "-", f"not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(where, "-", f"line {exc.lineno} column {exc.colno}", f"not JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise InputError(where, "-", "-", "not JSON that can be read: nested too deep") from exc
    except ValueError as exc:  # an integer of more digits than Python converts (4,300)
        raise InputError(where, "-", "-", "not JSON that can be read: a number has more digits than any "
                         "value of a request") from exc
    found = _first_repeated(data, [])
    if found is not None:
        path, key = found
        resource, field = _located(data, path)
        raise InputError(where, resource, ".".join([*field, key]).replace(".[", "["),
                         f"the key {key!r} is given twice in one object: ambiguous, so the request is refused")
    return data


def _first_repeated(value: Any, path: list[str | int]) -> tuple[list[str | int], str] | None:
    """The path of the first object (depth first) with a repeated key, and the key."""
    if isinstance(value, _Repeated):
        return path, value.repeated
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found = _first_repeated(child, [*path, key])
        if found is not None:
            return found
    return None


def _located(data: Any, path: list[str | int]) -> tuple[str, list[str]]:
    """The resource a path is in (``Type/id`` of ``entry[i].resource``, else ``Bundle``) and the field path
    within it."""
    if path[:1] == ["entry"] and path[2:3] == ["resource"] and isinstance(path[1], int):
        resource = data["entry"][path[1]]["resource"]
        kind = resource.get("resourceType", "-") if isinstance(resource, dict) else "-"
        name = resource.get("id") if isinstance(resource, dict) else None
        label = f"{kind}/{name}" if isinstance(name, str) else f"{kind}/entry[{path[1]}]"
        return label, [f"[{p}]" if isinstance(p, int) else p for p in path[3:]]
    return "Bundle", [f"[{p}]" if isinstance(p, int) else p for p in path]
