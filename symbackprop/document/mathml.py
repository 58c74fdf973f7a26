"""The document's LaTeX mathematics as MathML Core, through ``latex2mathml``, checked.

Provides :func:`to_mathml` (one formula, inline or displayed; the lines of a broken equation
become a ``split``, which latex2mathml renders as a table aligned at ``&``) and
:class:`MathConversionError`.  Before converting, the few constructs of ours that latex2mathml
reads differently from TeX are rewritten: math inside ``\\text{…}`` (``\\text{ for row $s$}``)
and ``aligned``.  After converting, the MathML is parsed and refused when it holds anything
latex2mathml let through unconverted -- an unknown command left as text, a raw ``&`` or ``$``,
an ``merror`` -- so broken mathematics is never emitted silently.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from latex2mathml.converter import convert

_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_TEXT_WITH_MATH = re.compile(r"\\text\{([^{}]*\$[^{}]*)\}")


class MathConversionError(ValueError):
    """A formula latex2mathml cannot render faithfully (a bug to fix where the formula is printed)."""


def _text_with_math(match: re.Match) -> str:
    """``\\text{ for row $s$ (x)}`` → ``\\text{ for row }s\\text{ (x)}``."""
    parts = match[1].split("$")
    if len(parts) % 2 == 0:
        raise MathConversionError(f"unbalanced $ in \\text{{{match[1]}}}")
    return "".join(rf"\text{{{part}}}" if index % 2 == 0 else part
                   for index, part in enumerate(parts) if part or index % 2)


def prepare(latex: str) -> str:
    """Our LaTeX in the dialect latex2mathml reads as TeX does."""
    text = _TEXT_WITH_MATH.sub(_text_with_math, latex)
    return text.replace(r"\begin{aligned}", r"\begin{split}").replace(r"\end{aligned}", r"\end{split}")


def to_mathml(latex: str | list[str], display: bool = False) -> str:
    """One formula (or the lines of a broken equation) as a ``<math>`` element."""
    lines = [latex] if isinstance(latex, str) else latex
    aligned = len(lines) > 1 or re.search(r"(?<!\\)&", lines[0])
    latex = r"\begin{split}" + r" \\ ".join(lines) + r"\end{split}" if aligned else lines[0]
    try:
        mathml = convert(prepare(latex), display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises its own and builtin exceptions alike
        raise MathConversionError(f"latex2mathml cannot convert {latex!r}: {error}") from None
    _check(mathml, latex)
    return mathml


def _check(mathml: str, latex: str) -> None:
    try:
        root = ElementTree.fromstring(mathml)
    except ElementTree.ParseError as error:
        raise MathConversionError(f"latex2mathml made malformed MathML of {latex!r}: {error}") from None
    for element in root.iter():
        if element.tag == f"{_MATHML}merror":
            raise MathConversionError(f"latex2mathml reported an error in {latex!r}")
        text = element.text or ""
        if "\\" in text or "$" in text:
            raise MathConversionError(f"latex2mathml left {text!r} unconverted in {latex!r}")
