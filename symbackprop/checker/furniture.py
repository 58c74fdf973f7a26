"""Document furniture around one equation: what is on the page but is not the mathematics.

:func:`strip_furniture` takes the text of one equation as a document writes it and returns the
mathematics with the furniture removed, plus the furniture that carries meaning, as metadata:
the equation's **tag** (``\\tag{BP1}``, ``\\label{eq:x}``, a bare ``(22)`` or ``(BP1)`` number at
the end, ``\\text{(a)}``, ``\\rightarrow (A)``) and its **qualifier** (``\\text{for } 2 \\le l \\le
L-1``, ``(2 \\le l \\le L)``, ``l = L-1, \\ldots, 1``, ``\\forall l``), a :class:`Qualifier` with
its bounds.  Removed without a trace: ``\\nonumber``, trailing ``,`` ``.`` ``;``, spacing
(``\\quad``, ``\\,``), alignment ``&``, a trailing membership ``\\in \\mathbb{R}^{n_l}`` and a
wrapper around the whole equation (``\\mathbf{…}``, ``\\mathbb{…}``, ``\\boxed{…}``).

Removal never moves the rest: :attr:`Furniture.layout` is the input with every removed character
replaced by a space, so a position in it is a position in the document (the source stage finds
each side's line that way).  A parenthesised factor is never a tag: a tag is a number- or
label-like token at the very end, set off by spacing; a single letter ``(a)`` only after explicit
spacing (``\\quad``, ``&``) or inside ``\\text{…}``.  End patterns look at the last
:data:`WINDOW` characters only, so a long equation costs linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: How far from the end tags, punctuation and qualifiers are looked for.
WINDOW = 400

_SPACING = r"(?:\\[,;:! ]|\\q?quad\b|\\hfill\b|\\hspace\*?\{[^{}]*\}|~|&|\s)"
_LABELLIKE = r"(?:\d+(?:\.\d+)*[a-z]?|[A-Za-z]{1,4}\d+[a-z]?(?:\.\d+)*)"
_LETTER = r"(?:[A-Za-z]|[ivx]{1,4})"
_TEXT = r"\\(?:text|textrm|mbox|textbf|mathrm|rm)\s*"
_ARROW = r"\\(?:rightarrow|Rightarrow|longrightarrow|Longrightarrow|to)\b"

#: (pattern at the end, group holding the tag, priority): the lowest priority wins.
_TAG_ENDINGS = (
    (re.compile(_ARROW + r"\s*\(\s*(?:\\math(?:bf|rm)\s*\{\s*)?(" + _LABELLIKE + "|" + _LETTER
                + r")\s*\}?\s*\)\s*\Z"), 1),
    (re.compile(_TEXT + r"\{\s*\(\s*(" + _LABELLIKE + "|" + _LETTER + r")\s*\)\s*\}\s*\Z"), 1),
    (re.compile(r"(?:\\eqno|\\leqno)\s*\(?\s*(" + _LABELLIKE + "|" + _LETTER + r")\s*\)?\s*\Z"), 1),
    (re.compile(r"(?:\\q?quad\b|\\hfill\b|&)\s*\(\s*(?:\\math(?:bf|rm)\s*\{\s*)?(" + _LABELLIKE + "|"
                + _LETTER + r")\s*\}?\s*\)\s*\Z"), 1),
    (re.compile(r"(?<![\^_\s])(?:(?<=[,;])|\s)\s*\(\s*(?:\\math(?:bf|rm)\s*\{\s*)?(" + _LABELLIKE
                + r")\s*\}?\s*\)\s*\Z"), 2),
)
_TRAILING = re.compile(r"(?:" + _SPACING + r"|(?<!\\)[.,;]|\\[.,;])+\Z")
_MEMBERSHIP = re.compile(r"(?:\\in|∈)\s*(?:\\mathbb\s*\{?\s*R\s*\}?|\\R\b|ℝ|\\mathcal\s*\{?\s*R\s*\}?)"
                         r"(?:\s*\^\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\S))?\s*\Z")
_WRAPPERS = re.compile(r"\s*\\(?:mathbf|mathbb|boxed|bm|boldsymbol|fbox)\s*\{")
_GLOBAL_TAG = re.compile(r"\\tag\*?\s*\{([^{}]*)\}")
_GLOBAL_LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
_GLOBAL_DROP = re.compile(r"\\nonumber\b|\\notag\b|\\displaystyle\b|\\textstyle\b")
#: A remark in words at the end, set off by spacing: ``\\quad \\text{(squared error, one sample)}``.
_REMARK = re.compile(r"(?:" + _SPACING + r"|(?<!\\)[,;])+" + _TEXT + r"\{\s*\(?\s*[A-Za-z][A-Za-z'’\-]+"
                     r"(?:[\s,;:.]+[A-Za-z'’\-]+)+\s*\.?\)?\s*\}\s*\Z")
_RELATIONS = re.compile(r"(?<![<>!:=\\])=(?!=)|:=|\\equiv\b|\\coloneqq\b|≡|≔"
                        r"|\\(?:overset|stackrel)\s*\{[^{}]*(?:\{[^{}]*\}[^{}]*)?\}\s*\{\s*=")
#: Every relation that makes a statement: the sides' relations, arrows of update rules and ≈.
STATEMENT = re.compile(_RELATIONS.pattern + r"|\\approx\b|\\to\b|\\rightarrow\b|\\leftarrow\b|\\gets\b"
                       r"|\\mapsto\b|[≈←→⟵]")
#: A word joining a second equation to the first: ``\\quad \\text{where } σ'(z) = …``.
CONNECTIVE = re.compile(r"\s*(?:\\q?quad\b\s*)*" + _TEXT + r"\{\s*(?:where|and|with|since|so that|i\.e\.,?|"
                        r"because|hence|thus)\s*,?\s*\}")
_LEADING = re.compile(r"\A(?:" + _SPACING + r"|" + CONNECTIVE.pattern + r")+")


@dataclass(frozen=True)
class Qualifier:
    """A restriction of the instances an equation claims (``for 2 ≤ l ≤ L−1``).

    ``text`` is the qualifier as written; ``variable`` the letter it restricts (None when it names
    none); ``low`` and ``high`` the bounds as written, in the text's own layer numbering (``2``,
    ``L-1``; None when open).  :meth:`bounds` evaluates them for a network whose output layer is
    numbered ``last``; a bound that is not an integer or affine in ``L`` stays open.
    """

    text: str
    variable: str | None = None
    low: str | None = None
    high: str | None = None

    def bounds(self, last: int) -> tuple[int | None, int | None]:
        low, high = _affine(self.low, last), _affine(self.high, last)
        if low is not None and high is not None and low > high:  # written downwards: l = L-1, …, 1
            low, high = high, low
        return low, high

    def admits(self, value: int, last: int) -> bool:
        low, high = self.bounds(last)
        return (low is None or value >= low) and (high is None or value <= high)


@dataclass(frozen=True)
class Furniture:
    """One equation with its furniture taken off: ``text`` the mathematics (spaces collapsed),
    ``layout`` the input with the removed characters blanked (same length), the tag and qualifier."""

    layout: str
    tag: str = ""
    qualifier: Qualifier | None = None

    @property
    def text(self) -> str:
        return " ".join(self.layout.split())


def strip_furniture(text: str) -> Furniture:
    """The mathematics of one equation, its tag and its qualifier (see the module docstring)."""
    chars = list(text)
    tags: list[tuple[int, str]] = []
    for priority, pattern in ((0, _GLOBAL_TAG), (3, _GLOBAL_LABEL)):
        for match in pattern.finditer(text):
            tags.append((priority, match.group(1).strip()))
            blank(chars, match.start(), match.end())
    for match in _GLOBAL_DROP.finditer(text):
        blank(chars, match.start(), match.end())
    for index in _alignment_marks(text):
        chars[index] = " "
    for start, end in _boxes(text):
        blank(chars, start, end)
    qualifier = None
    for _ in range(64):  # each round removes something; a handful suffice
        layout = "".join(chars)
        step = _peel(layout)
        if step is None:
            break
        spans, tag, found = step
        if tag:
            tags.append(tag)
        qualifier = qualifier or found
        for start, end in spans:
            blank(chars, start, end)
    tag = min(tags)[1] if tags else ""
    return Furniture("".join(chars), tag, qualifier)


_BOX = re.compile(r"\\(?:boxed|fbox|bbox(?:\s*\[[^\]]{0,40}\])?)\s*\{")


def _boxes(text: str) -> list[tuple[int, int]]:
    """The command-and-brace spans of each box around a whole equation (``\\boxed{δ^L = …} \\qquad
    \\boxed{δ^l = …}``), so that the equations stand at the top level, where rows are split."""
    spans, depths = [], _depths(text)
    for match in _BOX.finditer(text):
        if depths[match.start()] != 0:  # inside another group: an unclosed box is found once, not each time
            continue
        close = _matching_brace(text, match.end() - 1)
        if close is None or not _relation_in(text[match.end():close]):
            continue
        spans += [(match.start(), match.end()), (close, close + 1)]
    return spans


_ENVIRONMENT = re.compile(r"\\begin\s*\{|\\end\s*\{|(?<!\\)&")


def _alignment_marks(text: str) -> list[int]:
    """Positions of the alignment ``&`` outside every environment (a matrix keeps its cells)."""
    found, depth = [], 0
    for match in _ENVIRONMENT.finditer(text):
        token = match.group(0)
        if token == "&":
            if depth == 0:
                found.append(match.start())
        else:
            depth = depth + 1 if token.startswith("\\begin") else max(0, depth - 1)
    return found


def blank(chars: list[str], start: int, end: int) -> None:
    """Replace ``chars[start:end]`` by spaces, keeping the line breaks (so positions and lines stay)."""
    for index in range(start, end):
        if chars[index] != "\n":
            chars[index] = " "


Peeled = tuple[list[tuple[int, int]], tuple[int, str] | None, Qualifier | None]


def _peel(layout: str) -> Peeled | None:
    """The next piece of furniture at the end (or a wrapper around everything): its span, the
    tag it gives (with its priority) and the qualifier it gives, or None when none is left."""
    if (lead := _LEADING.match(layout)) and layout[:lead.end()].strip():
        return [(0, lead.end())], None, None
    end = len(layout.rstrip())
    base = max(0, end - WINDOW)
    tail = layout[base:end]
    if (match := _TRAILING.search(tail)) and match.start() < len(tail):
        return [(base + match.start(), end)], None, None
    for pattern, priority in _TAG_ENDINGS:
        if (match := pattern.search(tail)) and _relation_in(layout[:base + match.start()]):
            return [(base + match.start(), end)], (priority, match.group(1)), None
    if (match := _MEMBERSHIP.search(tail)) and _relation_in(layout[:base + match.start()]):
        return [(base + match.start(), end)], None, None
    if found := _trailing_qualifier(layout, base, tail):
        start, qualifier = found
        return [(start, end)], None, qualifier
    if (match := _REMARK.search(tail)) and _relation_in(layout[:base + match.start()]):
        return [(base + match.start(), end)], None, None
    return _wrapper(layout)


def _wrapper(layout: str) -> Peeled | None:
    """A ``\\mathbf{…}`` (``\\boxed``, ``\\mathbb``…) around the whole equation: the command with its
    opening brace and the closing brace."""
    match = _WRAPPERS.match(layout)
    if not match:
        return None
    close = _matching_brace(layout, match.end() - 1)
    if close is None or layout[close + 1:].strip() or not _relation_in(layout[match.end():close]):
        return None
    return [(match.start(), match.end()), (close, close + 1)], None, None


def _matching_brace(text: str, opening: int) -> int | None:
    depth = 0
    for index in range(opening, len(text)):
        char = text[index]
        if char == "\\":
            continue
        if char == "{" and text[index - 1] != "\\":
            depth += 1
        elif char == "}" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return index
    return None


def relations(layout: str, pattern: re.Pattern = _RELATIONS) -> list[int]:
    """Positions of the relations between sides (``=``, ``:=``, ``\\equiv``; or those of ``pattern``)
    outside every bracket."""
    found = []
    depths = _depths(layout)
    for match in pattern.finditer(layout):
        if depths[match.start()] == 0:
            found.append(match.start())
    return found


def _relation_in(text: str) -> bool:
    return bool(relations(text, STATEMENT))


def _depths(text: str) -> list[int]:
    """The bracket depth at each character: ``{}``, ``()``, ``[]`` (escaped braces too)."""
    depths, depth = [], 0
    for char in text:
        if char in "{([":
            depths.append(depth)
            depth += 1
        elif char in "})]":
            depth = max(0, depth - 1)
            depths.append(depth)
        else:
            depths.append(depth)
    return depths


#: Where a qualifier may begin: after a separator, or at a word that starts one.
_SEPARATORS = re.compile(r"(?:,|;|\\q?quad\b|\\[,;:])")
_QUALIFIER_STARTS = re.compile(_SEPARATORS.pattern + "|" + _TEXT + r"\{|\\forall\b|∀|(?<![\\A-Za-z])for\b|\(")


def _trailing_qualifier(layout: str, base: int, tail: str) -> tuple[int, Qualifier] | None:
    """The longest qualifier that ends the equation, after a top-level separator, with a
    relation still before it (the equation itself is never taken for its qualifier)."""
    depths = _depths(tail)
    for match in _QUALIFIER_STARTS.finditer(tail):
        if depths[match.start()] != 0:
            continue
        separator = _SEPARATORS.fullmatch(match.group(0)) is not None
        candidate = tail[match.end():] if separator else tail[match.start():]
        qualifier = parse_qualifier(candidate)
        if qualifier is not None and _relation_in(layout[:base + match.start()]):
            return base + match.start(), qualifier
    return None


_LE = r"(?:\\leq?slant\b|\\leq?\b|≤|⩽|<=|<|\\lt\b)"
_GE = r"(?:\\geq?slant\b|\\geq?\b|≥|⩾|>=|>|\\gt\b)"
_DOTS = r"(?:\\[lc]?dots\b|\\dotsc\b|…|\.\.\.|⋯)"
_BOUND = r"\s*([A-Za-z0-9_{}+\-−–\s]*?)\s*"
_VAR = r"([A-Za-z])"
_INNER_SPACING = re.compile(_SPACING.replace("|&", "").replace("|\\s", "") + "+")
_PREFIX = re.compile(r"\A\s*(?:" + _TEXT + r"\{\s*(?:for|with|where)?\s*(?:all|each|every)?\s*\$?\s*\}?"
                     r"|\\forall\b|∀|for\b(?:\s+(?:all|each|every)\b)?)?\s*")
_FORMS = (
    ("range", re.compile(r"\A" + _BOUND + _LE + r"\s*" + _VAR + r"\s*" + _LE + _BOUND + r"\Z")),
    ("below", re.compile(r"\A" + _VAR + r"\s*" + _LE + _BOUND + r"\Z")),
    ("above", re.compile(r"\A" + _VAR + r"\s*" + _GE + _BOUND + r"\Z")),
    ("list", re.compile(r"\A" + _VAR + r"\s*(?:=|\\in\s*\\\{)" + _BOUND + r"(?:,[^,]*)*?,\s*" + _DOTS
                        + r"\s*,?" + _BOUND + r"(?:\\\})?\Z")),
    ("value", re.compile(r"\A" + _VAR + r"\s*=\s*(-?\d+|L\s*(?:[-+−–]\s*\d+)?)\Z")),
    ("values", re.compile(r"\A" + _VAR + r"\s*(?:=|\\in\s*\\\{)\s*(\d+(?:\s*,\s*\d+)+)\s*(?:\\\})?\Z")),
    ("all", re.compile(r"\A" + _VAR + r"(?:\s*,\s*[A-Za-z])*(?:\s*\\in\b.*)?\Z")),  # \forall l, j
)


def parse_qualifier(text: str) -> Qualifier | None:
    """``text`` read as a qualifier (``for 2 ≤ l ≤ L−1``, ``(2\\le l\\le L)``, ``l = L-1, …, 1``,
    ``\\forall l``), or None when it is not one."""
    source = " ".join(_INNER_SPACING.sub(" ", text).split()).rstrip(".,;").strip()
    prefix = _PREFIX.match(source)
    body = source[prefix.end():].strip()
    if prefix.group(0).strip().startswith("\\"):
        body = body.removesuffix("$}").removesuffix("}").strip()
    if body.startswith("("):
        if not body.endswith(")"):
            return None
        body = body[1:-1].strip()
    if not body or len(body) > 80:
        return None
    for form, pattern in _FORMS:
        match = pattern.match(body)
        if not match:
            continue
        if form == "all" and not prefix.group(0).strip():
            return None  # a bare letter is mathematics, not a qualifier
        if form == "values" and not _consecutive(_values(match.group(2))):
            return None  # l = 1, 3 is no range of layers: kept as mathematics, never read as 1 ≤ l ≤ 3
        return _qualifier(form, match, body)
    return None


def _values(text: str) -> list[int]:
    return [int(value) for value in text.split(",")]


def _consecutive(values: list[int]) -> bool:
    return values == list(range(values[0], values[0] + len(values)))


def _qualifier(form: str, match: re.Match, source: str) -> Qualifier:
    groups = [group.strip() if group else group for group in match.groups()]
    if form == "range":
        low, variable, high = groups
        strict = re.findall(_LE, match.group(0))
        return Qualifier(source, variable, _strict(low, strict[0], +1), _strict(high, strict[-1], -1))
    if form == "below":
        return Qualifier(source, groups[0], None, _strict(groups[1], match.group(0), -1))
    if form == "above":
        return Qualifier(source, groups[0], _strict(groups[1], match.group(0), +1, greater=True), None)
    if form == "list":
        return Qualifier(source, groups[0], groups[1], groups[2])
    if form == "value":
        return Qualifier(source, groups[0], groups[1], groups[1])
    if form == "values":
        values = _values(groups[1])
        return Qualifier(source, groups[0], str(values[0]), str(values[-1]))
    return Qualifier(source, groups[0])


def _strict(bound: str, relation: str, shift: int, greater: bool = False) -> str:
    strict = (re.search(r"(?<![<>])[<>](?!=)|\\[lg]t\b", relation) is not None
              and not re.search(r"\\[lg]eq?|[≤≥⩽⩾]|[<>]=", relation))
    if not strict:
        return bound
    return f"{bound}+1" if shift > 0 else f"{bound}-1"


_AFFINE = re.compile(r"\s*([-+−–]?)\s*(\d+|L)\s*")


def _affine(text: str | None, last: int) -> int | None:
    """An integer or an affine expression in ``L`` (``L-1``, ``2``, ``L+1``) at ``L = last``."""
    if text is None:
        return None
    total, position, text = 0, 0, text.strip()
    if not text:
        return None
    while position < len(text):
        match = _AFFINE.match(text, position)
        if not match or match.end() == position or (position and not match.group(1)):
            return None
        value = last if match.group(2) == "L" else int(match.group(2))
        total += -value if match.group(1) in ("-", "−", "–") else value
        position = match.end()
    return total
