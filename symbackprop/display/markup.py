"""A small format-neutral table, and its HTML, LaTeX and Markdown renderings.

Every display is a :class:`Table`: a title, column headings, rows of cells, and notes below.
A cell is lines; a line is pieces of :class:`Text`, :class:`Math` (LaTeX from our printers)
and :class:`Code` (someone's own text, shown literally).  The renderers escape every piece for
their format, so no text ever reaches a page as markup:

* :func:`html` -- a scoped stylesheet, math between ``\\(`` ``\\)`` for the notebook's MathJax;
* :func:`latex` -- an ``array`` in display math, valid LaTeX for ``nbconvert --to pdf`` too;
* :func:`markdown` -- a pipe table with ``$…$`` math.
"""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..document.formulas import tex_escape


@dataclass(frozen=True)
class Text:
    """Plain prose; ``tone`` ("good", "bad", "muted" or "") colours it in HTML."""

    value: str
    tone: str = ""


@dataclass(frozen=True)
class Math:
    """One formula, LaTeX math as our printers write it."""

    value: str


@dataclass(frozen=True)
class Code:
    """Literal text a person wrote (an equation as typed), never interpreted."""

    value: str


Piece = Text | Math | Code
Line = tuple[Piece, ...]
Cell = tuple[Line, ...]


def cell(*lines: str | Piece | Iterable[str | Piece]) -> Cell:
    """A cell from lines, each a string (text), one piece, or a sequence of pieces."""
    return tuple(_line(line) for line in lines)


def _line(line: str | Piece | Iterable[str | Piece]) -> Line:
    if isinstance(line, str | Text | Math | Code):
        line = (line,)
    return tuple(Text(piece) if isinstance(piece, str) else piece for piece in line)


@dataclass(frozen=True)
class Table:
    """What one display shows: rows of cells under headings, a title line above, notes below."""

    title: Line
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[Line, ...] = field(default=())


# -- HTML -----------------------------------------------------------------------------------------------
STYLE = """<style>
.symbackprop{font-family:inherit;line-height:1.45;max-width:100%;overflow-x:auto}
.symbackprop table{border-collapse:collapse;margin:.3em 0}
.symbackprop th,.symbackprop td{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}
.symbackprop th{background:#f6f8fa}
.symbackprop .good{color:#1a7f37}.symbackprop .bad{color:#cf222e;font-weight:600}.symbackprop .muted{color:#6e7781}
.symbackprop code{white-space:pre-wrap;word-break:break-word}
.symbackprop p{margin:.3em 0}
</style>"""


def _html_piece(piece: Piece) -> str:
    if isinstance(piece, Math):
        return rf"\({html_text.escape(piece.value, quote=False)}\)"
    if isinstance(piece, Code):
        return f"<code>{html_text.escape(piece.value)}</code>"
    text = html_text.escape(piece.value)
    return f'<span class="{piece.tone}">{text}</span>' if piece.tone else text


def _html_line(line: Line) -> str:
    return "".join(_html_piece(piece) for piece in line)


def _html_cell(value: Cell) -> str:
    return "<br>".join(_html_line(line) for line in value)


def html(table: Table, extra: str = "") -> str:
    """The table as an HTML fragment; ``extra`` is markup of ours appended inside it (a figure)."""
    head = "".join(f"<th>{html_text.escape(column)}</th>" for column in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{_html_cell(value)}</td>" for value in row) + "</tr>"
                   for row in table.rows)
    notes = "".join(f"<p>{_html_line(note)}</p>" for note in table.notes)
    return (f'<div class="symbackprop">{STYLE}<p><strong>{_html_line(table.title)}</strong></p>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{notes}{extra}</div>")


# -- LaTeX ----------------------------------------------------------------------------------------------
def _latex_piece(piece: Piece) -> str:
    if isinstance(piece, Math):
        return piece.value
    if isinstance(piece, Code):
        return rf"\texttt{{{tex_escape(piece.value)}}}"
    return rf"\text{{{tex_escape(piece.value)}}}"


def _latex_line(line: Line) -> str:
    return " ".join(_latex_piece(piece) for piece in line)


def _latex_cell(value: Cell) -> str:
    lines = [rf"\displaystyle {_latex_line(line)}" for line in value]
    if len(lines) == 1:
        return lines[0]
    return r"\begin{array}[t]{@{}l@{}}" + r" \\ ".join(lines) + r"\end{array}"


def latex(table: Table) -> str:
    """The table as display math: the title, an ``array`` of the rows, then the notes."""
    columns = "l" * len(table.columns)
    head = " & ".join(rf"\textbf{{{tex_escape(column)}}}" for column in table.columns)
    rows = [" & ".join(_latex_cell(value) for value in row) for row in table.rows]
    inner = rf"\begin{{array}}{{{columns}}}{head} \\ \hline " + r" \\[2pt] ".join(rows) + r"\end{array}"
    outer = [rf"\textbf{{{tex_escape(_plain(table.title))}}}" if _text_only(table.title)
             else _latex_line(table.title), inner, *(_latex_line(note) for note in table.notes)]
    return r"$$\begin{array}{l}" + r" \\[4pt] ".join(outer) + r"\end{array}$$"


def _text_only(line: Line) -> bool:
    return all(isinstance(piece, Text) for piece in line)


def _plain(line: Line) -> str:
    return "".join(piece.value for piece in line)


# -- Markdown -------------------------------------------------------------------------------------------
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#+!|$~])")


def _markdown_piece(piece: Piece) -> str:
    if isinstance(piece, Math):
        # a bar would end the table cell; \vert is the same symbol
        return "$" + piece.value.replace(r"\|", r"\Vert ").replace("|", r"\vert ") + "$"
    if isinstance(piece, Code):
        return "<code>" + html_text.escape(piece.value).replace("|", "&#124;") + "</code>"
    return _MARKDOWN_SPECIALS.sub(r"\\\1", piece.value).replace("\n", " ")


def _markdown_line(line: Line) -> str:
    return "".join(_markdown_piece(piece) for piece in line)


def markdown(table: Table) -> str:
    """The table as Markdown (GitHub's and Jupyter's dialect, with dollar math)."""
    lines = [f"**{_markdown_line(table.title)}**", "",
             "| " + " | ".join(_markdown_piece(Text(column)) for column in table.columns) + " |",
             "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join("<br>".join(_markdown_line(line) for line in value) for value in row) + " |"
              for row in table.rows]
    lines += [line for note in table.notes for line in ("", _markdown_line(note))]
    return "\n".join(lines) + "\n"
