"""Take the screenshots of docs/images/ in headless Chromium (Debian's package ``chromium``, driven by
Playwright; no browser is downloaded).

An HTML file (the report, the proof graph):

    necessity export examples/seed-aml-port.json --code 36561 --format html -o /tmp/proof.html
    python tools/screenshot.py /tmp/proof.html docs/images/seed-36561-proof.png

The reviewer's workbench, served on loopback with a throwaway store: the seed uploaded with its route of
lidocaine left out, so that a documentation form shows, then the queue, the review page and one line's
proof opened:

    python tools/screenshot.py --workbench docs/images
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "pas" / "seed-aml-port.pas.json"


def _browser(playwright: Any) -> Any:
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("tools/screenshot.py: chromium is not installed (Debian: apt install chromium)")
    return playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])


def screenshot(page: Path, out: Path, size: str) -> None:
    """Render the file ``page`` at ``size`` (WIDTH,HEIGHT) and write a PNG to ``out``."""
    from playwright.sync_api import sync_playwright

    width, height = (int(n) for n in size.split(","))
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        tab = browser.new_page(viewport={"width": width, "height": height})
        tab.goto(page.resolve().as_uri())
        tab.screenshot(path=str(out))
        browser.close()


def workbench(folder: Path) -> None:
    """Serve the workbench, upload the seed without its documentation, and take the queue, the review page
    and the proof of line 3 (36561)."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from reasoner.api.app import Settings
    from reasoner.api.background import serving
    from reasoner.api.records import Records, database_url
    from reasoner.knowledge import Knowledge

    knowledge = Knowledge.load(ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        bundle = json.loads(SEED.read_text())
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "QuestionnaireResponse"]
        upload = Path(scratch) / "seed-without-documentation.pas.json"
        upload.write_text(json.dumps(bundle))
        records = Records(database_url(str(Path(scratch) / "pa.sqlite")))
        settings = Settings(knowledge=knowledge, engine=knowledge.engine("fast"), records=records, tokens=None)
        with serving(settings) as url, sync_playwright() as playwright:
            browser = _browser(playwright)
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.set_default_timeout(180_000)
            for path in (SEED, upload):
                tab.goto(url + "/")
                tab.get_by_label("PAS request Bundle (JSON)").set_input_files(str(path))
                tab.get_by_role("button", name="Upload and decide").click()
                tab.wait_for_url("**/reviews/*")
            review = tab.url
            tab.goto(url + "/")
            tab.screenshot(path=str(folder / "workbench-queue.png"))
            tab.goto(review)
            tab.set_viewport_size({"width": 1280, "height": 1500})
            tab.screenshot(path=str(folder / "workbench-review.png"))
            tab.locator("#proof-line-3 summary").click()
            tab.locator("#proof-line-3").screenshot(path=str(folder / "workbench-proof.png"))
            browser.close()
        records.close()


def main() -> None:
    """Parse the arguments and take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, nargs="?", help="an HTML file")
    parser.add_argument("out", type=Path, nargs="?", help="the PNG to write")
    parser.add_argument("--size", default="1800,1350", help="window size WIDTH,HEIGHT")
    parser.add_argument("--workbench", type=Path, metavar="FOLDER", help="the workbench's screenshots, into FOLDER")
    args = parser.parse_args()
    if args.workbench:
        workbench(args.workbench)
    elif args.page and args.out:
        screenshot(args.page, args.out, args.size)
    else:
        parser.error("give PAGE OUT, or --workbench FOLDER")


if __name__ == "__main__":
    main()
