# Writes one nec:Assessment per claim line and criterion that bears on it (of the sources in force on
# the line's policy date, 06-in-force.ru): the criteria of every
# recommendation that supports or opposes the line's code (and its exceptions), and the requirement of every coding rule
# or safety check that applies to the line. The subject is the line's patient or the line itself
# (nec:subject). State: met if the subject is an instance of the criterion and not of
# nec:refutedWhen; refuted if it is an instance of nec:refutedWhen and not of the criterion, or
# if it is an instance of neither nor of nec:unknownWhen and nec:whenNoFact is nec:Refuted;
# met, in that last case, if nec:whenNoFact is nec:Met (the claim lists all its lines, so a line
# that is not there is known absent); otherwise unknown (no fact, or contradictory facts).
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT {
  ?assessment a nec:Assessment ; nec:line ?line ; nec:of ?source ; nec:criterion ?criterion ;
      nec:assessedSubject ?subject ; nec:state ?state .
}
WHERE {
  ?line a nec:ClaimLine ; nec:forPatient ?patient .
  {
    ?source a nec:Recommendation ; nec:supportsCode|nec:opposesCode ?code .
    ?line a ?code .
    ?source (nec:patientClass/owl:intersectionOf/rdf:rest*/rdf:first)|nec:exception ?criterion .
  } UNION {
    ?source nec:appliesTo ?governed ; nec:requirement ?criterion .
    ?line a ?governed .
  }
  FILTER NOT EXISTS { ?line nec:notInForce ?source }
  ?criterion nec:subject ?about .
  BIND(IF(?about = nec:Patient, ?patient, ?line) AS ?subject)
  BIND(EXISTS { ?subject a ?criterion } AS ?meets)
  BIND(EXISTS { ?criterion nec:refutedWhen ?contrary . ?subject a ?contrary } AS ?contradicts)
  BIND(EXISTS { ?criterion nec:unknownWhen ?open . ?subject a ?open } AS ?undecided)
  OPTIONAL { ?criterion nec:whenNoFact ?noFact . }
  BIND(!?meets && !?contradicts && !?undecided && BOUND(?noFact) AS ?closedWorld)
  BIND(IF(?meets && !?contradicts, nec:Met,
       IF(?contradicts && !?meets, nec:Refuted,
       IF(?closedWorld, ?noFact, nec:Unknown))) AS ?state)
  BIND(IRI(CONCAT(STR(?line), "/assessment/", MD5(CONCAT(STR(?source), " ", STR(?criterion))))) AS ?assessment)
}
