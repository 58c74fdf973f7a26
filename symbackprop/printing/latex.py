"""LaTeX printing of derivation expressions, in a chosen notation profile.

Provides:

* :class:`BackpropLatexPrinter` -- SymPy's ``LatexPrinter`` with one ``_print_X`` per function
  of ours (σ, relu, leaky relu, softplus, the Heaviside step) and symbol printing that writes
  the prototype symbols a, z, y, e (and the output-layer row sums) of one layer, and the
  symbols of a concrete network (``w^{2}_{11}``, ``delta^{1}_{3}``, ...), in the notation of a
  :class:`~symbackprop.notation.Notation` profile.  Anything it does not know -- an unknown
  symbol, an undefined function -- raises :class:`LatexPrintError`; nothing falls back to
  ``str()``.
* :func:`printer` -- the printer for one profile and (optionally) one layer and neuron index.
* :func:`latex` -- print with the default (Nielsen) profile; used by ``_repr_latex_``.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from ..derivation import N_OUT, E
from ..functions import FUNCTIONS, ROWS
from ..notation import PROFILES, Notation, split_indices
from ..registry import A, Y, Z

#: The symbol derivation.py uses for Σ_i over the output layer, and softmax's a_i.
ROW_SUM = sp.Symbol("s", real=True)
OTHER_OUTPUT = sp.Symbol("a_i", real=True)
DELTA = r"\delta"

_NETWORK_SYMBOL = re.compile(r"^(?P<letter>w|b|a|z|delta)\^\{(?P<layer>\d+)\}_\{(?P<indices>[\d,]+)\}$")
_VECTOR_SYMBOL = re.compile(r"^(?P<letter>x|y)_\{(?P<index>\d+)\}$")



class LatexPrintError(ValueError):
    """The printer met a node it has no LaTeX for (a bug or an unsupported expression)."""


_INNERMOST = re.compile(r"\\left\(((?:(?!\\left|\\right).)*?)\\right\)")
_KEEP_OPEN, _KEEP_CLOSE = "\x00(", "\x00)"


def soften_parentheses(text: str) -> str:
    """``\\left( ... \\right)`` → ``( ... )`` unless a fraction or sum inside needs tall ones."""
    def one(match: re.Match) -> str:
        inner = match[1]
        if r"\frac" in inner or r"\sum" in inner or _KEEP_OPEN in inner:
            return f"{_KEEP_OPEN}{inner}{_KEEP_CLOSE}"
        return f"({inner})"

    while True:
        text, count = _INNERMOST.subn(one, text)
        if not count:
            break
    return text.replace(_KEEP_OPEN, r"\left(").replace(_KEEP_CLOSE, r"\right)")


class BackpropLatexPrinter(LatexPrinter):
    """LaTeX for backprop expressions in one notation profile.

    Settings beyond SymPy's: ``notation`` (a :class:`Notation`), ``layer`` (the core layer
    the prototype symbols a, z, e belong to; None prints them bare) and ``index`` (the
    neuron index written under them, ``j`` by default).
    """

    printmethod = "_symbackprop_latex"
    _default_settings = {**LatexPrinter._default_settings, "notation": PROFILES["nielsen"],
                         "layer": None, "index": "j", "output_layer": None}

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__(settings)
        self.notation: Notation = self._settings["notation"]

    # -- symbols ------------------------------------------------------------------------
    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        known = self._prototype(expr)
        if known is not None:
            return known
        name = expr.name
        match = _NETWORK_SYMBOL.match(name)
        if match:
            return self._network_symbol(match["letter"], int(match["layer"]), split_indices(match["indices"]))
        match = _VECTOR_SYMBOL.match(name)
        if match:
            return (self.notation.input if match["letter"] == "x" else self.notation.target)(match["index"])
        raise LatexPrintError(f"no LaTeX for the symbol {name!r}")

    def _prototype(self, expr: sp.Symbol) -> str | None:
        layer, index, n = self._settings["layer"], self._settings["index"], self.notation
        if expr == Y:
            return n.target(index)
        if expr == N_OUT:
            return "n_{L}"
        if expr == ROW_SUM:
            return "s"
        if layer is None:
            bare = {A: "a", Z: "z", E: "e", OTHER_OUTPUT: "a_{i}"}
            return bare.get(expr)
        if expr == A:
            return n.node("a", layer, index)
        if expr == Z:
            return n.node("z", layer, index)
        if expr == OTHER_OUTPUT:
            return n.node("a", layer, "i")
        if expr == E:
            after = n.node(DELTA, layer + 1)
            return rf"\bigl(({n.weight_matrix(layer + 1)})^{{T}} {after}\bigr)_{{{index}}}"
        return None

    def _network_symbol(self, letter: str, layer: int, indices: tuple[str, ...]) -> str:
        n = self.notation
        if letter == "w" and len(indices) == 2:
            return n.weight(layer, *indices)
        if letter == "b" and len(indices) == 1:
            return n.bias(layer, indices[0])
        if letter in ("a", "z", "delta") and len(indices) == 1:
            return n.node(DELTA if letter == "delta" else letter, layer, indices[0])
        raise LatexPrintError(f"malformed network symbol {letter}^{layer}_{','.join(indices)}")

    def doprint(self, expr) -> str:
        return soften_parentheses(super().doprint(expr))

    # -- our functions ------------------------------------------------------------------
    def _apply(self, name: str, args: str, exp: str | None) -> str:
        head = f"{name}^{{{exp}}}" if exp is not None else name
        return rf"{head}\left({args}\right)"

    def _print_named(self, expr: sp.Function, exp: str | None = None) -> str:
        """One of our functions by its row's LaTeX name; a second argument (a slope) as a subscript."""
        name = ROWS[type(expr)].latex
        if len(expr.args) > 1:
            name += "_{" + ", ".join(self._print(arg) for arg in expr.args[1:]) + "}"
        return self._apply(name, self._print(expr.args[0]), exp)

    def _print_Heaviside(self, expr: sp.Function, exp: str | None = None) -> str:
        """H(x) with H(0) = 0 (relu's derivative) as the indicator 1[x > 0]; otherwise H(x)."""
        argument = self._print(expr.args[0])
        at_zero = expr.args[1] if len(expr.args) == 2 else None
        text = rf"\mathbf{{1}}[{argument} > 0]" if at_zero == 0 else rf"H({argument})"
        return f"{text}^{{{exp}}}" if exp is not None else text

    def _print_Pi(self, expr) -> str:
        """π (from erf's derivative): SymPy types it through ``printmethod``, which ours replaces."""
        return r"\pi"

    # -- strictness ---------------------------------------------------------------------
    def _print_Function(self, expr: sp.Function, exp: str | None = None) -> str:
        if isinstance(expr, AppliedUndef) or not type(expr).__module__.startswith("sympy."):
            raise LatexPrintError(f"no LaTeX for the function {type(expr).__name__}")
        return super()._print_Function(expr, exp)

    def emptyPrinter(self, expr) -> str:  # noqa: N802 - SymPy's name
        raise LatexPrintError(f"no LaTeX for {type(expr).__name__}: {expr!r}")

    # -- helpers for line breaking ----------------------------------------------------------
    def terms(self, expr: sp.Expr) -> list[str]:
        """The printed terms of a sum, signs attached ("-x" or "x"), in the printer's order."""
        if not isinstance(expr, sp.Add):
            return [self.doprint(expr)]
        return [soften_parentheses(self._print(term)) for term in self._as_ordered_terms(expr, order=None)]


for _row in FUNCTIONS:  # SymPy dispatches on _print_<class name>: one method per row with a LaTeX name
    if _row.latex is not None:
        setattr(BackpropLatexPrinter, f"_print_{_row.function.__name__}", BackpropLatexPrinter._print_named)


def printer(notation: str | Notation = "nielsen", layer: int | None = None, index: str = "j") -> BackpropLatexPrinter:
    """A printer for one profile, writing a, z, e of core ``layer`` with neuron ``index``."""
    profile = PROFILES[notation] if isinstance(notation, str) else notation
    return BackpropLatexPrinter({"notation": profile, "layer": layer, "index": index})


def latex(expr: sp.Expr, notation: str | Notation = "nielsen", layer: int | None = None, index: str = "j") -> str:
    """``expr`` as LaTeX in the given profile (Nielsen's by default)."""
    return printer(notation, layer, index).doprint(expr)
