# What is in force on each claim line's policy date (nec:policyDate: its date of service, or the date
# given with --as-of). First: a recommendation, coding rule or check is not in force for a line when
# it, or its guideline, took effect after that date (nec:effectiveFrom) or was retired or superseded
# on or before it (nec:retiredOn); the line gets nec:notInForce for it, and no assessment or outcome
# (10-assessments.ru). Second: a line whose billed code (or a class above it) is not in force on
# that date becomes an instance of every nec:CodeNotInForceClass, which the coding rules read.
PREFIX nec:  <https://necessity.example/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

INSERT { ?line nec:notInForce ?source . }
WHERE {
  ?line a nec:ClaimLine ; nec:policyDate ?date .
  ?source a ?kind .
  VALUES ?kind { nec:Recommendation nec:CodingRule nec:IndicationRequirement nec:SafetyCheck nec:PolicyCheck nec:CodingCheck }
  ?source nec:guideline? ?dated .
  { ?dated nec:effectiveFrom ?from } UNION { ?dated nec:retiredOn ?retired }
  FILTER((BOUND(?from) && ?date < ?from) || (BOUND(?retired) && ?date >= ?retired))
}
;

INSERT { ?line a ?notInForce . }
WHERE {
  ?notInForce a nec:CodeNotInForceClass .
  ?line a nec:ClaimLine ; nec:policyDate ?date ; a ?code .
  { ?code nec:effectiveFrom ?from } UNION { ?code nec:retiredOn ?retired }
  FILTER((BOUND(?from) && ?date < ?from) || (BOUND(?retired) && ?date >= ?retired))
}
