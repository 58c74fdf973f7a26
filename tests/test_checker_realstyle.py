"""The lexer, parser, furniture and source stages on the spellings of forum posts, notebooks and
course handouts: colours, braces with labels, boxes, empty groups, differentials, evaluation bars,
remarks in words, listed qualifiers and alignment environments inside ``$$``."""

from __future__ import annotations

import re

import pytest

from symbackprop import Spec, api
from symbackprop.checker.furniture import parse_qualifier, strip_furniture
from symbackprop.checker.lexer import tokenize
from symbackprop.checker.parser import (
    Bin,
    Derivative,
    Func,
    NodePartial,
    Norm,
    Num,
    Partial,
    Power,
    Relation,
    Sym,
    Transpose,
    parse_equation,
)
from symbackprop.errors import EquationError

NET = Spec.parse("2-3-2", activation="sigmoid", cost="quadratic")
BP1 = r"(a^L - y) \odot \sigma'(z^L)"


def texts(text: str) -> list[str]:
    return [token.text for token in tokenize(text, "equation 1") if token.kind != "END"]


def right(text: str):
    return parse_equation(text, "equation 1").sides[1]


def shape(text: str) -> str:
    """The right side's tree without its columns (two spellings of one expression compare equal)."""
    return re.sub(r"column=\d+, ", "", repr(right(text)))


def verdicts(*equations: str, spec: Spec = NET) -> list[str]:
    return [item.verdict for item in api.check(spec, list(equations), notation="nielsen").items]


# -- lexer ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("coloured", [r"\color{red}{(a^L - y)}", r"{\color{red}(a^L - y)}",
                                      r"\textcolor{red}{(a^L - y)}", r"\colorbox[rgb]{1,0,0}{(a^L - y)}"])
def test_a_colour_is_dropped_and_what_it_colours_is_read(coloured):
    assert "red" not in texts(coloured)
    assert shape(rf"\delta^L = {coloured} \odot \sigma'(z^L)") == shape(rf"\delta^L = {BP1}")


@pytest.mark.parametrize("annotated", [r"\underbrace{(a^L - y)}_{\nabla_a C}", r"\overbrace{(a^L - y)}^{\text{error}}",
                                       r"\underset{\text{error}}{(a^L - y)}", r"\boxed{(a^L - y)}"])
def test_an_annotation_keeps_its_argument_and_drops_its_label(annotated):
    assert shape(rf"\delta^L = {annotated} \odot \sigma'(z^L)") == shape(rf"\delta^L = {BP1}")


def test_a_brace_without_a_label_still_reads_what_follows_it():
    assert shape(r"\delta^L = \underbrace{(a^L - y)} \odot \sigma'(z^L)") == shape(rf"\delta^L = {BP1}")


def test_stackrel_over_equals_is_the_relation_and_overset_question_asks():
    equation = parse_equation(r"\delta^L \stackrel{\text{(BP1)}}{=} " + BP1, "equation 1")
    assert equation.relations == (Relation.EQUALS,)
    with pytest.raises(EquationError, match="asks a question"):
        parse_equation(r"\delta^L \overset{?}{=} " + BP1, "equation 1")


def test_an_empty_group_carries_the_transpose_of_what_precedes_it():
    node = right(r"\nabla_{W^l} C = \delta^l \, {a^{l-1}}{}^{T}")
    assert isinstance(node, Bin) and isinstance(node.right, Transpose)


def test_spacing_inside_a_script_and_plain_brackets_as_a_layer():
    assert isinstance(right(r"\nabla_{W^l} C = \delta^l (a^{l-1})^{\!\top}").right, Transpose)
    left = parse_equation("δ^[L] = σ'(z^[L]) ∘ (a^[L] − y)", "equation 1").sides[0]
    assert left == Sym(left.column, "delta", "[L]")


def test_a_double_bar_is_a_norm_and_a_mathrm_d_is_the_letter_d():
    assert isinstance(right(r"C = ||y - a^L||^2").arg, Norm)
    assert texts(r"\mathrm{d}z") == ["d", "z"]
    assert texts(r"\mathrm{dz}") != ["d", "z"]


def test_a_script_ell_is_the_layer_letter_l_unless_the_equation_also_writes_l():
    assert parse_equation(r"\delta^{(\ell)} = 0", "equation 1").sides[0] == Sym(1, "delta", "(l)")
    assert parse_equation("δ^ℓ_j = 0", "equation 1").sides[0] == Sym(1, "delta", "l", "j")
    summed = right(r"\delta^l_j = \sum_{\ell} w^{l+1}_{\ell j} \delta^{l+1}_{\ell}")  # ℓ a neuron, l a layer
    assert summed.var not in ("l", r"\ell") and summed.body.left.sub == summed.var + "j"


# -- parser -----------------------------------------------------------------------------------------
def test_a_negative_power_is_the_reciprocal():
    node = right(r"\sigma(z) = (1 + e^{-z})^{-1}")
    assert isinstance(node, Bin) and node.op == "/" and node.left == Num(node.left.column, "1")
    assert isinstance(right(r"x = (1 + e^{-z})^{-2}").right, Power)
    with pytest.raises(EquationError, match="whole-number power"):  # a matrix's inverse is not a reciprocal
        parse_equation(r"\delta^l = (W^{l+1})^{-1} \delta^{l+1}", "equation 1")


def test_a_partial_with_the_quantity_in_its_subscript():
    assert isinstance(right(r"\delta^l_j = \partial_{b^l_j} C"), Partial)
    assert isinstance(right(r"x = \partial_{z^l_j} a^l_j"), NodePartial)


@pytest.mark.parametrize("written", [r"\frac{dC}{db^l_j}", r"\frac{d C}{d b^l_j}",
                                     r"\frac{\mathrm{d}C}{\mathrm{d}b^l_j}"])
def test_a_derivative_of_the_cost_written_with_d_is_its_partial(written):
    node = parse_equation(rf"{written} = \delta^l_j", "equation 1").sides[0]
    assert isinstance(node, Partial) and node.cost == "C" and node.wrt.name == "b"


def test_d_sigma_by_dz_is_the_activations_derivative_and_da_by_dz_a_chain_step():
    node = parse_equation(r"\frac{\mathrm{d}\sigma}{\mathrm{d}z} = 1", "equation 1").sides[0]
    assert isinstance(node, Derivative) and isinstance(node.expr, Func) and node.expr.name == "sigma"
    assert isinstance(parse_equation(r"\frac{da^L_j}{dz^L_j} = 1", "equation 1").sides[0], NodePartial)


@pytest.mark.parametrize("bar", [r"\left.\frac{\mathrm{d}\sigma}{\mathrm{d}z}\right|_{z = z^L_j}",
                                 r"\frac{d\sigma}{dz}\Big|_{z = z^L_j}",
                                 r"\left.\frac{d}{dz}\sigma(z)\right|_{z = z^L_j}"])
def test_an_evaluation_bar_puts_the_activations_derivative_at_its_point(bar):
    node = right(rf"\frac{{\partial a^L_j}}{{\partial z^L_j}} = {bar}")
    assert isinstance(node, Func) and node.prime and node.arg == Sym(node.arg.column, "z", "L", "j")


def test_an_evaluation_bar_over_an_expression_substitutes_in_all_of_it():
    node = right(r"x = \left. \sigma(z)(1 - \sigma(z)) \right|_{z = z^L_j}")
    assert "Sym(column=" in repr(node) and "name='z', sup=None" not in repr(node)


def test_an_evaluation_bar_that_sets_nothing_or_sits_on_another_derivative_is_refused():
    with pytest.raises(EquationError, match="does not stand"):
        parse_equation(r"\frac{\partial C}{\partial b^l_j} = \left. \delta^l_j \right|_{b = 0}", "equation 1")
    with pytest.raises(EquationError, match="evaluation bar"):
        parse_equation(r"x = \left. \frac{\partial C}{\partial z} \right|_{z = z^L_j}", "equation 1")


# -- furniture and source ---------------------------------------------------------------------------
def test_a_trailing_remark_in_words_is_furniture_but_a_qualifier_is_kept():
    remark = strip_furniture(r"C = \frac12 (a - y)^2 \quad \text{(squared error, one sample)}")
    assert remark.text == r"C = \frac12 (a - y)^2"
    kept = strip_furniture(r"a^l = f(z^l) \quad \text{for } l = 1, 2")
    assert kept.qualifier is not None and kept.qualifier.bounds(2) == (1, 2)


def test_listed_values_are_a_qualifier_only_when_they_are_a_range():
    assert parse_qualifier(r"\text{for } l = 1, 2, 3").bounds(3) == (1, 3)
    assert parse_qualifier(r"\text{for } l = 1, 3") is None


def test_two_boxed_equations_on_one_line_are_two_equations():
    from symbackprop.checker.source import snippets_from_text

    found = snippets_from_text(r"$$\boxed{\delta^L = " + BP1 + r"} \qquad \boxed{\nabla_{b^l} C = \delta^l}$$", ".md")
    assert [snippet.text for snippet in found] == [rf"\delta^L = {BP1}", r"\nabla_{b^l} C = \delta^l"]


def test_align_rows_inside_double_dollars_are_separate_equations():
    from symbackprop.checker.source import snippets_from_text

    text = "$$\n\\begin{align}\n\\delta^L &= " + BP1 + " \\\\\n\\nabla_{b^l} C &= \\delta^l\n\\end{align}\n$$\n"
    assert [snippet.line for snippet in snippets_from_text(text, ".md")] == [3, 4]


# -- end to end: right and wrong readings -----------------------------------------------------------
def test_the_new_spellings_give_the_verdicts_of_the_mathematics():
    assert verdicts(r"\delta^L_j = (a^L_j - y_j)\,\color{blue}{\sigma'(z^L_j)}",
                    r"\frac{\partial a^L_j}{\partial z^L_j}"
                    r" = \left.\frac{\mathrm{d}\sigma}{\mathrm{d}z}\right|_{z = a^L_j}",
                    r"\frac{\mathrm{d}C}{\mathrm{d}w^l_{jk}} = a^{l}_k \delta^l_j",
                    r"\partial_{b^l_j} C = \delta^l_j") == ["CORRECT", "INCORRECT", "INCORRECT", "CORRECT"]


def test_indices_a_space_apart_are_two_indices():
    assert verdicts(r"\frac{\partial C}{\partial w^l_{j k}} = a^{l-1}_k \delta^l_j",
                    r"\frac{\partial C}{\partial w^l_{j k}} = a^{l-1}_j \delta^l_k",
                    r"\delta^l_j = \sum_k w^{l+1}_{k\, j} \delta^{l+1}_k \sigma'(z^l_j)") == \
        ["CORRECT", "INCORRECT", "CORRECT"]


def test_ell_layers_and_ell_neuron_indices_give_the_verdicts_of_the_mathematics():
    net = Spec.parse("3-4-4-2", activation="sigmoid", cost="quadratic")
    assert verdicts(r"\delta^{\ell} = ((W^{\ell+1})^T \delta^{\ell+1}) \odot \sigma'(z^{\ell})",
                    r"\frac{\partial C}{\partial W^{\ell}} = \delta^{\ell} (a^{\ell-1})^T",
                    r"\delta^l_j = \sigma'(z^l_j) \sum_{\ell} w^{l+1}_{\ell j} \delta^{l+1}_{\ell}",
                    r"\delta^l_j = \sigma'(z^l_j) \sum_{\ell} w^{l}_{\ell j} \delta^{l+1}_{\ell}",
                    r"\delta^{\ell} = ((W^{\ell})^T \delta^{\ell+1}) \odot \sigma'(z^{\ell})",
                    spec=net) == ["CORRECT", "CORRECT", "CORRECT", "INCORRECT", "INCORRECT"]


def test_a_long_product_or_sum_is_refused_with_its_place_not_a_traceback():
    for text in (r"\delta^1 = " + " ".join(["z"] * 250), r"\delta^1 = " + " + ".join(["z"] * 250),
                 r"\delta^1 = \left. " + " ".join(["z"] * 250) + r" \right|_{z = z^1_1}"):
        with pytest.raises(EquationError, match=r"column \d+: at most 200"):
            parse_equation(text, "equation 1")
    with pytest.raises(EquationError, match="at most 300 operations"):
        parse_equation(r"\delta^1 = " + " + ".join(["z z"] * 160), "equation 1")


def test_a_where_clause_is_a_second_equation_and_a_with_qualifier_stays_a_qualifier():
    from symbackprop.checker.source import snippets_from_equation

    found = snippets_from_equation(rf"\delta^L = {BP1} \quad \text{{where }} \sigma'(z) = \sigma(z)(1 - \sigma(z))")
    assert [snippet.text for snippet in found] == [rf"\delta^L = {BP1}", r"\sigma'(z) = \sigma(z)(1 - \sigma(z))"]
    kept = snippets_from_equation(r"\delta^L_j = (a^L_j - y_j) \sigma'(z^L_j) \quad \text{with } L = 2")
    assert len(kept) == 1 and kept[0].qualifier is not None
