"""How symbackprop's objects show themselves in Jupyter (``_repr_html_``, ``_repr_latex_``, …).

Each object's ``_repr_*_`` methods call the function here named after it and the format:

* a :class:`~symbackprop.spec.Spec` -- its layers, and in HTML the network drawn as SVG (:mod:`.network`);
* a :class:`~symbackprop.driver.Derivation` -- BP1–BP4 for the network in layer-indexed symbols
  of its notation, with the proof's verdicts, and one
  :class:`~symbackprop.driver.PartialDerivative` -- the sum over its paths and its factored
  form (:mod:`.equations`);
* a :class:`~symbackprop.conv.spec.ConvSpec` and a
  :class:`~symbackprop.conv.driver.ConvDerivation` -- layers, and verdicts per equation (:mod:`.convolution`);
* a :class:`~symbackprop.proof.Proof` and a check :class:`~symbackprop.api.Report` -- verdict
  tables (:mod:`.verdicts`);
* a :class:`~symbackprop.api.Module` and a :class:`~symbackprop.api.Document` -- listings
  (:mod:`.code`).

:mod:`.markup` renders the tables as HTML, LaTeX and Markdown.
"""

from __future__ import annotations

from collections.abc import Callable

from ..api import Report
from ..conv.driver import ConvDerivation
from ..conv.spec import ConvSpec
from ..driver import Derivation, PartialDerivative
from ..proof import Proof
from ..spec import Spec
from . import markup
from .code import document_bundle, module_html
from .convolution import conv_derivation_table, conv_spec_table
from .equations import derivation_table, partial_latex, partial_table
from .network import spec_svg, spec_table
from .verdicts import proof_table, report_table

__all__ = ["document_bundle", "html", "latex", "markdown", "module_html", "table"]

TABLES: dict[type, Callable[..., markup.Table]] = {
    Spec: spec_table, Derivation: derivation_table, PartialDerivative: partial_table, Proof: proof_table,
    Report: report_table, ConvSpec: conv_spec_table, ConvDerivation: conv_derivation_table,
}


def table(shown) -> markup.Table:
    """The table an object displays as."""
    return TABLES[type(shown)](shown)


def html(shown) -> str:
    """An HTML fragment; a spec's table is followed by the network drawn as SVG."""
    return markup.html(table(shown), extra=spec_svg(shown) if isinstance(shown, Spec) else "")


def latex(shown) -> str:
    """Display math; a partial is one aligned equation (the sum over paths, then the factored form)."""
    return partial_latex(shown) if isinstance(shown, PartialDerivative) else markup.latex(table(shown))


def markdown(shown) -> str:
    return markup.markdown(table(shown))
