"""The document's prose, read into typed pieces for the formats that are not LaTeX.

The section modules write prose as LaTeX, because the PDF is typeset from it: plain text
escaped by :func:`~.formulas.tex_escape`, inline ``$…$`` math, ``\\eqref{…}``/``\\ref{…}``,
``\\texttt{…}``, ``~`` and ``--``.  :func:`pieces` reads exactly that subset into
:class:`Text`, :class:`Math`, :class:`Ref` and :class:`Code`; any other command is a
:class:`ProseError` (a bug in a section module, found by the tests over every document).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class ProseError(ValueError):
    """Prose used LaTeX outside the subset the web formats read."""


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Math:
    latex: str


@dataclass(frozen=True)
class Ref:
    label: str
    parenthesised: bool  # \eqref: "(3.1)"; \ref: "3"


@dataclass(frozen=True)
class Code:
    text: str


Piece = Text | Math | Ref | Code

#: What tex_escape writes for a character, read back.
_ESCAPES = {r"\textbackslash{}": "\\", r"\{": "{", r"\}": "}", r"\%": "%", r"\#": "#", r"\$": "$",
            r"\textasciicircum{}": "^", r"\textasciitilde{}": "~", r"\_": "_", r"\&": "&",
            r"\textless{}": "<", r"\textgreater{}": ">", r"\textbar{}": "|", r"\dots{}": "…", r"\dots\ ": "… ",
            "-{}-": "--", "---": "—", "--": "–", "~": "\u00a0"}
_ESCAPE_PATTERN = "|".join(re.escape(key) for key in sorted(_ESCAPES, key=len, reverse=True))
_TOKEN = re.compile(r"\$(?P<math>[^$]*)\$|\\(?P<ref>eqref|ref)\{(?P<label>[^{}]*)\}|(?P<code>\\texttt\{)|"
                    + _ESCAPE_PATTERN + r"|\\[A-Za-z]+|\\.")


def _group_end(text: str, start: int) -> int:
    """The index of the brace closing the group opened just before ``start`` (escapes skipped)."""
    depth, index = 1, start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
        index += 1
    raise ProseError(f"unbalanced braces in {text!r}")


def _plain(text: str) -> str:
    """Escaped text (inside \\texttt or between tokens) back to its characters."""
    out, position = [], 0
    for match in re.finditer(_ESCAPE_PATTERN + r"|\\[A-Za-z]+|\\.|[{}]", text):
        out.append(text[position:match.start()])
        token = match.group()
        if token not in _ESCAPES:
            raise ProseError(f"unexpected {token!r} in text {text!r}")
        out.append(_ESCAPES[token])
        position = match.end()
    return "".join(out) + text[position:]


def pieces(prose: str) -> list[Piece]:
    """``prose`` as pieces; adjacent text merged."""
    out: list[Piece] = []
    position = 0

    def text(value: str) -> None:
        if not value:
            return
        if out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + value)
        else:
            out.append(Text(value))

    while (match := _TOKEN.search(prose, position)) is not None:
        text(_plain(prose[position:match.start()]))
        position = match.end()
        if match["math"] is not None:
            out.append(Math(match["math"]))
        elif match["ref"]:
            out.append(Ref(match["label"], match["ref"] == "eqref"))
        elif match["code"]:
            end = _group_end(prose, position)
            out.append(Code(_plain(prose[position:end])))
            position = end + 1
        elif match.group() in _ESCAPES:
            text(_ESCAPES[match.group()])
        else:
            raise ProseError(f"unexpected {match.group()!r} in {prose!r}")
    text(_plain(prose[position:]))
    return out
