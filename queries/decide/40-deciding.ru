# Marks the outcomes a line's status rests on (nec:deciding true): for justified, the met supporting
# recommendations; for not-justified, the met opposing ones, the refuted indication requirements,
# the refuted supporting ones when none is met or open, and the primary an add-on follows; for
# needs-info, the supporting recommendations met or open, the rules left unknown, the indications
# refuted or unknown and the primary an add-on follows; for coding-error, the refuted coding rules.
# Each line's opposing and supporting outcomes are summed up per line first (GROUP BY): one pass over the
# outcomes, not one per line.
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT { ?outcome nec:deciding true . }
WHERE {
  {
    SELECT ?line (MAX(?metOpposing) AS ?opposed) (MAX(?openSupporting) AS ?supportOpen)
    WHERE {
      ?line nec:decisionStatus ?any .
      OPTIONAL { ?o nec:line ?line ; nec:role ?r ; nec:state ?s . }
      BIND(COALESCE(?r = nec:Opposes && ?s = nec:Met, false) AS ?metOpposing)
      BIND(COALESCE(?r = nec:Supports && ?s IN (nec:Met, nec:Unknown), false) AS ?openSupporting)
    }
    GROUP BY ?line
  }
  ?line nec:decisionStatus ?status ; nec:onClaim ?claim .
  ?outcome nec:line ?line ; nec:role ?role ; nec:state ?state ; nec:of ?source .
  BIND(EXISTS { ?source a nec:DocumentationRule . ?claim nec:claimUse nec:Preauthorization . } AS ?toReport)
  FILTER(
       (?status = "justified" && ?role = nec:Supports && ?state = nec:Met)
    || (?status = "not-justified" && ?opposed && ?role = nec:Opposes && ?state = nec:Met)
    || (?status = "not-justified" && ?role = nec:Requires && ?state = nec:Refuted)
    || (?status = "needs-info" && ?role = nec:Requires && ?state IN (nec:Unknown, nec:Refuted))
    || (?status = "not-justified" && !?supportOpen && ?role = nec:Supports && ?state = nec:Refuted)
    || (?status IN ("not-justified", "needs-info") && ?role = nec:FollowsPrimary)
    || (?status = "needs-info" && ?role = nec:Supports && ?state IN (nec:Met, nec:Unknown))
    || (?status = "needs-info" && ?role = nec:Governs && ?state = nec:Unknown && !?toReport)
    || (?status = "coding-error" && ?role = nec:Governs && ?state = nec:Refuted && !?toReport)
  )
}
