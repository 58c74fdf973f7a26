"""The checker's lexer: LaTeX or plain text of one equation → a list of :class:`Token`.

Kinds: ``NAME`` (a letter run with optional trailing digits: ``a``, ``delta``, ``w2``),
``NUMBER``, ``SUB`` / ``SUP`` (the raw text of a subscript or superscript, braces removed),
``CMD`` (a LaTeX command that means something: ``frac``, ``partial``, ``sum``, ``nabla``…),
``OP`` (``+ - * / = ( ) [ ] { } , ' hadamard cdot``) and ``END``.  Layout commands
(``\\left``, ``\\,``, ``\\quad``…) are dropped; Greek letters and operators may be written
as commands or as Unicode.  Every token keeps its column (1-based) for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import EquationError

#: Commands and Unicode characters that stand for a name.
NAMES = {"delta": "delta", "sigma": "sigma", "theta": "theta", "Theta": "Theta", "Delta": "Delta",
         "δ": "delta", "σ": "sigma", "θ": "theta", "Θ": "Theta", "exp": "exp", "log": "log", "ln": "log",
         "tanh": "tanh"}
#: Commands that are operators.
OPERATORS = {"odot": "hadamard", "circ": "hadamard", "⊙": "hadamard", "∘": "hadamard", "cdot": "cdot",
             "times": "cdot", "·": "cdot", "×": "cdot", "−": "-", "prime": "'", "′": "'", "ᵀ": "^T"}
#: Commands with a meaning of their own.
COMMANDS = {"frac", "dfrac", "tfrac", "partial", "sum", "nabla", "top", "intercal", "mathrm", "mathbf",
            "boldsymbol", "bm", "mathsf", "mathit", "operatorname", "text", "vec"}
UNICODE_COMMANDS = {"∂": "partial", "Σ": "sum", "∑": "sum", "∇": "nabla"}
#: Commands that only arrange the page.
LAYOUT = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
          "quad", "qquad", "displaystyle", "textstyle", "limits", "nolimits", ",", ";", "!", ":", " ",
          "label", "nonumber", "notag"}
SINGLE = set("+-*/=()[]{},'|<>")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int

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

    def error(self, reason: str, column: int) -> EquationError:
        return EquationError(reason, f"{self.place}, column {column}")

    def run(self) -> list[Token]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            column = self.pos + 1
            if char.isspace() or char in "&~":
                self.pos += 1
            elif char == "\\":
                self._command(column)
            elif char in "^_":
                self.pos += 1
                body = self._script(column, char)
                kind = "SUP" if char == "^" else "SUB"
                self.tokens.append(Token(kind, body, column))
            elif char.isdigit() or (char == "." and text[self.pos + 1:self.pos + 2].isdigit()):
                end = self.pos
                while end < len(text) and (text[end].isdigit() or text[end] == "."):
                    end += 1
                self.tokens.append(Token("NUMBER", text[self.pos:end], column))
                self.pos = end
            elif char == "." and text[self.pos + 1:self.pos + 2] == "*":
                self.tokens.append(Token("OP", "hadamard", column))
                self.pos += 2
            elif char.isalpha() and char.isascii():
                end = self.pos
                while end < len(text) and text[end].isascii() and text[end].isalpha():
                    end += 1
                while end < len(text) and text[end].isdigit():
                    end += 1
                self.tokens.append(Token("NAME", text[self.pos:end], column))
                self.pos = end
            elif char in NAMES:
                self.tokens.append(Token("NAME", NAMES[char], column))
                self.pos += 1
            elif char in OPERATORS:
                self._operator(OPERATORS[char], column)
                self.pos += 1
            elif char in UNICODE_COMMANDS:
                self.tokens.append(Token("CMD", UNICODE_COMMANDS[char], column))
                self.pos += 1
            elif char in SINGLE:
                self.tokens.append(Token("OP", char, column))
                self.pos += 1
            else:
                raise self.error(f"unexpected character {char!r}", column)
        self.tokens.append(Token("END", "", len(text) + 1))
        return self.tokens

    def _operator(self, op: str, column: int) -> None:
        if op == "^T":
            self.tokens.append(Token("SUP", "T", column))
        else:
            self.tokens.append(Token("OP", op, column))

    def _command(self, column: int) -> None:
        text = self.text
        end = self.pos + 1
        while end < len(text) and text[end].isalpha():
            end += 1
        if end == self.pos + 1:  # \, \; \! \{ \}
            end += 1
        name = text[self.pos + 1:end]
        self.pos = end
        if name in ("{", "}"):
            self.tokens.append(Token("OP", name, column))
        elif name in ("label",):
            self._group(column)
        elif name in LAYOUT:
            if name in ("left", "right") and text[self.pos:self.pos + 1] == ".":
                self.pos += 1
        elif name in NAMES:
            self.tokens.append(Token("NAME", NAMES[name], column))
        elif name in OPERATORS:
            self._operator(OPERATORS[name], column)
        elif name in COMMANDS:
            self.tokens.append(Token("CMD", name, column))
        else:
            raise self.error(f"unknown command '\\{name}'; expected one of \\frac, \\partial, \\delta, "
                             "\\sigma, \\theta, \\sum, \\odot, \\circ, \\cdot, \\left, \\right", column)

    def _group(self, column: int) -> str:
        """The text of a balanced {…} group at the cursor (braces removed)."""
        text = self.text
        while self.pos < len(text) and text[self.pos] == " ":
            self.pos += 1
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

    def _script(self, column: int, marker: str) -> str:
        """A sub/superscript: a braced group, a command (\\top, \\prime), or an unbraced run."""
        text = self.text
        while self.pos < len(text) and text[self.pos] == " ":
            self.pos += 1
        if self.pos >= len(text):
            raise self.error(f"'{marker}' at the end: expected a {'superscript' if marker == '^' else 'subscript'}",
                             column)
        if text[self.pos] == "{":
            return self._group(column).strip()
        if text[self.pos] == "\\":
            end = self.pos + 1
            while end < len(text) and text[end].isalpha():
                end += 1
            body, self.pos = text[self.pos:end], end
            return body
        if marker == "^":  # LaTeX takes one character; a run of digits or ' counts as one
            end = self.pos + 1
            if text[self.pos].isdigit():
                while end < len(text) and text[end].isdigit():
                    end += 1
        else:  # people write w^l_jk and dC/dw2_11: a run of letters and digits
            end = self.pos
            while end < len(text) and (text[end].isascii() and text[end].isalnum() or text[end] == ","):
                end += 1
            if end == self.pos:
                raise self.error(f"expected a subscript after '_', found {text[self.pos]!r}", self.pos + 1)
        body, self.pos = text[self.pos:end], end
        return body


def tokenize(text: str, place: str) -> list[Token]:
    return Lexer(text, place).run()
