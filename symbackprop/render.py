"""Rendering: the only module that imports Jinja2.

One :class:`jinja2.Environment` per kind of output, set up once: ``trim_blocks``,
``lstrip_blocks``, ``keep_trailing_newline`` and ``StrictUndefined`` (a missing value is an
error, never an empty string).  LaTeX templates use ``<< >>`` / ``<% %>`` / ``<# #>``
delimiters so they do not fight with TeX braces.  Templates receive view-models whose
formulas are already printed strings; they hold layout only.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

_LATEX_DELIMITERS = {
    "block_start_string": "<%", "block_end_string": "%>",
    "variable_start_string": "<<", "variable_end_string": ">>",
    "comment_start_string": "<#", "comment_end_string": "#>",
    "line_statement_prefix": None, "line_comment_prefix": "%#",
}


def _templates():
    """The templates folder: the installed ``symbackprop.templates`` package, or ``templates/``
    beside the package when running from a source checkout without installing."""
    try:
        return resources.files("symbackprop.templates")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "templates"


class _PackageLoader(jinja2.BaseLoader):
    """Loads templates from the installed ``symbackprop.templates`` package (wheel or source)."""

    def get_source(self, environment: jinja2.Environment, template: str):
        resource = _templates().joinpath(template)
        if not resource.is_file():
            raise jinja2.TemplateNotFound(template)
        source = resource.read_text(encoding="utf-8")
        return source, None, lambda: True


#: Templates whose output is markup: every value not marked safe by the view-model is escaped.
_ESCAPED = ("html.j2", "svg.j2")


@cache
def environment(kind: str) -> jinja2.Environment:
    """The Jinja environment for ``"code"`` (default delimiters: Python, HTML, SVG, Markdown) or
    ``"latex"``.  HTML and SVG templates autoescape, so user text cannot become markup."""
    options: dict[str, Any] = dict(loader=_PackageLoader(), undefined=jinja2.StrictUndefined,
                                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                                   autoescape=jinja2.select_autoescape(enabled_extensions=_ESCAPED,
                                                                       default_for_string=False, default=False))
    if kind == "latex":
        options.update(_LATEX_DELIMITERS, autoescape=False)
    elif kind != "code":
        raise ValueError(f"unknown template kind {kind!r}")
    return jinja2.Environment(**options)


def render(template: str, view: dict[str, Any]) -> str:
    """Render ``template`` (``*.tex.j2`` → LaTeX delimiters, anything else → default ones) with ``view``."""
    kind = "latex" if template.endswith(".tex.j2") else "code"
    return environment(kind).get_template(template).render(**view)
