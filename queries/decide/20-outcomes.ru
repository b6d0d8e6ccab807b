# Writes one nec:Outcome per claim line and recommendation or rule in force that bears on it, with its role
# (supports, opposes, coding rule, indication requirement, check) and state. A recommendation is met when inference
# derived nec:justifiedBy / nec:opposedBy for the line and none of its criteria is unknown (facts that
# contradict each other, two latest results on either side of a bound, make a criterion unknown even
# where inference derived it); not applicable when one of its exceptions
# (nec:exception) is met or one of its scope criteria is refuted; unknown when an exception is unknown
# (a diagnosis that cannot be read may be the exception); refuted when another of its
# criteria is refuted; otherwise unknown. A rule's
# or check's state is its requirement's.
# A recommendation's assessments on a line are summed up per line and recommendation first (GROUP BY):
# one pass over the assessments, not one per line and recommendation.
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT {
  ?outcome a nec:Outcome ; nec:line ?line ; nec:of ?source ; nec:role ?role ; nec:state ?state .
}
WHERE {
  {
    VALUES (?link ?derived ?role) { (nec:supportsCode nec:justifiedBy nec:Supports) (nec:opposesCode nec:opposedBy nec:Opposes) }
    ?source a nec:Recommendation ; ?link ?code .
    ?line a ?code , nec:ClaimLine .
    OPTIONAL {
      SELECT ?line ?source (MAX(?exceptionMet) AS ?excepted) (MAX(?exceptionOpen) AS ?perhapsExcepted)
             (MAX(?scopeRefuted) AS ?outOfScope) (MAX(?criterionRefuted) AS ?refuted)
             (MAX(?criterionOpen) AS ?open)
      WHERE {
        ?assessment a nec:Assessment ; nec:line ?line ; nec:of ?source ; nec:criterion ?criterion ; nec:state ?s .
        BIND(EXISTS { ?source nec:exception ?criterion } AS ?isException)
        BIND(?isException && ?s = nec:Met AS ?exceptionMet)
        BIND(?isException && ?s = nec:Unknown AS ?exceptionOpen)
        BIND(?s = nec:Refuted && EXISTS { ?criterion a nec:ScopeCriterion } AS ?scopeRefuted)
        BIND(?s = nec:Refuted && !?isException AS ?criterionRefuted)
        BIND(?s = nec:Unknown && !?isException AS ?criterionOpen)
      }
      GROUP BY ?line ?source
    }
    BIND(IF(COALESCE(?excepted, false), nec:NotApplicable,
         IF(COALESCE(?perhapsExcepted, false), nec:Unknown,
         IF(EXISTS { ?line ?derived ?source } && !COALESCE(?open, false), nec:Met,
         IF(COALESCE(?outOfScope, false), nec:NotApplicable,
         IF(COALESCE(?refuted, false), nec:Refuted, nec:Unknown)))))
         AS ?state)
  } UNION {
    VALUES (?kind ?role) { (nec:CodingRule nec:Governs) (nec:IndicationRequirement nec:Requires) (nec:Check nec:Checks) }
    ?source a ?kind ; nec:appliesTo ?governed ; nec:requirement ?criterion .
    ?line a ?governed , nec:ClaimLine .
    ?assessment nec:line ?line ; nec:of ?source ; nec:criterion ?criterion ; nec:state ?state .
  }
  FILTER NOT EXISTS { ?line nec:notInForce ?source }
  BIND(IRI(CONCAT(STR(?line), "/outcome/", MD5(STR(?source)))) AS ?outcome)
}
