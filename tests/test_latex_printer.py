"""Tests for symbackprop.printing.latex: exact strings for small expressions, per profile."""

from __future__ import annotations

import pytest
import sympy as sp

from symbackprop.derivation import N_OUT, E
from symbackprop.functions import leaky_relu, relu, sigmoid, softplus
from symbackprop.model import NetworkModel
from symbackprop.printing.latex import LatexPrintError, latex, printer, soften_parentheses, split_indices
from symbackprop.registry import A, Y, Z
from symbackprop.spec import Spec


def test_latex_our_functions():
    assert latex(sigmoid(Z)) == r"\sigma(z)"
    assert latex(sigmoid(Z) ** 2) == r"\sigma^{2}(z)"
    assert latex(relu(Z)) == r"\operatorname{relu}(z)"
    assert latex(softplus(Z)) == r"\operatorname{softplus}(z)"
    assert latex(leaky_relu(Z, sp.Rational(1, 5))) == r"\operatorname{lrelu}_{\frac{1}{5}}(z)"
    assert latex(sp.Heaviside(Z, 0)) == r"\mathbf{1}[z > 0]"
    assert latex(Z * sigmoid(Z)) == r"z \sigma(z)"


def test_latex_prototype_symbols_per_layer_and_profile():
    expr = A * (1 - A) * (A - Y)
    assert latex(expr) == r"a (1 - a) (a - y_{j})"
    assert latex(expr, "nielsen", 2) == r"a^{2}_{j} (1 - a^{2}_{j}) (a^{2}_{j} - y_{j})"
    assert latex(A, "ng", 2) == r"a^{(3)}_{j}"
    assert latex(Z, "higham", 1, "i") == r"z^{[2]}_{i}"
    assert latex(E, "nielsen", 1) == r"\bigl((W^{2})^{T} \delta^{2}\bigr)_{j}"
    assert latex(E, "ng", 1) == r"\bigl((\Theta^{(2)})^{T} \delta^{(3)}\bigr)_{j}"
    assert latex(N_OUT) == "n_{L}"


def test_latex_network_symbols_in_every_profile():
    model = NetworkModel(Spec.parse("3-4-2", activation="sigmoid", cost="quadratic"))
    expr = model.w(2, 1, 3) * model.delta(2, 1) + model.b(1, 2)
    assert latex(expr) == r"b^{1}_{2} + \delta^{2}_{1} w^{2}_{13}"
    assert latex(model.w(2, 1, 3), "ng") == r"\theta^{(2)}_{13}"
    assert latex(model.w(2, 1, 3), "higham") == r"w^{[3]}_{13}"
    assert latex(model.a(0, 2)) == "x_{2}"
    assert latex(model.y(2), "higham") == "y_{2}"


def test_latex_two_digit_indices():
    assert split_indices("11") == ("1", "1")
    assert split_indices("10,3") == ("10", "3")
    assert latex(sp.Symbol("w^{1}_{10,3}", real=True)) == "w^{1}_{10,3}"


def test_latex_unknown_nodes_fail_loudly():
    with pytest.raises(LatexPrintError, match="symbol 'q'"):
        latex(sp.Symbol("q"))
    assert latex(sp.Heaviside(Z)) == "H(z)"
    with pytest.raises(LatexPrintError, match="function f"):
        latex(sp.Function("f")(Z))


def test_latex_parentheses_stay_tall_only_around_fractions():
    assert soften_parentheses(r"\left(1 - a\right)") == "(1 - a)"
    assert soften_parentheses(r"\left(\frac{1}{a} - y\right) \left(b\right)") == r"\left(\frac{1}{a} - y\right) (b)"
    nested = r"\left(\left(\frac{1}{a}\right) + 1\right)"
    assert soften_parentheses(nested) == nested


def test_latex_terms_of_a_sum():
    p = printer("nielsen", 1)
    assert p.terms(A - Y) == ["a^{1}_{j}", "- y_{j}"]
    assert p.terms(sigmoid(Z)) == [r"\sigma(z^{1}_{j})"]


def test_latex_pi_is_typeset_as_pi():
    # erf's derivative 2 e^{-z^2}/sqrt(pi); SymPy types π through a printmethod ours replaces
    assert latex(sp.sqrt(sp.pi)) == r"\sqrt{\pi}"
