"""An interrupted run, for real: ``symbackprop latex ... --pdf`` in its own process, a signal sent
while it derives, while TeX runs and while the output is written; and TeX past its time limit.

Each must end TeX's processes, leave nothing in TMPDIR and no output (not even its directory),
print one line and exit 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from harness import files_in, one_line, run, start, tex_processes

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")

#: A per-weight proof of a few seconds, time to interrupt it; and a small document for the rest.
SLOW_DERIVE = ["3-4-2", "--activation", "sigmoid"]
SMALL = ["2-2", "--proof-budget", "0"]


def _wait_for(condition, seconds: float = 90.0, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _frozen_tex(tmpdir: Path) -> int | None:
    """Stop (SIGSTOP) a running TeX of the run, so that it is still there when the signal comes."""
    for pid in tex_processes(tmpdir):
        try:
            os.kill(pid, signal.SIGSTOP)
            return pid
        except ProcessLookupError:  # that run of TeX just ended; wait for the next one
            continue
    return None


def _marker(process, name: str) -> list[str]:
    """Read stdout up to the line ``@name``; the lines read."""
    seen = []
    while True:
        line = process.stdout.readline()
        assert line, f"the run ended before {name}: {seen}"
        seen.append(line.strip())
        if line.strip() == f"@{name}":
            return seen


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("point", ["derive", "tex", "write"])
def test_an_interrupted_latex_pdf_run_cleans_up(tmp_path: Path, point: str, signum: int) -> None:
    tmpdir, work = tmp_path / "tmp", tmp_path / "work"
    tmpdir.mkdir()
    work.mkdir()
    output = work / "out" / "d.pdf"
    spec = SLOW_DERIVE if point == "derive" else SMALL
    process = start(["latex", *spec, "--pdf", "-o", str(output)], tmpdir, work, markers="1",
                    pause_at_write="30" if point == "write" else "")
    seen = _marker(process, "derive")
    if point == "derive":
        time.sleep(0.5)
    elif point == "tex":
        seen += _marker(process, "tex")
        _wait_for(lambda: _frozen_tex(tmpdir), what="pdflatex")
        assert any(name.startswith("symbackprop-tex-") for name in files_in(tmpdir))
    else:
        seen += _marker(process, "write")
        assert [name for name in files_in(work) if name.startswith("out/.d.pdf.")]  # the temporary file
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    seen += out.split()
    assert process.returncode == 128 + signum
    assert one_line(err) == "symbackprop: interrupted"
    assert ("@tex" in seen) == (point != "derive") and ("@write" in seen) == (point == "write")
    assert files_in(tmpdir) == []
    assert files_in(work) == []  # no PDF, no temporary file, not even the out/ directory made for it
    assert tex_processes(tmpdir) == []


def test_tex_past_its_time_limit_is_stopped_and_cleaned_up(tmp_path: Path) -> None:
    tmpdir, work = tmp_path / "tmp", tmp_path / "work"
    tmpdir.mkdir()
    work.mkdir()
    code, out, err = run(["latex", *SMALL, "--pdf", "-o", "d.pdf"], tmpdir, work, tex_timeout="0.1")
    assert code == 2
    line = one_line(err)
    assert line.startswith("symbackprop: error: TeX did not finish within the time limit of 0.1 s and was stopped")
    assert out == "" and files_in(work) == []
    # what remains is the log the line names, kept on purpose; TeX's working directory is gone
    kept = [name for name in files_in(tmpdir)]
    assert all(name.endswith(".log") and name in line for name in kept)
    assert tex_processes(tmpdir) == []
