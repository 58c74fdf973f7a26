"""SymPy functions for the activations SymPy does not have.

``sigmoid``, ``relu``, ``leaky_relu`` and ``softplus`` stay unevaluated in expressions so
that derivations read the way people write them (σ(z), not 1/(1+e^{-z})) and so that deep
networks do not blow up into nested exponentials (sympy issue 8469).  Each function knows
its derivative (``fdiff``), how to rewrite itself into elementary functions (for ``solve``
and ``simplify``) and how to evaluate numerically at any precision (for the proof).
"""

from __future__ import annotations

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


#: Functions a user may call in a custom expression, by the name they write.
WHITELIST: dict[str, type[sp.Function] | object] = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "tanh": sp.tanh,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "sin": sp.sin,
    "cos": sp.cos,
    "atan": sp.atan,
    "erf": sp.erf,
    "abs": sp.Abs,
    "sigmoid": sigmoid,
    "softplus": softplus,
    "relu": relu,
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
