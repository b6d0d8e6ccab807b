"""`necessity export`: the knowledge base, or a request's proof, as GraphML, DOT, SVG, Cytoscape JSON,
an offline HTML page, Turtle or N-Quads."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from rdflib import RDF, Dataset, Graph, URIRef

from reasoner.cli.options import knowledge as installed
from reasoner.export import knowledge_view, proof_view
from reasoner.render.graph import render_graph
from reasoner.vocab import NEC

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "examples" / "seed-aml-port.json")
# CI installs Chromium and Graphviz and sets this, so that the browser and SVG tests cannot be skipped there.
REQUIRED = os.environ.get("NECESSITY_REQUIRE_BROWSER") == "1"
SEED_36561_PROOF = {
    "rec:esmo-2015-port-for-iv-therapy", "rec:eln-2022-central-access-for-intensive-therapy",
    "cite:sousa-2015", "cite:dohner-2022", "gl:esmo-2015-central-venous-access", "gl:eln-2022-aml",
    "req:claim/claim-11/line/3", "req:condition/0", "req:drug/0", "req:drug/1",
}


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if REQUIRED:
            pytest.fail(f"{name} is not installed, and CI requires it")
        pytest.skip(f"{name} is not installed")
    return found


@pytest.fixture(scope="module")
def seed_36561():
    """The proof of the seed request's 36561 line (one decision for the whole module)."""
    return proof_view(SEED, installed(), code="36561")


def test_the_proof_path_of_36561_runs_through_its_deciding_recommendations(seed_36561):
    graph = seed_36561.graph
    proof = {node for node, data in graph.nodes(data=True) if data["proof"]}
    assert SEED_36561_PROOF <= proof
    assert graph.nodes["req:claim/claim-11/line/3"]["status"] == "justified"
    # the safety checks and the age-band rule are considered but do not decide: off the path
    assert {"rule:sir-2019-port-platelets", "rule:sir-2019-port-inr", "rule:cpt-36561-age-band"} <= set(graph)
    assert not {"rule:sir-2019-port-platelets", "rule:sir-2019-port-inr", "rule:cpt-36561-age-band"} & proof
    # only the 36561 line is drawn: no other line, no node reached only through another line
    lines = {node for node, data in graph.nodes(data=True) if data["kind"] == "claim line"}
    assert lines == {"req:claim/claim-11/line/3"}
    platelets = [data for _, data in graph.nodes(data=True) if data["label"].startswith("LOINC 777-3")]
    assert platelets and "= 45 ×10³/µL" in platelets[0]["label"] and not platelets[0]["proof"]


def test_graphml_round_trips_through_networkx(seed_36561, tmp_path):
    path = tmp_path / "proof.graphml"
    path.write_bytes(render_graph(seed_36561, "graphml"))
    read = nx.read_graphml(path)
    assert set(read) == set(seed_36561.graph)
    assert read.number_of_edges() == seed_36561.graph.number_of_edges()
    for node, data in seed_36561.graph.nodes(data=True):
        assert {k: read.nodes[node][k] for k in ("kind", "label", "proof")} == \
            {k: data[k] for k in ("kind", "label", "proof")}
    assert read.graph["notice"].startswith("Decision support, not a decision: a licensed reviewer decides")
    values = [v for _, data in read.nodes(data=True) for v in data.values()]
    assert all(isinstance(v, str | bool) for v in values)


def test_dot_quotes_every_node_id_and_graphviz_reads_it(tmp_path):
    dot = render_graph(knowledge_view(installed()), "dot").decode()
    assert '"cpt:36561" [label="36561: ' in dot
    assert '"rec:esmo-2015-port-for-iv-therapy" -> "cite:sousa-2015" [label="citation"]' in dot
    statements = [line.strip() for line in dot.splitlines()[4:-1]]
    assert all(re.match(r'^"[^"]+"( -> "[^"]+")? \[', line) for line in statements)
    checked = subprocess.run([_program("dot"), "-Tcanon"], input=dot.encode(), capture_output=True, check=False)
    assert checked.returncode == 0, checked.stderr.decode()


def test_svg_through_graphviz(seed_36561):
    _program("dot")
    svg = render_graph(seed_36561, "svg").decode()
    assert "<svg" in svg and "line 3 36561: justified" in svg and "doi:10.1093/annonc/mdv296" in svg


def test_svg_without_graphviz_is_a_clear_error_and_writes_nothing(run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    out = tmp_path / "kb.svg"
    result = run_cli("export", "--format", "svg", "-o", str(out))
    assert result.exit_code == 2 and result.stdout == ""
    assert "SVG needs Graphviz's 'dot' program, which is not installed" in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cytoscape_json_has_every_node_and_edge(seed_36561):
    data = json.loads(render_graph(seed_36561, "cytoscape"))
    nodes, edges = data["elements"]["nodes"], data["elements"]["edges"]
    assert len(nodes) == seed_36561.graph.number_of_nodes() and len(edges) == seed_36561.graph.number_of_edges()
    line = next(n["data"] for n in nodes if n["data"]["id"] == "req:claim/claim-11/line/3")
    assert (line["kind"], line["status"], line["proof"]) == ("claim line", "justified", True)
    assert data["data"]["knowledge_version"] == seed_36561.knowledge_version


def test_turtle_and_nquads_parse_back(seed_36561):
    turtle = render_graph(seed_36561, "turtle").decode()
    assert turtle.startswith("# necessity proof: seed-aml-port.json, claim claim-11, code 36561\n")
    assert len(Graph().parse(data=turtle, format="turtle")) == len(seed_36561.rdf)
    quads = Dataset().parse(data=render_graph(seed_36561, "nquads").decode(), format="nquads")
    named = quads.graph(URIRef("https://necessity.example/export/proof"))
    assert len(named) == len(seed_36561.rdf)


def test_html_is_one_offline_file(seed_36561):
    page = render_graph(seed_36561, "html").decode()
    assert "<script src" not in page and "<link" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert "The Cytoscape Consortium" in page and "a licensed reviewer decides" in page
    assert "default-src 'none'" in page  # the page may fetch nothing


def test_html_in_headless_chromium_draws_the_seed_proof_path(run_cli, tmp_path):
    chromium = _program("chromium")
    page = tmp_path / "seed-36561.html"
    result = run_cli("export", SEED, "--code", "36561", "--format", "html", "-o", str(page))
    assert result.exit_code == 0 and result.stdout == "" and page.stat().st_size > 400_000
    browser = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--virtual-time-budget=5000", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, check=True, timeout=120)
    body = re.search(rb"<body ([^>]*)>", dom.stdout)
    assert body is not None, dom.stderr.decode()[-2000:]
    attributes = dict(re.findall(r'data-([a-z]+)="([^"]*)"', body.group(1).decode()))
    assert int(attributes["nodes"]) >= 30 and int(attributes["edges"]) >= 35
    assert SEED_36561_PROOF <= set(attributes["proof"].split())
    shot = tmp_path / "seed-36561.png"
    subprocess.run([*browser, "--window-size=1800,1350", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, check=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_knowledge_base_for_one_code(run_cli, tmp_path):
    out = tmp_path / "36561.graphml"
    result = run_cli("export", "--code", "36561", "--format", "graphml", "-o", str(out))
    assert result.exit_code == 0
    graph = nx.read_graphml(out)
    assert {"cpt:36561", "rec:esmo-2015-port-for-iv-therapy", "cite:sousa-2015", "rule:cpt-36561-age-band",
            "rule:sir-2019-port-platelets", "crit:adult"} <= set(graph)
    assert "rec:cdc-2011-no-routine-antimicrobial-prophylaxis" not in graph
    assert all(nx.has_path(graph, "cpt:36561", node) for node in graph)


def test_the_whole_knowledge_base_has_every_recommendation(tmp_path, run_cli):
    out = tmp_path / "kb.json"
    assert run_cli("export", "--format", "cytoscape", "-o", str(out)).exit_code == 0
    kinds = [n["data"]["kind"] for n in json.loads(out.read_text())["elements"]["nodes"]]
    held = installed().graph  # what the knowledge holds, so that adding a recommendation breaks nothing here
    assert kinds.count("recommendation") == len(set(held.subjects(RDF.type, NEC.Recommendation))) >= 16
    billing_codes = "SELECT DISTINCT ?code WHERE { ?code skos:notation ?n ; rdfs:subClassOf+ nec:BillingCode }"
    assert kinds.count("billing code") == len(held.query(billing_codes)) >= 23
    assert kinds.count("guideline conflict") == 3 and "other" not in kinds


def test_seed_proof_as_graphml_from_the_command_line(run_cli, tmp_path):
    out = tmp_path / "seed.graphml"
    result = run_cli("export", SEED, "--format", "graphml", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    graph = nx.read_graphml(out)
    lines = {data["label"] for _, data in graph.nodes(data=True) if data["kind"] == "claim line"}
    assert len(lines) == 15 and {"line 3 36561: justified", "line 4 J0690: not-justified",
                                 "line 8 85007: coding-error", "line 10 85610: justified"} <= lines
    assert graph.nodes["rec:cdc-2011-no-routine-antimicrobial-prophylaxis"]["proof"] is True


@pytest.mark.parametrize("view", [(), (str(ROOT / "examples" / "age-4-port.json"),)], ids=["knowledge", "proof"])
def test_the_same_export_is_byte_identical_across_hash_seeds(tmp_path, view):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"export-{seed}.graphml"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "reasoner", "export", *view, "--format", "graphml", "-o", str(out)],
                       env=env, check=True, capture_output=True, timeout=300)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_an_output_that_cannot_be_written_is_a_clear_error(run_cli, tmp_path):
    out = tmp_path / "missing-folder" / "kb.dot"
    result = run_cli("export", "--format", "dot", "-o", str(out))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{out}: cannot write the file (No such file or directory)" in result.stderr
    result = run_cli("export", "--claim", "c1", "--format", "dot", "-o", str(tmp_path / "kb.dot"))
    assert result.exit_code == 2 and "--claim picks a claim of a REQUEST" in result.stderr


def test_unknown_codes_are_errors(run_cli, tmp_path):
    result = run_cli("export", "--code", "99999", "--format", "dot", "-o", str(tmp_path / "x.dot"))
    assert result.exit_code == 2 and "--code 99999: no billing code 99999 in the knowledge base" in result.stderr
    result = run_cli("export", SEED, "--code", "99999", "--format", "dot", "-o", str(tmp_path / "x.dot"))
    assert result.exit_code == 2 and "Claim/claim-11: item.productOrService: no line billed with 99999" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_proof_is_the_same_with_either_engine():
    # Everything the proof views read from the decided graph, the fast engine gives as owlrl does.
    quick, slow = proof_view(SEED, installed()), proof_view(SEED, installed(), engine=installed().engine("reference"))
    assert len(quick.graph) > 200
    assert render_graph(quick, "turtle") == render_graph(slow, "turtle")
