# Classifies claim lines by what the claim calls them: a line whose nec:claimedAs matches the
# nec:textPattern of a nec:ClaimTextClass (a SPARQL regular expression, case-insensitive) becomes an
# instance of that class. OWL 2 RL has no string patterns, so this one classification is a query;
# the classes and their patterns are knowledge (kg/coding/descriptors.ttl).
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT { ?line a ?textClass . }
WHERE {
  ?textClass a nec:ClaimTextClass ; nec:textPattern ?pattern .
  ?line a nec:ClaimLine ; nec:claimedAs ?text .
  FILTER(REGEX(?text, ?pattern, "i"))
}
