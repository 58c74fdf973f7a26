"""SymPy functions for the activations SymPy does not have.

``sigmoid``, ``relu``, ``leaky_relu`` and ``softplus`` stay unevaluated in expressions so
that derivations read the way people write them (σ(z), not 1/(1+e^{-z})) and so that deep
networks do not blow up into nested exponentials (sympy issue 8469).  Each function knows
its derivative (``fdiff``), how to rewrite itself into elementary functions (for ``solve``
and ``simplify``) and how to evaluate numerically at any precision (for the proof).

:data:`FUNCTIONS` is the one table every printer and numeric back end reads: a
:class:`FunctionRow` per function (its name in custom expressions, its NumPy/CuPy and JAX forms,
its LaTeX name, a float64 implementation, the initialisation it calls for).  Adding a function
is a class here and a row there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp


class _NumericByRewrite(sp.Function):
    """Evaluate numerically through the elementary form, at the requested precision."""

    def _eval_evalf(self, prec):
        if all(arg.is_number for arg in self.args):
            return self._elementary()._eval_evalf(prec)
        return None

    def _elementary(self) -> sp.Expr:
        raise NotImplementedError


class sigmoid(_NumericByRewrite):  # noqa: N801 - SymPy names functions in lower case
    """The logistic function σ(x) = 1 / (1 + e^{-x})."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _elementary(self):
        return 1 / (1 + sp.exp(-self.args[0]))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


class softplus(_NumericByRewrite):  # noqa: N801
    """softplus(x) = log(1 + e^x), a smooth ReLU."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    _eval_rewrite_as_log = _eval_rewrite_as_exp

    def _elementary(self):
        return sp.log(1 + sp.exp(self.args[0]))

    def _eval_is_real(self):
        return self.args[0].is_real


class relu(_NumericByRewrite):  # noqa: N801
    """relu(x) = max(0, x); its derivative at 0 is taken as 0 (as in PyTorch)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_real:
            return sp.Max(0, x)
        return None

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return sp.Max(0, x)

    def _elementary(self):
        return sp.Max(0, self.args[0])

    def _eval_is_real(self):
        return self.args[0].is_real


class leaky_relu(_NumericByRewrite):  # noqa: N801
    """leaky_relu(x, s) = x for x > 0, s·x otherwise (the slope s is a number)."""

    nargs = 2

    @classmethod
    def eval(cls, x, slope):
        if x.is_number and x.is_real:
            return x if x > 0 else slope * x
        return None

    def fdiff(self, argindex=1):
        x, slope = self.args
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return slope + (1 - slope) * sp.Heaviside(x, 0)

    def _eval_rewrite_as_Piecewise(self, x, slope, **kwargs):
        return sp.Piecewise((x, x > 0), (slope * x, True))

    def _elementary(self):
        x, slope = self.args
        return sp.Piecewise((x, x > 0), (slope * x, True))

    def _eval_is_real(self):
        return self.args[0].is_real


@dataclass(frozen=True)
class FunctionRow:
    """Everything the printers and the numeric checks know about one function, in one place.

    ``array`` is the NumPy/CuPy form over printed arguments ``{0}, {1}, ...`` with ``{xp}`` the
    array module (the in-place printer adds ``out=``); ``helper`` names a function the generated
    module defines for it; ``jax`` is the form inside a JAX module (``jnp`` is ``jax.numpy``);
    ``latex`` is the LaTeX name of one of our functions (SymPy's printer knows its own);
    ``numeric`` a float64 NumPy implementation for lambdify; ``rectifier`` picks He
    initialisation.  ``kinks`` is where the function is not differentiable, for gradient checks
    (None: not recorded).
    """

    function: type[sp.Function]
    name: str | None  # as written in a custom expression; None: not offered there
    array: str
    jax: str
    latex: str | None = None
    helper: str | None = None
    numeric: Callable[..., np.ndarray] | None = None
    rectifier: bool = False
    kinks: tuple[sp.Expr, ...] | None = None


def _stable_sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


#: One row per function a spec may use (ours first, then SymPy's elementwise ones).
FUNCTIONS: tuple[FunctionRow, ...] = (
    FunctionRow(sigmoid, "sigmoid", "_sigmoid({0})", "jax.nn.sigmoid({0})", r"\sigma", "_sigmoid", _stable_sigmoid),
    FunctionRow(softplus, "softplus", "{xp}.logaddexp(0.0, {0})", "jax.nn.softplus({0})", r"\operatorname{softplus}",
                numeric=lambda x: np.logaddexp(0.0, x)),
    FunctionRow(relu, "relu", "{xp}.maximum({0}, 0.0)", "jax.nn.relu({0})", r"\operatorname{relu}",
                numeric=lambda x: np.maximum(x, 0.0), rectifier=True),
    FunctionRow(leaky_relu, None, "_leaky_relu({0}, {1})", "jnp.where({0} > 0, {0}, {1} * ({0}))",
                r"\operatorname{lrelu}", "_leaky_relu", lambda x, slope: np.where(x > 0, x, slope * x),
                rectifier=True),
    FunctionRow(sp.erf, "erf", "_erf({0})", "jax.lax.erf({0})", helper="_erf",
                numeric=np.vectorize(math.erf, otypes=[float])),
    FunctionRow(sp.exp, "exp", "{xp}.exp({0})", "jnp.exp({0})"),
    FunctionRow(sp.log, "log", "{xp}.log({0})", "jnp.log({0})"),
    FunctionRow(sp.tanh, "tanh", "{xp}.tanh({0})", "jnp.tanh({0})"),
    FunctionRow(sp.sinh, "sinh", "{xp}.sinh({0})", "jnp.sinh({0})"),
    FunctionRow(sp.cosh, "cosh", "{xp}.cosh({0})", "jnp.cosh({0})"),
    FunctionRow(sp.sin, "sin", "{xp}.sin({0})", "jnp.sin({0})"),
    FunctionRow(sp.cos, "cos", "{xp}.cos({0})", "jnp.cos({0})"),
    FunctionRow(sp.atan, "atan", "{xp}.arctan({0})", "jnp.arctan({0})"),
    FunctionRow(sp.Abs, "abs", "{xp}.absolute({0})", "jnp.absolute({0})"),
    FunctionRow(sp.sign, None, "{xp}.sign({0})", "jnp.sign({0})"),
)

#: The rows by function class.
ROWS: dict[type, FunctionRow] = {row.function: row for row in FUNCTIONS}

#: Functions a user may call in a custom expression, by the name they write.
WHITELIST: dict[str, type[sp.Function] | object] = {
    **{row.name: row.function for row in FUNCTIONS if row.name is not None},
    "sqrt": sp.sqrt,
    "max": sp.Max,
    "min": sp.Min,
}

#: Our own function classes, for printers and numeric back ends.
CUSTOM_FUNCTIONS = (sigmoid, softplus, relu, leaky_relu)


def elementary(expr: sp.Expr) -> sp.Expr:
    """``expr`` with our functions written in SymPy's own (exp, log, Max, Piecewise), for ``solveset``."""
    return expr.replace(lambda node: isinstance(node, _NumericByRewrite), lambda node: node._elementary())


def step_at_zero(step: sp.Heaviside) -> sp.Expr:
    """H(0) of a Heaviside step: its second argument, or SymPy's default ½ when it has none."""
    return step.args[1] if len(step.args) > 1 else sp.S.Half
