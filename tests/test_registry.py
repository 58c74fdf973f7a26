"""The registry of activations and costs, the whole extension surface."""

from __future__ import annotations

import pytest
import sympy as sp

from symbackprop import Spec, register_activation, register_cost
from symbackprop.errors import SpecError
from symbackprop.functions import leaky_relu, relu, sigmoid, softplus
from symbackprop.registry import (
    _ACTIVATIONS,
    _COSTS,
    A,
    Y,
    Z,
    activation_names,
    builtin_activation,
    builtin_cost,
    cost_names,
    custom_activation,
    custom_cost,
)


def test_builtin_names():
    assert activation_names() == ["identity", "leaky_relu", "relu", "sigmoid", "softmax", "softplus", "tanh"]
    assert cost_names() == ["binary_cross_entropy", "cross_entropy", "quadratic"]


@pytest.mark.parametrize(("name", "expr"), [
    ("identity", Z), ("sigmoid", sigmoid(Z)), ("tanh", sp.tanh(Z)), ("relu", relu(Z)),
    ("softplus", softplus(Z)), ("leaky_relu", leaky_relu(Z, sp.Rational(1, 100))),
])
def test_builtin_activation_expressions(name, expr):
    activation = builtin_activation(name)
    assert activation.expr == expr and activation.elementwise and not activation.is_custom


def test_softmax_is_not_elementwise():
    assert builtin_activation("softmax").expr is None and not builtin_activation("softmax").elementwise


@pytest.mark.parametrize(("name", "expr"), [
    ("quadratic", (A - Y) ** 2 / 2),
    ("binary_cross_entropy", -(Y * sp.log(A) + (1 - Y) * sp.log(1 - A))),
    ("cross_entropy", -Y * sp.log(A)),
])
def test_builtin_costs(name, expr):
    assert sp.simplify(builtin_cost(name).expr - expr) == 0


@pytest.mark.parametrize(("function", "point"), [(sigmoid, "0.3"), (softplus, "-0.7"), (relu, "0.4"), (relu, "-0.4")])
def test_function_derivatives_match_central_differences(function, point):
    x = sp.Symbol("x", real=True)
    point = sp.Rational(point)
    derivative = sp.diff(function(x), x).subs(x, point).evalf(30)
    step = sp.Rational(1, 10**8)
    numeric = ((function(point + step) - function(point - step)) / (2 * step)).evalf(30)
    assert abs(derivative - numeric) < 1e-10


def test_leaky_relu_values_and_derivative():
    x = sp.Symbol("x", real=True)
    s = sp.Rational(1, 5)
    assert leaky_relu(sp.Integer(3), s) == 3 and leaky_relu(sp.Integer(-3), s) == sp.Rational(-3, 5)
    derivative = sp.diff(leaky_relu(x, s), x)
    assert derivative.subs(x, 2) == 1 and derivative.subs(x, -2) == s


def test_custom_functions_evaluate_numerically():
    assert abs(sigmoid(sp.Float(0.5)).evalf(30) - 1 / (1 + sp.exp(-sp.Float(0.5)))) < 1e-25
    assert sigmoid(sp.Integer(0)) == sp.Rational(1, 2)
    assert relu(sp.Integer(-2)) == 0 and relu(sp.Integer(2)) == 2


def test_register_activation_and_cost_are_usable_in_specs():
    try:
        register_activation("softsign_test", Z / (1 + sp.Abs(Z)))
        register_cost("absolute_test", sp.Abs(A - Y), "C = Σ_j |a_j − y_j|")
        spec = Spec.parse("2-3-1", activation="softsign_test", cost="absolute_test")
        assert spec.activations[0].expr == Z / (1 + sp.Abs(Z)) and spec.cost.formula == "C = Σ_j |a_j − y_j|"
    finally:
        _ACTIVATIONS.pop("softsign_test", None)
        _COSTS.pop("absolute_test", None)


@pytest.mark.parametrize("bad", ["z*2", sp.Symbol("q") * Z, 3])
def test_register_activation_rejects_non_prototype_expressions(bad):
    with pytest.raises(TypeError):
        register_activation("bad_test", bad)
    assert "bad_test" not in _ACTIVATIONS


def test_unknown_names_list_the_builtins():
    with pytest.raises(SpecError, match="built-in: identity, leaky_relu"):
        builtin_activation("gelu")
    with pytest.raises(SpecError, match="built-in: binary_cross_entropy"):
        builtin_cost("hinge")


def test_custom_activation_and_cost():
    swish = custom_activation("swish", " z*sigmoid(z) ")
    assert swish.expr == Z * sigmoid(Z) and swish.source == "z*sigmoid(z)" and swish.is_custom
    logcosh = custom_cost("logcosh", "log(cosh(a - y))")
    assert logcosh.expr == sp.log(sp.cosh(A - Y)) and logcosh.formula == "C = Σ_j log(cosh(a - y))"
    with pytest.raises(SpecError, match="activation 'k' does not depend on z"):
        custom_activation("k", "2")
    with pytest.raises(SpecError, match="cost 'c': unknown name 'z'"):
        custom_cost("c", "z - y")
