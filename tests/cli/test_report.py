"""`necessity report`: the review report in Markdown and as one offline HTML page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reasoner.cli.options import knowledge as installed
from reasoner.render.report import render_report
from reasoner.report import review_report

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "examples" / "seed-aml-port.json")
REQUIRED = os.environ.get("NECESSITY_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def seed_report():
    """The seed request's report (one review for the module)."""
    return review_report(SEED, installed())


def test_markdown_has_the_patient_the_lines_the_checklist_and_the_proofs(seed_report):
    text = render_report(seed_report, "md")
    assert "Patient/patient-0: male, born 1968-03-14, 58 years old on 2026-11-20." in text
    assert "- C92.00 Acute myeloblastic leukemia, not having achieved remission (Claim/claim-11 diagnosis[0])" in text
    assert "Platelets [#/volume] in Blood by Automated count (LOINC 777-3): 45 ×10³/µL on 2026-11-20" in text
    assert "- cytarabine (RxNorm 3041), route Intravenous route, active" in text
    assert re.search(r"^\| 8 \| 85007 \| .* \| Blood typing \| \*\*coding-error\*\* \| 85007 is a manual differential, "
                     r"not blood typing \| \[\d+\], \[\d+\] \|$", text, re.M)
    assert re.search(r"^\| 4 \| J0690 \| .*\*\*not-justified\*\* \| .*CDC/HICPAC 2011", text, re.M)
    assert "- [ ] line 1 76937: 76937 documentation: selected vessel patent (us-guidance.vessel-patency; unknown; " \
           "to report)" in text
    assert re.search(r"^- \[descriptor-mismatch\] The claim calls this line blood typing.*\(line 8 85007\)$",
                     text, re.M)
    unconfirmed = [line for line in text.splitlines() if line.startswith("- [unconfirmed-source]")]
    assert len(unconfirmed) == len(set(unconfirmed)) and any("line 3 36561, line 14 C1894" in u for u in unconfirmed)
    assert text.count("```mermaid") == 15
    assert re.search(r"^\d+\. O'Grady NP, .*doi:10\.1093/cid/cir257", text, re.M)
    assert f"`{seed_report.review.knowledge_version}`" in text and text.rstrip().endswith(
        "Every status above shows the evidence it rests on.**")


def test_html_is_offline_with_one_proof_picture_per_line(seed_report):
    page = render_report(seed_report, "html")
    assert "default-src 'none'" in page and "<script" not in page
    assert not re.search(r"""src\s*=\s*["']?(https?:)?//|<link[^>]*href""", page)  # nothing loaded; links to sources
    assert 'href="https://doi.org/10.1093/cid/cir257"' in page
    assert page.count("<svg ") == 15 and page.count('<td class="status coding-error"') == 2
    assert page.count('<abbr class="unconfirmed"') >= 2  # the flag of the text output, in the table
    assert '"state exception-refuted">exception does not apply</span> exception: actively bleeding' in page
    assert "a licensed reviewer decides" in page


def test_report_in_headless_chromium(run_cli, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        if REQUIRED:
            pytest.fail("chromium is not installed, and CI requires it")
        pytest.skip("chromium is not installed")
    page = tmp_path / "seed-report.html"
    result = run_cli("report", SEED, "-o", str(page))
    assert result.exit_code == 0 and result.stdout == ""
    browser = [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, check=True, timeout=120)
    assert dom.stdout.count(b"<svg") == 15 and b"Medical necessity review" in dom.stdout
    shot = tmp_path / "seed-report.png"
    subprocess.run([*browser, "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, check=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 100_000


def test_the_report_format_comes_from_the_file_name(run_cli, tmp_path):
    result = run_cli("report", SEED, "-o", str(tmp_path / "report.pdf"))
    assert result.exit_code == 2 and "the report is written as .md or .html" in result.stderr
    assert list(tmp_path.iterdir()) == []
