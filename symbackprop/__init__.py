"""symbackprop: derive backpropagation for your own feed-forward network, symbolically.

The pipeline, one module per stage (each imports only from the stages before it):

* :mod:`~symbackprop.spec` parses and validates a spec (TOML or ``3-4-2`` shorthand);
* :mod:`~symbackprop.model` gives every weight, bias and neuron a SymPy symbol;
* :mod:`~symbackprop.derivation` derives BP1–BP4 at a generic width, with the
  simplifications of :mod:`~symbackprop.passes`;
* :mod:`~symbackprop.partials` and :mod:`~symbackprop.proof` give the per-weight partials and
  prove that the factored forms equal them; :mod:`~symbackprop.driver` runs it all;
* printers and renderers turn the result into LaTeX/PDF and NumPy training modules;
* :mod:`~symbackprop.api` gives every command a function -- :func:`latex`, :func:`codegen`,
  :func:`check`, :func:`regenerate` -- whose result displays itself in Jupyter
  (:mod:`~symbackprop.display`); :mod:`~symbackprop.cli` is a thin command line over them.

Start with::

    from symbackprop import Spec, derive
    d = derive(Spec.parse("3-4-2", activation="sigmoid", cost="quadratic"))
    d.delta(2).delta, d.partial("w", 2, 1, 1).factored, d.proof.holds
"""

from .api import (
    Document,
    MarkdownDocument,
    Module,
    ModuleCheckError,
    Report,
    ReportItem,
    WebPage,
    check,
    codegen,
    html,
    latex,
    markdown,
    regenerate,
)
from .driver import Derivation, derive
from .errors import UserError
from .registry import register_activation, register_cost
from .spec import Spec

__all__ = ["Derivation", "Document", "MarkdownDocument", "Module", "ModuleCheckError", "Report", "ReportItem", "Spec",
           "UserError", "WebPage", "check", "codegen", "derive", "html", "latex", "markdown", "regenerate",
           "register_activation", "register_cost"]
__version__ = "0.1.0"
