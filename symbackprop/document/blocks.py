"""The shape of the document every format renders: sections of typed blocks, numbered once.

Provides the block constructors the section modules build with -- :func:`paragraph`,
:func:`steps`, :func:`align`, :func:`table`, :func:`definitions`, :func:`items`,
:func:`heading`, :func:`figure` and :func:`section` (displayed equations come from
:func:`~.formulas.equation`) -- and :func:`number`, which numbers sections, equations and
figures the way LaTeX does (``\\numberwithin{equation}{section}``, ``\\tag`` replacing a
number, one number per row of an ``align``) so the HTML and Markdown show the numbers the PDF
shows.  Text is the document's prose: LaTeX with inline ``$…$`` math, ``\\eqref``/``\\ref``
and ``\\texttt`` (see :mod:`.inline`).
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]


def paragraph(text: str, lead: str = "") -> Block:
    """Prose; ``lead`` is a run-in heading (``\\paragraph{Statement.}``)."""
    return {"kind": "paragraph", "text": text, "lead": lead}


def steps(pairs: list[dict[str, Any]]) -> list[Block]:
    """A sentence and the equation it leads into, for each step (``equation`` may be None)."""
    blocks: list[Block] = []
    for pair in pairs:
        blocks.append(paragraph(pair["text"]))
        if pair["equation"]:
            blocks.append(pair["equation"])
    return blocks


def align(rows: list[list[str]]) -> Block:
    """Aligned equations, one number per row; a row is the lines of one (broken) equation."""
    return {"kind": "align", "rows": rows, "numbers": []}


def table(rows: list[list[str]]) -> Block:
    return {"kind": "table", "rows": rows}


def definitions(rows: list[tuple[str, str]]) -> Block:
    """Symbol (LaTeX math) and its meaning (prose), as a description list."""
    return {"kind": "definitions", "rows": [{"symbol": symbol, "text": text} for symbol, text in rows]}


def items(entries: list[str]) -> Block:
    return {"kind": "items", "entries": entries}


def heading(text: str) -> Block:
    """An unnumbered sub-heading (``\\subsection*``)."""
    return {"kind": "heading", "text": text}


def figure(drawing: str, data: dict[str, Any], caption: str, label: str) -> Block:
    """A figure: ``drawing`` names its layout ("network" or "plot"), ``data`` its geometry."""
    return {"kind": "figure", "drawing": drawing, "data": data, "caption": caption, "label": label, "number": ""}


def section(title: str, label: str, blocks: list[Block]) -> dict[str, Any]:
    return {"title": title, "label": label, "blocks": blocks, "number": ""}


def number(sections: list[dict[str, Any]]) -> dict[str, str]:
    """Number sections, equations and figures in place; return label → number (``3``, ``3.2``, ``BP1``)."""
    labels: dict[str, str] = {}
    figures = 0
    for position, part in enumerate(sections, start=1):
        part["number"] = str(position)
        labels[part["label"]] = part["number"]
        equations = 0
        for block in part["blocks"]:
            if block["kind"] == "equation":
                if not block["tag"]:
                    equations += 1
                block["number"] = block["tag"] or f"{position}.{equations}"
                if block["label"]:
                    labels[block["label"]] = block["number"]
            elif block["kind"] == "align":
                block["numbers"] = [f"{position}.{equations + row}" for row in range(1, len(block["rows"]) + 1)]
                equations += len(block["rows"])
            elif block["kind"] == "figure":
                figures += 1
                block["number"] = str(figures)
                labels[block["label"]] = block["number"]
    return labels
