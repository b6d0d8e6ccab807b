# Writes one nec:Outcome per claim line and recommendation or rule in force that bears on it, with its role
# (supports, opposes, coding rule, indication requirement, check) and state. A recommendation is met when inference
# derived nec:justifiedBy / nec:opposedBy for the line; not applicable when one of its exceptions
# (nec:exception) is met or one of its scope criteria is refuted; refuted when another of its
# criteria is refuted; otherwise unknown. A rule's
# or check's state is its requirement's.
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
  ?line a nec:ClaimLine .
  {
    VALUES (?link ?derived ?role) { (nec:supportsCode nec:justifiedBy nec:Supports) (nec:opposesCode nec:opposedBy nec:Opposes) }
    ?source a nec:Recommendation ; ?link ?code .
    ?line a ?code .
    BIND(IF(EXISTS { ?source nec:exception ?exception .
                     ?met nec:line ?line ; nec:of ?source ; nec:criterion ?exception ; nec:state nec:Met }, nec:NotApplicable,
         IF(EXISTS { ?line ?derived ?source }, nec:Met,
         IF(EXISTS { ?out nec:line ?line ; nec:of ?source ; nec:criterion ?scope ; nec:state nec:Refuted .
                     ?scope a nec:ScopeCriterion }, nec:NotApplicable,
         IF(EXISTS { ?refuted nec:line ?line ; nec:of ?source ; nec:state nec:Refuted ; nec:criterion ?criterion .
                     FILTER NOT EXISTS { ?source nec:exception ?criterion } }, nec:Refuted, nec:Unknown))))
         AS ?state)
  } UNION {
    VALUES (?kind ?role) { (nec:CodingRule nec:Governs) (nec:IndicationRequirement nec:Requires) (nec:Check nec:Checks) }
    ?source a ?kind ; nec:appliesTo ?governed ; nec:requirement ?criterion .
    ?line a ?governed .
    ?assessment nec:line ?line ; nec:of ?source ; nec:criterion ?criterion ; nec:state ?state .
  }
  FILTER NOT EXISTS { ?line nec:notInForce ?source }
  BIND(IRI(CONCAT(STR(?line), "/outcome/", MD5(STR(?source)))) AS ?outcome)
}
