"""One minimal request per recommendation, coding rule and safety check of the knowledge base,
each on both sides of what it decides. These run the whole pipeline (owlrl closure included).
A request checked only for statuses and criterion states is a policy test case instead, beside its
guideline in kg/tests/ (run by tests/test_policy_tests.py and `necessity test`).
"""

from __future__ import annotations

from bundles import kinds, states

from reasoner.cli.options import knowledge as installed

AML = ("C92.00",)
IV_CHEMO = (("3041", "iv"), ("3109", "iv"))
DOCS_76937 = {"us-guidance.sites-evaluated": True, "us-guidance.vessel-patency": True,
              "us-guidance.realtime-needle": True, "us-guidance.image-recorded": True}
PORT = "36561"


# rec:esmo-2015-port-for-iv-therapy (unconfirmed source)

def test_esmo_2015_port_met_for_adult_with_malignancy_and_iv_chemotherapy(decide_lines):
    line = decide_lines([PORT], conditions=AML, meds=IV_CHEMO, labs={"plt": 45})[PORT]
    assert line.status == "justified"
    assert states(line, "rec:esmo-2015-port-for-iv-therapy") == {
        "crit:adult": "met", "crit:active-malignancy": "met", "crit:planned-iv-antineoplastic-therapy": "met"}
    assert "unconfirmed-source" in kinds(line)
    assert any("doi:10.1093/annonc/mdv296" in c for c in line.citations)


def test_esmo_2015_port_refuted_without_malignancy(decide_lines):
    line = decide_lines([PORT], conditions=("D50.9",), meds=IV_CHEMO)[PORT]
    assert line.status == "not-justified"
    assert states(line, "rec:esmo-2015-port-for-iv-therapy")["crit:active-malignancy"] == "refuted"


def test_esmo_2015_port_does_not_apply_to_a_minor(decide_lines):
    line = decide_lines([PORT], birth="2010-01-01", conditions=AML, meds=IV_CHEMO)[PORT]
    assert states(line)["crit:adult"] == "refuted"
    assert [(r.id, r.state) for r in line.recommendations] == [
        ("rec:asco-2013-r1.1", "not applicable"),
        ("rec:eln-2022-central-access-for-intensive-therapy", "not applicable"),
        ("rec:esmo-2015-port-for-iv-therapy", "not applicable")]
    assert line.status == "no-policy"


def test_malignancy_matches_any_code_below_the_malignant_blocks(decide_lines):
    for code in ("C91.10", "C50.911", "C18.9", "C9200"):
        line = decide_lines([PORT], conditions=(code,), meds=IV_CHEMO)[PORT]
        assert line.status == "justified", code


# rule:cpt-36561-age-band, rule:cpt-36560-age-band

def test_cpt_36561_age_band_refuted_at_four(decide_lines):
    line = decide_lines([PORT], birth="2022-06-01", conditions=("C91.00",), meds=IV_CHEMO)[PORT]
    assert line.status == "coding-error"
    assert "age-band" in kinds(line)
    assert states(line, "rule:cpt-36561-age-band") == {"crit:age-5-or-older": "refuted"}


def test_cpt_36561_age_band_met_on_fifth_birthday(decide_lines):
    line = decide_lines([PORT], birth="2021-11-20", conditions=("C91.00",), meds=IV_CHEMO)[PORT]
    assert states(line, "rule:cpt-36561-age-band") == {"crit:age-5-or-older": "met"}
    assert "age-band" not in kinds(line)


def test_cpt_36560_age_band_refuted_for_an_adult(decide_lines):
    line = decide_lines(["36560"], conditions=AML, meds=IV_CHEMO)["36560"]
    assert line.status == "coding-error"
    assert "age-band" in kinds(line)


# rule:cpt-76937-add-on, rule:cpt-77001-add-on, rec:asco-2013-r1.3

def test_add_on_without_its_primary_is_a_coding_error(decide_lines):
    lines = decide_lines(["76937", "77001"], conditions=AML, meds=IV_CHEMO, use="preauthorization")
    for code in ("76937", "77001"):
        assert lines[code].status == "coding-error"
        assert "add-on-without-primary" in kinds(lines[code])


def test_add_on_follows_a_primary_that_is_not_justified(decide_lines):
    lines = decide_lines([PORT, "77001"], conditions=AML, use="preauthorization")
    assert lines[PORT].status == "not-justified"
    assert lines["77001"].status == "not-justified"
    assert [(c.role, c.state) for c in lines["77001"].rules if c.deciding] == [("follows its primary", "refuted")]
    assert states(lines["77001"], "rule:cpt-77001-add-on") == {"crit:cpt-77001-add-on-primary-on-claim": "met"}
    assert "add-on-without-primary" not in kinds(lines["77001"])


def test_add_on_follows_a_primary_that_needs_information(decide_lines):
    lines = decide_lines([PORT, "76937"], conditions=AML, meds=(("3041", None),), use="preauthorization")
    assert lines[PORT].status == "needs-info"
    assert lines["76937"].status == "needs-info"
    assert ("follows its primary", "unknown") in [(c.role, c.state) for c in lines["76937"].rules if c.deciding]


def test_asco_2013_image_guidance_justified_with_its_primary(decide_lines):
    lines = decide_lines([PORT, "76937", "77001"], conditions=AML, meds=IV_CHEMO, use="preauthorization")
    for code in ("76937", "77001"):
        assert lines[code].status == "justified"
        assert [r.id for r in lines[code].recommendations if r.deciding] == ["rec:asco-2013-r1.3"]
        assert any("doi:10.1200/JCO.2012.45.5733" in c for c in lines[code].citations)


# documentation rules of 76937 and 77001

def test_documentation_answered_false_on_a_claim_is_a_coding_error(decide_lines):
    docs = DOCS_76937 | {"us-guidance.image-recorded": False}
    line = decide_lines([PORT, "76937"], conditions=AML, meds=IV_CHEMO, docs=docs)["76937"]
    assert line.status == "coding-error"
    assert "documentation-short" in kinds(line)
    assert {d.link_id: d.state for d in line.documentation}["us-guidance.image-recorded"] == "refuted"


def test_documentation_absent_on_a_claim_needs_info(decide_lines):
    docs = {k: v for k, v in DOCS_76937.items() if k != "us-guidance.vessel-patency"}
    line = decide_lines([PORT, "76937"], conditions=AML, meds=IV_CHEMO, docs=docs)["76937"]
    assert line.status == "needs-info"
    assert {d.link_id: d.state for d in line.documentation}["us-guidance.vessel-patency"] == "unknown"


def test_contradictory_documentation_answers_leave_the_element_unknown(decide_lines, tmp_path):
    from bundles import bundle, write

    from reasoner.pipeline import review

    data = bundle([PORT, "76937"], conditions=AML, meds=IV_CHEMO, docs=DOCS_76937)
    items = data["entry"][-2]["resource"]["item"]
    items.append({"linkId": "us-guidance.vessel-patency", "answer": [{"valueBoolean": False}]})
    line = review(write(tmp_path, data), installed()).claims[0].determinations[1]
    assert {d.link_id: d.state for d in line.documentation}["us-guidance.vessel-patency"] == "unknown"
    assert line.status == "needs-info"


def test_documentation_complete_on_a_claim_is_justified(decide_lines):
    docs = DOCS_76937 | {"fluoro.tip-position-documented": True}
    lines = decide_lines([PORT, "76937", "77001"], conditions=AML, meds=IV_CHEMO, docs=docs)
    assert lines["76937"].status == "justified"
    assert lines["77001"].status == "justified"


def test_documentation_on_a_prior_authorization_is_a_requirement_to_report(decide_lines):
    docs = {"fluoro.tip-position-documented": False}
    line = decide_lines([PORT, "77001"], conditions=AML, meds=IV_CHEMO, docs=docs, use="preauthorization")["77001"]
    assert line.status == "justified"
    assert "documentation-short" not in kinds(line)
    assert [d.link_id for d in line.documentation] == ["fluoro.tip-position-documented"]


# rule:sir-2019-port-platelets, rule:sir-2019-port-inr (safety checks: warn, do not decide)

def test_platelets_below_20_warn_but_do_not_change_the_status(decide_lines):
    line = decide_lines([PORT], conditions=AML, meds=IV_CHEMO, labs={"plt": 19.9})[PORT]
    assert line.status == "justified"
    assert "safety" in kinds(line)
    assert states(line, "rule:sir-2019-port-platelets") == {"crit:platelets-20-or-more": "refuted"}


def test_platelets_of_exactly_20_meet_the_threshold(decide_lines):
    line = decide_lines([PORT], conditions=AML, meds=IV_CHEMO, labs={"plt": 20})[PORT]
    assert "safety" not in kinds(line)
    assert states(line, "rule:sir-2019-port-platelets") == {"crit:platelets-20-or-more": "met"}


def test_platelets_per_microlitre_are_converted_before_the_threshold(decide_lines):
    line = decide_lines([PORT], conditions=AML, meds=IV_CHEMO, labs={"plt": (15000, "/uL", "2026-11-19")})[PORT]
    assert "safety" in kinds(line)
    facts = [c.facts for c in line.criteria if c.id == "crit:platelets-20-or-more"][0]
    assert any("= 15 ×10³/µL" in f for f in facts)


def test_inr_above_2_warns(decide_lines):
    for inr, state in ((2.5, "refuted"), (2.0, "met")):
        line = decide_lines([PORT], conditions=AML, meds=IV_CHEMO, labs={"inr": inr})[PORT]
        assert ("safety" in kinds(line)) == (state == "refuted")
        assert states(line, "rule:sir-2019-port-inr") == {"crit:inr-2-or-less": state}


def test_only_the_latest_lab_on_or_before_the_date_of_service_counts(decide_lines):
    labs = {"plt": (8, "10*3/uL", "2026-11-01"), "777-3": (60, "10*3/uL", "2026-11-19")}
    line = decide_lines([PORT], conditions=AML, meds=IV_CHEMO, labs=labs)[PORT]
    assert states(line, "rule:sir-2019-port-platelets") == {"crit:platelets-20-or-more": "met"}


# no policy

def test_code_without_policy_is_reported_not_dropped(decide_lines):
    lines = decide_lines([PORT, "99213"], conditions=AML, meds=IV_CHEMO)
    assert lines["99213"].status == "no-policy"
    assert lines["99213"].citations == ()
