"""``necessity export``: the knowledge base, or a request's proof, as a graph file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reasoner.cli.options import claim_option, engine_option, knowledge
from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.export import knowledge_view, proof_view
from reasoner.files import destination, write_whole
from reasoner.render.graph import FORMATS, render_graph


@click.command()
@click.argument("request", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "output_format", type=click.Choice(FORMATS), required=True,
              help="graphml (yEd, Gephi, Cytoscape), dot, svg (needs Graphviz), cytoscape (Cytoscape.js JSON), "
                   "html (one offline page), turtle or nquads.")
@click.option("--code", default=None, metavar="CODE",
              help="Only the lines billed with CODE (with REQUEST), or what bears on CODE (without).")
@claim_option
@click.option("-o", "--output", "output", required=True, metavar="FILE",  # checked by reasoner/files.py
              help="The file to write ('-' for standard output).")
@engine_option
def export(request: str | None, output_format: str, code: str | None, claim_id: str | None, output: str,
           engine: Engine) -> None:
    """Export the knowledge base, or with REQUEST the proof of its claim lines (each line, the
    recommendations and rules considered, their criteria and facts, guidelines and citations; the
    proof path highlighted), as a graph file.

    Example: necessity export examples/seed-aml-port.json --code 36561 --format html -o proof.html
    """
    if claim_id and not request:
        raise NecessityError("--claim picks a claim of a REQUEST: give the request too")
    if output != "-":
        destination(Path(output))  # refused before the work if it is not somewhere a file can be written
    view = proof_view(request, knowledge(), code, claim_id, engine) if request else knowledge_view(knowledge(), code)
    content = render_graph(view, output_format)
    if output == "-":
        sys.stdout.buffer.write(content)
        return
    write_whole(Path(output), content)
