# An add-on or device line whose primary procedure is on the claim follows that primary when no primary line
# is justified by a recommendation: it becomes not-justified when every primary line is refuted
# (a refuted supporting recommendation and none met or open), and needs-info otherwise (a primary
# still open, or no recommendation applies to it).
# Writes the change of status and an outcome with the role nec:FollowsPrimary that says why.
# Lines already coding-error or not-justified keep their status.
# In three operations, so that the cost is one pass over the lines and never one per pair of lines:
# first each claim's primary lines summed up by primary code (nec:hasLineOf, nec:hasJustifiedLineOf,
# nec:hasOpenLineOf), then each add-on or device line reads its claim's summary.
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT { ?claim nec:hasLineOf ?primary . ?claim nec:hasJustifiedLineOf ?justified . }
WHERE {
  { SELECT DISTINCT ?primary WHERE { ?rule a nec:PrimaryCodeRule ; nec:primaryCode ?primary . } }
  ?some a ?primary ; a nec:ClaimLine ; nec:onClaim ?claim .
  BIND(IF(EXISTS { ?some nec:justifiedBy ?any }, ?primary, ?unbound) AS ?justified)
} ;

INSERT { ?claim nec:hasOpenLineOf ?primary . }
WHERE {
  { SELECT DISTINCT ?primary WHERE { ?rule a nec:PrimaryCodeRule ; nec:primaryCode ?primary . } }
  ?open a ?primary ; a nec:ClaimLine ; nec:onClaim ?claim .
  {
    SELECT ?open (MAX(?metOrUnknown) AS ?someOpen) (MAX(?refuted) AS ?someRefuted)
    WHERE {
      ?open a nec:ClaimLine .
      OPTIONAL { ?o nec:line ?open ; nec:role nec:Supports ; nec:state ?s . }
      BIND(COALESCE(?s IN (nec:Met, nec:Unknown), false) AS ?metOrUnknown)
      BIND(COALESCE(?s = nec:Refuted, false) AS ?refuted)
    }
    GROUP BY ?open
  }
  FILTER(?someOpen || !?someRefuted)
} ;

DELETE { ?line nec:decisionStatus ?old . }
INSERT {
  ?line nec:decisionStatus ?new .
  ?outcome a nec:Outcome ; nec:line ?line ; nec:of ?rule ; nec:role nec:FollowsPrimary ; nec:state ?state .
}
WHERE {
  ?line nec:decisionStatus ?old ; nec:onClaim ?claim .
  FILTER(?old IN ("justified", "needs-info"))
  ?rule a nec:PrimaryCodeRule ; nec:appliesTo ?code ; nec:primaryCode ?primary .
  ?line a ?code .
  ?claim nec:hasLineOf ?primary .
  FILTER NOT EXISTS { ?claim nec:hasJustifiedLineOf ?primary . }
  BIND(EXISTS { ?claim nec:hasOpenLineOf ?primary . } AS ?pending)
  BIND(IF(?pending, "needs-info", "not-justified") AS ?new)
  BIND(IF(?pending, nec:Unknown, nec:Refuted) AS ?state)
  BIND(IRI(CONCAT(STR(?line), "/outcome/", MD5(CONCAT("follows ", STR(?rule))))) AS ?outcome)
}
