"""LaTeX text and formula layout shared by every section of the derivation document.

Provides:

* :func:`tex_escape` -- user text (names, expression sources, notes) as literal LaTeX text;
* :func:`visible_width` and :func:`wrap` -- the rough printed width of a formula, and long
  sums and products broken over the lines of a ``split`` environment;
* :func:`sum_pieces` and :func:`as_factor` -- printed SymPy sums as wrap pieces, and factors
  parenthesised when they are sums;
* :func:`frac_d` and :func:`equation` -- a partial-derivative fraction, and a displayed
  equation as the template receives it;
* ``DELTA`` and ``LINE_WIDTH`` -- the error symbol and the line width used throughout.
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from ..printing.latex import BackpropLatexPrinter

#: Visible characters of mathematics per line before a sum or product is broken.
LINE_WIDTH = 72
DELTA = r"\delta"

_TEX_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "#": r"\#", "$": r"\$",
    "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "_": r"\_", "&": r"\&",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "–": "--", "—": "---", "−": "$-$", "δ": r"$\delta$", "Δ": r"$\Delta$", "∂": r"$\partial$",
    "Σ": r"$\Sigma$", "σ": r"$\sigma$", "′": "'", "⊙": r"$\odot$", "≤": r"$\le$", "≥": r"$\ge$",
    "²": r"$^2$", "½": r"$\frac12$", "·": r"$\cdot$", "→": r"$\to$", "θ": r"$\theta$",
    "×": r"$\times$", "…": r"\dots{}", "\n": " ", "\t": " ", "\r": " ",
}


def tex_escape(text: str) -> str:
    """``text`` as literal LaTeX text: TeX specials escaped, known symbols typeset, others '?'."""
    out = []
    for char in str(text):
        if char in _TEX_SPECIALS:
            out.append(_TEX_SPECIALS[char])
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.append("?")
    return "".join(out)


def _group(text: str, start: int) -> tuple[str, int]:
    """The brace group (or single character) at ``start``, and the index after it."""
    if start < len(text) and text[start] == "{":
        depth = 0
        for index in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                return text[start + 1:index], index + 1
        return text[start + 1:], len(text)
    if text.startswith("\\", start):
        match = re.match(r"\\[A-Za-z]+|\\.", text[start:])
        return match.group(), start + len(match.group())
    return text[start:start + 1], start + 1


def visible_width(latex: str) -> float:
    """A rough width of a formula in characters: fractions as wide as their wider part,
    scripts at half width; used to break long sums and products over lines."""
    text = re.sub(r"\\(left|right|bigl|bigr|Bigl|Bigr)(?![A-Za-z])|\\[,;!]|&", "", latex)
    text = re.sub(r"\\(operatorname|mathrm|text|mathbf)\{([^}]*)\}", r"\2", text)
    width, index = 0.0, 0
    while index < len(text):
        if text.startswith(r"\frac", index):
            top, index = _group(text, index + 5)
            bottom, index = _group(text, index)
            width += max(visible_width(top), visible_width(bottom))
        elif text[index] in "^_":
            group, index = _group(text, index + 1)
            width += 0.5 * visible_width(group)
        elif text.startswith(r"\quad", index):
            width, index = width + 2, index + 5
        elif text[index] == "\\":
            _, index = _group(text, index)
            width += 1
        elif text[index] in "{} ":
            index += 1
        else:
            width, index = width + 1, index + 1
    return width


def wrap(lhs: str, pieces: list[tuple[str, str]], width: int = LINE_WIDTH,
         breaks: frozenset[int] = frozenset()) -> list[str]:
    """Lines of a ``split`` environment: ``lhs &= p1 p2 \\\\ &\\quad p3 ...``.

    ``pieces`` are (joiner, text): the joiner (" + ", " \\cdot ", "") goes before the text.
    Lines are filled greedily up to ``width`` visible characters; a piece whose index is in
    ``breaks`` always starts a new line.
    """
    lines, current, used = [], f"{lhs} &= ", visible_width(lhs) + 2
    for index, (joiner, text) in enumerate(pieces):
        size = visible_width(joiner + text)
        if index and (used + size > width or index in breaks):
            lines.append(current.rstrip())
            current, used = (r"&\quad " + joiner.strip() + " ").replace(r"\cdot ", r"{}\cdot "), 4
            current += text
        else:
            current += (joiner.strip() if index == 0 else joiner) + text
        used += size
    return lines + [current.rstrip()]


def sum_pieces(p: BackpropLatexPrinter, expr: sp.Expr) -> list[tuple[str, str]]:
    """The terms of a sum as wrap pieces, signs kept on the terms."""
    pieces = []
    for term in p.terms(expr):
        if term.startswith("-"):
            pieces.append((" - ", term[1:].lstrip()))
        else:
            pieces.append((" + ", term))
    if pieces and pieces[0][0] == " + ":
        pieces[0] = ("", pieces[0][1])
    elif pieces:
        pieces[0] = ("-", pieces[0][1])
    return pieces


def frac_d(top: str, bottom: str) -> str:
    """∂top/∂bottom as a fraction, the form every derivative in the document takes."""
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def equation(lines: list[str] | str, label: str | None = None, tag: str | None = None) -> dict[str, Any]:
    """A displayed equation for the template: one line, or the lines of a ``split``."""
    rows = [lines] if isinstance(lines, str) else list(lines)
    if len(rows) == 1:
        rows = [re.sub(r"(?<!\\)&", "", rows[0])]
    return {"kind": "equation", "lines": rows, "label": label or "", "tag": tag or "", "number": ""}


def as_factor(p: BackpropLatexPrinter, expr: sp.Expr) -> str:
    """A factor of a product, in parentheses when it is a sum."""
    text = p.doprint(expr)
    return rf"\left({text}\right)" if isinstance(expr, sp.Add) else text
