"""``necessity serve``: a read-only SPARQL endpoint on the loopback interface."""

from __future__ import annotations

import signal
from types import FrameType

import click

from reasoner.cli.options import claim_option, knowledge
from reasoner.serve import LOOPBACK, Endpoint
from reasoner.serve import serve as serve_store


@click.command()
@click.argument("request", required=False, type=click.Path(dir_okay=False, path_type=str))
@claim_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The interface to listen on. Anything but loopback exposes the data to the network.")
@click.option("--port", default=7878, show_default=True, type=click.IntRange(1, 2**16 - 1), help="The port.")
@click.option("--timeout", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds a query may take from its arrival, waiting included; then it is stopped (HTTP 503).")
def serve(request: str | None, claim_id: str | None, host: str, port: int, timeout: int) -> None:
    """Serve the knowledge base, all of ICD-10-CM and, with REQUEST, the request's facts, inferences
    and decision, as a read-only SPARQL 1.1 endpoint (GET or POST to /query; JSON, XML, CSV or TSV
    results) with a YASGUI page at /. Updates are refused. Ctrl-C stops it.

    Example: necessity serve examples/seed-aml-port.json --port 7878
    """
    if host not in LOOPBACK:
        click.echo(f"necessity: warning: listening on {host}, not loopback: anyone who reaches this machine can "
                   "read the knowledge base and the request's patient data", err=True)
    signal.signal(signal.SIGTERM, _interrupt)
    serve_store(knowledge(), request, claim_id, host, port, timeout, _announce)


def _announce(endpoint: Endpoint) -> None:
    graphs = "".join(f"  <{name}>: {count} triples\n" for name, count in endpoint.graphs)
    click.echo(f"necessity: serving read-only SPARQL at {endpoint.url}query (YASGUI: {endpoint.url}); "
               f"the default graph is the union of:\n{graphs}Ctrl-C stops.", err=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
