"""Fuzzing the expression parser: any text ends in an ExpressionError or a SymPy expression,
quickly; nothing else escapes and nothing hangs."""

from __future__ import annotations

import time

import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop.errors import ExpressionError
from symbackprop.expr import MAX_TOTAL_EXPONENT, parse_expression
from symbackprop.functions import WHITELIST
from symbackprop.registry import A, Y, Z

VARIABLES = {"z": Z}
COST_VARIABLES = {"a": A, "y": Y}
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXPRESSION_ALPHABET = "zay0123456789.eE+-*/(),_ " + "".join(sorted({c for name in WHITELIST for c in name}))


def _outcome(text: str, variables=VARIABLES) -> sp.Expr | None:
    started = time.monotonic()
    try:
        result = parse_expression(text, variables)
    except ExpressionError as error:
        assert error.message and "\n" not in error.message
        result = None
    else:
        assert isinstance(result, sp.Expr)
        assert result.free_symbols <= set(variables.values())
        assert not result.has(sp.zoo, sp.oo, sp.nan, sp.I)
        for node in sp.preorder_traversal(result):
            if node.is_Pow and node.exp.is_Rational:
                assert abs(node.exp) <= MAX_TOTAL_EXPONENT
    assert time.monotonic() - started < 2.0, text
    return result


@FUZZ
@given(st.text(max_size=120))
def test_any_text(text: str) -> None:
    _outcome(text)


@FUZZ
@given(st.text(alphabet=EXPRESSION_ALPHABET, max_size=80))
def test_expression_like_text(text: str) -> None:
    _outcome(text)
    _outcome(text, COST_VARIABLES)


def _calls(children):
    one = st.tuples(st.sampled_from(sorted(set(WHITELIST) - {"max", "min"})), children).map(
        lambda pair: f"{pair[0]}({pair[1]})")
    two = st.tuples(st.sampled_from(["max", "min"]), st.sampled_from(["0", "z", "1.5"]), children).map(
        lambda triple: f"{triple[0]}({triple[1]}, {triple[2]})")
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "//", "%"]), children).map(
        lambda triple: f"({triple[0]}){triple[1]}({triple[2]})")
    return one | two | binary | children.map(lambda inner: f"-({inner})")


LEAVES = st.sampled_from(["z", "a", "y", "0", "1", "2", "0.5", "16", "17", "1e30", "1e-300", "10", "x", "__class__"])
TREES = st.recursive(LEAVES, _calls, max_leaves=40)


@FUZZ
@given(TREES)
def test_random_expression_trees(text: str) -> None:
    _outcome(text)
    _outcome(text, COST_VARIABLES)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=-(10**40), max_value=10**40), st.integers(min_value=-40, max_value=40))
def test_numbers_and_powers(number: int, exponent: int) -> None:
    _outcome(f"{number}**{exponent}*z")
    _outcome(f"z**{exponent}")
    _outcome(f"({number}*z)**({exponent})**2")
