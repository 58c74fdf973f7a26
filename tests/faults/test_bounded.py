"""The largest allowed specs through every command, and a 5,000-equation document through
``check --file``, each in its own process under a 2 GiB address-space limit: done in seconds,
with the right exit code and one line, and nothing left behind.  (The generated module of a
huge spec is in tests/test_generated_memory.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import GIB, bounded, files_in, one_line

LIMIT = str(2 * GIB)
HUGE = ["100000-100000-10", "1000000-10"]
SECONDS = 60  # a bound, not a benchmark: each run takes a few seconds (see the README)


def _bounded(arguments: list[str], tmp_path: Path):
    return bounded(arguments, tmp_path, SECONDS, LIMIT)


@pytest.mark.parametrize("shorthand", HUGE)
def test_derive_checks_what_fits_and_says_so(tmp_path: Path, shorthand: str) -> None:
    code, out, err, _ = _bounded(["derive", shorthand], tmp_path)
    assert code == 0 and err == "", err
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith(("layer-level:", "batched:"))]
    assert len(lines) == 2
    coverage = "capped to 2048-2048-10, since the full network needs 149 GiB" if shorthand == HUGE[0] else \
        "at full width 1000000-10"
    assert all(coverage in line and "verified numerically" in line for line in lines)


@pytest.mark.parametrize("shorthand", HUGE)
def test_codegen_writes_the_module(tmp_path: Path, shorthand: str) -> None:
    code, out, err, work = _bounded(["codegen", shorthand, "-o", "net.py"], tmp_path)
    assert code == 0 and err == "", err
    assert out.splitlines()[0] == "wrote net.py" and files_in(work) == ["net.py"]
    assert f"SIZES = ({shorthand.replace('-', ', ')})" in (work / "net.py").read_text()


def test_latex_writes_the_document(tmp_path: Path) -> None:
    code, out, err, work = _bounded(["latex", HUGE[1], "--highlight", "w^1_{11}", "-o", "d.tex"], tmp_path)
    assert code == 0 and err == "", err
    assert files_in(work) == ["d.tex"] and "verified numerically" in (work / "d.tex").read_text()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_latex_pdf_of_a_huge_spec(tmp_path: Path) -> None:
    code, _, err, work = _bounded(["latex", HUGE[0], "--pdf", "-o", "d.pdf"], tmp_path)
    assert code == 0 and err == "", err
    assert files_in(work) == ["d.pdf"]


def test_check_refuses_a_huge_spec_in_one_line(tmp_path: Path) -> None:
    code, out, err, _ = _bounded(["check", HUGE[0], "--equation", r"\delta^L_j = (a^L_j - y_j)"], tmp_path)
    assert code == 2 and out == ""
    assert one_line(err).startswith("symbackprop: error: ")


def _document(count: int) -> str:
    equations = [r"\frac{\partial C}{\partial b^{2}_{1}} = \delta^{2}_{1}",
                 r"\delta^{2}_{1} = (a^{2}_{1} - y_{1})\,a^{2}_{1}(1 - a^{2}_{1})",
                 r"\frac{\partial C}{\partial w^{2}_{12}} = a^{1}_{1}\,\delta^{2}_{1}",  # wrong: a^1_2
                 r"z^{1}_{1} = w^{1}_{11} x_{1} + w^{1}_{12} x_{2} + b^{1}_{1}"]
    return "\n".join(rf"\begin{{equation}}{equations[i % 4]}\end{{equation}}" for i in range(count))


def test_a_5000_equation_document(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "big.tex").write_text(_document(5000))
    code, out, err, _ = _bounded(["check", "2-2-2", "--file", "big.tex"], tmp_path)
    if code == 2:  # refused as too long, at once
        assert out == "" and "more than 1000 equations" in one_line(err)
    else:  # or every equation checked: some are wrong
        assert code == 1 and err == "" and "5000" in out.splitlines()[-1]


@pytest.mark.parametrize("opener", [r"\begin{equation} x ", r"\[ x ", "$$ x "])
def test_unclosed_display_math_repeated_is_read_in_linear_time(tmp_path: Path, opener: str) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "hostile.tex").write_text(opener * 40_000)
    code, out, err, _ = _bounded(["check", "2-2-2", "--file", "hostile.tex"], tmp_path)
    assert code == 2 and out == "" and "no equations found" in one_line(err)
