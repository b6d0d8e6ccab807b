# Writes each claim line's status (docs/architecture.md), in this order:
#   no-policy     no recommendation or coding rule bears on the line's code;
#   coding-error  a coding rule is refuted (documentation rules only on a claim after the service);
#   not-justified a recommendation that opposes the code is met;
#   justified     a supporting recommendation is met, no coding rule is left unknown, no indication
#                 requirement is refuted or unknown, and no opposing recommendation is open;
#   needs-info    a supporting recommendation is met or open (criteria unknown);
#   not-justified every applicable supporting recommendation has a refuted criterion;
#   needs-info    a coding rule is left unknown, an indication requirement is refuted or unknown, or an
#                 opposing recommendation is open (unknown: a fact that would decide it cannot be read);
#   no-policy     otherwise (coding rules only, all met, or no recommendation applies to this patient).
# Recommendations that are not applicable (scope criterion refuted) do not count.
# Each line's outcomes are read in one pass and summed up per line (GROUP BY), so the cost grows with the
# outcomes, not with lines times outcomes (an EXISTS over all outcomes per line did).
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
INSERT { ?line nec:decisionStatus ?status . }
WHERE {
  {
    SELECT ?line (MAX(?policy) AS ?hasPolicy) (MAX(?refutedRule) AS ?codingError) (MAX(?openRule) AS ?ruleOpen)
           (MAX(?metOpposing) AS ?opposed) (MAX(?openOpposing) AS ?opposeOpen) (MAX(?metSupporting) AS ?supported)
           (MAX(?openSupporting) AS ?supportOpen) (MAX(?refutedSupporting) AS ?supportRefuted)
    WHERE {
      ?line a nec:ClaimLine ; nec:onClaim ?claim .
      OPTIONAL { ?o nec:line ?line ; nec:role ?role ; nec:state ?state ; nec:of ?source . }
      BIND(EXISTS { ?source a nec:DocumentationRule } && EXISTS { ?claim nec:claimUse nec:Preauthorization }
           AS ?toReport)
      BIND(COALESCE(?role != nec:Checks, false) AS ?policy)
      BIND(COALESCE(?role = nec:Governs && ?state = nec:Refuted && !?toReport, false) AS ?refutedRule)
      BIND(COALESCE(?role = nec:Governs && ?state = nec:Unknown && !?toReport
                    || ?role = nec:Requires && ?state != nec:Met, false) AS ?openRule)
      BIND(COALESCE(?role = nec:Opposes && ?state = nec:Met, false) AS ?metOpposing)
      BIND(COALESCE(?role = nec:Opposes && ?state = nec:Unknown, false) AS ?openOpposing)
      BIND(COALESCE(?role = nec:Supports && ?state = nec:Met, false) AS ?metSupporting)
      BIND(COALESCE(?role = nec:Supports && ?state = nec:Unknown, false) AS ?openSupporting)
      BIND(COALESCE(?role = nec:Supports && ?state = nec:Refuted, false) AS ?refutedSupporting)
    }
    GROUP BY ?line
  }
  BIND(IF(!?hasPolicy, "no-policy",
       IF(?codingError, "coding-error",
       IF(?opposed, "not-justified",
       IF(?supported && !?ruleOpen && !?opposeOpen, "justified",
       IF(?supported || ?supportOpen, "needs-info",
       IF(?supportRefuted, "not-justified",
       IF(?ruleOpen || ?opposeOpen, "needs-info", "no-policy"))))))) AS ?status)
}
