"""One minimal request per recommendation, rule and check added by knowledge base v1 (sedation,
laboratory, drugs, blood components, devices, NCCI pairs, descriptors), each on both sides of what
it decides. Named after the knowledge they test; they run the whole pipeline. A request checked only
for statuses and criterion states is a policy test case instead, in kg/tests/ (`necessity test`)."""

from __future__ import annotations

import pytest
from bundles import kinds, states

from reasoner.cli.options import knowledge as installed

AML = ("C92.00",)
IV_CHEMO = (("3041", "iv"), ("3109", "iv"))
FLUDARABINE = (("24698", "iv"), ("3041", "iv"))
PORT = "36561"
TRANSFUSION = "116859006"


def deciding(line) -> list[str]:
    return sorted(c.id for c in (*line.recommendations, *line.rules) if c.deciding)


# rec:aabb-2015-r1, rec:aabb-ictmg-2025-r1.1, rec:asco-2018-prophylactic-threshold. AABB 2015 is in
# force until 2025-05-29, AABB/ICTMG 2025 from that day (kg/guidelines/); the default date of service
# of tests/bundles.py is 2026-11-20.
BEFORE_2025, FROM_2025 = "2025-05-28", "2025-05-29"


def test_at_10_aabb_2015_r1_justifies_platelets_before_it_was_superseded(decide_lines):
    line = decide_lines(["P9035"], conditions=AML, meds=IV_CHEMO, labs={"plt": 10}, date=BEFORE_2025)["P9035"]
    assert line.status == "justified"
    assert deciding(line) == ["rec:aabb-2015-r1"]
    assert states(line, "rec:aabb-2015-r1")["crit:platelets-10-or-less"] == "met"
    assert "rec:aabb-ictmg-2025-r1.1" not in {c.id for c in line.recommendations}  # not yet in force
    assert any("doi:10.7326/M14-1589" in c for c in line.citations)


def test_at_10_aabb_ictmg_2025_does_not_justify_platelets_from_the_day_it_took_effect(decide_lines):
    line = decide_lines(["P9035"], conditions=AML, meds=IV_CHEMO, labs={"plt": 10}, date=FROM_2025)["P9035"]
    assert line.status == "not-justified"
    assert states(line, "rec:aabb-ictmg-2025-r1.1")["crit:platelets-below-10"] == "refuted"
    assert "rec:aabb-2015-r1" not in {c.id for c in line.recommendations}  # superseded
    assert "guideline-conflict" not in kinds(line)


def test_prophylactic_platelets_above_10_are_not_justified(decide_lines):
    line = decide_lines(["P9035"], conditions=AML, meds=IV_CHEMO, labs={"plt": 10.5})["P9035"]
    assert line.status == "not-justified"
    assert "guideline-conflict" not in kinds(line)


@pytest.mark.parametrize("date, aabb", [(BEFORE_2025, "rec:aabb-2015-r1"), (FROM_2025, "rec:aabb-ictmg-2025-r1.1")])
def test_below_10_every_prophylaxis_recommendation_agrees(decide_lines, date, aabb):
    line = decide_lines(["P9035"], conditions=AML, meds=IV_CHEMO, labs={"plt": 9}, date=date)["P9035"]
    assert line.status == "justified"
    assert deciding(line) == sorted([aabb, "rec:asco-2018-prophylactic-threshold"])
    assert "guideline-conflict" not in kinds(line) and "unconfirmed-source" in kinds(line)


def test_prophylactic_platelets_need_therapy_induced_thrombocytopenia(decide_lines):
    line = decide_lines(["P9035"], conditions=("D69.6",), labs={"plt": 5}, date=BEFORE_2025)["P9035"]
    assert line.status == "not-justified"
    assert states(line, "rec:aabb-2015-r1")["crit:on-antineoplastic-therapy"] == "refuted"


# rec:aabb-2015-r2 and rec:aabb-ictmg-2025-cvc: platelets before a central line

def test_platelets_of_15_before_a_port_justified_by_aabb_2015_and_sir_2019_before_may_2025(decide_lines):
    lines = decide_lines([PORT, "P9035"], conditions=AML, meds=IV_CHEMO, labs={"plt": 15}, date=BEFORE_2025)
    line = lines["P9035"]
    assert line.status == "justified"
    assert deciding(line) == ["rec:aabb-2015-r2", "rec:sir-2019-port-platelet-transfusion"]
    assert states(line, "rec:aabb-2015-r2") == {"crit:adult": "met", "crit:cvc-placement-on-claim": "met",
                                                "crit:platelets-below-20": "met", "crit:actively-bleeding": "refuted"}
    assert "guideline-conflict" not in kinds(line)
    assert "safety" in kinds(lines[PORT])


def test_platelets_of_15_before_a_central_line_conflict_resolved_for_aabb_ictmg_2025_from_may_2025(decide_lines):
    """Before a non-tunneled central line (36556), SIR 2019 (below 20, met) and AABB/ICTMG 2025 (below
    10 at a compressible site, refuted) disagree; neither population is more specific and they come
    from different bodies, so the third precedence rule decides: the graded AABB/ICTMG recommendation
    over SIR's ungraded consensus. Before a port they agree (the low-risk IR threshold, 20)."""
    line = decide_lines(["36556", "P9035"], conditions=AML, meds=IV_CHEMO, labs={"plt": 15}, date=FROM_2025)["P9035"]
    assert line.status == "not-justified"
    roles = {c.id: (c.role, c.state) for c in line.recommendations}
    assert roles["rec:sir-2019-port-platelet-transfusion"] == ("overruled", "met")
    assert roles["rec:aabb-ictmg-2025-cvc"] == ("supports", "refuted")
    assert "rec:aabb-2015-r2" not in roles
    [conflict] = [w for w in line.warnings if w.kind == "guideline-conflict"]
    assert conflict.source == "prec:stronger-recommendation"
    assert conflict.message.startswith("SIR 2019 advises platelets before a low-bleeding-risk procedure")
    assert ("Resolved by precedence, a stronger graded recommendation over a weaker one: AABB/ICTMG 2025: platelets "
            "before central venous catheter placement at a compressible site below 10 ×10³/µL prevails over SIR 2019"
            in conflict.message)


def test_platelets_of_20_before_a_port_are_not_justified(decide_lines):
    line = decide_lines([PORT, "P9035"], conditions=AML, meds=IV_CHEMO, labs={"plt": 20}, date=BEFORE_2025)["P9035"]
    assert line.status == "not-justified"
    assert states(line, "rec:aabb-2015-r2")["crit:platelets-below-20"] == "refuted"


# rule:bsh-2020-irradiation-indication, rule:irradiation-policy-differs

def test_irradiated_platelets_justified_after_a_purine_analogue(decide_lines):
    line = decide_lines(["P9037"], conditions=("C92.02",), meds=FLUDARABINE, labs={"plt": 8})["P9037"]
    assert line.status == "justified"
    assert states(line, "rule:bsh-2020-irradiation-indication") == {"crit:irradiation-indication": "met"}
    assert "policy-dependent" not in kinds(line)


def test_irradiated_platelets_in_aml_alone_need_an_indication_and_are_policy_dependent(decide_lines):
    line = decide_lines(["P9037"], conditions=AML, meds=IV_CHEMO, labs={"plt": 8})["P9037"]
    assert line.status == "needs-info"
    assert "rule:bsh-2020-irradiation-indication" in deciding(line)
    assert states(line, "rule:bsh-2020-irradiation-indication") == {"crit:irradiation-indication": "refuted"}
    assert {"policy-dependent", "unconfirmed-source"} <= kinds(line)


def test_an_unclassified_drug_leaves_the_irradiation_indication_unknown(decide_lines):
    line = decide_lines(["P9037"], conditions=AML, meds=IV_CHEMO + (("999001", "iv"),), labs={"plt": 8})["P9037"]
    assert states(line, "rule:bsh-2020-irradiation-indication") == {"crit:irradiation-indication": "unknown"}
    assert line.status == "needs-info"


def test_hodgkin_lymphoma_is_an_indication_for_irradiated_components(decide_lines):
    line = decide_lines(["P9037"], conditions=("C81.90",), meds=(("3639", "iv"),), labs={"plt": 7})["P9037"]
    assert states(line, "rule:bsh-2020-irradiation-indication") == {"crit:irradiation-indication": "met"}
    assert line.status == "justified"


# rec:cdc-2011-no-routine-antimicrobial-prophylaxis, rec:asco-2013-no-antibiotic-prophylaxis

def test_cefazolin_with_a_port_is_not_justified(decide_lines):
    line = decide_lines([PORT, "J0690"], conditions=AML, meds=IV_CHEMO)["J0690"]
    assert line.status == "not-justified"
    assert deciding(line) == ["rec:asco-2013-no-antibiotic-prophylaxis",
                              "rec:cdc-2011-no-routine-antimicrobial-prophylaxis"]
    assert any("PMID: 21601826" in c for c in line.citations)


def test_cefazolin_without_a_catheter_has_no_policy(decide_lines):
    line = decide_lines(["J0690"], conditions=AML)["J0690"]
    assert line.status == "no-policy"
    assert states(line, "rec:cdc-2011-no-routine-antimicrobial-prophylaxis") == {
        "crit:cvc-placement-on-claim": "refuted", "crit:infection-documented": "refuted"}


# rec:asa-2018-sedation-for-procedure, rec:asa-2018-sedation-drugs

def test_sedation_and_its_drugs_with_a_procedure(decide_lines):
    docs = {"sedation.intraservice-minutes": 25, "sedation.independent-observer": True}
    lines = decide_lines([PORT, "99152", "99153", "J2250", "J3010"], conditions=AML, meds=IV_CHEMO, docs=docs, pos="11")
    for code in ("99152", "99153", "J2250", "J3010"):
        assert lines[code].status == "justified", code
        assert "unconfirmed-source" in kinds(lines[code])
    assert deciding(lines["J2250"]) == ["rec:asa-2018-sedation-drugs"]


def test_sedation_without_a_procedure_is_not_justified_and_its_drugs_need_info(decide_lines):
    docs = {"sedation.intraservice-minutes": 15, "sedation.independent-observer": True}
    lines = decide_lines(["99152", "J2250"], docs=docs)
    assert lines["99152"].status == "not-justified"
    assert states(lines["99152"], "rec:asa-2018-sedation-for-procedure") == {"crit:procedure-on-claim": "refuted"}
    line = decide_lines(["J2250"])["J2250"]
    assert line.status == "needs-info"


# rule:moderate-sedation-initial-time, rule:cpt-99153-time, rule:moderate-sedation-observer

def test_sedation_time_thresholds_on_both_sides(decide_lines):
    for minutes, initial, add_on in ((9, "coding-error", "coding-error"), (10, "justified", "coding-error"),
                                     (22, "justified", "coding-error"), (23, "justified", "justified")):
        docs = {"sedation.intraservice-minutes": minutes, "sedation.independent-observer": True}
        lines = decide_lines([PORT, "99152", "99153"], conditions=AML, meds=IV_CHEMO, docs=docs, pos="11")
        assert (lines["99152"].status, lines["99153"].status) == (initial, add_on), minutes
        assert ("time-short" in kinds(lines["99153"])) == (minutes < 23)


def test_sedation_observer_false_is_a_coding_error_and_absent_needs_info(decide_lines):
    lines = decide_lines([PORT, "99152"], conditions=AML, meds=IV_CHEMO,
                         docs={"sedation.intraservice-minutes": 15, "sedation.independent-observer": False})
    assert lines["99152"].status == "coding-error" and "documentation-short" in kinds(lines["99152"])
    lines = decide_lines([PORT, "99152"], conditions=AML, meds=IV_CHEMO, docs={"sedation.intraservice-minutes": 15})
    assert lines["99152"].status == "needs-info"


def test_sedation_time_on_a_prior_authorization_is_to_report(decide_lines):
    lines = decide_lines([PORT, "99152", "99153"], conditions=AML, meds=IV_CHEMO, use="preauthorization")
    assert lines["99153"].status == "justified"
    assert [d.link_id for d in lines["99153"].documentation] == ["sedation.intraservice-minutes"]


# rule:cpt-99152-age-band, rule:cpt-99151-age-band, rule:cpt-99153-add-on, rule:cpt-99153-facility

def test_sedation_age_bands(decide_lines):
    lines = decide_lines([PORT, "99151"], conditions=AML, meds=IV_CHEMO)
    assert lines["99151"].status == "coding-error" and "age-band" in kinds(lines["99151"])
    lines = decide_lines(["36560", "99151", "99152"], birth="2022-06-01", conditions=("C91.00",), meds=IV_CHEMO)
    assert states(lines["99151"], "rule:cpt-99151-age-band") == {"crit:age-under-5": "met"}
    assert lines["99152"].status == "coding-error" and "age-band" in kinds(lines["99152"])


def test_99153_without_99151_or_99152_is_a_coding_error(decide_lines):
    line = decide_lines([PORT, "99153"], conditions=AML, meds=IV_CHEMO, use="preauthorization")["99153"]
    assert line.status == "coding-error" and "add-on-without-primary" in kinds(line)


def test_99153_on_a_professional_claim_in_a_facility_is_a_coding_error(decide_lines):
    for claim_type, pos, denied in (("professional", "22", True), ("professional", "11", False),
                                    ("institutional", "22", False)):
        lines = decide_lines([PORT, "99152", "99153"], conditions=AML, meds=IV_CHEMO, use="preauthorization",
                             claim_type=claim_type, pos=pos)
        assert (lines["99153"].status == "coding-error") == denied, (claim_type, pos)
        assert ("claim-type" in kinds(lines["99153"])) == denied


# rule:ncci-85025-85007, rule:ncci-85027-85007, rule:cpt-85007-descriptor, rule:cpt-blood-typing-descriptor

def test_85007_with_85025_is_an_ncci_bundle(decide_lines):
    line = decide_lines(["85025", "85007"], conditions=AML, meds=IV_CHEMO)["85007"]
    assert line.status == "coding-error" and "ncci-bundle" in kinds(line)
    assert states(line, "rule:ncci-85025-85007") == {"crit:no-85025-on-claim": "refuted"}


def test_85007_with_85027_depends_on_an_ordered_manual_differential(decide_lines):
    for answer, status in ((True, "no-policy"), (False, "coding-error"), (None, "needs-info")):
        docs = {} if answer is None else {"lab.manual-differential-ordered": answer}
        lines = decide_lines(["85027", ("85007", "Manual differential")], conditions=AML, meds=IV_CHEMO, docs=docs)
        line = lines["85007"]
        assert line.status == status, answer
        assert ("ncci-bundle" in kinds(line)) == (answer is False)


def test_85007_called_blood_typing_is_a_descriptor_mismatch(decide_lines):
    lines = decide_lines([("85007", "Blood typing"), ("86900", "Manual diff")], services=(TRANSFUSION,))
    assert lines["85007"].status == "coding-error" and "descriptor-mismatch" in kinds(lines["85007"])
    facts = [c.facts for c in lines["85007"].criteria if c.id == "crit:not-called-blood-typing"][0]
    assert any('claimed as "Blood typing"' in f for f in facts)
    assert lines["86900"].status == "coding-error" and "descriptor-mismatch" in kinds(lines["86900"])
    lines = decide_lines([("85007", "Smear with manual differential"), ("86901", "Rh(D) type")],
                         services=(TRANSFUSION,))
    assert "descriptor-mismatch" not in kinds(lines["85007"]) | kinds(lines["86901"])


# rule:hcpcs-J2001-route, rule:hcpcs-J2001-claimed-as

def test_j2001_for_local_infiltration_is_a_descriptor_mismatch(decide_lines):
    line = decide_lines([PORT, "J2001"], docs={"lidocaine.route": "local-infiltration"},
                        use="preauthorization")["J2001"]
    assert line.status == "coding-error" and "descriptor-mismatch" in kinds(line)
    line = decide_lines([("J2001", "Lidocaine 1% local")])["J2001"]
    assert line.status == "coding-error"
    line = decide_lines(["J2001"], docs={"lidocaine.route": "intravenous-infusion"})["J2001"]
    assert line.status == "no-policy"
    line = decide_lines(["J2001"])["J2001"]
    assert line.status == "needs-info"


# rule:device-codes-institutional, rule:hcpcs-C1788-with-procedure, compile/10-devices.rq

def test_port_device_follows_the_port_on_an_institutional_claim(decide_lines):
    lines = decide_lines([PORT, "C1788", "C1894"], conditions=AML, meds=IV_CHEMO, claim_type="institutional")
    for code in ("C1788", "C1894"):
        assert lines[code].status == "justified", code
        assert "rec:esmo-2015-port-for-iv-therapy" in deciding(lines[code])


def test_device_codes_on_a_professional_claim_or_without_their_procedure_are_coding_errors(decide_lines):
    line = decide_lines([PORT, "C1788"], conditions=AML, meds=IV_CHEMO)["C1788"]
    assert line.status == "coding-error" and "claim-type" in kinds(line)
    line = decide_lines(["C1788"], conditions=AML, meds=IV_CHEMO, claim_type="institutional")["C1788"]
    assert line.status == "coding-error" and "device-without-procedure" in kinds(line)


# rule:cpt-77001-mue, rule:ncci-77001-fluoroscopy

def test_77001_units_and_other_fluoroscopy(decide_lines):
    line = decide_lines([PORT, {"code": "77001", "quantity": 3}], conditions=AML, meds=IV_CHEMO, use="preauthorization")
    assert line["77001"].status == "coding-error" and "units" in kinds(line["77001"])
    lines = decide_lines([PORT, {"code": "77001", "quantity": 2}, "76000"], conditions=AML, meds=IV_CHEMO,
                         use="preauthorization")
    assert lines["77001"].status == "justified" and not kinds(lines["77001"]) & {"units", "ncci-bundle"}
    assert lines["76000"].status == "coding-error" and "ncci-bundle" in kinds(lines["76000"])


# rec:eln-2022-blood-count-monitoring, rec:sir-2019-coagulation-screening, rec:bcsh-2013-abo-d-grouping

def test_blood_count_in_aml_on_chemotherapy_and_not_in_breast_cancer(decide_lines):
    line = decide_lines(["85027"], conditions=AML, meds=IV_CHEMO)["85027"]
    assert line.status == "justified" and "unconfirmed-source" in kinds(line)
    line = decide_lines(["85027"], conditions=("C50.911",), meds=IV_CHEMO)["85027"]
    assert line.status == "not-justified"
    assert states(line)["crit:acute-myeloid-leukemia"] == "refuted"


def test_prothrombin_time_before_a_port(decide_lines):
    assert decide_lines([PORT, "85610"], conditions=AML, meds=(("11289", "oral"),))["85610"].status == "justified"
    line = decide_lines([PORT, "85610"], conditions=AML, meds=IV_CHEMO)["85610"]  # AML: a higher bleeding risk
    assert line.status == "justified"
    assert deciding(line) == ["rec:sir-2019-coagulation-screening-higher-bleeding-risk"]
    line = decide_lines([PORT, "85610"], conditions=("C50.911",), meds=IV_CHEMO)["85610"]
    assert line.status == "needs-info"
    found = states(line)
    assert found["crit:on-warfarin-or-heparin"] == found["crit:inherently-higher-bleeding-risk"] == "unknown"
    line = decide_lines(["85610"], meds=(("11289", "oral"),))["85610"]
    assert line.status == "no-policy"
    assert [(r.id, r.state) for r in line.recommendations] == [
        ("rec:sir-2019-coagulation-screening", "not applicable"),
        ("rec:sir-2019-coagulation-screening-higher-bleeding-risk", "not applicable")]


# codes the knowledge base does not know: never refute on them

def test_an_unclassified_iv_drug_leaves_planned_iv_therapy_unknown(decide_lines, tmp_path):
    from bundles import bundle, write

    from reasoner.pipeline import review

    result = review(write(tmp_path, bundle([PORT, "85027"], conditions=AML, meds=(("999001", "iv"),))), installed())
    lines = {d.code: d for d in result.claims[0].determinations}
    assert lines[PORT].status == "needs-info"
    assert states(lines[PORT])["crit:planned-iv-antineoplastic-therapy"] == "unknown"
    assert lines["85027"].status == "needs-info"
    assert any("RxNorm '999001' is not classified by the knowledge base" in n for n in result.notes)
    oral = decide_lines([PORT], conditions=AML, meds=(("999001", "oral"),))[PORT]
    assert oral.status == "not-justified"


def test_an_unknown_code_on_the_claim_may_be_the_primary(decide_lines):
    docs = {"sedation.intraservice-minutes": 20, "sedation.independent-observer": True}
    lines = decide_lines(["36558", "76937", "99152"], conditions=AML, meds=IV_CHEMO, docs=docs, pos="11")
    assert lines["36558"].status == "no-policy"
    assert lines["76937"].status == "needs-info" and "add-on-without-primary" not in kinds(lines["76937"])
    assert states(lines["76937"], "rule:cpt-76937-add-on") == {"crit:cpt-76937-add-on-primary-on-claim": "unknown"}
    assert lines["99152"].status == "needs-info"


# exceptions: crit:actively-bleeding, crit:infection-documented

def test_prophylactic_platelet_recommendations_do_not_apply_to_a_bleeding_patient(decide_lines):
    line = decide_lines(["P9035"], conditions=AML, meds=IV_CHEMO, labs={"plt": 5},
                        docs={"transfusion.active-bleeding": True}, date=BEFORE_2025)["P9035"]
    assert line.status == "no-policy"
    assert {r.state for r in line.recommendations} == {"not applicable"}
    assert states(line, "rec:aabb-2015-r1")["crit:actively-bleeding"] == "met"


def test_antibiotic_prophylaxis_recommendations_do_not_apply_to_an_infection(decide_lines):
    line = decide_lines([PORT, "J0690"], conditions=AML + ("L03.311",), meds=IV_CHEMO)["J0690"]
    assert line.status == "no-policy"
    assert states(line, "rec:cdc-2011-no-routine-antimicrobial-prophylaxis")["crit:infection-documented"] == "met"


# rec:sir-2019-port-platelet-transfusion

def test_sir_2019_platelets_below_20_before_a_port_for_a_minor(decide_lines):
    """AABB 2015's recommendation is for adults; SIR 2019's is not. From May 2025 AABB/ICTMG 2025's
    threshold for low-risk interventional radiology procedures (a port among them) agrees with SIR
    2019's; its central-line threshold (below 10) is no longer applied to ports (the clinical audit)."""
    before = decide_lines([PORT, "P9035"], birth="2010-01-01", conditions=AML, meds=IV_CHEMO, labs={"plt": 15},
                          date=BEFORE_2025)["P9035"]
    assert before.status == "justified"
    assert deciding(before) == ["rec:sir-2019-port-platelet-transfusion"]
    assert "guideline-conflict" not in kinds(before)
    after = decide_lines([PORT, "P9035"], birth="2010-01-01", conditions=AML, meds=IV_CHEMO, labs={"plt": 15},
                         date=FROM_2025)["P9035"]
    assert after.status == "justified"
    assert set(deciding(after)) == {"rec:aabb-ictmg-2025-ir-low-risk", "rec:sir-2019-port-platelet-transfusion"}
    assert "guideline-conflict" not in kinds(after)
