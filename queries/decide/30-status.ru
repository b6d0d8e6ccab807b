# Writes each claim line's status (DESIGN.md, "The reasoning contract"), in this order:
#   no-policy     no recommendation or coding rule bears on the line's code;
#   coding-error  a coding rule is refuted (documentation rules only on a claim after the service);
#   not-justified a recommendation that opposes the code is met;
#   justified     a supporting recommendation is met, no coding rule is left unknown and no indication
#                 requirement is refuted or unknown;
#   needs-info    a supporting recommendation is met or open (criteria unknown);
#   not-justified every applicable supporting recommendation has a refuted criterion;
#   needs-info    a coding rule is left unknown, or an indication requirement is refuted or unknown;
#   no-policy     otherwise (coding rules only, all met, or no recommendation applies to this patient).
# Recommendations that are not applicable (scope criterion refuted) do not count.
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT { ?line nec:decisionStatus ?status . }
WHERE {
  ?line a nec:ClaimLine ; nec:onClaim ?claim .
  BIND(EXISTS { ?o nec:line ?line ; nec:role ?r . FILTER(?r != nec:Checks) } AS ?hasPolicy)
  BIND(EXISTS { ?o nec:line ?line ; nec:role nec:Governs ; nec:state nec:Refuted ; nec:of ?rule .
                FILTER NOT EXISTS { ?rule a nec:DocumentationRule . ?claim nec:claimUse nec:Preauthorization . } }
       AS ?codingError)
  BIND(EXISTS { ?o nec:line ?line ; nec:role nec:Governs ; nec:state nec:Unknown ; nec:of ?rule .
                FILTER NOT EXISTS { ?rule a nec:DocumentationRule . ?claim nec:claimUse nec:Preauthorization . } }
       AS ?ruleOpen0)
  BIND(EXISTS { ?o nec:line ?line ; nec:role nec:Opposes ; nec:state nec:Met } AS ?opposed)
  BIND(?ruleOpen0 || EXISTS { ?o nec:line ?line ; nec:role nec:Requires ; nec:state ?r . FILTER(?r != nec:Met) }
       AS ?ruleOpen)
  BIND(EXISTS { ?o nec:line ?line ; nec:role nec:Supports ; nec:state nec:Met } AS ?supported)
  BIND(EXISTS { ?o nec:line ?line ; nec:role nec:Supports ; nec:state nec:Unknown } AS ?supportOpen)
  BIND(EXISTS { ?o nec:line ?line ; nec:role nec:Supports ; nec:state nec:Refuted } AS ?supportRefuted)
  BIND(IF(!?hasPolicy, "no-policy",
       IF(?codingError, "coding-error",
       IF(?opposed, "not-justified",
       IF(?supported && !?ruleOpen, "justified",
       IF(?supported || ?supportOpen, "needs-info",
       IF(?supportRefuted, "not-justified",
       IF(?ruleOpen, "needs-info", "no-policy"))))))) AS ?status)
}
