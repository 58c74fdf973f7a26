"""Tests for symbackprop.tex: compiling, the TeX sandbox, time limits and PDF inspection."""

from __future__ import annotations

import shutil
import struct
import tempfile
import time
from pathlib import Path

import pytest

from symbackprop import tex
from symbackprop.errors import TexError
from symbackprop.tex import (
    TexCompileError,
    compile_pdf,
    compile_pdf_with_log,
    find_engine,
    overfull_boxes,
    pdf_first_page_png,
    pdf_to_text,
)

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils not installed")


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Build directories and kept logs go to this test's tmp_path, not the shared /tmp."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def document(body: str, preamble: str = "") -> str:
    """A minimal LaTeX document around ``body``."""
    return (f"\\documentclass{{article}}\n{preamble}\n\\begin{{document}}\n{body}\n"
            "\\end{document}\n")


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


GOOD = document(
    r"""\section{Gradients}\label{sec:grad}
Backpropagation works, see Section~\ref{sec:grad} and equation~\eqref{eq:delta}.
\begin{align}
  \delta^{L} &= \nabla_a C \odot \sigma'(z^{L}) \label{eq:delta}
\end{align}
\begin{tikzpicture}\node[draw] {TikZNodeLabel};\draw[->] (0,0) -- (1,1);\end{tikzpicture}""",
    preamble=r"\usepackage{amsmath}\usepackage{tikz}")


@needs_tex
@needs_poppler
def test_compiles_amsmath_and_tikz_and_resolves_references() -> None:
    pdf = compile_pdf(GOOD)
    assert pdf.startswith(b"%PDF-")
    text = pdf_to_text(pdf)
    assert "Backpropagation works" in text
    assert "TikZNodeLabel" in text
    # The second run resolved the cross references.
    assert "Section 1" in text
    assert "equation (1)" in text
    assert "??" not in text


@needs_tex
@needs_poppler
def test_single_run_leaves_forward_references_unresolved() -> None:
    source = document(r"See Section~\ref{later}. \section{Later}\label{later}")
    assert "See Section ??" in pdf_to_text(compile_pdf(source, runs=1))
    assert "See Section 1" in pdf_to_text(compile_pdf(source, runs=2))


@needs_tex
def test_compile_with_log_returns_the_log_and_overfull_boxes() -> None:
    pdf, log = compile_pdf_with_log(GOOD)
    assert pdf.startswith(b"%PDF-")
    assert "LaTeX2e" in log
    assert overfull_boxes(log) == []
    _, bad_log = compile_pdf_with_log(document(r"\noindent\hbox to 1in{" + "x" * 80 + "}"))
    boxes = overfull_boxes(bad_log)
    assert len(boxes) == 1
    assert boxes[0].startswith("Overfull \\hbox (") and "pt too wide)" in boxes[0]


@needs_tex
@needs_poppler
def test_first_page_png_renders_at_requested_resolution() -> None:
    pdf = compile_pdf(GOOD)
    small_w, small_h = png_size(pdf_first_page_png(pdf, dpi=50))
    big_w, big_h = png_size(pdf_first_page_png(pdf, page=1, dpi=100))
    # US letter / A4 portrait: about 8.3-8.5 in wide.
    assert 400 <= small_w <= 430 and small_h > small_w
    assert abs(big_w - 2 * small_w) <= 2 and abs(big_h - 2 * small_h) <= 2
    with pytest.raises(TexError, match="pdftoppm"):
        pdf_first_page_png(pdf, page=5)


@needs_tex
def test_undefined_macro_names_the_error_and_keeps_the_log() -> None:
    source = "\\documentclass{article}\n\\begin{document}\nHello\n\\undefinedmacro\n\\end{document}\n"
    with pytest.raises(TexCompileError) as caught:
        compile_pdf(source)
    error = caught.value
    assert isinstance(error, TexError)
    message = str(error)
    assert "\n" not in message
    assert "document.tex:4: Undefined control sequence \\undefinedmacro" in message
    assert error.log_path is not None and error.log_path.is_file()
    assert str(error.log_path) in message
    assert error.log_path.parent == Path(tempfile.gettempdir())
    assert error.log_path.name.startswith("symbackprop-tex-")
    assert "Undefined control sequence" in error.log_path.read_text(errors="replace")
    # The build directory itself is gone; only the kept log remains.
    assert list(Path(tempfile.gettempdir()).iterdir()) == [error.log_path]


@needs_tex
def test_undefined_macro_inside_a_macro_is_named() -> None:
    source = document(r"\newcommand\wrap[1]{#1 \innerundefined{} tail}" "\n" r"abc \wrap{x}")
    with pytest.raises(TexCompileError, match=r"Undefined control sequence \\innerundefined"):
        compile_pdf(source)


@needs_tex
def test_reading_absolute_paths_is_refused() -> None:
    with pytest.raises(TexError, match=r"/etc/passwd.*openin_any = p"):
        compile_pdf(document(r"\input{/etc/passwd}"))


@needs_tex
@needs_poppler
def test_reading_a_harmless_file_outside_the_build_directory_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The build directory is created in tmp_path (see private_tempdir), so ../secret is
    # the same file as the absolute path.
    secret = tmp_path / "secret.tex"
    secret.write_text("SECRETTOKEN\n")
    absolute = document(f"\\input{{{secret.as_posix()}}}")
    relative = document(r"\input{../secret}")
    for source in (absolute, relative):
        with pytest.raises(TexError, match="openin_any = p"):
            compile_pdf(source)
    # Control: the same documents do read the file when TeX is not paranoid, so the
    # refusals above come from openin_any and not from broken documents.
    monkeypatch.setitem(tex._TEX_ENV, "openin_any", "a")
    for source in (absolute, relative):
        assert "SECRETTOKEN" in pdf_to_text(compile_pdf(source))


@needs_tex
def test_writing_absolute_paths_is_refused(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "written.txt"
    source = document("\\newwrite\\out\n"
                      f"\\immediate\\openout\\out={target.as_posix()}\n"
                      "\\immediate\\write\\out{pwned}\\immediate\\closeout\\out\nx")
    with pytest.raises(TexError, match="openout_any = p"):
        compile_pdf(source)
    assert not target.exists()
    # Control: with openout_any=a the very same document writes the file.
    monkeypatch.setitem(tex._TEX_ENV, "openout_any", "a")
    compile_pdf(source)
    assert target.read_text().strip() == "pwned"


@needs_tex
def test_shell_escape_is_disabled(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    piped = tmp_path / "PIPED"
    pdf, log = compile_pdf_with_log(
        document(f"\\immediate\\write18{{touch {canary.as_posix()}}}Text."))
    assert pdf.startswith(b"%PDF-")
    # "disabled." -- not "disabled (restricted)." as TeX Live's default shell_escape=p says.
    assert f"runsystem(touch {canary.as_posix()})...disabled.\n" in log
    assert not canary.exists()
    with pytest.raises(TexError):
        compile_pdf(document(f'\\input{{|"touch {piped.as_posix()}"}}'))
    assert not piped.exists()


@needs_tex
def test_endless_loop_hits_the_time_limit() -> None:
    start = time.monotonic()
    with pytest.raises(TexError, match="time limit of 3 s") as caught:
        compile_pdf(r"\def\x{\x}\x", timeout=3)
    assert time.monotonic() - start < 15
    assert "\n" not in str(caught.value)


def test_missing_engine_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    for call in (find_engine, lambda: compile_pdf(document("x"))):
        with pytest.raises(TexError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith("no TeX engine found (pdflatex)")
        assert "apt-get install texlive-latex-base" in message
        assert "without --pdf" in message
    with pytest.raises(TexError, match="texlive-xetex"):
        find_engine("xelatex")


def test_unknown_engine_is_never_run(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []
    monkeypatch.setattr(shutil, "which", lambda name: looked_up.append(name) or "/bin/sh")
    with pytest.raises(TexError, match="unknown TeX engine 'sh'"):
        find_engine("sh")
    assert looked_up == []
    assert find_engine("lualatex") == "/bin/sh"
    assert looked_up == ["lualatex"]


@needs_tex
def test_find_engine_defaults_to_pdflatex() -> None:
    assert Path(find_engine()).name == "pdflatex"


def test_missing_poppler_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(TexError, match="pdftotext not found; .*poppler-utils"):
        pdf_to_text(b"%PDF-1.5")
    with pytest.raises(TexError, match="pdftoppm not found; .*poppler-utils"):
        pdf_first_page_png(b"%PDF-1.5")


SAMPLE_LOG = r"""(./document.tex
LaTeX2e <2022-06-01>
Overfull \hbox (12.34567pt too wide) in paragraph at lines 12--14
[]\OT1/cmr/m/n/10 some text
Underfull \hbox (badness 10000) in paragraph at lines 20--21
Overfull \hbox (0.5pt too wide) detected at line 30
Overfull \vbox (3.0pt too high) has occurred while \output is active
 Overfull \hbox (99pt too wide) quoted, not at line start
[1] )
"""


def test_overfull_boxes_parses_a_log() -> None:
    assert overfull_boxes(SAMPLE_LOG) == [
        r"Overfull \hbox (12.34567pt too wide) in paragraph at lines 12--14",
        r"Overfull \hbox (0.5pt too wide) detected at line 30",
        r"Overfull \vbox (3.0pt too high) has occurred while \output is active",
    ]
    assert overfull_boxes(SAMPLE_LOG, min_pt=1.0) == [
        r"Overfull \hbox (12.34567pt too wide) in paragraph at lines 12--14",
        r"Overfull \vbox (3.0pt too high) has occurred while \output is active",
    ]
    assert overfull_boxes("no boxes here\n") == []
