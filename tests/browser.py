"""Headless Chromium for the rendering tests: a screenshot and the laid-out width of a page.

Chromium keeps its window at least 500 CSS pixels wide, so a phone's width is tested by
showing the page in an iframe of that width (``srcdoc``: same origin, so the wrapper can read
the frame's layout).  The wrapper's script is the test's own; the page under test has none.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import numpy as np

CHROMIUM = next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars",
         "--virtual-time-budget=10000")

_WRAPPER = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin:0;background:#fff"><iframe id="page" style="border:0;width:{width}px;height:{height}px"
srcdoc="{page}"></iframe><script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => {{
  const root = frame.contentDocument.documentElement;
  document.body.setAttribute("data-layout", root.scrollWidth + " " + frame.contentWindow.innerWidth + " "
    + frame.contentDocument.querySelectorAll("math").length);
}});
</script></body></html>"""


def _run(arguments: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *arguments],
                          capture_output=True, timeout=180, check=True)


def render_in_frame(page: str, width: int, height: int, directory: Path) -> tuple[dict[str, int], bytes]:
    """The page shown ``width`` pixels wide: its layout (scrollWidth, innerWidth, math elements)
    read by the wrapper, and a PNG screenshot of the first ``height`` pixels."""
    wrapper = directory / "wrapper.html"
    wrapper.write_text(_WRAPPER.format(width=width, height=height, page=html.escape(page, quote=True)),
                       encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        dom = _run(["--dump-dom", wrapper.as_uri()], Path(profile)).stdout.decode("utf-8", "replace")
    marker = dom.split('data-layout="', 1)[1].split('"', 1)[0]
    scroll, inner, maths = (int(value) for value in marker.split())
    shot = directory / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        _run([f"--window-size={max(width, 500)},{height}", f"--screenshot={shot}", wrapper.as_uri()], Path(profile))
    return {"scroll_width": scroll, "inner_width": inner, "math": maths}, shot.read_bytes()


def screenshot(page_path: Path, width: int, height: int, out: Path) -> None:
    """A PNG of the first screen of a page file at a window of ``width`` × ``height``."""
    with tempfile.TemporaryDirectory() as profile:
        _run([f"--window-size={width},{height}", f"--screenshot={out}", page_path.resolve().as_uri()], Path(profile))


def png_pixels(data: bytes) -> np.ndarray:
    """An 8-bit RGB or RGBA, non-interlaced PNG as an array (height, width, channels)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        chunks.setdefault(kind, []).append(data[position + 8:position + 8 + length])
        position += 12 + length
    header = chunks[b"IHDR"][0]
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, color, interlace = header[8], header[9], header[12]
    assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
    channels = 3 if color == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(chunks[b"IDAT"])), dtype=np.uint8)
    rows = raw.reshape(height, width * channels + 1)
    out = np.zeros((height, width * channels), dtype=np.int32)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        above = out[y - 1] if y else np.zeros_like(line)
        if kind in (0, 2):
            out[y] = (line + (above if kind == 2 else 0)) & 255
            continue
        row = out[y]
        for x in range(len(line)):
            left = row[x - channels] if x >= channels else 0
            corner = above[x - channels] if x >= channels else 0
            if kind == 1:
                predictor = left
            elif kind == 3:
                predictor = (left + above[x]) // 2
            else:
                p = left + above[x] - corner
                pa, pb, pc = abs(p - left), abs(p - above[x]), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else above[x] if pb <= pc else corner
            row[x] = (line[x] + predictor) & 255
    return out.reshape(height, width, channels).astype(np.uint8)
