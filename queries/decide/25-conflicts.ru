# Conflicts between recommendations on a line, and their resolution by precedence (issue 9), in eight
# operations. First: a recorded nec:GuidelineConflict whose one recommendation is met and the other
# refuted for the line, both in the same role. Second: a recommendation supporting the code and one
# opposing it, both met. Each becomes a nec:ConflictOnLine with its two outcomes and a message.
# Third to fifth: every precedence rule (kg/precedence/) that prefers one of the two, one operation
# per comparison (each tested on the bound pair only): a more specific
# population (the preferred one is met, every criterion of the other's population is one of its
# criteria or a superclass of one, and one of its criteria is not matched back), a newer guideline
# from the same issuing body, a stronger strength grade. Sixth: the preferring rule of lowest
# nec:order resolves the conflict, unless rules of that order disagree. Seventh: a resolution whose
# winner is overruled in another conflict on the line is withdrawn (left to the reviewer). Eighth:
# each loser's role becomes nec:Overruled, so that it no longer counts for the status.
PREFIX nec:  <https://necessity.example/ns#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

INSERT {
  ?occurrence a nec:ConflictOnLine ; nec:line ?line ; nec:conflict ?conflict ; nec:outcomes ?met, ?refuted ;
      nec:message ?message .
}
WHERE {
  ?conflict a nec:GuidelineConflict ; nec:between ?one, ?other ; nec:message ?message .
  ?met a nec:Outcome ; nec:of ?one ; nec:state nec:Met ; nec:line ?line ; nec:role ?role .
  ?refuted a nec:Outcome ; nec:of ?other ; nec:state nec:Refuted ; nec:line ?line ; nec:role ?role .
  BIND(IRI(CONCAT(STR(?line), "/conflict/", MD5(STR(?conflict)))) AS ?occurrence)
}
;

INSERT {
  ?occurrence a nec:ConflictOnLine ; nec:line ?line ; nec:outcomes ?supporting, ?opposing ; nec:message ?message .
}
WHERE {
  ?supporting a nec:Outcome ; nec:line ?line ; nec:role nec:Supports ; nec:state nec:Met ; nec:of ?for .
  ?opposing a nec:Outcome ; nec:line ?line ; nec:role nec:Opposes ; nec:state nec:Met ; nec:of ?against .
  ?for rdfs:label ?forLabel . ?against rdfs:label ?againstLabel .
  BIND(CONCAT(?forLabel, " supports this code and ", ?againstLabel, " opposes it; both are met for this patient.")
       AS ?message)
  BIND(IRI(CONCAT(STR(?line), "/conflict/", MD5(CONCAT(STR(?for), " ", STR(?against))))) AS ?occurrence)
}
;

INSERT {
  ?occurrence nec:preference ?preference .
  ?preference nec:rule ?rule ; nec:order ?order ; nec:prevails ?winner ; nec:overruled ?loser .
}
WHERE {
  ?occurrence a nec:ConflictOnLine ; nec:outcomes ?winner, ?loser .
  FILTER(?winner != ?loser)
  ?winner nec:of ?a . ?loser nec:of ?b .
  ?rule a nec:PrecedenceRule ; nec:order ?order ; nec:comparison nec:NarrowerPopulation .
  FILTER EXISTS {
    ?winner nec:state nec:Met .
    ?a nec:patientClass/owl:intersectionOf ?specific .
    ?b nec:patientClass/owl:intersectionOf ?general .
    FILTER NOT EXISTS { ?general rdf:rest*/rdf:first ?wide .
                        FILTER NOT EXISTS { ?specific rdf:rest*/rdf:first ?narrow . ?narrow rdfs:subClassOf* ?wide } }
    FILTER EXISTS { ?specific rdf:rest*/rdf:first ?narrow .
                    FILTER NOT EXISTS { ?general rdf:rest*/rdf:first ?wide . ?wide rdfs:subClassOf* ?narrow } }
  }
  BIND(IRI(CONCAT(STR(?occurrence), "/preference/", MD5(STR(?rule)))) AS ?preference)
}
;

INSERT {
  ?occurrence nec:preference ?preference .
  ?preference nec:rule ?rule ; nec:order ?order ; nec:prevails ?winner ; nec:overruled ?loser .
}
WHERE {
  ?occurrence a nec:ConflictOnLine ; nec:outcomes ?winner, ?loser .
  FILTER(?winner != ?loser)
  ?winner nec:of ?a . ?loser nec:of ?b .
  ?rule a nec:PrecedenceRule ; nec:order ?order ; nec:comparison nec:NewerSameBody .
  FILTER EXISTS {
    ?a nec:guideline ?newer . ?b nec:guideline ?older .
    ?newer nec:issuingBody ?body ; nec:effectiveFrom ?newerFrom .
    ?older nec:issuingBody ?body ; nec:effectiveFrom ?olderFrom .
    FILTER(?newerFrom > ?olderFrom)
  }
  BIND(IRI(CONCAT(STR(?occurrence), "/preference/", MD5(STR(?rule)))) AS ?preference)
}
;

INSERT {
  ?occurrence nec:preference ?preference .
  ?preference nec:rule ?rule ; nec:order ?order ; nec:prevails ?winner ; nec:overruled ?loser .
}
WHERE {
  ?occurrence a nec:ConflictOnLine ; nec:outcomes ?winner, ?loser .
  FILTER(?winner != ?loser)
  ?winner nec:of ?a . ?loser nec:of ?b .
  ?rule a nec:PrecedenceRule ; nec:order ?order ; nec:comparison nec:StrongerGrade .
  FILTER EXISTS {
    ?a nec:strengthGrade/nec:rank ?stronger .
    ?b nec:strengthGrade/nec:rank ?weaker .
    FILTER(?stronger > ?weaker)
  }
  BIND(IRI(CONCAT(STR(?occurrence), "/preference/", MD5(STR(?rule)))) AS ?preference)
}
;

INSERT { ?occurrence nec:resolvedBy ?rule ; nec:prevails ?winner ; nec:overruled ?loser . }
WHERE {
  ?occurrence nec:preference ?preference .
  ?preference nec:rule ?rule ; nec:order ?order ; nec:prevails ?winner ; nec:overruled ?loser .
  FILTER NOT EXISTS { ?occurrence nec:preference ?earlier . ?earlier nec:order ?first . FILTER(?first < ?order) }
  FILTER NOT EXISTS { ?occurrence nec:preference ?tied . ?tied nec:order ?order ; nec:prevails ?other .
                      FILTER(?other != ?winner) }
}
;

DELETE { ?occurrence nec:resolvedBy ?rule ; nec:prevails ?winner ; nec:overruled ?loser . }
WHERE {
  ?occurrence nec:resolvedBy ?rule ; nec:prevails ?winner ; nec:overruled ?loser .
  ?elsewhere a nec:ConflictOnLine ; nec:overruled ?winner .
}
;

DELETE { ?loser nec:role ?role . }
INSERT { ?loser nec:role nec:Overruled . }
WHERE {
  ?occurrence a nec:ConflictOnLine ; nec:overruled ?loser .
  ?loser nec:role ?role .
}
