"""Render the notebook displays of the tutorial's network in headless Chromium: docs/notebook-display.png.

``python docs/notebook_screenshot.py [OUTPUT.png]``.  The page holds what a notebook shows for
``small`` (the spec), ``derive(small)`` and ``sb.check(small, mine)``, as their ``_repr_html_``,
with the math typeset by MathJax as Jupyter does.  Needs Debian's ``chromium`` and
``libjs-mathjax`` (``apt-get install chromium libjs-mathjax fonts-mathjax``); nothing is fetched.
"""

from __future__ import annotations

import html
import subprocess
import sys
import tempfile
from pathlib import Path

import symbackprop as sb

MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
WIDTH, HEIGHT = 1180, 1290
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script type="text/x-mathjax-config">
MathJax.Hub.Config({{tex2jax: {{inlineMath: [["\\\\(", "\\\\)"]]}}, messageStyle: "none",
                    CommonHTML: {{linebreaks: {{automatic: false}}}}}});
</script>
<script src="{mathjax}?config=TeX-AMS_CHTML"></script>
<style>
body {{font-family: "DejaVu Sans", sans-serif; font-size: 14px; margin: 18px; width: {width}px; color: #1f2328}}
.prompt {{font-family: "DejaVu Sans Mono", monospace; color: #303f9f; margin: 14px 0 4px}}
.prompt code {{background: #f5f5f5; padding: 2px 6px; color: #1f2328}}
</style></head><body>{cells}</body></html>"""

MINE = [r"\delta^L_j = a^L_j - y_j",
        r"\delta^l_j = \bigl((W^{l+1})^T \delta^{l+1}\bigr)_j \, (1 - (a^l_j)^2)",
        r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j \delta^l_k"]


def cells() -> str:
    small = sb.Spec.parse("2-3-2", activation="tanh", output_activation="softmax", cost="cross_entropy")
    shown = [("small", small), ("derive(small)", sb.derive(small)), ("sb.check(small, mine)", sb.check(small, MINE))]
    return "".join(f'<div class="prompt">In: <code>{html.escape(code)}</code></div>{value._repr_html_()}'
                   for code, value in shown)


def main(argv: list[str]) -> int:
    output = Path(argv[1] if len(argv) > 1 else Path(__file__).with_name("notebook-display.png")).resolve()
    with tempfile.TemporaryDirectory(prefix="symbackprop-shot-") as directory:
        page = Path(directory) / "display.html"
        page.write_text(PAGE.format(mathjax=MATHJAX.as_uri(), width=WIDTH, cells=cells()), encoding="utf-8")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--allow-file-access-from-files", "--hide-scrollbars", "--virtual-time-budget=20000",
                        f"--window-size={WIDTH + 40},{HEIGHT}", f"--screenshot={output}", page.as_uri()],
                       check=True, capture_output=True, timeout=180)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
