"""Symbolic simplification passes applied to the layer-level equations.

Each pass is a pure function on SymPy expressions in the prototype symbols of
:mod:`symbackprop.registry`; none of them knows a particular activation or cost by name, so
the simplifications people expect are *found*, not hard-coded:

* :func:`derivative_in_terms_of_output` rewrites σ'(z) as a function of a = σ(z)
  (sigmoid → a(1−a), tanh → 1−a², softplus → 1−e^{−a}), and proves the rewrite;
* :func:`simplest` picks the shortest of several equal forms, which is where the
  output-layer cancellations (δ^L = a^L − y) appear;
* :func:`trigonometric_forms` offers tanh for sinh/cosh and the like, as one more candidate;
* :func:`sum_of_targets` uses Σ_j y_j = 1 (categorical targets) to close a sum over the
  output layer;
* :func:`stable_cost` writes the logarithms of the output in terms of the logits, so a
  saturated output (σ(z) = 1 in floating point) still has an accurate cost.
"""

from __future__ import annotations

import random
from functools import lru_cache

import sympy as sp
from sympy.functions.elementary.hyperbolic import HyperbolicFunction
from sympy.functions.elementary.trigonometric import TrigonometricFunction

from .functions import sigmoid, softplus
from .registry import A, Y, Z

#: Log-probabilities of a softmax output, computed from the shifted logits.
LOGP = sp.Symbol("logp", real=True)

_CHECK_POINTS = (-2.3, -0.7, 0.4, 1.9)


def simplest(*candidates: sp.Expr) -> sp.Expr:
    """The candidate with the fewest operations (first one wins ties, so order is a preference)."""
    return min(candidates, key=lambda expr: sp.count_ops(expr))


def trigonometric_forms(expr: sp.Expr) -> tuple[sp.Expr, ...]:
    """``expr`` with its trigonometric and hyperbolic functions simplified (sinh/cosh → tanh).

    A candidate for :func:`simplest`; empty when there is nothing of the kind, since trigsimp
    is not cheap on large rational expressions.
    """
    functions = (HyperbolicFunction, TrigonometricFunction)
    if not expr.has(*functions):
        return ()
    # Only the factors holding such functions: trigsimp would also turn (1 - a**2) into -(a**2 - 1).
    factors = sp.Mul.make_args(expr)
    rest = [factor for factor in factors if not factor.has(*functions)]
    return (sp.Mul(*rest) * sp.trigsimp(sp.Mul(*[factor for factor in factors if factor.has(*functions)])),)


@lru_cache(maxsize=64)
def derivative_in_terms_of_output(activation: sp.Expr) -> sp.Expr | None:
    """σ'(z) as an expression in a = σ(z) only, or None when no such form exists.

    First the direct route (σ(z) appears in σ'(z): substitute it), then the inverse route
    (solve a = σ(z) for z).  Either result is checked numerically at several points, since
    ``solve`` may pick a branch that does not hold on the whole real line.  Cached: every
    hidden layer with the same activation asks again, and ``derive`` derives the layers twice
    for a reduced network; ``solve`` and ``simplify`` for a cubic take seconds each time.
    """
    derivative = sp.diff(activation, Z)
    if Z not in derivative.free_symbols:
        return derivative
    direct = derivative.xreplace({activation: A})
    if Z not in direct.free_symbols and _agrees(direct, activation, derivative):
        return simplest(direct, sp.factor(direct))
    return _through_inverse(activation, derivative)


def _through_inverse(activation: sp.Expr, derivative: sp.Expr) -> sp.Expr | None:
    if activation.has(sp.Heaviside, sp.Piecewise, sp.Max, sp.Min, sp.Abs):
        return None  # not invertible on the whole line
    elementary = activation.rewrite(sp.exp)
    try:
        solutions = sp.solve(sp.Eq(A, elementary), Z, rational=False)
    except (NotImplementedError, ValueError, TypeError):
        return None
    for solution in solutions:
        candidate = sp.simplify(derivative.rewrite(sp.exp).xreplace({Z: solution}))
        if not _elementary(candidate):
            continue  # e.g. erf' in terms of erfinv(a): no simpler than σ'(z), and not printable
        if sp.count_ops(candidate) > sp.count_ops(derivative.rewrite(sp.exp)):
            continue  # e.g. a cubic's Cardano formula for z² + 1: a rewrite must not be longer
        if Z not in candidate.free_symbols and _agrees(candidate, activation, derivative):
            return candidate
    return None


def _elementary(expr: sp.Expr) -> bool:
    """Only powers, exp, log and steps: a rewrite worth having must be cheaper than σ'(z) itself."""
    return all(isinstance(function, sp.exp | sp.log | sp.Heaviside) for function in expr.atoms(sp.Function))


def _agrees(in_a: sp.Expr, activation: sp.Expr, derivative: sp.Expr) -> bool:
    """g(σ(z)) == σ'(z) at a few real points, in 30-digit arithmetic."""
    for point in _CHECK_POINTS:
        left = in_a.xreplace({A: activation.xreplace({Z: sp.Float(point, 30)})}).evalf(30)
        right = derivative.xreplace({Z: sp.Float(point, 30)}).evalf(30)
        if not (left.is_number and right.is_number) or not left.is_real:
            return False
        if abs(left - right) > 1e-20 * (1 + abs(right)):
            return False
    return True


def sum_of_targets(summand: sp.Expr, width: sp.Symbol) -> sp.Expr | None:
    """Σ_i t(y_i) over the output layer, closed with Σ_i y_i = 1, when t is linear in y.

    Returns None when the summand still depends on a or is not linear in y.
    """
    if A in summand.free_symbols or Z in summand.free_symbols:
        return None
    polynomial = sp.Poly(sp.expand(summand), Y) if summand.is_polynomial(Y) else None
    if polynomial is None or polynomial.degree() > 1:
        return None
    slope = polynomial.coeff_monomial(Y)
    intercept = polynomial.coeff_monomial(1)
    return slope + intercept * width


def random_real(generator: random.Random, low: float = -1.5, high: float = 1.5) -> sp.Float:
    """A random real with a short decimal form, so numeric checks are reproducible."""
    return sp.Float(round(generator.uniform(low, high), 6), 50)


def stable_cost(cost: sp.Expr, output: sp.Expr | None) -> sp.Expr:
    """The per-unit cost with log a written through the logits z of the output layer.

    ``output`` is the output activation's expression in z, or None for softmax (whose
    log-probabilities become :data:`LOGP`); log σ(z) = −softplus(−z) and log(1 − σ(z)) = −softplus(z).
    """
    if output is None:
        return cost.xreplace({sp.log(A): LOGP})
    if output == sigmoid(Z):
        return cost.xreplace({sp.log(A): -softplus(-Z), sp.log(1 - A): -softplus(Z)})
    return cost
