"""``necessity api``: the Da Vinci PAS payer API on uvicorn, with a store and bearer tokens."""

from __future__ import annotations

from pathlib import Path

import click

from reasoner.cli.options import engine_option, knowledge
from reasoner.engines import Engine
from reasoner.serve import LOOPBACK


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 2**16 - 1), help="The port.")
@click.option("--db", default="necessity-api.sqlite", show_default=True,
              help="The store: an SQLite file, or a postgresql://USER:PASSWORD@HOST/DB URL.")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              help="The clients' token hashes, one 'NAME sha256:HEX' a line (made by 'necessity token').")
@click.option("--insecure-no-auth", is_flag=True, help="No tokens: refused on any address but loopback.")
@click.option("--max-request-bytes", default=4 << 20, show_default=True, type=click.IntRange(1024, 32 << 20),
              help="The largest request body taken (HTTP 413 above).")
@click.option("--time-limit", default=30.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Seconds a decision may take (HTTP 503 after).")
@click.option("--fhir-server", "fhir_servers", multiple=True, metavar="ORIGIN",
              help="An origin (https://ehr.example) whose FHIR server a CRD hook's fhirServer may name, to be queried "
                   "for what the hook did not prefetch; repeat for each. None: nothing is fetched.")
@engine_option
def api(host: str, port: int, db: str, token_file: Path | None, insecure_no_auth: bool, max_request_bytes: int,
        time_limit: float, fhir_servers: tuple[str, ...], engine: Engine) -> None:
    """Serve the payer's Prior Authorization API: Da Vinci PAS 2.2.1 (POST /fhir/Claim/$submit and
    /fhir/Claim/$inquire, GET /fhir/ClaimResponse/{id} and ?patient=&identifier=&created=), CRD 2.0.1
    CDS Hooks (GET /cds-services, POST /cds-services/{id}), DTR (POST /fhir/Questionnaire/$questionnaire-package),
    GET /fhir/metadata and GET /reports/pa-metrics. Every request and answer is stored in --db before the
    answer is sent.

    Example: necessity api --insecure-no-auth --port 8080 --db pa.sqlite
    """
    import uvicorn

    from reasoner.api.app import Settings, create_app
    from reasoner.api.crd.record import origin
    from reasoner.api.records import Records, database_url
    from reasoner.api.tokens import Tokens

    if insecure_no_auth == (token_file is not None):
        raise click.UsageError("give exactly one of --token-file FILE and --insecure-no-auth")
    if insecure_no_auth and host not in LOOPBACK:
        raise click.UsageError(f"--insecure-no-auth is refused on {host}: only on loopback (127.0.0.1, ::1)")
    for server in fhir_servers:
        if origin(server) != server.rstrip("/").lower() or not server.startswith(("https://", "http://")):
            raise click.UsageError(f"--fhir-server {server!r}: give an origin only, as https://host[:port]")
    tokens = Tokens.read(token_file) if token_file is not None else None
    records = Records(database_url(db))
    settings = Settings(knowledge=knowledge(), engine=engine, records=records, tokens=tokens,
                        max_request_bytes=max_request_bytes, time_limit_s=time_limit,
                        fhir_servers=tuple(origin(server) for server in fhir_servers))
    click.echo(f"necessity: PA API at http://{host}:{port}/fhir and /cds-services (store {records.engine.url!r}); "
               "Ctrl-C stops.", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", limit_concurrency=64,
                timeout_keep_alive=5)

