"""Also found by the security review (issue 15): duplicate JSON keys were taken silently (the last one
won). A request that says two things in one place is ambiguous: it is refused, naming the resource
and the field.
"""

from __future__ import annotations

import json

from bundles import bundle


def test_a_key_given_twice_in_a_resource_is_refused_naming_resource_and_field(tmp_path, run_cli):
    text = json.dumps(bundle(["36561"], labs={"plt": 45}))
    text = text.replace('"code": "10*3/uL"}', '"code": "10*3/uL", "code": "/L"}')
    path = tmp_path / "twice.json"
    path.write_text(text, encoding="utf-8")
    result = run_cli("determine", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"necessity: error: {path}: Observation/observation-1: valueQuantity.code: the key "
                             "'code' is given twice in one object: ambiguous, so the request is refused\n")


def test_a_key_given_twice_at_the_bundle_level_is_refused(tmp_path, run_cli):
    text = json.dumps(bundle(["36561"])).replace('"type": "collection"', '"type": "collection", "type": "batch"', 1)
    path = tmp_path / "twice.json"
    path.write_text(text, encoding="utf-8")
    result = run_cli("determine", str(path))
    assert result.exit_code == 2
    assert result.stderr == (f"necessity: error: {path}: Bundle: type: the key 'type' is given twice in one object: "
                             "ambiguous, so the request is refused\n")


def test_the_same_key_in_two_objects_is_no_duplicate(tmp_path, run_cli):
    path = tmp_path / "fine.json"
    path.write_text(json.dumps(bundle(["36561"], labs={"plt": 45, "wbc": 0.8})), encoding="utf-8")
    assert run_cli("determine", str(path)).exit_code == 0
