"""The wheel carries ontology/, kg/ and queries/ as package data, where reasoner.resources finds them,
and the browser code of the HTML export."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_the_data_folders(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("necessity-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ("ontology/necessity.ttl", "ontology/view.ttl", "ontology/shapes/patient.ttl", "kg/codes/cpt.ttl",
                 "queries/decide/30-status.ru", "queries/determination/lines.rq",
                 "queries/export/proof/10-lines.rq"):
        assert f"reasoner/_data/{path}" in names, path
    assert "reasoner/resources.py" in names and "reasoner/py.typed" in names
    # the offline HTML export inlines these: they must travel with the package
    assert {"reasoner/render/vendor/cytoscape.min.js", "reasoner/render/vendor/cytoscape.LICENSE",
            "reasoner/render/templates/graph.html"} <= names
