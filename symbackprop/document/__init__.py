"""The derivation document: a view-model of a :class:`~symbackprop.driver.Derivation`, rendered
as LaTeX (``templates/derivation.tex.j2``) and optionally compiled to PDF.

Provides:

* :func:`build_document` -- spec → ``.tex`` text (or PDF bytes), the entry point of ``symbackprop latex``;
* :func:`build_html` / :func:`build_markdown` -- the same document as one HTML page, or as Markdown
  with its SVG figures (``symbackprop html`` / ``symbackprop markdown``);
* :func:`document_view` -- the view-model the template receives (every formula a printed string);
* :func:`tex_escape` -- user text (names, expression sources, notes) as literal LaTeX text;
* :func:`parse_parameter` / :func:`parse_weights` -- ``--highlight`` and ``--weights`` values.

The document reads top to bottom as the modules of this package, each building the
sections of the template named after it from a :class:`~.context.Context`:

* ``setting`` -- title and spec, notation, forward equations, the cost;
* ``diagram`` -- the network (TikZ) with the paths of one weight highlighted;
* ``equations`` -- BP1–BP4 (general statement, derivation, this spec's form, componentwise,
  matrix and batched forms);
* ``per_weight`` -- the sum over paths of the highlighted weight, and the per-weight partials
  with their proof verdicts;
* ``verification`` -- the verification summary;

and, for a network with convolution and pooling layers, ``convolution`` and ``conv_equations``
(with the kernel figure of ``kernel_diagram``) in their place;

with ``formulas`` (escaping, line breaking, displayed equations) shared by all of them and
``options`` reading the command-line values.
"""

from __future__ import annotations

from typing import Any

from .. import tex
from ..conv.spec import ConvSpec
from ..driver import Derivation, derive
from ..model import Parameter
from ..notation import Notation
from ..notation import notation as notation_profile
from ..render import render
from .blocks import number
from .context import Context
from .convolution import conv_view
from .equations import equations_sections
from .formulas import tex_escape
from .learning import learning_section
from .options import parse_parameter, parse_weights, require_parameters
from .per_weight import partials_section, paths_section
from .setting import cost_section, forward_section, network_section, notation_section, title_block
from .verification import verification_section
from .web import html_view, markdown_view

__all__ = ["build_document", "build_html", "build_markdown", "document_view", "parse_parameter", "parse_weights",
           "tex_escape"]


def build_document(spec, *, notation: str = "nielsen", highlight: str | None = None, expand: bool = True,
                   weights: str | None = None, pdf: bool = False, max_parameters: int = 60,
                   derivation: Derivation | None = None) -> str | bytes:
    """The derivation of ``spec`` as LaTeX text, or as PDF bytes when ``pdf``.

    ``highlight`` and ``weights`` name parameters in the ``notation`` profile's numbering
    (``theta^(1)_{21}`` for ``ng``, ``w^[3]_{12}`` for ``higham``), as its reader would.

    ``derivation`` may be passed to reuse one already computed (it must be of ``spec``).
    """
    view = _view(spec, notation, highlight, expand, weights, max_parameters, derivation)
    text = render("derivation.tex.j2", view)
    return tex.compile_pdf(text) if pdf else text


def build_html(spec, *, notation: str = "nielsen", highlight: str | None = None, expand: bool = True,
               weights: str | None = None, max_parameters: int = 60, derivation: Derivation | None = None) -> str:
    """The derivation of ``spec`` as one self-contained HTML page (MathML, inline SVG, no script)."""
    view = _view(spec, notation, highlight, expand, weights, max_parameters, derivation)
    return render("derivation.html.j2", html_view(view))


def build_markdown(spec, *, stem: str = "derivation", notation: str = "nielsen", highlight: str | None = None,
                   expand: bool = True, weights: str | None = None, max_parameters: int = 60,
                   derivation: Derivation | None = None) -> dict[str, str]:
    """The derivation as Markdown (``$…$`` math) and its figures as SVG files: file name → text.

    The Markdown is ``<stem>.md`` and links the figures as ``<stem>-<figure>.svg`` beside it.
    """
    view = _view(spec, notation, highlight, expand, weights, max_parameters, derivation)
    page, figures = markdown_view(view, stem)
    return {f"{stem}.md": render("derivation.md.j2", page), **figures}


def _view(spec, notation: str, highlight: str | None, expand: bool, weights: str | None, max_parameters: int,
          derivation: Derivation | None) -> dict[str, Any]:
    profile = notation_profile(notation)
    if isinstance(spec, ConvSpec):
        return conv_view(spec, profile, highlight, expand, weights, max_parameters, derivation)
    chosen = parse_parameter(highlight, "--highlight", profile) if highlight else None
    selection = parse_weights(weights, profile)
    d = derivation if derivation is not None else derive(spec, max_parameters=max_parameters)
    require_parameters(d, profile, chosen, selection)
    return document_view(d, profile, chosen, expand, selection)


def document_view(d: Derivation, n: Notation, chosen: Parameter | None = None, expand: bool = True,
                  selection: str | tuple[Parameter, ...] = "all") -> dict[str, Any]:
    """The document as every format shows it: the title and the numbered sections of blocks."""
    if chosen is None and d.per_weight is not None:
        chosen = d.model.parameters[0]
    context = Context(d, n, chosen, expand, selection)
    sections = [network_section(context), notation_section(context), forward_section(context),
                cost_section(context), *equations_sections(context), paths_section(context),
                partials_section(context), learning_section(context), verification_section(context)]
    sections = [part for part in sections if part is not None]
    return {"title": title_block(context), "sections": sections, "labels": number(sections)}
