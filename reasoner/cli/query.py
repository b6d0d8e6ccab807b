"""``necessity query``: SPARQL over the knowledge base, or over a request's decided graph."""

from __future__ import annotations

import click
from rdflib import Graph

from reasoner.cli.options import claim_option, engine_option, knowledge
from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.query import named_queries, query_source, run_query
from reasoner.render.query import render_query
from reasoner.vocab import bind_prefixes


@click.command()
@click.argument("request", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--file", "file", metavar="Q.rq|NAME", help="A SPARQL file, or the name of a named query.")
@click.option("--query", "text", metavar="SPARQL", help="The query itself.")
@click.option("--list", "listing", is_flag=True, help="List the named queries and what each returns.")
@claim_option
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format (json: SPARQL 1.1 Query Results JSON).")
@engine_option
def query(request: str | None, file: str | None, text: str | None, listing: bool, claim_id: str | None,
          output_format: str, engine: Engine) -> None:
    """Run a SPARQL SELECT, ASK or CONSTRUCT query over the knowledge base; with REQUEST, over the
    knowledge, the request's facts, everything inferred and the decision of its claim.

    Example: necessity query --file paths-from-code-to-citations
    """
    if listing:
        click.echo("".join(f"{q.name}: {q.summary}\n" for q in named_queries(knowledge().queries)), nl=False)
        return
    if (file is None) == (text is None):
        raise NecessityError("give exactly one of --file, --query or --list")
    source = text if text is not None else query_source(file or "", knowledge().queries)
    result = run_query(source, knowledge(), request, claim_id, engine)
    names = Graph().namespace_manager
    bind_prefixes(names)
    click.echo(render_query(result, output_format, names), nl=False)
