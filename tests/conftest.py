"""Shared fixtures: cached derivations and float64 evaluation of a model's symbolic partials."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

sys.path.insert(0, str(Path(__file__).parent))  # tests/gradcheck.py, the shared gradient checker

from gradcheck import max_relative_error, numeric_gradients  # noqa: E402

from symbackprop import Spec, derive  # noqa: E402
from symbackprop.numeric import NUMPY_FUNCTIONS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@cache
def derived(shorthand: str, activation: str = "sigmoid", output_activation: str | None = None,
            cost: str = "quadratic", bias: bool = True, max_parameters: int = 120):
    """derive() of a shorthand spec, cached for the session (derivations are immutable)."""
    options = {"activation": activation, "cost": cost, "bias": bias}
    if output_activation is not None:
        options["output_activation"] = output_activation
    return derive(Spec.parse(shorthand, **options), max_parameters=max_parameters)


def random_point(model, seed: int = 0) -> dict[sp.Symbol, float]:
    """Parameters and inputs in [-1.5, 1.5]; targets in (0.05, 0.95), summing to one for softmax."""
    rng = np.random.default_rng(seed)
    point = {model.symbol(p): float(rng.uniform(-1.5, 1.5)) for p in model.parameters}
    point.update({x: float(rng.uniform(-1.5, 1.5)) for x in model.inputs})
    targets = rng.uniform(0.05, 0.95, len(model.targets))
    if not model.spec.output.elementwise:
        targets = targets / targets.sum()
    point.update({y: float(t) for y, t in zip(model.targets, targets, strict=True)})
    return point


def compile_function(expr: sp.Expr, symbols):
    return sp.lambdify(symbols, expr, modules=[NUMPY_FUNCTIONS, "numpy"])


def partials_against_central_differences(d, forms=("brute", "factored_expanded"), seed: int = 0) -> dict[str, float]:
    """Max relative error of each symbolic form of ∂C/∂p against central differences of C.

    The cost is the forward definition only (model.cost, lambdified); the symbolic partials
    are evaluated at the same point.  Returns {form: worst relative error}.
    """
    model, partials = d.model, d.per_weight
    point = random_point(model, seed)
    parameters = [model.symbol(p) for p in model.parameters]
    others = [s for s in point if s not in set(parameters)]
    cost = compile_function(model.cost, parameters + others)
    fixed = [point[s] for s in others]

    def cost_of(params):
        return float(cost(*params["p"], *fixed))

    start = {"p": np.array([point[s] for s in parameters])}
    numeric = numeric_gradients(cost_of, start)
    errors = {}
    for form in forms:
        exprs = [getattr(partials, form)(p) for p in model.parameters]
        values = compile_function(exprs, parameters + others)(*start["p"], *fixed)
        errors[form] = max_relative_error({"p": np.array(values, dtype=float)}, numeric, floor=1e-6)
    return errors


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES
