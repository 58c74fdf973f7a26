"""Screenshot the first screen of a committed HTML derivation for the README.

    python tools/web_screenshot.py            # generated/mazur_2_2_2.html → generated/mazur_2_2_2-html.png

Headless Chromium (Debian's ``chromium``) renders the page; the PNG is committed by hand, not by
``symbackprop regenerate``: a browser's fonts and anti-aliasing differ between machines, so the
picture cannot be checked byte for byte like the rest of ``generated/``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?", default=str(ROOT / "generated" / "mazur_2_2_2.html"))
    parser.add_argument("-o", "--output", default=str(ROOT / "generated" / "mazur_2_2_2-html.png"))
    parser.add_argument("--size", default="820,1000", help="window WIDTH,HEIGHT in CSS pixels")
    arguments = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("web_screenshot: needs headless Chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={arguments.size}",
                        f"--screenshot={Path(arguments.output).resolve()}", Path(arguments.page).resolve().as_uri()],
                       check=True, capture_output=True, timeout=180)
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
