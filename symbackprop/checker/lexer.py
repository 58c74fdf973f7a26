"""The checker's lexer: LaTeX or plain text of one equation → a list of :class:`Token`.

Kinds: ``NAME`` (a letter run with optional trailing digits: ``a``, ``delta``, ``w2``; a
decorated letter by its canonical LaTeX: ``\\hat{y}``, ``\\mathcal{L}``), ``NUMBER``,
``SUB`` / ``SUP`` (the raw text of a subscript or superscript, braces removed, with the column
where that text starts), ``CMD`` (a LaTeX command that means something: ``frac``, ``partial``,
``sum``, ``nabla``, ``one`` for the indicator/ones \\mathbb{1}…), ``OP`` (``+ - * / ( ) [ ] { }
\\{ \\} , ' | ‖ hadamard cdot dots & \\\\``, the relations ``= := equiv approx ->`` and the
comparisons ``< > <= >= !=``), ``BEGIN`` / ``ENDENV`` (a matrix environment), ``UNKNOWN`` (a
command nobody here knows: the parser turns it into a node the checker reports) and ``END``.

What only arranges the page is dropped: ``\\left``/``\\right``/``\\bigl``… before a delimiter,
spacing, ``\\tag``/``\\label`` with their argument, font switches (``{\\rm b}``), alignment
``&`` and the row breaks of ``aligned``/``split`` blocks that continue a chain, a font command
wrapped round a whole equation (``\\mathbf{δ^L = …}``), the ``\\raise…\\hbox`` slanted fraction of
equation-editor exports (read as ``(1)/(2)``).  Greek letters and operators may be written as
commands or as Unicode (``−`` and ``–`` are minus signs, ``²`` and ``ᵀ`` superscripts).  Every
token keeps its column (1-based) for error messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import EquationError

GREEK = ("alpha", "beta", "gamma", "Gamma", "delta", "Delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
         "Theta", "vartheta", "iota", "kappa", "lambda", "Lambda", "mu", "nu", "xi", "Xi", "pi", "Pi", "rho",
         "varrho", "sigma", "Sigma", "tau", "upsilon", "Upsilon", "phi", "Phi", "varphi", "chi", "psi", "Psi",
         "omega", "Omega", "ell")
UNICODE_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "Γ": "Gamma", "δ": "delta", "Δ": "Delta",
                 "ε": "varepsilon", "ϵ": "epsilon", "ζ": "zeta", "η": "eta", "θ": "theta", "Θ": "Theta",
                 "ι": "iota", "κ": "kappa", "λ": "lambda", "Λ": "Lambda", "μ": "mu", "ν": "nu", "ξ": "xi",
                 "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "varphi",
                 "ϕ": "phi", "Φ": "Phi", "χ": "chi", "ψ": "psi", "Ψ": "Psi", "ω": "omega", "Ω": "Omega",
                 "ℓ": "ell"}
#: Commands and Unicode characters that stand for a name.
NAMES = {**{letter: letter for letter in GREEK}, **UNICODE_GREEK,
         "exp": "exp", "log": "log", "ln": "log", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh",
         "max": "max", "min": "min", "𝓛": r"\mathcal{L}", "ℒ": r"\mathcal{L}", "ŷ": r"\hat{y}"}
#: Commands and characters that are operators.
OPERATORS = {"odot": "hadamard", "circ": "hadamard", "⊙": "hadamard", "∘": "hadamard", "cdot": "cdot",
             "times": "cdot", "ast": "*", "·": "cdot", "×": "cdot", "−": "-", "–": "-", "prime": "'",
             "′": "'", "cdots": "dots", "dots": "dots", "ldots": "dots", "dotsb": "dots", "dotsm": "dots",
             "⋯": "dots", "…": "dots", "le": "<=", "leq": "<=", "leqslant": "<=", "≤": "<=", "ge": ">=",
             "geq": ">=", "geqslant": ">=", "≥": ">=", "lt": "<", "gt": ">", "ne": "!=", "neq": "!=",
             "≠": "!=", "equiv": "equiv", "≡": "equiv", "approx": "approx", "≈": "approx",
             "coloneqq": ":=", "≔": ":=", "rightarrow": "->", "to": "->", "→": "->", "leftarrow": "<-",
             "gets": "<-", "←": "<-", "|": "‖", "Vert": "‖", "lVert": "‖", "rVert": "‖", "‖": "‖",
             "vert": "|", "lvert": "|", "rvert": "|", "{": r"\{", "}": r"\}", "lbrace": r"\{",
             "rbrace": r"\}", "lbrack": "[", "rbrack": "]"}
#: Commands with a meaning of their own.
COMMANDS = {"frac", "dfrac", "tfrac", "cfrac", "partial", "sum", "nabla", "mathrm", "mathbf", "boldsymbol",
            "bm", "mathsf", "mathit", "mathbb", "operatorname", "text", "textrm", "textit", "mbox", "vec",
            "dot", "sqrt"}
UNICODE_COMMANDS = {"∂": "partial", "Σ": "sum", "∑": "sum", "∇": "nabla", "𝟙": "one"}
#: Commands that only arrange the page.
LAYOUT = {"left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
          "biggr", "Biggl", "Biggr", "bigm", "Bigm", "quad", "qquad", "displaystyle", "textstyle",
          "scriptstyle", "limits", "nolimits", ",", ";", "!", ":", " ", "nonumber", "notag", "mathord",
          "mathop", "mathbin", "mathrel", "mathpunct", "nulldelimiterspace", "enspace", "thinspace",
          "medspace", "thickspace", "negthinspace", "rm", "bf", "it", "sf", "mathstrut", "strut"}
#: Commands whose braced argument is dropped with them.
DROPPED = {"label", "tag", "hspace", "vspace", "phantom", "vphantom", "hphantom"}
#: Fonts the differential's d is set upright in (\\mathrm{d}C / \\mathrm{d}w).
UPRIGHT_D = {"mathrm", "text", "textrm", "operatorname", "rm"}
#: Colour commands: the colour is dropped, what it colours is read (\\color{red}{x}, {\\color{red} x},
#: \\textcolor{red}{x}); an optional colour model [rgb] goes with the colour.
COLOURS = {"color", "textcolor", "colorbox", "mathcolor"}
#: Annotations: the argument is read, the label under or over it dropped (\\underbrace{x}_{label},
#: \\overbrace{x}^{label}); \\underset{label}{x}, \\overset{label}{x}, \\stackrel{label}{x} read x.
BRACES = {"underbrace": "_", "overbrace": "^"}
SET_OVER = {"underset", "overset", "stackrel"}
#: Boxes and emphasis around part of an equation: the argument is read as a group.
BOXES = {"boxed", "fbox", "bbox", "bold", "mathbold"}
#: Commands followed by a dimension (\kern-2pt, \raise0.7ex), which is dropped with them.
DIMENSIONED = {"kern", "mkern", "hskip", "mskip", "raise", "lower"}
#: Font commands: their argument is read as written (\mathbf{a} is a).
FONT_COMMANDS = {"mathrm", "mathbf", "boldsymbol", "bm", "mathsf", "mathit", "mathbb", "operatorname", "text",
                 "textrm", "textit", "vec", "mathnormal", "pmb"}
#: Decorations that make another letter (\hat{y} is not y), named by their LaTeX.
DECORATIONS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
               "widetilde": "tilde", "mathcal": "mathcal", "mathscr": "mathcal", "check": "check"}
#: \mathbb{1} and its cousins: the indicator (or, with a size, the ones vector).
ONES = {"mathbb", "mathbf", "boldsymbol", "bm", "mathds", "mathbbm", "pmb"}
MATRICES = {"matrix", "bmatrix", "pmatrix", "Bmatrix", "vmatrix", "smallmatrix", "array"}
#: Environments that only arrange the page (their rows continue one chain, or are split before us).
LAYOUT_ENVIRONMENTS = {"aligned", "split", "align", "align*", "gathered", "gather", "gather*", "equation",
                       "equation*", "eqnarray", "eqnarray*", "multline", "multline*", "alignedat", "displaymath"}
SINGLE = set("+-*/=()[]{},'|<>?")
UNICODE_SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7",
                        "⁸": "8", "⁹": "9", "ᵀ": "T"}
_DIMENSION = re.compile(r"\s*[-+]?\s*(?:\d*\.?\d+\s*(?:ex|em|pt|mu|px|cm|mm|in|bp|sp)|\\[A-Za-z]+)")
#: What may follow the row break of an alignment block that continues one chain.
_CONTINUES = re.compile(r"[\s&]*(?:=|\+|-|−|–|:=|\\cdot\b|\\times\b|\\odot\b|\\equiv\b|\\end\b|$)")
DIGITS = "0123456789"
#: ``{}`` before a script: an empty group that only carries the script of what precedes it (a{}^T).
_EMPTY_GROUP = re.compile(r"\{\s*\}(?=\s*[\^_])")
#: An equation's number or label after spacing or an arrow, at its very end: \quad (30), \rightarrow (\mathbf{1.3}).
_TAG = re.compile(r"\s*\(\s*(?:\\mathbf\s*\{|\\textbf\s*\{|\\text\s*\{|\\rm\s+)?"
                  r"[A-Za-z]{0,4}\s*[0-9]*(?:\.[0-9]+)*[a-z]?\s*\}?\s*\)\s*[.,;]?\s*$")
#: An equation number at the end of a plain-text line, after a space: ``… b^l        (2)``, ``(BP1)``, ``(1.3)``.
_BARE_TAG = re.compile(r"\(\s*(?:[A-Z]{1,4}[0-9]*(?:\.[0-9]+)*|[0-9]+(?:\.[0-9]+)*[a-z]?)\s*\)\s*[.,;]?\s*$")
TAG_MARKS = {"quad", "qquad", "hfill", "rightarrow", "Rightarrow", "longrightarrow"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int
    #: where a SUB/SUP's text starts (1-based), so a script parsed on its own keeps its columns
    start: int = 0

    def describe(self) -> str:
        if self.kind == "END":
            return "the end of the equation"
        return f"'{self.text}' (column {self.column})"


class Lexer:
    def __init__(self, text: str, place: str) -> None:
        self.text = text
        self.place = place
        self.pos = 0
        self.tokens: list[Token] = []
        #: closing braces to replace (by a token text) or drop (None): \hbox{…}, \mathbf{A = B}
        self.closers: dict[int, str | None] = {}
        #: closing braces after which a label script is dropped (\underbrace{…}_{label}), with its marker
        self.labelled: dict[int, str] = {}
        self.environments: list[str] = []
        self.ell = ell_letter(text)

    def error(self, reason: str, column: int) -> EquationError:
        return EquationError(reason, f"{self.place}, column {column}")

    def add(self, kind: str, text: str, column: int, start: int = 0) -> None:
        self.tokens.append(Token(kind, text, column, start))

    def run(self) -> list[Token]:
        while self.pos < len(self.text):
            self._next(self.text[self.pos], self.pos + 1)
        if self.environments:
            raise self.error(f"\\begin{{{self.environments[-1]}}} without its \\end", len(self.text) + 1)
        self.add("END", "", len(self.text) + 1)
        return self.tokens

    def _next(self, char: str, column: int) -> None:  # noqa: C901 - one branch per kind of character
        text = self.text
        if self.pos in self.closers:
            replacement = self.closers.pop(self.pos)
            if replacement is not None:
                self.add("OP", replacement, column)
            self.pos += 1
            if self.pos - 1 in self.labelled:
                self._drop_label(self.labelled.pop(self.pos - 1), column)
        elif char == "{" and (empty := _EMPTY_GROUP.match(self.text, self.pos)) and self.tokens:
            self.pos = empty.end()  # X{}^T: the script belongs to X
        elif char.isspace() or char in "~$":
            self.pos += 1
        elif char == "&":
            if self._in_matrix():
                self.add("OP", "&", column)
            self.pos += 1
        elif char == "\\":
            self._command(column)
        elif char in "^_":
            self.pos += 1
            start, body = self._script(column, char)
            self.add("SUP" if char == "^" else "SUB", body, column, start)
        elif char in DIGITS or (char == "." and text[self.pos + 1:self.pos + 2].isdigit()):
            self._number(column)
        elif char == ".":
            self._period(column)
        elif char == ":" and text[self.pos + 1:self.pos + 2] == "=":
            self.add("OP", ":=", column)
            self.pos += 2
        elif char.isalpha() and char.isascii():
            end = self.pos
            while end < len(text) and text[end].isascii() and text[end].isalpha():
                end += 1
            while end < len(text) and text[end] in DIGITS:
                end += 1
            self._name(text[self.pos:end], column, end)
        elif char in UNICODE_SUPERSCRIPTS:
            self.add("SUP", UNICODE_SUPERSCRIPTS[char], column, column)
            self.pos += 1
        elif char in NAMES and not char.isascii():
            self._name(NAMES[char], column, self.pos + 1)
        elif char in OPERATORS and not char.isascii():
            self._operator(OPERATORS[char], column)
            self.pos += 1
        elif char in UNICODE_COMMANDS:
            self.add("CMD", UNICODE_COMMANDS[char], column)
            self.pos += 1
        elif char == "(" and self._bare_tag():
            self.pos = len(text)  # an equation's number, not a factor
        elif char == "|" and text[self.pos + 1:self.pos + 2] == "|":
            self.add("OP", "‖", column)  # ||y - a||: the norm as forum posts type it
            self.pos += 2
        elif char in SINGLE:
            self.add("OP", char, column)
            self.pos += 1
        else:
            raise self.error(f"unexpected character {char!r}", column)

    def _bare_tag(self) -> bool:
        """``(2)`` or ``(BP1)`` ending the text after a space, with an equation before it."""
        before = self.text[:self.pos]
        return before[-1:].isspace() and bool(before.strip()) and bool(_BARE_TAG.match(self.text, self.pos)) \
            and before.rstrip()[-1:] not in ("=", "+", "-", "−", "(", "/")

    def _name(self, name: str, column: int, end: int) -> None:
        """A name, decorated by a combining circumflex or bar after it (y\u0302 is ŷ)."""
        self.pos = end
        mark = self.text[end:end + 1]
        if mark in ("\u0302", "\u0304") and len(name) == 1:
            self.pos += 1
            name = rf"\{'hat' if mark == chr(0x302) else 'bar'}{{{name}}}"
        self.add("NAME", name, column)

    def _number(self, column: int) -> None:
        """Digits with at most one decimal point between digits (2. ends with the 2)."""
        text, end = self.text, self.pos
        while end < len(text) and text[end] in DIGITS:
            end += 1
        if text[end:end + 1] == "." and text[end + 1:end + 2] in tuple(DIGITS):
            end += 1
            while end < len(text) and text[end] in DIGITS:
                end += 1
        self.add("NUMBER", text[self.pos:end], column)
        self.pos = end

    def _period(self, column: int) -> None:
        """``.*`` is Octave's elementwise product, a ``.`` between factors a product, a final one punctuation."""
        text = self.text
        if text[self.pos + 1:self.pos + 2] == "*":
            self.add("OP", "hadamard", column)
            self.pos += 2
            return
        self.pos += 1
        rest = text[self.pos:]
        layout = re.match(r"\s*(?:\\(?:q?quad|hfill|[,;!])\s*)*", rest)
        tail = rest[layout.end():]
        if tail.strip() and not (layout.group().strip() and _TAG.match(tail)):
            self.add("OP", "cdot", column)

    def _operator(self, op: str, column: int) -> None:
        self.add("OP", op, column)

    def _in_matrix(self) -> bool:
        return bool(self.environments) and self.environments[-1] in MATRICES

    def _command_name(self) -> tuple[str, int]:
        """The name of the command at the cursor and where it ends."""
        text = self.text
        end = self.pos + 1
        while end < len(text) and text[end].isalpha():
            end += 1
        if end == self.pos + 1:  # \, \; \! \{ \} \| \\
            end += 1
        name = text[self.pos + 1:end]
        if name in ("tag", "operatorname") and text[end:end + 1] == "*":
            end += 1
        return name, end

    def _command(self, column: int) -> None:  # noqa: C901 - one branch per family of commands
        name, self.pos = self._command_name()
        if name in TAG_MARKS and _TAG.match(self.text, self.pos) and self.text[self.pos:].strip("(). ,;"):
            self.pos = len(self.text)  # an equation's number or label, not a factor
        elif name in ("left", "right") and self.text[self.pos:self.pos + 1] == ".":
            self.pos += 1
            if name == "left":  # \left. … \right|_{z = …}: where an evaluation bar's scope begins
                self.add("OP", "left.", column)
        elif name == "\\":
            self._row_break(column)
        elif name in ("begin", "end"):
            self._environment(name, column)
        elif name in DROPPED:
            self._group(column)
        elif name in COLOURS:
            self._colour(name, column)
        elif name in BRACES:
            self._rewrap("{", "}", column)
            self.labelled[max(self.closers)] = BRACES[name]
        elif name in SET_OVER:
            self._set_over(column)
        elif name in BOXES:
            self._options()
            wraps_equation = self._peek_group_has("=")
            self._rewrap(None if wraps_equation else "{", None if wraps_equation else "}", column)
        elif name in DIMENSIONED:
            match = _DIMENSION.match(self.text, self.pos)
            if match:
                self.pos = match.end()
        elif name in ("hbox", "mbox"):
            self._rewrap("(", ")", column)
        elif name == "mathord" and self._peek_group_has(r"\left/"):
            self._group(column)
            self.add("OP", "/", column)
        elif name in LAYOUT:
            pass
        elif name in DECORATIONS:
            self._decorated(DECORATIONS[name], column)
        elif name in ONES and self._peek_group_is("1"):
            self._group(column)
            self.add("CMD", "one", column)
        elif name in UPRIGHT_D and self._peek_group_is("d"):
            self._group(column)  # \mathrm{d}z: the differential's d, upright as typography asks
            self.add("NAME", "d", column)
        elif name in FONT_COMMANDS and self._peek_group_has("="):
            self._rewrap(None, None, column)
        elif name == "tag*":
            self._group(column)
        elif name == "operatorname*":
            self.add("CMD", "operatorname", column)
        elif name in NAMES:
            self._name(NAMES[name], column, self.pos)
        elif name in OPERATORS:
            self._operator(OPERATORS[name], column)
        elif name in COMMANDS:
            self.add("CMD", name, column)
            if name in ("frac", "dfrac", "tfrac"):
                self._frac_arguments()
        else:
            self.add("UNKNOWN", name, column)
            while self._skip_space() and self.text[self.pos:self.pos + 1] == "{":  # its arguments go with it
                self._group(column)

    def _set_over(self, column: int) -> None:
        """\\overset{label}{x}: x is read; over a relation (\\stackrel{(a)}{=}) the relation alone, and
        \\overset{?}{=} is the question relation '=?' (the text asks whether the sides are equal)."""
        label = self._group(column).strip()
        relation = (self._peek_group() or "").strip() == "="
        if relation and label == "?":
            self._group(column)
            self.add("OP", "=?", column)
            return
        self._rewrap(None if relation else "{", None if relation else "}", column)

    def _options(self) -> None:
        """An optional argument [..] at the cursor (a colour model, a box's style), dropped."""
        match = re.match(r"\s*\[[^\]]{0,40}\]", self.text[self.pos:])
        if match:
            self.pos += match.end()

    def _colour(self, name: str, column: int) -> None:
        """\\color{c} colours what follows; \\textcolor{c}{x} and \\colorbox{c}{x} colour x: the colour goes."""
        self._options()
        self._group(column)
        if name != "color":
            self._skip_space()
            if self.text[self.pos:self.pos + 1] == "{":
                self._rewrap("{", "}", column)

    def _drop_label(self, marker: str, column: int) -> None:
        """The label script after an \\underbrace/\\overbrace argument, if there is one."""
        match = re.match(r"\s*" + re.escape(marker), self.text[self.pos:])
        if match:
            self.pos += match.end()
            self._script(column, marker)

    def _skip_space(self) -> bool:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1
        return True

    def _frac_arguments(self) -> None:
        """\\frac12 and \\frac1m: TeX takes one character as an undelimited argument."""
        for _ in range(2):
            self._skip_space()
            char = self.text[self.pos:self.pos + 1]
            if not (char.isascii() and char.isalnum()):
                return
            column = self.pos + 1
            self.add("OP", "{", column)
            self.add("NUMBER" if char in DIGITS else "NAME", char, column)
            self.add("OP", "}", column)
            self.pos += 1
            if self.text[self.pos:self.pos + 1] != "{" and not self.text[self.pos:self.pos + 1].isalnum():
                return

    def _row_break(self, column: int) -> None:
        """``\\\\``: a new row of a matrix, a row of an alignment that continues the chain, or a new equation."""
        match = re.match(r"\s*\[[^\]]*\]", self.text[self.pos:])  # \\[4pt]
        if match:
            self.pos += match.end()
        if self._in_matrix() or not _CONTINUES.match(self.text, self.pos):
            self.add("OP", r"\\", column)

    def _environment(self, which: str, column: int) -> None:
        name = self._group(column).strip()
        if which == "end":
            if not self.environments or self.environments[-1] != name:
                expected = f"\\end{{{self.environments[-1]}}}" if self.environments else "no \\end"
                raise self.error(f"\\end{{{name}}} does not close its block: expected {expected}", column)
            self.environments.pop()
            if name in MATRICES:
                self.add("ENDENV", name, column)
            return
        self.environments.append(name)
        if name in MATRICES:
            if name == "array":
                self._group(column)  # the column specification {cc}
            self.add("BEGIN", name, column)
        elif name not in LAYOUT_ENVIRONMENTS:
            self.add("UNKNOWN", f"begin{{{name}}}", column)

    def _decorated(self, decoration: str, column: int) -> None:
        r"""\hat{y}, \hat y, \mathcal{L}: one name, its canonical LaTeX (\hat{y} is not y)."""
        self._skip_space()
        if self.text[self.pos:self.pos + 1] == "{":
            inner = self._group(column)
        elif self.text[self.pos:self.pos + 1] == "\\":
            name, end = self._command_name()
            inner, self.pos = "\\" + name, end
        else:
            inner, self.pos = self.text[self.pos:self.pos + 1], self.pos + 1
        letter = re.sub(r"\\(?:mathbf|boldsymbol|bm|mathrm|mathit|rm|bf)\b|[{}\s]", "", inner)
        if letter.startswith("\\") and letter[1:] in GREEK:
            letter = letter[1:]
        if not (len(letter) == 1 and letter.isalpha() or letter in GREEK):
            self.add("UNKNOWN", f"{decoration}{{{inner}}}", column)
            return
        shown = "\\" + letter if letter in GREEK else letter
        self.add("NAME", rf"\{decoration}{{{shown}}}", column)

    def _peek_group(self) -> str | None:
        """The text of the braced group at the cursor, without moving (None if there is none)."""
        saved = self.pos
        self._skip_space()
        if self.text[self.pos:self.pos + 1] != "{":
            self.pos = saved
            return None
        try:
            return self._group(self.pos + 1)
        finally:
            self.pos = saved

    def _peek_group_is(self, content: str) -> bool:
        group = self._peek_group()
        if group is None:  # \mathbb 1
            self._skip_space()
            return self.text[self.pos:self.pos + 1] == content and not self.text[self.pos + 1:self.pos + 2].isdigit()
        return group.strip() == content

    def _peek_group_has(self, needle: str) -> bool:
        group = self._peek_group()
        if group is None:
            return False
        if needle == "=":  # a relation at the group's own level: the command wraps a whole equation
            depth = 0
            for char in group:
                depth += {"{": 1, "}": -1}.get(char, 0)
                if char == "=" and depth == 0:
                    return True
            return False
        return needle in group

    def _rewrap(self, open_: str | None, close: str | None, column: int) -> None:
        """Read a command's braced argument in place, its braces replaced (or dropped)."""
        self._skip_space()
        if self.text[self.pos:self.pos + 1] != "{":
            raise self.error("expected '{'", self.pos + 1)
        start = self.pos
        self._group(column)
        self.closers[self.pos - 1] = close
        self.pos = start + 1
        if open_ is not None:
            self.add("OP", open_, column)

    def _group(self, column: int) -> str:
        """The text of a balanced {…} group at the cursor (braces removed)."""
        text = self.text
        self._skip_space()
        if text[self.pos:self.pos + 1] != "{":
            raise self.error("expected '{'", self.pos + 1)
        depth, start = 0, self.pos
        for index in range(self.pos, len(text)):
            if text[index] == "{" and text[index - 1:index] != "\\":
                depth += 1
            elif text[index] == "}" and text[index - 1:index] != "\\":
                depth -= 1
                if depth == 0:
                    self.pos = index + 1
                    return text[start + 1:index]
        raise self.error("unbalanced '{': expected '}' before the end of the equation", start + 1)

    def _script(self, column: int, marker: str) -> tuple[int, str]:
        """A sub/superscript and the column where its text starts: a braced group, a command
        (\\top, \\prime), or an unbraced run; a script ℓ (\\ell) is the letter l there, as in
        W^{[\\ell]} and \\sum_{\\ell} (see ell_letter)."""
        start, body = self._script_text(column, marker)
        return start, _SCRIPT_ELL.sub(self.ell, body).replace("ℓ", self.ell)

    def _script_text(self, column: int, marker: str) -> tuple[int, str]:
        """The script as written (see _script)."""
        text = self.text
        self._skip_space()
        if self.pos >= len(text):
            raise self.error(f"'{marker}' at the end: expected a {'superscript' if marker == '^' else 'subscript'}",
                             column)
        if text[self.pos] == "{":
            start = self.pos + 2
            body = _script_spacing(_minus_signs(self._group(column)))
            return start + len(body) - len(body.lstrip()), body.strip()
        if text[self.pos] in "([" and marker == "^":  # plain text: a^(l−1) is a^{(l−1)}, a^[l] is a^{[l]}
            start = self.pos + 1
            close = _closing_parenthesis(text, self.pos)
            if close is None:
                raise self.error("unbalanced '(' in the superscript: expected ')'", start)
            body, self.pos = _minus_signs(text[self.pos:close + 1]), close + 1
            return start, body
        start = self.pos + 1
        if text[self.pos] == "\\":
            end = self.pos + 1
            while end < len(text) and text[end].isalpha():
                end += 1
            body, self.pos = text[self.pos:end], end
            return start, body
        if marker == "^":  # LaTeX takes one character; a run of digits or ' counts as one
            end = self.pos + 1
            if text[self.pos] in DIGITS:
                while end < len(text) and text[end] in DIGITS:
                    end += 1
        else:  # people write w^l_jk and dC/dw2_11: a run of letters and digits
            end = self.pos
            while end < len(text) and (text[end].isascii() and text[end].isalnum() or text[end] == ","):
                end += 1
            if end == self.pos:
                raise self.error(f"expected a subscript after '_', found {text[self.pos]!r}", self.pos + 1)
        body, self.pos = text[self.pos:end], end
        return start, body


def _minus_signs(script: str) -> str:
    """A script's Unicode minus signs and dashes as '-' (a^{l−1} is a^{l-1}); the length stays."""
    return script.replace("−", "-").replace("–", "-")


_SCRIPT_ELL = re.compile(r"\s*\\ell(?![A-Za-z])\s*")  # with the spaces math mode drops
_COMMAND = re.compile(r"\\[A-Za-z]+")
_ANY_ELL = re.compile(r"\\ell(?![A-Za-z])|ℓ")
_SUMMED_ELL = re.compile(r"(?:\\sum|∑|Σ)\s*_\s*\{?\s*(?:\\ell(?![A-Za-z])|ℓ)")
_LETTER = re.compile(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])")


def ell_letter(text: str) -> str:
    """The letter a script ℓ stands for: the layer letter l, as in W^{[\\ell]}; where the equation
    sums over ℓ or writes a plain l as well, ℓ is a neuron index (\\sum_\\ell w_{j\\ell} \\delta_\\ell),
    and a letter the equation does not use stands for it."""
    used = set(_LETTER.findall(_COMMAND.sub(" ", text)))
    if "l" not in used and not _SUMMED_ELL.search(text):
        return "l"
    return next((letter for letter in "qrsuvpgh" if letter not in used), "l")


def ell_as_written(text: str) -> Callable[[str], str] | None:
    """Where a letter stands for a summed ℓ of ``text`` (ell_letter), what names it ℓ again in a message."""
    letter = ell_letter(text)
    if letter == "l" or not _ANY_ELL.search(text):
        return None
    stand_in = re.compile(rf"(?<![A-Za-z\\]){letter}(?![A-Za-z])")
    return lambda message: stand_in.sub("ℓ", message)


_SCRIPT_SPACING = re.compile(r"\\[,;:!](?![A-Za-z])")


def _script_spacing(script: str) -> str:
    """A script's spacing commands as spaces (a^{\\!\\top} is a^{\\top}); the length stays."""
    return _SCRIPT_SPACING.sub("  ", script)


def _closing_parenthesis(text: str, start: int) -> int | None:
    """Where the bracket opened at ``start`` (``(`` or ``[``) closes."""
    opening = text[start]
    closing = ")" if opening == "(" else "]"
    depth = 0
    for index in range(start, len(text)):
        depth += {opening: 1, closing: -1}.get(text[index], 0)
        if depth == 0:
            return index
    return None


def tokenize(text: str, place: str) -> list[Token]:
    return Lexer(text, place).run()
