# Writes each line's warnings, in three operations. First: every refuted coding rule or check gives
# its own kind and message (documentation rules on a prior authorization are requirements to report
# instead). Second: every deciding recommendation or rule whose evidence is unconfirmed gives
# 'unconfirmed-source'. Third: two recommendations recorded as in conflict (nec:GuidelineConflict),
# one met and the other refuted for the line, give 'guideline-conflict' with the conflict's message.
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT {
  ?line nec:warning ?warning .
  ?warning a nec:Warning ; nec:warningKind ?kind ; nec:message ?message ; nec:of ?source .
}
WHERE {
  ?outcome nec:line ?line ; nec:of ?source ; nec:role ?role ; nec:state nec:Refuted .
  FILTER(?role IN (nec:Governs, nec:Checks))
  ?line nec:onClaim ?claim .
  FILTER NOT EXISTS { ?source a nec:DocumentationRule . ?claim nec:claimUse nec:Preauthorization . }
  ?source nec:warningKind ?kind ; nec:message ?message .
  BIND(IRI(CONCAT(STR(?line), "/warning/", MD5(CONCAT(?kind, " ", STR(?source))))) AS ?warning)
} ;

INSERT {
  ?line nec:warning ?warning .
  ?warning a nec:Warning ; nec:warningKind "unconfirmed-source" ; nec:message ?message ; nec:of ?source .
}
WHERE {
  ?outcome nec:line ?line ; nec:of ?source ; nec:deciding true .
  ?source nec:evidenceStatus nec:Unconfirmed ; rdfs:label ?label .
  BIND(CONCAT("Rests on a statement not confirmed in its published source: ", ?label, ".") AS ?message)
  BIND(IRI(CONCAT(STR(?line), "/warning/", MD5(CONCAT("unconfirmed-source ", STR(?source))))) AS ?warning)
}
 ;

INSERT {
  ?line nec:warning ?warning .
  ?warning a nec:Warning ; nec:warningKind "guideline-conflict" ; nec:message ?message ; nec:of ?conflict .
}
WHERE {
  ?conflict a nec:GuidelineConflict ; nec:between ?one, ?other ; nec:message ?message .
  ?met nec:of ?one ; nec:state nec:Met ; nec:line ?line .
  ?refuted nec:of ?other ; nec:state nec:Refuted ; nec:line ?line .
  ?met a nec:Outcome . ?refuted a nec:Outcome .
  BIND(IRI(CONCAT(STR(?line), "/warning/", MD5(CONCAT("guideline-conflict ", STR(?conflict))))) AS ?warning)
}
