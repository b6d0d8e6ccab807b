"""SHACL validation of a patient graph (``ontology/shapes/patient.ttl``): a Turtle request as written,
and the facts graph ingest makes for each claim, whichever the input was. The shapes' compiled ASK
query (``shape_queries.py``) says in a fraction of a millisecond whether the graph fits; only when it
may not does pyshacl, the reference, validate it and name the first violation."""

from __future__ import annotations

from rdflib import RDF, Graph, Namespace, URIRef

from reasoner.errors import InputError
from reasoner.ingest.shape_queries import PatientShapes
from reasoner.vocab import NEC

SH = Namespace("http://www.w3.org/ns/shacl#")


def check_patient_graph(graph: Graph, where: str, shapes: PatientShapes) -> None:
    """Check ``graph`` against the patient ``shapes``; raise InputError naming ``where``, the node (its
    source resource, when known) and the property of the first shape violation."""
    if not shapes.violated(graph):
        return
    from pyshacl import validate

    conforms, report, _ = validate(graph, shacl_graph=shapes.graph, advanced=False, allow_warnings=False)
    if conforms:
        return
    results = sorted(report.subjects(RDF.type, SH.ValidationResult), key=lambda r: str(report.value(r, SH.focusNode)))
    first = results[0]
    name = graph.namespace_manager.normalizeUri
    focus, field = report.value(first, SH.focusNode), report.value(first, SH.resultPath)
    source = graph.value(focus, NEC.source)
    node = str(source) if source is not None else name(focus) if isinstance(focus, URIRef) else "a blank node"
    raise InputError(where, node,
                     name(field) if isinstance(field, URIRef) else "-",
                     f"does not fit the patient shapes: {report.value(first, SH.resultMessage)}")
