"""The safe expression parser: what custom activations and costs may say (functional tests).

Hostile input (resource exhaustion, escapes) is covered by tests/security/.
"""

from __future__ import annotations

import pytest
import sympy as sp

from symbackprop.errors import ExpressionError
from symbackprop.expr import MAX_EXPONENT, parse_expression
from symbackprop.functions import relu, sigmoid, softplus
from symbackprop.registry import A, Y, Z

IN_Z = {"z": Z}
IN_AY = {"a": A, "y": Y}


@pytest.mark.parametrize(("text", "expected"), [
    ("z*sigmoid(z)", Z * sigmoid(Z)),
    ("z * tanh(softplus(z))", Z * sp.tanh(softplus(Z))),
    ("max(0, z)", sp.Max(0, Z)),
    ("min(z, 1)", sp.Min(Z, 1)),
    ("relu(z) - 0.5*relu(-z)", relu(Z) - sp.Rational(1, 2) * relu(-Z)),
    ("z / (1 + abs(z))", Z / (1 + sp.Abs(Z))),
    ("exp(-z**2)", sp.exp(-Z**2)),
    ("-z + +z", sp.Integer(0)),
    ("sqrt(1 + z**2) - 1", sp.sqrt(1 + Z**2) - 1),
    ("0.5*z*(1 + erf(z/sqrt(2)))", sp.Rational(1, 2) * Z * (1 + sp.erf(Z / sp.sqrt(2)))),
    ("atan(z) + sin(z) + cos(z) + sinh(z) + cosh(z) + log(1 + exp(z))",
     sp.atan(Z) + sp.sin(Z) + sp.cos(Z) + sp.sinh(Z) + sp.cosh(Z) + sp.log(1 + sp.exp(Z))),
    ("z**-2", Z**-2),
    ("  z  ", Z),
])
def test_admitted_activation_forms(text, expected):
    assert parse_expression(text, IN_Z) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("log(cosh(a - y))", sp.log(sp.cosh(A - Y))),
    ("(a - y)**2/2", (A - Y) ** 2 / 2),
    ("abs(a - y)", sp.Abs(A - Y)),
    ("-y*log(a) - (1 - y)*log(1 - a)", -Y * sp.log(A) - (1 - Y) * sp.log(1 - A)),
])
def test_admitted_cost_forms(text, expected):
    assert parse_expression(text, IN_AY) == expected


def test_numbers_are_exact_rationals():
    assert parse_expression("0.1*z", IN_Z) == sp.Rational(1, 10) * Z
    assert parse_expression("1e-2*z", IN_Z) == sp.Rational(1, 100) * Z


@pytest.mark.parametrize(("text", "variables", "named"), [
    ("x*z", IN_Z, "unknown name 'x'"),
    ("a - y", IN_Z, "unknown name 'a'"),
    ("z - t", IN_AY, "unknown name 'z'"),
    ("gamma(z)", IN_Z, "function 'gamma' is not allowed"),
    ("eval(z)", IN_Z, "function 'eval' is not allowed"),
    ("__import__(z)", IN_Z, "function '__import__' is not allowed"),
    ("z.real", IN_Z, "attribute access (.) 'real'"),
    ("z[0]", IN_Z, "indexing"),
    ("lambda z: z", IN_Z, "lambda"),
    ("z if z > 0 else 0", IN_Z, "if/else"),
    ("z > 0", IN_Z, "a comparison"),
    ("z and 1", IN_Z, "and/or"),
    ("[z]", IN_Z, "a list"),
    ("z // 2", IN_Z, "operator //"),
    ("z % 2", IN_Z, "operator %"),
    ("z ^ 2", IN_Z, "use ** for powers"),
    ("z ** z", IN_Z, "exponent must be a"),
    (f"z ** {MAX_EXPONENT + 1}", IN_Z, "too large"),
    ("sigmoid", IN_Z, "function 'sigmoid' must be called"),
    ("exp(z, 2)", IN_Z, "exp() takes 1 argument(s), got 2"),
    ("max(z)", IN_Z, "max() takes 2 argument(s), got 1"),
    ("max(z, a)", {"z": Z, "a": A}, "needs a number as one argument"),
    ("exp(x=z)", IN_Z, "takes no keyword arguments"),
    ("'z'", IN_Z, "is not allowed"),
    ("True*z", IN_Z, "constant True is not allowed"),
    ("z +", IN_Z, "syntax error"),
    ("z·2", IN_Z, "MIDDLE DOT"),
    ("σ(z)", IN_Z, "GREEK SMALL LETTER SIGMA"),
    ("", IN_Z, "expression is empty"),
    ("   ", IN_Z, "expression is empty"),
    ("z" + "+z" * 300, IN_Z, "too long"),
])
def test_rejected_forms_name_the_offending_token(text, variables, named):
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text, variables)
    assert named in caught.value.message
    assert "\n" not in caught.value.message


def test_parser_never_evaluates(monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must not be used")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sp, "sympify", forbidden)
    assert parse_expression("z*sigmoid(z) + 2", IN_Z) == Z * sigmoid(Z) + 2
