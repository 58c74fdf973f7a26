"""Kinks of activations and costs, read from their expressions (symbackprop.kinks)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp

from symbackprop import kinks as kinks_module
from symbackprop.functions import leaky_relu
from symbackprop.kinks import KinkError, Kinks, kink_points, kinks, switch_arguments
from symbackprop.numeric import NUMPY_FUNCTIONS
from symbackprop.printing.text import kinks_text
from symbackprop.registry import A, Y, Z, builtin_activation, builtin_cost, custom_activation, custom_cost


def activation(text: str) -> sp.Expr:
    return custom_activation("f", text).expr


@pytest.mark.parametrize(("text", "points"), [
    ("relu(z)", (0,)),
    ("abs(z)", (0,)),
    ("z/(1 + abs(z))", (0,)),  # differentiable at 0, but its σ' holds sign(z): a kink of σ'
    ("max(z, 0.5)", (sp.Rational(1, 2),)),
    ("min(z, 1)", (1,)),
    ("abs(z - 1)", (1,)),
    ("abs(abs(z) - 1)", (-1, 0, 1)),
    ("relu(z**3 - z)", (-1, 0, 1)),
    ("relu(relu(z) - 1)", (0, 1)),
    ("min(max(z, 0), 1)", (0, 1)),
    ("abs(exp(z) - 2)", (sp.log(2),)),
    ("max(sigmoid(z), 0.3)", (-sp.log(sp.Rational(7, 3)),)),
    ("exp(-abs(z))", (0,)),
])
def test_located_kinks_of_custom_activations(text, points):
    found = kinks(activation(text), Z)
    assert found.located and found.points == points
    assert kink_points(activation(text), Z) == points


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "softplus"])
def test_smooth_activations_have_no_kinks(name):
    assert not kinks(builtin_activation(name).expr, Z)
    assert not kinks(activation("z*sigmoid(z)"), Z)


def test_builtin_relu_and_leaky_relu_at_zero():
    assert kink_points(builtin_activation("relu").expr, Z) == (0,)
    assert kink_points(builtin_activation("leaky_relu").expr, Z) == (0,)
    assert kink_points(leaky_relu(Z - 3, sp.Rational(1, 5)), Z) == (3,)


def test_every_kink_is_where_the_derivative_jumps():
    """The derivative of each kinked activation differs on the two sides of every point found."""
    for text in ("relu(z)", "max(z, 0.5)", "abs(z - 1)", "abs(abs(z) - 1)", "relu(z**3 - z)", "abs(exp(z) - 2)"):
        expr = activation(text)
        sigma = sp.lambdify(Z, expr, modules=[NUMPY_FUNCTIONS, np])
        for point in kink_points(expr, Z):
            c, h = float(point), 1e-6
            left, right = (sigma(c) - sigma(c - h)) / h, (sigma(c + h) - sigma(c)) / h
            assert abs(left - right) > 1e-3, (text, point)


def test_unsolved_kinks_fall_back_to_their_argument():
    periodic = kinks(activation("abs(sin(z))"), Z)
    assert periodic.points == () and periodic.unsolved == (sp.sin(Z),) and not periodic.located
    assert periodic.switches == (sp.sin(Z),)
    with pytest.raises(KinkError, match=r"where sin\(z\) = 0, and SymPy cannot list them \(infinitely many\)"):
        kink_points(activation("abs(sin(z))"), Z)
    with pytest.raises(KinkError, match=r"no closed form"):
        kink_points(activation("abs(z + sin(z) - 1)"), Z)


def test_functions_with_no_rule_are_refused():
    with pytest.raises(KinkError, match=r"floor\(z\).*no rule for floor"):
        kinks(sp.floor(Z) + Z, Z)


def test_cost_kinks_are_in_the_output_and_may_hold_the_target():
    assert kinks(custom_cost("l1", "abs(a - y)").expr, A) == Kinks(A, (Y,))
    hinge = kinks(custom_cost("hinge", "max(0, 1 - a*y)").expr, A)
    assert hinge.points == () and hinge.unsolved == (A * Y - 1,)  # g and −g are one kink
    for name in ("quadratic", "binary_cross_entropy", "cross_entropy"):
        assert not kinks(builtin_cost(name).expr, A)
    assert not kinks(custom_cost("c", "abs(y)*a").expr, A)  # the piece does not move with a


def test_switches_change_sign_exactly_at_the_points():
    found = kinks(activation("abs(abs(z) - 1)"), Z)
    assert found.switches == (Z + 1, Z, Z - 1)
    assert switch_arguments(activation("max(z, 0.5)"), Z) == (Z - sp.Rational(1, 2),)


def test_kinks_in_words():
    assert kinks_text(kinks(activation("abs(abs(z) - 1)"), Z)) == "z = −1, 0, 1"
    assert kinks_text(kinks(activation("max(z, 0.5)"), Z)) == "z = 1/2"
    assert kinks_text(kinks(activation("abs(z**5 + z + 1)"), Z)) == "z = −0.754878"
    assert kinks_text(kinks(activation("abs(sin(z))"), Z)) == "where sin(z) = 0"
    assert kinks_text(kinks(custom_cost("l1", "abs(a - y)").expr, A)) == "a = y"
    assert kinks_text(kinks(builtin_activation("tanh").expr, Z)) == ""


def test_solving_has_a_time_budget(monkeypatch):
    """A kink SymPy does not solve within the budget is kept as its argument, never waited for."""
    monkeypatch.setattr(kinks_module, "SOLVE_BUDGET", 0.05)
    text = "abs(abs(abs(z**16 - z**15 + 1) - z**3) - 2)"  # solveset takes most of a minute
    started = time.monotonic()
    found = kinks_module._zeros(activation(text).args[0], Z)
    assert found is None and time.monotonic() - started < 5
