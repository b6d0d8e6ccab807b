# Writes each line's warnings, in six operations. First: every refuted coding rule or check gives
# its own kind and message (documentation rules on a prior authorization are requirements to report
# instead). Second: every deciding recommendation or rule whose evidence is unconfirmed gives
# 'unconfirmed-source'. Third: every conflict between recommendations on the line (25-conflicts.ru)
# gives 'guideline-conflict': its message, then the precedence rule that resolved it and which
# recommendation prevails, or that none did; its source is the rule (or the recorded conflict).
# Fourth and fifth: 'code-system', a billed code read in another system than the one it came under,
# or a diagnosis read so (WHO ICD-10 as ICD-10-CM): a diagnosis of the claim on each of its lines, another
# on every line a diagnosis criterion is met or refuted on (nec:readingWarning, written by ingest). Sixth: 'diagnosis-pointer', a line justified
# through a diagnosis criterion that none of the diagnoses it points to (Claim.item.diagnosisSequence)
# meets while another diagnosis of the claim does.
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT {
  ?line nec:warning ?warning .
  ?warning a nec:Warning ; nec:warningKind ?kind ; nec:message ?message ; nec:of ?source .
}
WHERE {
  ?outcome nec:line ?line ; nec:of ?source ; nec:role ?role ; nec:state nec:Refuted .
  FILTER(?role IN (nec:Governs, nec:Checks))
  ?line nec:onClaim ?claim .
  FILTER NOT EXISTS { ?source a nec:DocumentationRule . ?claim nec:claimUse nec:Preauthorization . }
  ?source nec:warningKind ?kind ; nec:message ?message .
  BIND(IRI(CONCAT(STR(?line), "/warning/", MD5(CONCAT(?kind, " ", STR(?source))))) AS ?warning)
} ;

INSERT {
  ?line nec:warning ?warning .
  ?warning a nec:Warning ; nec:warningKind "unconfirmed-source" ; nec:message ?message ; nec:of ?source .
}
WHERE {
  ?outcome nec:line ?line ; nec:of ?source ; nec:deciding true .
  ?source nec:evidenceStatus nec:Unconfirmed ; rdfs:label ?label .
  BIND(CONCAT("Rests on a statement not confirmed in its published source: ", ?label, ".") AS ?message)
  BIND(IRI(CONCAT(STR(?line), "/warning/", MD5(CONCAT("unconfirmed-source ", STR(?source))))) AS ?warning)
}
 ;

INSERT {
  ?line nec:warning ?warning .
  ?warning a nec:Warning ; nec:warningKind "guideline-conflict" ; nec:message ?text ; nec:of ?source .
}
WHERE {
  ?occurrence a nec:ConflictOnLine ; nec:line ?line ; nec:message ?message .
  OPTIONAL { ?occurrence nec:conflict ?recorded . }
  OPTIONAL {
    ?occurrence nec:resolvedBy ?rule ; nec:prevails/nec:of ?winner ; nec:overruled/nec:of ?loser .
    ?rule rdfs:label ?ruleLabel . ?winner rdfs:label ?winnerLabel . ?loser rdfs:label ?loserLabel .
  }
  BIND(IF(BOUND(?rule),
          CONCAT(" Resolved by precedence, ", ?ruleLabel, ": ", ?winnerLabel, " prevails over ", ?loserLabel,
                 ", which does not count for the status."),
          " No precedence rule resolves it: the reviewer decides.") AS ?resolution)
  BIND(CONCAT(?message, ?resolution) AS ?text)
  BIND(COALESCE(?rule, ?recorded, ?occurrence) AS ?source)
  BIND(IRI(CONCAT(STR(?line), "/warning/", MD5(CONCAT("guideline-conflict ", STR(?occurrence))))) AS ?warning)
} ;

INSERT {
  ?line nec:warning ?warning .
  ?warning a nec:Warning ; nec:warningKind "code-system" ; nec:message ?message ; nec:of nec:CodeSystemTable .
}
WHERE {
  ?line a nec:ClaimLine ; nec:readingWarning ?message .
  BIND(IRI(CONCAT(STR(?line), "/warning/", MD5(CONCAT("code-system ", ?message)))) AS ?warning)
} ;

INSERT {
  ?line nec:warning ?warning .
  ?warning a nec:Warning ; nec:warningKind "code-system" ; nec:message ?message ; nec:of nec:CodeSystemTable .
}
WHERE {
  { SELECT DISTINCT ?line ?message WHERE {
      {
        ?line a nec:ClaimLine ; nec:onClaim ?claim .
        ?claim nec:hasDiagnosis ?condition .
        ?condition nec:readingWarning ?message .
      } UNION {
        ?assessment a nec:Assessment ; nec:line ?line ; nec:criterion ?criterion ; nec:assessedSubject ?patient ;
            nec:state ?state .
        FILTER(?state IN (nec:Met, nec:Refuted))
        ?criterion owl:equivalentClass ?class .
        ?class (owl:unionOf/rdf:rest*/rdf:first)? ?member .
        ?member owl:onProperty nec:hasCondition .
        ?patient nec:hasCondition ?condition .
        ?condition nec:readingWarning ?message .
      }
  } }
  BIND(IRI(CONCAT(STR(?line), "/warning/", MD5(CONCAT("code-system ", ?message)))) AS ?warning)
} ;

INSERT {
  ?line nec:warning ?warning .
  ?warning a nec:Warning ; nec:warningKind "diagnosis-pointer" ; nec:message ?message ; nec:of ?criterion .
}
WHERE {
  { SELECT ?line ?criterion ?sequence ?label (MIN(?otherLabel) AS ?other) WHERE {
      # The met criteria of the met supporting recommendations of the lines that point to diagnoses, first:
      # a handful of pairs, before the criteria's class expressions are walked (15 times faster on the seed).
      { SELECT DISTINCT ?line ?criterion WHERE {
          ?outcome nec:role nec:Supports ; nec:state nec:Met ; nec:line ?line ; nec:of ?source .
          ?line nec:pointsToDiagnosis [] .
          ?assessment nec:line ?line ; nec:of ?source ; nec:criterion ?criterion ; nec:state nec:Met . } }
      ?criterion owl:equivalentClass ?class ; rdfs:label ?label .
      ?class (owl:unionOf/rdf:rest*/rdf:first)? ?member .
      ?member owl:onProperty nec:hasCondition ; owl:someValuesFrom ?filler .
      ?line nec:onClaim ?claim ; nec:sequence ?sequence .
      FILTER NOT EXISTS { ?line nec:pointsToDiagnosis ?pointed . ?pointed a ?filler . }
      ?claim nec:hasDiagnosis ?diagnosis .
      ?diagnosis a ?filler ; rdfs:label ?otherLabel .
  } GROUP BY ?line ?criterion ?sequence ?label }
  BIND(CONCAT("Line ", STR(?sequence), " points (Claim.item.diagnosisSequence) to diagnoses that do not meet \"", ?label,
              "\", but another diagnosis of the claim does: ", ?other, ". Point the line to it.") AS ?message)
  BIND(IRI(CONCAT(STR(?line), "/warning/", MD5(CONCAT("diagnosis-pointer ", STR(?criterion))))) AS ?warning)
}
