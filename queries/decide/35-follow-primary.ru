# An add-on or device line whose primary procedure is on the claim follows that primary when no primary line
# is justified by a recommendation: it becomes not-justified when every primary line is refuted
# (a refuted supporting recommendation and none met or open), and needs-info otherwise (a primary
# still open, or no recommendation applies to it).
# Writes the change of status and an outcome with the role nec:FollowsPrimary that says why.
# Lines already coding-error or not-justified keep their status.
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

DELETE { ?line nec:decisionStatus ?old . }
INSERT {
  ?line nec:decisionStatus ?new .
  ?outcome a nec:Outcome ; nec:line ?line ; nec:of ?rule ; nec:role nec:FollowsPrimary ; nec:state ?state .
}
WHERE {
  ?line nec:decisionStatus ?old .
  FILTER(?old IN ("justified", "needs-info"))
  ?rule a nec:PrimaryCodeRule ; nec:appliesTo ?code ; nec:primaryCode ?primary .
  ?line a ?code .
  FILTER EXISTS { ?line nec:sameClaimAs ?some . ?some a ?primary . }
  FILTER NOT EXISTS { ?line nec:sameClaimAs ?justified . ?justified a ?primary ; nec:justifiedBy ?any . }
  BIND(EXISTS { ?line nec:sameClaimAs ?open . ?open a ?primary .
                FILTER(EXISTS { ?o1 nec:line ?open ; nec:role nec:Supports ; nec:state ?s1 . FILTER(?s1 IN (nec:Met, nec:Unknown)) }
                       || NOT EXISTS { ?o2 nec:line ?open ; nec:role nec:Supports ; nec:state nec:Refuted . }) }
       AS ?pending)
  BIND(IF(?pending, "needs-info", "not-justified") AS ?new)
  BIND(IF(?pending, nec:Unknown, nec:Refuted) AS ?state)
  BIND(IRI(CONCAT(STR(?line), "/outcome/", MD5(CONCAT("follows ", STR(?rule))))) AS ?outcome)
}
