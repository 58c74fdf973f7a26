"""Plain-text printing of expressions, as people read them in a terminal or a docstring.

:func:`expression_text` writes ``a·(1 − a)``, ``(a − y)²/2``, ``exp(−z)`` and the step
functions as Iverson brackets (``[a > 0]``) instead of SymPy's ``Heaviside(a, 0)``;
:func:`plain_text` gives SymPy's ``sstr`` output, alone or inside a sentence, the same
typography; :func:`kinks_text` says where a function is not differentiable.  The derive
summary and the generated modules' docstrings both print with these.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.str import StrPrinter

from ..functions import step_at_zero
from ..kinks import Kinks

_POWERS = {"2": "²", "3": "³", "4": "⁴"}


class _TextPrinter(StrPrinter):
    """SymPy's str printer with the step functions written as people write them."""

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        x = self._print(expr.args[0])
        h0 = step_at_zero(expr)
        return f"[{x} > 0]" if h0 == 0 else f"[{x} ≥ 0]" if h0 == 1 else f"H({x})"


def expression_text(expr: sp.Expr) -> str:
    """A SymPy expression as short plain text: ``a·(1 − a)``, ``a²``, ``exp(−z)``, ``[a > 0]``."""
    return plain_text(_TextPrinter().doprint(expr))


def plain_text(text: str) -> str:
    """SymPy's ``sstr`` output, alone or inside a sentence, in the summary's typography.

    Only a minus sign that cannot be a hyphen (not after a letter or digit) becomes −.
    """
    text = re.sub(r"\*\*([234])\b", lambda match: _POWERS[match.group(1)], text)
    text = text.replace("**", "^").replace("*", "·").replace(" - ", " − ")
    return re.sub(r"(?<![\w.])-(?=[\w(.])", "−", text)


def kinks_text(kinks: Kinks) -> str:
    """Where an activation or cost is not differentiable, in words: ``z = 0``, ``z = −1, 1``,
    ``a = y``, ``where sin(z) = 0`` for kinks SymPy could not list; empty when nowhere."""
    parts = [f"{kinks.variable} = " + ", ".join(_point_text(point) for point in kinks.points)] if kinks.points else []
    parts += [f"where {expression_text(argument)} = 0" for argument in kinks.unsolved]
    return "; ".join(parts)


def _point_text(point: sp.Expr) -> str:
    """A kink's location: exact when short (1/2, log(2)), else its value (a root of a quintic)."""
    if point.is_Rational or not point.is_number or sp.count_ops(point) <= 3:
        return expression_text(point)
    return plain_text(f"{float(point):.6g}")
