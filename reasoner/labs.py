"""Laboratory results as facts: the latest result of each analyte on or before the date of service (its
date taken in the sender's own offset), converted to the analyte's canonical unit. A latest result that
cannot be read (no value, a bound, a unit that does not convert) leaves its analyte unknown: an older
result never stands in for it. With ``strict``, a unit that does not convert refuses the request.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef

from reasoner.errors import InputError
from reasoner.ingest.model import LabFact, Request
from reasoner.ingest.tables import ImplausibleValue, UnitError, UnitTable
from reasoner.vocab import LOINC, NEC, REQ


def latest_labs(labs: tuple[LabFact, ...], service_date: date) -> list[LabFact]:
    """The latest result of each analyte dated on or before the date of service in its sender's offset
    (ties: the later source id), readable or not."""
    latest: dict[str, LabFact] = {}
    for lab in sorted(labs, key=lambda lab: (lab.effective, lab.source)):
        if lab.effective_date <= service_date:
            latest[lab.loinc] = lab
    return [latest[k] for k in sorted(latest)]


def add_labs(graph: Graph, patient: URIRef, request: Request, service_date: date, units: UnitTable) -> None:
    """Check every result of an analyte read (a value no laboratory reports is the patient's data error),
    then add the latest one of each analyte to ``graph``: with its value, or, when it cannot be read, as a
    nec:UnreadableFact (nec:hasUnreadableLabResult), so that a criterion refuted by the absence of a result
    stays unknown."""
    for lab in request.labs:
        if units.reads(lab.loinc):
            converted(lab, units, request)
    for index, lab in enumerate(latest_labs(request.labs, service_date)):
        reading = converted(lab, units, request) if units.reads(lab.loinc) else None
        if reading is not None:
            value, unit, how = reading
            _add_lab(graph, patient, index, lab, (value, unit, units.label(unit)), how,
                     age=(service_date - lab.effective_date).days)
        elif units.reads(lab.loinc):
            _add_unreadable_lab(graph, patient, index, lab)


def converted(lab: LabFact, units: UnitTable, request: Request) -> tuple[Decimal, str, str] | None:
    """The result in its analyte's canonical unit, that unit and how the unit was read; None when it cannot
    be read (unless ``request.strict``: then the InputError naming the Observation and the field); the
    InputError of a value outside what a laboratory can report, always."""
    if lab.value is None or lab.unreadable:
        return None
    try:
        return units.normalize(lab.loinc, lab.value, lab.unit_code, lab.unit_text, system=lab.unit_system)
    except ImplausibleValue as exc:
        raise InputError(request.path, lab.source, exc.field, str(exc)) from exc
    except UnitError as exc:
        if request.strict:
            raise InputError(request.path, lab.source, exc.field, str(exc)) from exc
        return None


def unit_problem(lab: LabFact, units: UnitTable) -> str | None:
    """Why the unit of a result with a value cannot be converted, or None."""
    if lab.value is None or lab.unreadable or not units.reads(lab.loinc):
        return None
    try:
        units.normalize(lab.loinc, lab.value, lab.unit_code, lab.unit_text, system=lab.unit_system)
    except ImplausibleValue:
        return None
    except UnitError as exc:
        return f"{exc.field}: {exc}"
    return None


def _add_lab(graph: Graph, patient: URIRef, index: int, lab: LabFact, reading: tuple[Decimal, str, str], how: str,
             age: int) -> None:
    """Add the result: its value in the canonical unit (``reading``: value, UCUM code, the unit as people read
    it), as reported, its date, its age on the date of service."""
    node = REQ[f"lab/{index}"]
    value, unit, unit_label = reading
    shown = format(value.normalize(), "f")
    reported = " ".join(str(part) for part in (lab.value, lab.unit_code or lab.unit_text) if part is not None)
    graph.add((patient, NEC.hasLabResult, node))
    for predicate, term in ((RDF.type, NEC.LabResult), (RDF.type, LOINC[lab.loinc]),
                            (NEC.value, Literal(shown, datatype=XSD.decimal)), (NEC.unit, Literal(unit)),
                            (NEC.reportedValue, Literal(reported)), (NEC.effectiveDate, Literal(lab.effective_date)),
                            (NEC.daysBeforeService, Literal(age)),
                            (NEC.source, Literal(lab.source))):
        graph.add((node, predicate, term))
    label = f"LOINC {lab.loinc} {lab.display or ''} = {shown} {unit_label} on {_shown_instant(lab)} ({lab.source})"
    graph.add((node, RDFS.label, Literal(" ".join(label.split()))))
    if how:
        graph.add((node, NEC.unitRead, Literal(how)))


def _add_unreadable_lab(graph: Graph, patient: URIRef, index: int, lab: LabFact) -> None:
    """The latest result of an analyte that cannot be read: its LOINC class, no value."""
    node = REQ[f"lab/{index}"]
    graph.add((patient, NEC.hasUnreadableLabResult, node))
    for predicate, term in ((RDF.type, NEC.LabResult), (RDF.type, LOINC[lab.loinc]), (RDF.type, NEC.UnreadableFact),
                            (NEC.effectiveDate, Literal(lab.effective_date)), (NEC.source, Literal(lab.source))):
        graph.add((node, predicate, term))
    label = (f"LOINC {lab.loinc} {lab.display or ''}: a result that cannot be read, "
             f"on {_shown_instant(lab)} ({lab.source})")
    graph.add((node, RDFS.label, Literal(" ".join(label.split()))))


def _shown_instant(lab: LabFact) -> str:
    """When a result was taken, as its sender wrote it, and (for a time with an offset) the date compared
    with the date of service: the one in that offset."""
    written = lab.when or lab.effective_date.isoformat()
    if "T" in written and written[-6:-5] in ("+", "-"):
        return f"{written} (its date in the sender's offset: {lab.effective_date.isoformat()})"
    return written

