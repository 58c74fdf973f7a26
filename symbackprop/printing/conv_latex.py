"""LaTeX printing of the symbols of a convolutional network, in a notation profile.

Provides :class:`ConvLatexPrinter`: :class:`~symbackprop.printing.latex.BackpropLatexPrinter`
for the symbols of :class:`~symbackprop.conv.model.ConvModel` -- ``w^{1}_{0,0,1,2}``,
``b^{1}_{0}``, ``a^{2}_{0,1,1}``, ``delta^{3}_{1}``, ``x_{0,2,3}``, ``y_{1}`` (every index from 0,
comma-separated) -- with the layer written in the profile's numbering and brackets, and the
window maximum as ``\\max``.  Anything else is printed as the parent printer does, or refused.
"""

from __future__ import annotations

import re

import sympy as sp

from ..conv.model import window_max
from ..notation import PROFILES, Notation
from .latex import DELTA, BackpropLatexPrinter

_SYMBOL = re.compile(r"^(?P<letter>w|b|a|z|delta|x|y)(?:\^\{(?P<layer>\d+)\})?_\{(?P<indices>\d+(?:,\d+)*)\}$")


class ConvLatexPrinter(BackpropLatexPrinter):
    """LaTeX for the expressions of a convolutional network (indices from 0, comma-separated)."""

    printmethod = "_symbackprop_conv_latex"

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        match = _SYMBOL.match(expr.name)
        if match is None or (match["layer"] is None) != (match["letter"] in ("x", "y")):
            return super()._print_Symbol(expr, style)
        n, letter, indices = self.notation, match["letter"], match["indices"]
        if letter in ("x", "y"):
            return f"{letter}_{{{indices}}}"
        layer = int(match["layer"])
        if letter == "w":
            return f"{n.weight_letter}^{{{n.weight_layer(layer)}}}_{{{indices}}}"
        if letter == "b":
            return f"b^{{{n.weight_layer(layer)}}}_{{{indices}}}"
        return n.node(DELTA if letter == "delta" else letter, layer, indices)

    def _print_Heaviside(self, expr: sp.Function, exp: str | None = None) -> str:
        """The steps of the tie rule as indicators: 1[x > 0] (H(0) = 0) and 1[x ≥ 0] (H(0) = 1)."""
        if len(expr.args) == 2 and expr.args[1] == 1:
            text = rf"\mathbf{{1}}[{self._print(expr.args[0])} \geq 0]"
            return f"{text}^{{{exp}}}" if exp is not None else text
        return super()._print_Heaviside(expr, exp)

    def _print_window_max(self, expr: window_max, exp: str | None = None) -> str:
        return self._apply(r"\max", ", ".join(self._print(arg) for arg in expr.args), exp)


def conv_printer(notation: str | Notation = "nielsen", layer: int | None = None,
                 index: str = "j") -> ConvLatexPrinter:
    """A printer for one profile; the prototype symbols a, z, e are those of core ``layer`` at ``index``."""
    profile = PROFILES[notation] if isinstance(notation, str) else notation
    return ConvLatexPrinter({"notation": profile, "layer": layer, "index": index})
