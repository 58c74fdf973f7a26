"""Activations and costs: the whole extension surface of symbackprop in one place.

An activation is a scalar SymPy expression in the prototype symbol :data:`Z` (applied
elementwise), except ``softmax``, which acts on the whole output layer.  A cost is a
per-unit expression in :data:`A` (the output activation) and :data:`Y` (the target); the
per-sample cost sums it over the output units and the batch cost is the mean over samples.

Add your own with :func:`register_activation` / :func:`register_cost`, or write them in a
spec as expressions (parsed safely by :mod:`symbackprop.expr`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .errors import ExpressionError, SpecError
from .expr import parse_expression
from .functions import leaky_relu, relu, sigmoid, softplus

#: Prototype symbols shared by every stage: pre-activation, activation, target.
Z = sp.Symbol("z", real=True)
A = sp.Symbol("a", real=True)
Y = sp.Symbol("y", real=True)

DEFAULT_LEAKY_SLOPE = sp.Rational(1, 100)


@dataclass(frozen=True)
class Activation:
    """An activation function; ``expr`` is in :data:`Z`, or None for softmax."""

    name: str
    expr: sp.Expr | None
    source: str | None = None  # the user's text, for custom activations
    parameters: tuple[tuple[str, sp.Rational], ...] = field(default=())

    @property
    def elementwise(self) -> bool:
        return self.expr is not None

    @property
    def is_custom(self) -> bool:
        return self.source is not None

    def label(self) -> str:
        """A short human-readable description (used in summaries and headers)."""
        if self.source is not None:
            return f"{self.name} = {self.source}"
        if self.parameters:
            inner = ", ".join(f"{key}={value}" for key, value in self.parameters)
            return f"{self.name}({inner})"
        return self.name


@dataclass(frozen=True)
class Cost:
    """A cost; ``expr`` is the per-unit cost in :data:`A` and :data:`Y`."""

    name: str
    expr: sp.Expr
    formula: str
    source: str | None = None

    @property
    def is_custom(self) -> bool:
        return self.source is not None

    def label(self) -> str:
        return f"{self.name} = {self.source}" if self.source is not None else self.name


SOFTMAX = Activation("softmax", None)

_ACTIVATIONS: dict[str, Activation] = {}
_COSTS: dict[str, Cost] = {}


def register_activation(name: str, expr: sp.Expr) -> Activation:
    """Add a built-in elementwise activation ``name`` given as an expression in :data:`Z`."""
    activation = Activation(name, _checked_expr(expr, {Z}))
    _ACTIVATIONS[name] = activation
    return activation


def register_cost(name: str, expr: sp.Expr, formula: str) -> Cost:
    """Add a built-in per-unit cost ``name`` in :data:`A` and :data:`Y`."""
    cost = Cost(name, _checked_expr(expr, {A, Y}), formula)
    _COSTS[name] = cost
    return cost


def _checked_expr(expr: sp.Expr, allowed: set[sp.Symbol]) -> sp.Expr:
    """Registered expressions are SymPy objects in the prototype symbols, never text."""
    if not isinstance(expr, sp.Expr) or not expr.free_symbols <= allowed:
        raise TypeError(f"expected a SymPy expression in {sorted(map(str, allowed))}, got {expr!r}")
    return expr


register_activation("identity", Z)
register_activation("sigmoid", sigmoid(Z))
register_activation("tanh", sp.tanh(Z))
register_activation("relu", relu(Z))
register_activation("softplus", softplus(Z))
_ACTIVATIONS["leaky_relu"] = Activation(
    "leaky_relu", leaky_relu(Z, DEFAULT_LEAKY_SLOPE), parameters=(("slope", DEFAULT_LEAKY_SLOPE),))
_ACTIVATIONS["softmax"] = SOFTMAX

register_cost("quadratic", (A - Y) ** 2 / 2, "C = ½ Σ_j (a_j − y_j)²")
register_cost("binary_cross_entropy", -(Y * sp.log(A) + (1 - Y) * sp.log(1 - A)),
              "C = −Σ_j [y_j log a_j + (1 − y_j) log(1 − a_j)]")
register_cost("cross_entropy", -Y * sp.log(A), "C = −Σ_j y_j log a_j")


def activation_names() -> list[str]:
    return sorted(_ACTIVATIONS)


def cost_names() -> list[str]:
    return sorted(_COSTS)


def builtin_activation(name: str, slope: sp.Rational | None = None) -> Activation:
    """Look up a built-in activation; ``slope`` applies to leaky_relu only."""
    if name not in _ACTIVATIONS:
        raise SpecError(f"unknown activation {name!r}; built-in: {', '.join(activation_names())}")
    if slope is None:
        return _ACTIVATIONS[name]
    if name != "leaky_relu":
        raise SpecError(f"activation {name!r} takes no slope")
    return Activation(name, leaky_relu(Z, slope), parameters=(("slope", slope),))


def builtin_cost(name: str) -> Cost:
    if name not in _COSTS:
        raise SpecError(f"unknown cost {name!r}; built-in: {', '.join(cost_names())}")
    return _COSTS[name]


def custom_activation(name: str, text: str) -> Activation:
    """An activation written by the user as an expression in ``z``."""
    try:
        expr = parse_expression(text, {"z": Z})
    except ExpressionError as error:
        raise SpecError(f"activation {name!r}: {error.reason}") from None
    if Z not in expr.free_symbols:
        raise SpecError(f"activation {name!r} does not depend on z")
    return Activation(name, expr, source=text.strip())


def custom_cost(name: str, text: str) -> Cost:
    """A per-unit cost written by the user as an expression in ``a`` and ``y``."""
    try:
        expr = parse_expression(text, {"a": A, "y": Y})
    except ExpressionError as error:
        raise SpecError(f"cost {name!r}: {error.reason}") from None
    if A not in expr.free_symbols:
        raise SpecError(f"cost {name!r} does not depend on the output a")
    return Cost(name, expr, f"C = Σ_j {text.strip()}", source=text.strip())
