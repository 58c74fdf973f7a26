"""LaTeX safety: user text is escaped, and TeX cannot run commands or touch files outside
its temporary directory even when a document tries to."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from symbackprop import Spec
from symbackprop.errors import SpecError, TexError, UserError
from symbackprop.tex import compile_pdf_with_log

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _document(body: str) -> str:
    return "\\documentclass{article}\n\\begin{document}\n" + body + "\n\\end{document}\n"


@needs_tex
def test_tex_refuses_reads_writes_and_shell_escape(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    outside = tmp_path / "outside.tex"
    refused_reads = [r"\input{/etc/passwd}", r"\input{../../../../../../etc/passwd}"]
    for body in refused_reads:
        with pytest.raises(TexError, match="openin_any"):
            compile_pdf_with_log(_document(body), runs=1, timeout=60)
    for target in (str(outside), "../outside.tex", ".hidden.tex"):
        body = rf"\newwrite\f\immediate\openout\f={target}\immediate\write\f{{x}}\immediate\closeout\f x"
        with pytest.raises(TexError, match="openout_any"):
            compile_pdf_with_log(_document(body), runs=1, timeout=60)
    pdf, log = compile_pdf_with_log(_document(rf"\immediate\write18{{touch {canary}}}shell"), runs=1, timeout=60)
    assert pdf.startswith(b"%PDF")
    pdf, log = compile_pdf_with_log(_document(r"\newread\r\immediate\openin\r=/etc/hostname "
                                              r"\ifeof\r NOREAD\else\read\r to\x GOT\fi"), runs=1, timeout=60)
    assert not canary.exists() and not outside.exists()


@pytest.mark.parametrize("text", [r"z + 0  # \input{/etc/passwd}", r"z\input{/etc/passwd}",
                                  r"\immediate\write18{touch canary}", "z $ 1", "z % 1", "z & 1", "z ~ 1"])
def test_tex_payloads_in_spec_fields_are_rejected(text: str) -> None:
    with pytest.raises(SpecError):
        Spec.parse("2-2", activation=f"act={text}")
    with pytest.raises(SpecError):
        Spec.parse("2-2", cost=f"c={text}")
    with pytest.raises(SpecError):
        Spec.parse("2-2", name=text)


def test_spec_repr_latex_escapes_names() -> None:
    spec = Spec.parse("2-2", activation="my_act=z*sigmoid(z)", name="my_net")
    latex = spec._repr_latex_()
    assert r"my\_net" in latex and r"my\_act" in latex
    assert "my_net" not in latex.replace(r"my\_net", "") and "my_act" not in latex.replace(r"my\_act", "")


def test_document_escapes_user_text_and_rejects_tex_in_options() -> None:
    document = pytest.importorskip("symbackprop.document")
    spec = Spec.parse("2-2", activation="my_act=z*sigmoid(z)", cost="my_cost=(a-y)**2", name="net_1")
    tex = document.build_document(spec, max_parameters=0)
    assert r"net\_1" in tex and r"my\_act" in tex and "my_act" not in tex.replace(r"my\_act", "")
    assert r"\write18" not in tex and r"\input{/" not in tex
    for option in ({"highlight": r"\input{/etc/passwd}"}, {"weights": r"w^1_{11},\write18{touch x}"},
                   {"highlight": "w^1_{11}\\immediate\\write18{x}"}):
        with pytest.raises(UserError):
            document.build_document(spec, max_parameters=0, **option)


@needs_tex
def test_document_pdf_of_names_with_specials_compiles(tmp_path: Path) -> None:
    document = pytest.importorskip("symbackprop.document")
    spec = Spec.parse("1-1", activation="my_act=z*sigmoid(z)", name="net__x_1")
    pdf = document.build_document(spec, max_parameters=0, pdf=True)
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
