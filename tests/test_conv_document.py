"""Convolutional networks written up: the derive summary, the LaTeX/PDF, HTML and Markdown documents."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import cache

import pytest

from symbackprop import Spec, api, derive
from symbackprop.cli import main
from symbackprop.conv.report import conv_summary
from symbackprop.document import build_document, build_html, build_markdown
from symbackprop.document.inline import pieces
from symbackprop.errors import UserError
from symbackprop.spec import parse_toml

SPEC = ("1x8x8-conv1k3p1-maxpool2-conv2k2s2-avgpool2-3", {"activation": "tanh"})


@cache
def derived():
    text, options = SPEC
    return derive(Spec.parse(text, **options), proof_budget=2)


def test_summary_states_the_flipped_kernel_the_routes_and_the_sums_over_positions():
    text = conv_summary(derived())
    assert "cross-correlation, as in PyTorch" in text and "Indices start at 0" in text
    assert "back through layer 3 (conv): e^2_{d,u,v} = Σ_c Σ_{p,q} w^3_{c,d,p,q} δ^3_{c,(u−p)/2,(v−q)/2}" in text
    assert "dilated by the stride (2) and padded by k−1−P (1), with the kernel flipped: w^3_{c,d,1−p,1−q}" in text
    assert "e^1_{c,u,v} = Σ_{p,q} [(u,v) is the maximum of window ((u−p)/2,(v−q)/2)] δ^2_{c,(u−p)/2,(v−q)/2}" in text
    assert "tie rule: the first maximum of the window in row-major order" in text
    assert "e^3_{c,u,v} = Σ_{p,q} δ^4_{c,(u−p)/2,(v−q)/2} / 4" in text
    assert "∂C/∂w^1_{c,d,p,q} = Σ_{i<8,j<8} δ^1_{c,i,j} a^0_{d,i+p−1,j+q−1}   (64 positions" in text
    assert "proved per weight on the reduced network 1x8x8-conv1k3p1-maxpool2-conv2k2s2-avgpool2-2" in text
    assert "All equations hold" in text


def test_cli_derive_prints_the_summary_and_exits_0(capsys):
    code = main(["derive", "1x3x3-conv1k2-2", "--activation", "tanh", "--proof-budget", "2"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("Network 1x3x3-conv1k2-2 (cost cross_entropy; with biases)")
    assert "BP4 conv:" in out and "proved symbolically" in out


@pytest.mark.parametrize("notation", ["nielsen", "ng", "higham"])
def test_document_has_the_conv_sections_in_the_readers_notation(notation):
    d = derived()
    tex = build_document(d.spec, notation=notation, derivation=d)
    for title in ("Through a convolution: the flipped kernel", "Through max pooling: to the arg-max",
                  "Through average pooling: spread evenly", "BP3 and BP4: weight sharing",
                  "Weight sharing: the positions of"):
        assert title in tex, title
    assert "cross-correlation (as in PyTorch)" in tex and r"\label{fig:kernel}" in tex
    layer = {"nielsen": "^{1}", "ng": "^{(1)}", "higham": "^{[2]}"}[notation]
    weight = {"nielsen": "w", "ng": r"\theta", "higham": "w"}[notation]
    assert f"{weight}{layer}_{{0,0,0,0}}" in tex  # the highlighted weight in the reader's numbering
    # the sum over positions of the highlighted weight: one term per position inside the image
    positions = re.search(r"\\label\{eq:positions\}", tex)
    assert positions is not None


def test_every_prose_piece_reads_and_html_and_markdown_render():
    d = derived()
    view_html = build_html(d.spec, derivation=d)
    assert "<svg" in view_html and "Through a convolution" in view_html
    files = build_markdown(d.spec, stem="net", derivation=d)
    assert set(files) >= {"net.md", "net-kernel.svg"} and "<rect" in files["net-kernel.svg"]
    from symbackprop.document.convolution import conv_document_view
    from symbackprop.notation import PROFILES

    view = conv_document_view(d, PROFILES["nielsen"])
    for part in view["sections"]:
        for block in part["blocks"]:
            if block["kind"] == "paragraph":
                list(pieces(block["text"]))


def test_highlight_names_a_conv_weight_and_mistakes_are_one_line():
    d = derived()
    tex = build_document(d.spec, derivation=d, highlight="w^3_{1,0,1,0}")
    assert r"Weight sharing: the positions of $w^{3}_{1,0,1,0}$" in tex
    # stride 2: w^3_{1,0,1,0} reads row 2i + 1, column 2j of channel 0 at the four positions
    assert r"\delta^{3}_{1,1,1}\, a^{2}_{0,3,2}" in tex and "The per-weight partials are not listed" in tex
    small = derive(Spec.parse("1x3x3-conv1k2-2", activation="tanh"), proof_budget=1)
    listed = build_document(small.spec, derivation=small, weights="b^1_0,w^2_{1,3}")
    assert r"\subsection*{$b^{1}_{0}$}" in listed and r"\subsection*{$w^{2}_{1,3}$}" in listed
    with pytest.raises(UserError, match=r"--highlight: .* has no parameter w\^3_\{4,0,0,0\}"):
        build_document(d.spec, derivation=d, highlight="w^3_{4,0,0,0}")
    with pytest.raises(UserError, match=r"--weights: expected a weight like w\^1_\{0,0,1,2\}"):
        build_document(d.spec, derivation=d, weights="v3")


def test_api_latex_takes_a_conv_derivation():
    document = api.latex(derived(), notation="ng")
    assert document.notation == "ng" and r"\theta^{(1)}_{c,d,p,q}" in document.tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_pdf_compiles(tmp_path):
    spec = parse_toml(derived().spec.to_toml())
    out = tmp_path / "conv.pdf"
    done = subprocess.run([sys.executable, "-m", "symbackprop", "latex", str(_write(tmp_path, spec)), "--pdf",
                           "-o", str(out), "--proof-budget", "1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")


def _write(folder, spec):
    path = folder / "net.toml"
    path.write_text(spec.to_toml())
    return path


def test_spec_and_derivation_display_in_jupyter():
    d = derived()
    for shown in (d.spec, d, d.proof):
        assert shown._repr_html_().startswith("<div") and shown._repr_markdown_() and shown._repr_latex_()
    assert "through a convolution" not in d.spec._repr_markdown_() and "BP2 conv" in d._repr_markdown_()
