"""Take a screenshot of an HTML page in headless Chromium (Debian package ``chromium``).

Used for the pictures in docs/: e.g.

    necessity export examples/seed-aml-port.json --code 36561 --format html -o /tmp/proof.html
    python tools/screenshot.py /tmp/proof.html docs/images/seed-36561-proof.png
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def screenshot(page: Path, out: Path, size: str) -> None:
    """Render ``page`` at ``size`` (WIDTH,HEIGHT) and write a PNG to ``out``."""
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("tools/screenshot.py: chromium is not installed (Debian: apt install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={profile}", "--virtual-time-budget=5000", f"--window-size={size}",
                        f"--screenshot={out.resolve()}", page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)


def main() -> None:
    """Parse the arguments and take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="1800,1350", help="window size WIDTH,HEIGHT")
    args = parser.parse_args()
    screenshot(args.page, args.out, args.size)


if __name__ == "__main__":
    main()
