"""Jupyter's rich-display hooks for symbackprop's objects, in one place.

:class:`RichDisplay` gives a class ``_repr_html_``, ``_repr_latex_`` and ``_repr_markdown_``,
each drawn by :mod:`symbackprop.display` (imported on first display, so the stages that define
these classes stay free of it).
"""

from __future__ import annotations


class RichDisplay:
    """Displays itself in Jupyter as HTML, LaTeX or Markdown (see :mod:`symbackprop.display`)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        from .display import html

        return html(self)

    def _repr_latex_(self) -> str:
        from .display import latex

        return latex(self)

    def _repr_markdown_(self) -> str:
        from .display import markdown

        return markdown(self)
