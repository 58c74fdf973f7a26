"""The checker's first stage: documents and ``--equation`` text → :class:`Snippet` s.

A snippet is one equation (a chain ``A = B = C`` is one) with its furniture off
(:mod:`.furniture`) and kept as metadata: its file and line, the line of each later side, its
tag and its qualifier.  :mod:`.extract` finds the formulas of a document; this module cuts each
into equations:

* rows at ``\\\\`` (inside ``split``, ``aligned``, ``gathered``, ``alignedat`` and an ``array``
  that is the whole formula too; a matrix keeps its rows);
* a row that starts with a relation (``&= …``) continues the chain above it, and so does a row
  with no relation at all (a long right side broken over lines);
* a row holding two equations (``a = …, \\qquad z \\equiv …``) gives two snippets; a qualifier
  after the separator (``\\qquad l = L-1, \\ldots, 1``) stays with its equation;
* inline formulas are equations only with a relation in them and when they are not themselves a
  range or a binding (``$2 \\le l \\le L$``, ``$x = 1$``, ``$i = 1, \\ldots, N$``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EquationError
from .extract import MAX_EQUATIONS, Region, line_starts, markdown_regions, plain_regions, read_document, tex_regions
from .furniture import CONNECTIVE, STATEMENT, Furniture, Qualifier, blank, parse_qualifier, relations, strip_furniture

EQUATION = "equation"  # the origin of a snippet given as text, not read from a file

#: Relations that make an inline formula an equation (``$x \to \infty$`` is none).
_INLINE_RELATION = re.compile(r"(?<![<>!:=\\])=(?!=)|:=|\\equiv\b|\\approx\b|[≡≈≔]")
#: An inline statement of a size or a count (``$n_0 = 2$``, ``$m = 100$``), no claim about the network.
_SIZE = re.compile(r"\A\s*[A-Za-z](?:_\{?[\w+-]+\}?)?\s*=\s*\d+\s*\Z")
#: Environments whose rows are split into equations where they stand inside a formula (MathJax takes
#: ``align`` and ``gather`` inside ``$$…$$`` as well).
_TRANSPARENT = ("split", "aligned", "alignedat", "gathered", "array", "align", "gather", "eqnarray", "flalign",
                "multline", "equation")
_STRUCTURE = re.compile(r"\\begin\{(\w+)\*?\}(\s*\[[^\]]*\])?(\s*\{[^{}]*\})?|\\end\{(\w+)\*?\}"
                        r"|\\\\\*?(?:\s*\[[^\]]*\])?|(?<!\\)[{}]")


@dataclass(frozen=True)
class Snippet:
    """One equation as the checker reads it.

    ``text`` is the mathematics with the furniture removed; ``origin`` the file's name (or
    ``"equation"``); ``line`` the 1-based line of its left side and ``lines`` the line of each
    later side (one per relation, so a chain over alignment rows says where each side stands);
    ``tag`` the equation's tag or label (``BP1``, ``22``, ``a``; "" for none); ``qualifier`` the
    instances it claims, when the text restricts them; ``inline`` whether it stood in the prose.
    """

    text: str
    origin: str = EQUATION
    line: int = 1
    lines: tuple[int, ...] = ()
    tag: str = ""
    qualifier: Qualifier | None = None
    inline: bool = False

    @property
    def place(self) -> str:
        """Where it stands, for reports: ``notes.md:14 (BP1)``, or ``(BP1)`` for a given equation."""
        where = f"{self.origin}:{self.line}" if self.origin != EQUATION else ""
        tag = f"({self.tag})" if self.tag else ""
        return " ".join(part for part in (where, tag) if part)


@dataclass
class _Chain:
    """An equation being assembled from rows: its parts (text, offset) and the row's furniture."""

    parts: list[tuple[str, int]] = field(default_factory=list)
    tag: str = ""
    qualifier: Qualifier | None = None


# -- documents ---------------------------------------------------------------------------------------------
def snippets_from_file(path: str | Path) -> list[Snippet]:
    """Every equation of a ``.tex``, ``.md`` or ``.txt`` file (others are read as LaTeX)."""
    path = Path(path)
    found = snippets_from_text(read_document(path), path.suffix.lower(), path.name)
    if not found:
        raise EquationError("no equations found (expected \\begin{equation}, align, \\[ \\], $$ $$, $ $, ```math "
                            "blocks, or lines with '=' in a .txt file)", str(path))
    if len(found) > MAX_EQUATIONS:
        raise EquationError(f"the file holds more than {MAX_EQUATIONS} equations, the most one check takes "
                            "(reading stopped there); split it", str(path))
    return found


def snippets_from_text(text: str, kind: str = ".tex", origin: str = EQUATION) -> list[Snippet]:
    """Every equation of a document's text; ``kind`` is its suffix (``.md``, ``.txt``, else LaTeX)."""
    if kind in (".md", ".markdown"):
        regions: Iterable[Region] = markdown_regions(text)
    elif kind == ".txt":
        regions = plain_regions(text)
    else:
        regions = tex_regions(text)
    starts = line_starts(text)
    found: list[Snippet] = []
    for region in regions:
        found += region_snippets(region, starts, origin)
        if len(found) > MAX_EQUATIONS:
            break  # the caller refuses the file; reading on would only cost time
    return found


def snippets_from_equation(text: str) -> list[Snippet]:
    """The equations of one ``--equation`` text: its furniture off, one snippet per equation
    (``a = b, \\qquad c = d`` gives two); display delimiters around it are allowed."""
    stripped = text.strip()
    if re.match(r"\$|\\\[|\\begin\{", stripped):
        found = [snippet for region in tex_regions(text) for snippet in region_snippets(region, line_starts(text))]
        if found:
            return found
    found = region_snippets(Region(text, 0), line_starts(text), keep_all=True)
    return found or [Snippet(stripped)]


def equations_from_file(path: str | Path) -> list[str]:
    """The texts of :func:`snippets_from_file`."""
    return [snippet.text for snippet in snippets_from_file(path)]


def equations_from_text(text: str, plain: bool = False) -> list[str]:
    """The texts of :func:`snippets_from_text` for LaTeX (or, with ``plain``, plain text)."""
    return [snippet.text for snippet in snippets_from_text(text, ".txt" if plain else ".tex")]


# -- one formula → snippets ------------------------------------------------------------------------------
def region_snippets(region: Region, starts: list[int], origin: str = EQUATION, *,
                    keep_all: bool = False) -> list[Snippet]:
    """The equations of one formula; without ``keep_all`` only those that are statements."""
    chains: list[_Chain] = []
    rows = region.rows if region.rows is not None else rows_of(region.body, region.offset)
    for text, offset in rows:
        _add_row(chains, text, offset)
    found = []
    for chain in chains:
        snippet = _snippet(chain, starts, origin, region)
        if snippet.text and (keep_all or _is_statement(snippet)):
            found.append(snippet)
    return found


def rows_of(body: str, offset: int) -> list[tuple[str, int]]:
    """The rows of a formula (text, offset): split at ``\\\\`` outside braces and matrices, the
    markers of transparent environments (``\\begin{aligned}``…) blanked."""
    chars = list(body)
    rows, row_start, braces, opaque = [], 0, 0, []
    for match in _STRUCTURE.finditer(body):
        token = match.group(0)
        if match.group(1):
            name = match.group(1)
            top = name != "array" or not body[:match.start()].strip()
            if name in _TRANSPARENT and top and not opaque:
                blank(chars, match.start(), match.end())
            else:
                opaque.append(name)
        elif match.group(4):
            if opaque and opaque[-1] == match.group(4):
                opaque.pop()
            elif not opaque:
                blank(chars, match.start(), match.end())
        elif token in "{}":
            braces += 1 if token == "{" else -1
        elif braces <= 0 and not opaque:  # a row break
            rows.append(("".join(chars[row_start:match.start()]), offset + row_start))
            row_start = match.end()
    rows.append(("".join(chars[row_start:]), offset + row_start))
    return rows


def _add_row(chains: list[_Chain], text: str, offset: int) -> None:
    furnished = strip_furniture(text)
    if not furnished.text:
        return
    found = relations(furnished.layout)
    starts_with_relation = bool(found) and not furnished.layout[:found[0]].strip()
    if chains and (starts_with_relation or not found):
        chains[-1].parts.append((text, offset))
        chains[-1].tag = chains[-1].tag or furnished.tag
        chains[-1].qualifier = chains[-1].qualifier or furnished.qualifier
        return
    for start, end in _equations_in(furnished):
        chains.append(_Chain([(text[start:end], offset + start)], furnished.tag, furnished.qualifier))


def _equations_in(furnished: Furniture) -> list[tuple[int, int]]:
    """Spans of the equations one row holds: split after a top-level ``,``/``\\qquad`` where what
    follows is an equation of its own (a relation, and not a qualifier)."""
    layout = furnished.layout
    cuts = [0]
    for position in _separators(layout):
        head, tail = layout[cuts[-1]:position], layout[position:]
        connective = CONNECTIVE.match(tail)
        if connective and relations(head) and relations(tail) and parse_qualifier(tail) is None:
            cuts.append(position)  # … \quad \text{where } σ'(z) = …: a second equation, the word is furniture
        elif relations(head) and relations(tail) and not _qualifier_like(tail):
            cuts.append(position)
    return [(start, end) for start, end in zip(cuts, cuts[1:] + [len(layout)], strict=True)]


def _separators(layout: str) -> list[int]:
    """Positions just after a top-level separator: ``,``, ``\\quad``, ``\\qquad``."""
    depth, found, index = 0, [], 0
    for match in re.finditer(r"[{(\[]|[})\]]|(?<!\\),|\\q?quad\b", layout):
        token = match.group(0)
        if token in "{([":
            depth += 1
        elif token in "})]":
            depth = max(0, depth - 1)
        elif depth == 0 and match.start() >= index:
            found.append(match.end())
            index = match.end()
    return found


def _qualifier_like(text: str) -> bool:
    text = text.strip()
    if parse_qualifier(text) is not None:
        return True
    # a qualifier followed by more furniture, or a sentence-like continuation
    return bool(re.match(r"(?:\\q?quad\b|\s)*(?:\\text\w*\s*\{|\\mbox\s*\{|\\forall\b|∀|\\ldots|\\dots)", text))


def _snippet(chain: _Chain, starts: list[int], origin: str, region: Region) -> Snippet:
    pieces = [(strip_furniture(text), offset) for text, offset in chain.parts]
    first = pieces[0]
    lead = len(first[0].layout) - len(first[0].layout.lstrip())
    line = _line(starts, first[1] + lead)
    later = tuple(_line(starts, offset + position) for furnished, offset in pieces
                  for position in relations(furnished.layout))
    text = " ".join(furnished.text for furnished, _ in pieces if furnished.text)
    tag = next((furnished.tag for furnished, _ in pieces if furnished.tag), "") or chain.tag or region.tag
    qualifier = next((furnished.qualifier for furnished, _ in pieces if furnished.qualifier), None) or chain.qualifier
    return Snippet(text, origin, line, later, tag, qualifier, region.inline)


def _line(starts: list[int], offset: int) -> int:
    return bisect_right(starts, offset)


def _is_statement(snippet: Snippet) -> bool:
    """Whether a found formula is an equation: a relation, and inline not a bare range or binding."""
    if not snippet.inline:
        return bool(relations(snippet.text, STATEMENT))
    return (bool(relations(snippet.text, _INLINE_RELATION)) and parse_qualifier(snippet.text) is None
            and not _SIZE.match(snippet.text))
