"""The state every section of the derivation document is built from.

Provides :class:`Context`: the derivation, the reader's notation profile, the highlighted
parameter and the options, with the few look-ups all sections need (a LaTeX printer for a
layer, the network depth, a parameter's printed symbol).  Sections are functions of a
``Context`` returning plain dicts of strings for the template.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..driver import Derivation
from ..model import Parameter
from ..notation import Notation
from ..printing.latex import BackpropLatexPrinter, printer


@dataclass
class Context:
    """One document in the making: what to show, and in which notation."""

    d: Derivation
    n: Notation
    chosen: Parameter | None  # the highlighted parameter (diagram, sum over paths)
    expand: bool  # list each partial's expanded chain-rule form too
    selection: str | tuple[Parameter, ...]  # "all", "none" or the partials to list

    def p(self, layer: int | None = None, index: str = "j") -> BackpropLatexPrinter:
        """A printer in the reader's notation; bare a, z, δ are written as neuron ``index`` of ``layer``."""
        return printer(self.n, layer, index)

    @property
    def depth(self) -> int:
        return self.d.spec.depth

    def symbol(self, parameter: Parameter) -> str:
        """The parameter as the reader's notation prints it (e.g. ``\\theta^{(1)}_{21}``)."""
        return self.p().doprint(self.d.model.symbol(parameter))
