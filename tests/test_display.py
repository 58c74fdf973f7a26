"""Rich display in Jupyter: each object's _repr_html_/_repr_latex_/_repr_markdown_, in each notation.

Every formula shown is in layer-indexed symbols of the chosen notation (``a^{2}_{j}``); the
prototype symbols of the derivation (a bare a, z, e or y) never reach the reader.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import derived

from symbackprop import Spec, check, codegen, derive, latex
from symbackprop.display import markup
from symbackprop.display.code import highlight
from symbackprop.document.formulas import tex_escape
from symbackprop.proof import FAILED, Proof, Verdict

NOTATIONS = ("nielsen", "ng", "higham")
SOFTMAX = ("2-3-2", "tanh", "softmax", "cross_entropy")

#: What the issue's example 2-3-2 (tanh, softmax + cross-entropy) must show, per notation.
EXPECTED = {
    "nielsen": [r"\delta^{2}_{j} = a^{2}_{j} - y_{j}",
                r"\delta^{1}_{j} = \bigl((W^{2})^{T} \delta^{2}\bigr)_{j}\, \left(1 - (a^{1}_{j})^{2}\right)",
                r"\sigma'(z^{1}_{j}) = 1 - \tanh^{2}{(z^{1}_{j} )} = 1 - (a^{1}_{j})^{2}",
                r"\frac{\partial C}{\partial w^{1}_{jk}} = x_{k}\, \delta^{1}_{j}"],
    "ng": [r"\delta^{(3)}_{j} = a^{(3)}_{j} - y_{j}",
           r"\delta^{(2)}_{j} = \bigl((\Theta^{(2)})^{T} \delta^{(3)}\bigr)_{j}\, \left(1 - (a^{(2)}_{j})^{2}\right)",
           r"g'(z^{(2)}_{j}) = 1 - \tanh^{2}{(z^{(2)}_{j} )} = 1 - (a^{(2)}_{j})^{2}",
           r"\frac{\partial C}{\partial \theta^{(1)}_{jk}} = x_{k}\, \delta^{(2)}_{j}"],
    "higham": [r"\delta^{[3]}_{j} = a^{[3]}_{j} - y_{j}",
               r"\delta^{[2]}_{j} = \bigl((W^{[3]})^{T} \delta^{[3]}\bigr)_{j}\, \left(1 - (a^{[2]}_{j})^{2}\right)",
               r"\sigma'(z^{[2]}_{j}) = 1 - \tanh^{2}{(z^{[2]}_{j} )} = 1 - (a^{[2]}_{j})^{2}",
               r"\frac{\partial C}{\partial w^{[2]}_{jk}} = x_{k}\, \delta^{[2]}_{j}"],
}

_MATH = {"html": re.compile(r"\\\((.*?)\\\)", re.S), "markdown": re.compile(r"\$(.+?)\$"),
         "latex": re.compile(r"\$\$(.*?)\$\$", re.S)}
_WORDS = re.compile(r"\\(?:text|textbf|texttt|operatorname|mathbf)\{[^{}]*\}|\\[A-Za-z]+")
#: a, z, e or y with no layer or index attached: the derivation's prototype symbols
_BARE = re.compile(r"(?<![A-Za-z])[azey](?![A-Za-z^_])")


def formulas(text: str, kind: str) -> list[str]:
    found = _MATH[kind].findall(text)
    assert found, f"no formulas in the {kind} display"
    return found


def bare_symbols(text: str, kind: str) -> list[str]:
    """The formulas of a display in which a bare a, z, e or y appears."""
    return [formula for formula in formulas(text, kind) if _BARE.search(_WORDS.sub(" ", formula))]


def displays(shown) -> dict[str, str]:
    found = {"html": shown._repr_html_(), "latex": shown._repr_latex_()}
    if hasattr(shown, "_repr_markdown_"):
        found["markdown"] = shown._repr_markdown_()
    return found


def test_the_bare_symbol_check_catches_prototype_symbols():
    assert bare_symbols(r"\(\delta^{2}_{j} = a - y_{j}\)", "html") == [r"\delta^{2}_{j} = a - y_{j}"]
    assert bare_symbols(r"\(e (1 - a^{2})\)", "html")
    assert not bare_symbols(r"\(a^{2}_{j} \tanh{(z^{1}_{j})} \text{a e} e^{z^{2}_{j}}\)", "html")


# -- the derivation -------------------------------------------------------------------------------------
@pytest.mark.parametrize("notation", NOTATIONS)
def test_derivation_shows_bp1_to_bp4_in_layer_indexed_symbols(notation):
    d = derived(*SOFTMAX[:1], activation=SOFTMAX[1], output_activation=SOFTMAX[2], cost=SOFTMAX[3])
    shown = d.in_notation(notation)
    for kind, text in displays(shown).items():
        for expected in EXPECTED[notation]:
            assert expected in text, (kind, expected)
        assert not bare_symbols(text, kind), kind
        assert "proved symbolically" in text and r"\sum_j y_j = 1" in text
    assert shown._repr_html_() == derive(d.spec, notation=notation)._repr_html_()


def test_derivation_with_a_row_sum_defines_it_in_the_layers_symbols():
    d = derive(Spec.parse("2-2", activation="sigmoid", output_activation="softmax", cost="quadratic", bias=False))
    text = d._repr_html_()
    assert r"\delta^{1}_{j} = - a^{1}_{j} s + a^{1}_{j} (a^{1}_{j} - y_{j})" in text
    assert r"s = \sum_{i} a^{1}_{i}\, \frac{\partial C}{\partial a^{1}_{i}}" in text
    assert "no hidden layers" in text and "no biases" in text and "not checked" not in text
    assert not bare_symbols(text, "html")


def test_derivation_of_sigmoid_shows_the_rewrite_in_a():
    text = derived("3-4-2")._repr_latex_()
    assert r"\sigma'(z^{2}_{j}) = (1 - \sigma(z^{2}_{j})) \sigma(z^{2}_{j}) = a^{2}_{j} (1 - a^{2}_{j})" in text
    assert r"\delta^{2}_{j} = a^{2}_{j} (1 - a^{2}_{j}) (a^{2}_{j} - y_{j})" in text
    assert text.startswith("$$") and text.endswith("$$") and not bare_symbols(text, "latex")


# -- the proof ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("notation", NOTATIONS)
def test_proof_is_a_verdict_table_per_equation(notation):
    d = derived(*SOFTMAX[:1], activation=SOFTMAX[1], output_activation=SOFTMAX[2], cost=SOFTMAX[3])
    proof = d.in_notation(notation).proof
    for kind, text in displays(proof).items():
        for expected in EXPECTED[notation][:3]:
            assert expected in text, (kind, expected)
        assert not bare_symbols(text, kind)
        for heading in ("equation", "how it was established", "network", "σ′ rewrite", "BP4", "batched form"):
            assert (tex_escape(heading) if kind == "latex" else heading) in text, (kind, heading)
        assert "every equation holds" in text and "2-3-2 at full width" in text
    rows = re.findall(r"<tr>(.*?)</tr>", proof._repr_html_())
    assert [re.search(r"<td>(.*?)</td>", row).group(1) for row in rows[1:]] == [
        "σ′ rewrite", "BP1", "BP2", "BP3", "BP4", "matrix form", "batched form"]


def test_proof_names_the_reduced_network_and_its_notes():
    proof = derived("3-4-2", max_parameters=10).proof
    text = proof._repr_html_()
    assert text.count("<td>2-2-2 (reduced)</td>") == 4 and "<td>3-4-2 at full width</td>" in text
    assert "26 parameters exceed the per-weight limit of 10" in text


def test_a_failed_proof_says_so_first():
    proof = derived("2-2-1").proof
    failed = replace(proof, verdicts=proof.verdicts + (Verdict("∂C/∂w^1_11", "BP4", FAILED, "brute force 1 but 2"),))
    text = failed._repr_html_()
    assert '<span class="bad">FAILED: ∂C/∂w^1_11: FAILED (brute force 1 but 2)</span>' in text
    assert "every equation holds" not in text
    by_hand = Proof((Verdict("δ of the output layer", "BP1", "proved symbolically"),))
    assert "<td>δ of the output layer</td>" in by_hand._repr_html_()


# -- one partial ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("notation, weight, factored", [
    ("nielsen", "w^{1}_{11}", r"\delta^{1}_{1} x_{1}"),
    ("ng", r"\theta^{(1)}_{11}", r"\delta^{(2)}_{1} x_{1}"),
    ("higham", "w^{[2]}_{11}", r"\delta^{[2]}_{1} x_{1}"),
])
def test_partial_shows_each_path_and_the_factored_form(notation, weight, factored):
    partial = derived("3-4-2").in_notation(notation).partial("w", 1, 1, 1)
    html, latex_text = partial._repr_html_(), partial._repr_latex_()
    lhs = rf"\frac{{\partial C}}{{\partial {weight}}}"
    assert f"{lhs} = {factored}" in html and latex_text.endswith(rf"&= {factored}\end{{aligned}}$$")
    assert latex_text.startswith(rf"$$\begin{{aligned}}{lhs} &= ")
    assert latex_text.count(r"&\quad + ") == 1  # two paths: through each output neuron
    assert re.findall(r"<tr><td>(\d+)</td>", html) == ["1", "2"]
    z = "z^{1}_{1}" if notation == "nielsen" else "z^{(2)}_{1}" if notation == "ng" else "z^{[2]}_{1}"
    assert rf"\({weight} \to {z} \to " in html and "proved symbolically" in html
    for kind, text in (("html", html), ("latex", latex_text)):
        assert not bare_symbols(text, kind)


# -- the spec -------------------------------------------------------------------------------------------
def test_spec_shows_its_layers_and_forward_pass():
    spec = Spec.parse("3-4-2", activation="swish=z*sigmoid(z)", output_activation="softmax", cost="cross_entropy",
                      name="swish_net")
    shown = displays(spec)
    for kind, text in shown.items():
        assert r"z^{1}_{j} = \sum_{k} w^{1}_{jk}\, x_{k} + b^{1}_{j}" in text
        assert r"a^{1}_{j} = z^{1}_{j} \sigma(z^{1}_{j})" in text
        assert r"a^{2}_{j} = \frac{e^{z^{2}_{j}}}{\sum_{i} e^{z^{2}_{i}}}" in text
        assert r"C = \sum_{j} - y_{j} \log{(a^{2}_{j} )}" in text and r"W^{2}: 2 \times 4" in text
        assert not bare_symbols(text, kind)
    assert "Network swish_net: 3-4-2: 2 weight layers, 26 parameters (20 weights, 6 biases)" in shown["html"]
    assert r"swish = z\*sigmoid(z)" in shown["markdown"] and r"swish\_net" in shown["markdown"]


def test_spec_html_draws_the_network_as_the_documents_do():
    html = Spec.parse("3-4-2")._repr_html_()
    assert html.count("<svg") == 1 and html.count("<circle") == 3 + 4 + 2
    assert "<script" not in html and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    wide = Spec.parse("784-100-10")._repr_html_()
    assert wide.count("<svg") == 1 and wide.count("<circle") < 20  # wide layers drawn with an ellipsis


# -- the checker's report -------------------------------------------------------------------------------
def test_report_shows_one_row_per_equation_with_the_point_and_both_values():
    spec = Spec.parse("2-3-3", activation="tanh", output_activation="softmax", cost="cross_entropy")
    report = check(spec, [r"\delta^{(3)}_j = a^{(3)}_j - y_j", r"\delta^{(3)}_j = y_j - a^{(3)}_j"], notation="ng")
    for text in displays(report).values():
        assert "1 of 2 correct" in text and "off by a sign" in text and "CORRECT" in text and "INCORRECT" in text
        assert "a^{(3)}_{1}" in text and "the left side (true value) is" in text
    html = report._repr_html_()
    assert html.count("<tr>") == 3 and r"<code>\delta^{(3)}_j = y_j - a^{(3)}_j</code>" in html
    assert r"\(\theta^{(1)}_{11} = " in html and r"\(a^{(3)}_{1} = " in html  # the point, one value each
    assert '<span class="bad">INCORRECT</span>' in html and "Layers are numbered 1 (the input)" in html
    assert "Assumed: the targets sum to one" in html


def test_report_of_a_file_shows_what_it_skipped_and_could_not_read(tmp_path):
    path = tmp_path / "mine.tex"
    path.write_text(r"\[ C = \frac{1}{2} \sum_j (a^L_j - y_j)^2 \] "
                    r"\[ \delta^L_j = \frac{\partial C}{\partial z^L_j} \] \[ \delta^L_j = (a^L_j < 1 \]")
    report = check("2-2-2", path)
    text = report._repr_markdown_()
    assert "| CONSISTENT |" in text and "| skipped |" in text and "| NOT UNDERSTOOD |" in text
    assert "1 of 2 correct" in text
    assert r"<code>\delta^L_j = (a^L_j &lt; 1</code>" in report._repr_html_()


# -- the module and the document ------------------------------------------------------------------------
def test_highlight_marks_tokens_and_escapes_everything():
    assert highlight("def f(x):\n    return 'a<b'  # c & d\n") == (
        '<span class="k">def</span> <span class="f">f</span>(x):\n    <span class="k">return</span> '
        '<span class="s">&#x27;a&lt;b&#x27;</span>  <span class="c"># c &amp; d</span>\n')
    assert highlight("x = (") == "x = ("  # not Python: shown as it is


def test_module_displays_its_source_highlighted():
    module = codegen("3-4-2")
    html = module._repr_html_()
    assert ('<span class="k">def</span> <span class="f">init_params</span>(seed=<span class="n">0</span>, '
            'check_memory=<span class="k">True</span>):') in html
    assert "numpy training module for 3-4-2 (float64)" in html and "every check it relies on passed" in html
    assert "<script" not in html and re.sub(r"<[^>]+>", "", html).count("def ") == module.source.count("def ")


def test_document_displays_its_source_without_tex(monkeypatch):
    document = latex("2-1")
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    bundle = document._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"} and "no TeX engine" in bundle["text/html"]
    assert r"\begin{document}" in bundle["text/html"] and "<pre" in bundle["text/html"]


@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftoppm") is None,
                    reason="pdflatex and pdftoppm are not installed")
def test_document_displays_its_first_page_with_tex():
    bundle = latex("2-1")._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"} and bundle["image/png"].startswith(b"\x89PNG")


# -- the renderers --------------------------------------------------------------------------------------
def test_markup_escapes_text_in_every_format():
    table = markup.Table(markup.cell("a <b> & c|d")[0], ("x|y",),
                         ((markup.cell(markup.Code("<script>"), markup.Math(r"\left|z^{1}_{1}\right|")),),))
    html = markup.html(table)
    assert "&lt;b&gt; &amp; c|d" in html and "<code>&lt;script&gt;</code>" in html and "<script>" not in html
    md = markup.markdown(table)
    assert r"a \<b\> & c\|d" in md and r"| x\|y |" in md and r"$\left\vert z^{1}_{1}\right\vert $" in md
    latex_text = markup.latex(table)
    assert r"\textbf{a \textless{}b\textgreater{} \& c\textbar{}d}" in latex_text
    assert r"\texttt{\textless{}script\textgreater{}}" in latex_text


def test_readme_screenshot_is_committed():
    picture = Path(__file__).resolve().parent.parent / "docs" / "notebook-display.png"
    assert picture.read_bytes().startswith(b"\x89PNG") and picture.stat().st_size > 50_000
