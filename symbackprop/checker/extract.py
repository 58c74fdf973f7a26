"""Find the mathematics in a document: each :class:`Region` is one displayed or inline formula.

Three readers, each in time linear in the document:

* :func:`tex_regions` — LaTeX: ``equation``, ``align``, ``alignat``, ``flalign``, ``gather``,
  ``multline``, ``eqnarray`` (and starred), ``\\[…\\]``, ``$$…$$``, inline ``$…$`` and ``\\(…\\)``;
  comments and ``verbatim``/``lstlisting`` are skipped.
* :func:`markdown_regions` — Markdown, read by markdown-it-py with the mdit-py-plugins for dollar
  math (``$…$``, ``$$…$$``, also inline), ``\\[…\\]``/``\\(…\\)``, amsmath environments and fenced
  ```` ```math ```` blocks; code that is not mathematics and the front matter are skipped.
* :func:`plain_regions` — plain text with Unicode mathematics: the mathematical part of each line
  with a relation (``=``, ``←``, ``≈``…), prose around it left out, and the lines after it that
  start with a relation as further rows of the same chain.

A region keeps its offset in the document, so every snippet made from it knows its lines.
:func:`read_document` reads a file with the limits and the readable errors ``--file`` needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import EquationError

#: The largest file ``--file`` reads, and the most equations it checks (each takes a while).
MAX_FILE_BYTES = 1 << 20
MAX_EQUATIONS = 1000


@dataclass(frozen=True)
class Region:
    """One formula of a document: ``body`` (its text without delimiters) at ``offset``; ``rows``
    (text, offset) where the reader already knows its rows (plain text), else None."""

    body: str
    offset: int
    inline: bool = False
    rows: tuple[tuple[str, int], ...] | None = None
    tag: str = ""


def read_document(path: str | Path) -> str:
    """The text of ``path``, refused with a readable error when it cannot be read or is too large."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name, or text that is not UTF-8
        raise EquationError(f"cannot read the file: {error}", str(path)) from None
    if len(data) > MAX_FILE_BYTES:
        raise EquationError(f"the file is larger than {MAX_FILE_BYTES >> 20} MiB", str(path))
    return text


# -- LaTeX ------------------------------------------------------------------------------------------------
_ENVIRONMENTS = "equation|align|alignat|flalign|gather|multline|eqnarray|displaymath|math"
_OPENER = re.compile(r"\\begin\{(" + _ENVIRONMENTS + r"|verbatim|lstlisting|minted|comment)(\*?)\}"
                     r"|(?<!\\)\\\[|(?<!\\)\\\(|(?<!\\)\$\$|(?<!\\)\$")
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_DOLLAR = re.compile(r"(?<!\\)\$")


def blank_comments(text: str) -> str:
    """``text`` with every ``%`` comment replaced by spaces (positions and lines stay)."""
    return _COMMENT.sub(lambda match: " " * len(match.group(0)), text)


def tex_regions(text: str, base: int = 0) -> Iterator[Region]:
    """The formulas of a LaTeX text, in order (offsets shifted by ``base``).

    Each opener is closed by the first closer after it.  A closer missing once is missing for
    every later opener too, so it is not searched for again (an unclosed ``\\begin{equation}``
    repeated many times would otherwise make the search quadratic).
    """
    text = blank_comments(text)
    missing: set[str] = set()
    position = 0
    while opener := _OPENER.search(text, position):
        closer = _closer(opener)
        if closer in missing:
            position = opener.end()
            continue
        found = _find_closer(text, closer, opener.end())
        if found is None:
            missing.add(closer)
            position = opener.end()
            continue
        start, end = found
        if opener.group(1) not in ("verbatim", "lstlisting", "minted", "comment"):
            inline = opener.group(0) in ("$", "\\(") or opener.group(1) == "math"
            yield Region(text[opener.end():start], base + opener.end(), inline)
        position = end


def _closer(opener: re.Match) -> str:
    if opener.group(1):
        return f"\\end{{{opener.group(1)}{opener.group(2)}}}"
    return {"\\[": "\\]", "\\(": "\\)", "$$": "$$", "$": "$"}[opener.group(0)]


def _find_closer(text: str, closer: str, start: int) -> tuple[int, int] | None:
    if closer == "$":
        match = _DOLLAR.search(text, start)
        return (match.start(), match.end()) if match else None
    index = text.find(closer, start)
    return (index, index + len(closer)) if index >= 0 else None


# -- Markdown ---------------------------------------------------------------------------------------------
def _markdown_parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.amsmath import amsmath_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin
    from mdit_py_plugins.texmath import texmath_plugin

    return (MarkdownIt("commonmark").use(front_matter_plugin).use(dollarmath_plugin, double_inline=True)
            .use(amsmath_plugin).use(texmath_plugin, delimiters="brackets"))


_INLINE_MATH = ("math_inline", "math_inline_double")
_BLOCK_MATH = ("math_block", "math_block_label", "math_block_eqno")


def markdown_regions(text: str) -> Iterator[Region]:
    """The formulas of a Markdown text, in order, each located in the text (see the module)."""
    starts = line_starts(text)
    cursor = 0
    for token in _markdown_parser().parse(text):
        if token.map:
            cursor = max(cursor, starts[min(token.map[0], len(starts) - 1)])
        if token.type == "inline":
            for child in token.children or ():
                if child.type in _INLINE_MATH:
                    region, cursor = _locate(text, child.content, cursor, inline=True, markup=child.markup)
                    yield region
        elif token.type in _BLOCK_MATH or token.type == "fence" and token.info.strip().lower() == "math":
            region, cursor = _locate(text, token.content, cursor, tag=token.info if "label" in token.type else "")
            yield region
        elif token.type == "amsmath":
            region, cursor = _locate(text, token.content, cursor)
            yield from tex_regions(region.body, region.offset)


def _locate(text: str, content: str, cursor: int, inline: bool = False, tag: str = "",
            markup: str = "") -> tuple[Region, int]:
    """``content`` found in ``text`` at or after ``cursor`` (markdown-it gives block lines only):
    the whole of it where it stands verbatim (between its ``markup`` delimiters, when it has
    dollars, so that the same text in the prose before it is not taken), else its first line,
    else the cursor."""
    key = content.strip()
    if markup in ("$", "$$") and key:
        index = text.find(markup + content + markup, cursor)
        if index >= 0:
            start = index + len(markup) + (len(content) - len(content.lstrip()))
            return Region(key, start, inline, tag=tag.strip()), start + len(key)
    index = text.find(key, cursor) if key else -1
    if index >= 0:
        return Region(key, index, inline, tag=tag.strip()), index + len(key)
    first = next((line.strip() for line in content.splitlines() if line.strip()), "")
    index = text.find(first, cursor) if first else -1
    return Region(key, index if index >= 0 else cursor, inline, tag=tag.strip()), max(cursor, index)


def line_starts(text: str) -> list[int]:
    """The offset where each line of ``text`` begins."""
    return [0] + [match.end() for match in re.finditer("\n", text)]


# -- plain text -------------------------------------------------------------------------------------------
_PLAIN_RELATION = re.compile(r"(?<![<>!=])=(?!=)|:=|≡|←|≈|≔|⟵")
_COMMENT_LINE = ("#", "%", "//")
#: Words of plain-text mathematics (function names, Greek letters spelled out).
MATH_WORDS = frozenset({"tanh", "exp", "log", "ln", "sin", "cos", "sinh", "cosh", "sech", "sigmoid", "softmax",
                        "relu", "diag", "max", "min", "sum", "mean", "delta", "sigma", "theta", "alpha", "eta",
                        "lambda", "grad", "sqrt"})
#: Short English words that are prose.
STOP_WORDS = frozenset({"an", "is", "are", "be", "and", "or", "the", "of", "to", "in", "for", "by", "if",
                        "so", "as", "at", "we", "it", "on", "with", "from", "then", "thus", "hence", "since",
                        "that", "this", "which", "where", "when", "all", "each", "but", "now", "can", "not",
                        "its", "our", "one", "two", "has", "get", "use", "see", "let", "i.e", "e.g", "us", "do",
                        "was", "no", "yes"})


def plain_regions(text: str) -> Iterator[Region]:
    """The formulas of a plain-text document: one region per chain, its lines as rows."""
    starts = line_starts(text)
    lines = text.split("\n")
    number = 0
    while number < len(lines):
        line = lines[number]
        span = None if line.lstrip().startswith(_COMMENT_LINE) else math_span(line)
        number += 1
        if span is None:
            continue
        rows = [(line[span[0]:span[1]], starts[number - 1] + span[0])]
        while number < len(lines) and _PLAIN_RELATION.match(lines[number].lstrip()):
            follow = lines[number]
            begin = len(follow) - len(follow.lstrip())
            end = begin + _math_end(follow[begin:])
            rows.append((follow[begin:end], starts[number] + begin))
            number += 1
        yield Region("\n".join(row for row, _ in rows), rows[0][1], rows=tuple(rows))


def math_span(line: str) -> tuple[int, int] | None:
    """Where the mathematics around the first relation of a line begins and ends (prose words
    around it left out), or None when the line has no relation with mathematics on both sides."""
    relation = _PLAIN_RELATION.search(line)
    if relation is None:
        return None
    words = [(match.start(), match.end()) for match in re.finditer(r"\S+", line)]
    at = next(index for index, (start, end) in enumerate(words) if start <= relation.start() < end)
    first = at
    while first > 0 and is_math_word(line[words[first - 1][0]:words[first - 1][1]]):
        first -= 1
    end = words[at][1] + _math_end(line[words[at][1]:])
    left = line[words[first][0]:relation.start()]
    right = line[relation.end():end]
    if not re.search(r"\w", left) or not re.search(r"\w", right):
        return None
    return words[first][0], end


def _math_end(text: str) -> int:
    """How far the mathematics at the start of ``text`` runs: to the first prose word, or to the
    end where the rest is a qualifier (``for 2 ≤ l ≤ L−1``)."""
    from .furniture import parse_qualifier

    end = 0
    for match in re.finditer(r"\S+", text):
        if not is_math_word(match.group(0)):
            if parse_qualifier(text[match.start():]) is not None:
                return len(text.rstrip())
            break
        end = match.end()
    return end


def is_math_word(word: str) -> bool:
    """Whether a whitespace-separated word of a plain-text line is mathematics, not prose."""
    bare = word.rstrip(".,;:!?")
    if not bare:
        return word in (",", ";")
    if not (bare.isascii() and bare.isalpha()):
        return True
    lower = bare.lower()
    if lower in MATH_WORDS:
        return True
    if lower in STOP_WORDS:
        return False
    return len(bare) <= 3 and bare == word
