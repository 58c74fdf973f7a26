"""A recursive-descent parser for backprop equations in LaTeX or plain form.

The grammar (tokens from :mod:`.lexer`; juxtaposition is multiplication)::

    equation := expr ("=" expr)+ END
    expr     := ["+" | "-"] term (("+" | "-") term)*
    term     := product (hadamard product)*           (⊙, ∘, .* bind more loosely than products)
    product  := postfix (("*" | cdot | "/" | <juxtaposition>) postfix)*
    postfix  := primary (SUP | "'")*             SUP T/\\top → transpose, SUP number → power
              | "1" SUB                          \\mathbf{1}_m, the column of ones
    primary  := NUMBER | "(" expr ")" | "[" expr "]" | "{" expr "}"
              | frac | partial | sum | nabla | font "{" … "}" | function | symbol
    frac     := \\frac "{" expr "}" "{" expr "}"    (\\partial on top: a partial derivative)
    partial  := \\frac{\\partial C}{\\partial symbol} | \\frac{\\partial}{\\partial symbol} J(…)
              | dC/dsymbol | ∂C/∂symbol
    sum      := \\sum SUB [SUP] term                 (the body runs to the end of the term)
    nabla    := \\nabla SUB C                        (∇_a C: the gradient in the output activations, ∇_A C of a batch;
                                                  ∇_{W^l} C, ∇_{b^l} C: a partial, as a left side)
    function := (sigma | g | exp | log | tanh | diag) ["'"] "(" expr ")"
    symbol   := NAME [SUB] [SUP] ["'"]               (sub- and superscripts in either order)

The result is a tree of the small immutable nodes below; nothing in the user's text is ever
evaluated as code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import EquationError
from .lexer import Token, tokenize

FUNCTIONS = {"sigma", "g", "exp", "log", "tanh", "diag"}
FONTS = {"mathrm", "mathbf", "boldsymbol", "bm", "mathsf", "mathit", "operatorname", "text", "vec"}
TRANSPOSE = {"T", r"\top", r"\intercal", r"\mathrm{T}", r"\mathsf{T}", r"\mathsf T", r"\mathrm T", "t", "{T}"}
PRIME = {"'", r"\prime", "′"}


@dataclass(frozen=True)
class Node:
    column: int


@dataclass(frozen=True)
class Num(Node):
    text: str


@dataclass(frozen=True)
class Sym(Node):
    name: str
    sup: str | None = None
    sub: str | None = None

    @property
    def bare(self) -> bool:
        """No scripts: a name such as a file's own ``s``, not a network quantity."""
        return self.sup is None and self.sub is None

    @property
    def letter(self) -> str:
        """The name as LaTeX: ``\\delta`` for delta."""
        return _LETTERS.get(self.name, self.name)

    def latex(self) -> str:
        """The symbol as LaTeX, with its scripts as written: ``\\delta^{l}_{j}``."""
        return self.letter + (f"^{{{self.sup}}}" if self.sup else "") + (f"_{{{self.sub}}}" if self.sub else "")


@dataclass(frozen=True)
class Func(Node):
    name: str
    prime: bool
    arg: Node


@dataclass(frozen=True)
class Partial(Node):
    cost: str
    wrt: Sym


@dataclass(frozen=True)
class NodePartial(Node):
    """∂a^l_k/∂z^l_j and the like: one network quantity by another, a step of the chain rule."""

    of: Sym
    wrt: Sym


@dataclass(frozen=True)
class Nabla(Node):
    wrt: str


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class Bin(Node):
    op: str  # "+", "-", "*", "/", "hadamard"
    left: Node
    right: Node


@dataclass(frozen=True)
class Transpose(Node):
    arg: Node


@dataclass(frozen=True)
class Power(Node):
    arg: Node
    exponent: int


@dataclass(frozen=True)
class Ones(Node):
    """The column of ones \\mathbf{1}_m (the batch's sum as a product)."""

    size: str


@dataclass(frozen=True)
class Indicator(Node):
    """The Iverson bracket [i = j] (1 when the indices agree, else 0), as in \\mathbf{1}[i = j]."""

    left: str
    right: str


@dataclass(frozen=True)
class Component(Node):
    """Entry ``index`` of a bracketed vector: ((W^{l+1})^T δ^{l+1})_j."""

    arg: Node
    index: str


@dataclass(frozen=True)
class Sum(Node):
    var: str
    upper: str | None
    body: Node


@dataclass(frozen=True)
class Equation:
    text: str
    sides: tuple[Node, ...]  # the left side first, then every right side


_LETTERS = {"delta": r"\delta", "theta": r"\theta", "Theta": r"\Theta", "Delta": r"\Delta"}
_STARTS = {"NAME", "NUMBER", "CMD"}
MAX_LENGTH = 5000
MAX_DEPTH = 100
MAX_EXPONENT = 64


class Parser:
    def __init__(self, text: str, place: str) -> None:
        if len(text) > MAX_LENGTH:
            raise EquationError(f"the equation is {len(text)} characters long: expected at most {MAX_LENGTH}", place)
        self.text = text
        self.place = place
        self.tokens = tokenize(text, place)
        self.pos = 0
        self.depth = 0

    # -- helpers ----------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.token
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        return self.token.kind == kind and (text is None or self.token.text == text)

    def error(self, expected: str, token: Token | None = None) -> EquationError:
        token = token or self.token
        return EquationError(f"expected {expected}, found {token.describe()}",
                             f"{self.place}, column {token.column}")

    def expect(self, kind: str, text: str, expected: str | None = None) -> Token:
        if not self.at(kind, text):
            raise self.error(expected or f"'{text}'")
        return self.advance()

    # -- grammar ----------------------------------------------------------------------------
    def equation(self) -> Equation:
        sides = [self.expr()]
        if not self.at("OP", "="):
            raise self.error("'=' between the left and right sides")
        while self.at("OP", "="):
            self.advance()
            sides.append(self.expr())
        if not self.at("END"):
            raise self.error("an operator or the end of the equation")
        return Equation(self.text, tuple(sides))

    def expr(self) -> Node:
        column = self.token.column
        if self.at("OP", "-"):
            self.advance()
            node: Node = Neg(column, self.term())
        else:
            if self.at("OP", "+"):
                self.advance()
            node = self.term()
        while self.at("OP", "+") or self.at("OP", "-"):
            op = self.advance()
            node = Bin(op.column, op.text, node, self.term())
        return node

    def _starts_factor(self) -> bool:
        token = self.token
        return token.kind in _STARTS or (token.kind == "OP" and token.text in "([{")

    def term(self) -> Node:
        """Hadamard products bind more loosely than matrix products: σ'(z) ⊙ W^T δ is σ'(z) ⊙ (W^T δ)."""
        node = self.product()
        while self.at("OP", "hadamard"):
            token = self.advance()
            node = Bin(token.column, "hadamard", node, self.product())
        return node

    def product(self) -> Node:
        node = self.postfix()
        while True:
            token = self.token
            if token.kind == "OP" and token.text in ("*", "cdot", "/"):
                self.advance()
                op = {"cdot": "*"}.get(token.text, token.text)
                node = Bin(token.column, op, node, self.postfix())
            elif self._starts_factor():
                node = Bin(token.column, "*", node, self.postfix())
            else:
                return node

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            token = self.token
            if token.kind == "SUP":
                self.advance()
                text = token.text.strip()
                if text in TRANSPOSE:
                    node = Transpose(token.column, node)
                elif text.isdigit() and int(text) <= MAX_EXPONENT:
                    node = Power(token.column, node, int(text))
                else:
                    raise self.error(f"a transpose (^T) or a whole-number power up to {MAX_EXPONENT}", token)
            elif token.kind == "OP" and token.text == "'":
                self.advance()
                node = Transpose(token.column, node)
            elif token.kind == "SUB" and node == Num(node.column, "1"):  # \mathbf{1}_m
                self.advance()
                node = Ones(node.column, token.text.strip())
            elif token.kind == "SUB" and self.tokens[self.pos - 1].kind == "OP" \
                    and self.tokens[self.pos - 1].text in ")]":
                self.advance()
                node = Component(token.column, node, token.text.strip())
            else:
                return node

    def group(self, open_: str, close: str) -> Node:
        token = self.expect("OP", open_)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"at most {MAX_DEPTH} nested brackets", token)
        node = self.expr()
        self.expect("OP", close, f"'{close}' to close the '{open_}'")
        self.depth -= 1
        return node

    def primary(self) -> Node:
        token = self.token
        if token.kind == "NUMBER":
            self.advance()
            return Num(token.column, token.text)
        if token.kind == "OP" and token.text == "[" and self.peek(2).kind == "OP" and self.peek(2).text == "=":
            return self.indicator()
        if token.kind == "OP" and token.text in "([{":
            close = {"(": ")", "[": "]", "{": "}"}[token.text]
            return self.group(token.text, close)
        if token.kind == "CMD":
            return self.command()
        if token.kind == "NAME":
            if token.text in ("dC", "dJ") and self.peek().kind == "OP" and self.peek().text == "/":
                return self.plain_partial()
            if token.text in FUNCTIONS and (self.peek().kind == "OP" and self.peek().text in "('{"
                                            or self.peek().kind == "SUP" and (self.peek().text in PRIME
                                                                              or self.peek().text.isdigit())):
                return self.function()
            return self.symbol()
        raise self.error("a number, a symbol, '(' or a command such as \\frac")

    def indicator(self) -> Indicator:
        """[i = j]: two indices (a letter or a number each) compared."""
        token = self.advance()
        sides = []
        for after in ("=", "]"):
            if not (self.at("NAME") or self.at("NUMBER")):
                raise self.error("an index (a letter or a number) in [i = j]")
            sides.append(self.advance().text)
            self.expect("OP", after, f"'{after}' in [i = j]")
        return Indicator(token.column, *sides)

    def command(self) -> Node:
        token = self.advance()
        name = token.text
        if name in ("frac", "dfrac", "tfrac"):
            if self.at("OP", "{") and self.peek().kind == "CMD" and self.peek().text == "partial":
                return self.latex_partial(token)
            top = self.group("{", "}")
            bottom = self.group("{", "}")
            return Bin(token.column, "/", top, bottom)
        if name == "partial":
            cost = self.expect_cost()
            self.expect("OP", "/", "'/' in ∂C/∂w")
            self.expect("CMD", "partial", "'∂' after the '/'")
            return Partial(token.column, cost, self.symbol())
        if name == "sum":
            if not self.at("SUB"):
                raise self.error("a summation index, as in \\sum_k")
            sub = self.advance().text
            var, _, lower = sub.partition("=")
            if lower and lower.strip() not in ("1", "0"):
                raise self.error("a sum starting at 1 (\\sum_{k=1}^{n})")
            upper = self.advance().text if self.at("SUP") else None
            return Sum(token.column, var.strip(), upper, self.term())
        if name == "nabla":
            if not self.at("SUB"):
                raise self.error("a subscript, as in \\nabla_a C")
            sub = self.advance()
            cost = self.expect_cost()
            if sub.text.strip() in ("a", "a^L", "a^{L}", "A"):
                return Nabla(token.column, sub.text)
            return Partial(token.column, cost, self.inner_symbol(sub))
        if name in FONTS:
            if self.at("OP", "{") and self.peek().kind == "NAME" and self.peek(2).kind == "OP" \
                    and self.peek(2).text == "}":
                self.advance()
                name_token = self.token
                self.tokens[self.pos + 1] = name_token  # drop the '}' and read the name as if bare
                self.advance()
                return self.primary()
            return self.group("{", "}")
        raise self.error("a quantity, not a bare command", token)

    def inner_symbol(self, sub: Token) -> Sym:
        """The symbol written in a subscript, as in \\nabla_{W^l} C."""
        inner = Parser(sub.text, self.place)
        offset = self.text.find(sub.text, sub.column - 1)
        inner.tokens = [Token(t.kind, t.text, t.column + max(offset, 0)) for t in inner.tokens]
        symbol = inner.symbol()
        if not inner.at("END"):
            raise inner.error("one symbol in the subscript of \\nabla, as in \\nabla_{W^l} C")
        return symbol

    def expect_cost(self) -> str:
        """C or J, with a subscript as written (C_x, C_{\\text{batch}}): the text of the cost."""
        if not (self.at("NAME") and self.token.text in ("C", "J")):
            raise self.error("the cost C (or J)")
        cost = self.advance().text
        if self.at("SUB"):
            cost += f"_{{{self.advance().text.strip()}}}"
        if self.at("OP", "(") and cost == "J":  # J(Θ)
            self.group("(", ")")
        return cost

    def latex_partial(self, frac: Token) -> Node:
        self.expect("OP", "{")
        self.expect("CMD", "partial")
        if self.at("NAME") and self.token.text not in ("C", "J"):
            return self.node_partial(frac)
        cost = None if self.at("OP", "}") else self.expect_cost()
        self.expect("OP", "}", "'}' after \\partial C")
        self.expect("OP", "{", "'{' to open the denominator")
        self.expect("CMD", "partial", "\\partial in the denominator")
        wrt = self.symbol_in_braces()
        self.expect("OP", "}", "'}' to close the denominator")
        if cost is None:
            cost = self.expect_cost()
        return Partial(frac.column, cost, wrt)

    def node_partial(self, frac: Token) -> NodePartial:
        """The rest of \\frac{\\partial a^l_k}{\\partial z^l_j}, after the numerator's \\partial."""
        of = self.symbol()
        self.expect("OP", "}", "'}' after the numerator of ∂a/∂z")
        self.expect("OP", "{", "'{' to open the denominator")
        self.expect("CMD", "partial", "\\partial in the denominator")
        wrt = self.symbol_in_braces()
        self.expect("OP", "}", "'}' to close the denominator")
        return NodePartial(frac.column, of, wrt)

    def symbol_in_braces(self) -> Sym:
        if self.at("CMD") and self.token.text in FONTS:
            self.advance()
            self.expect("OP", "{")
            symbol = self.symbol()
            self.expect("OP", "}")
            return self.scripts(symbol)
        if self.at("OP", "{"):
            self.advance()
            symbol = self.symbol()
            self.expect("OP", "}")
            return self.scripts(symbol)
        return self.symbol()

    def plain_partial(self) -> Node:
        token = self.advance()
        self.expect("OP", "/")
        if not (self.at("NAME") and self.token.text.startswith("d") and len(self.token.text) > 1):
            raise self.error("d and a parameter after the '/', as in dC/dw2_11")
        name = self.token
        self.tokens[self.pos] = Token("NAME", name.text[1:], name.column + 1)
        return Partial(token.column, token.text[1], self.symbol())

    def function(self) -> Node:
        """σ(z), σ'(z), \\tanh(z), and SymPy's way with powers: \\tanh^{2}{(z)} is tanh(z)²."""
        token = self.advance()
        prime, power = False, None
        if self.at("OP", "'") or (self.at("SUP") and self.token.text in PRIME):
            self.advance()
            prime = True
        elif self.at("SUP") and self.token.text.isdigit():
            power = self.advance()
            if int(power.text) > MAX_EXPONENT:
                raise self.error(f"a whole-number power up to {MAX_EXPONENT}", power)
        if self.at("OP", "{"):
            argument = self.group("{", "}")
        elif self.at("OP", "("):
            argument = self.group("(", ")")
        else:
            raise self.error(f"'(' after {token.text}")
        node = Func(token.column, token.text, prime, argument)
        return node if power is None else Power(power.column, node, int(power.text))

    def symbol(self) -> Sym:
        if not self.at("NAME"):
            raise self.error("a symbol such as w, b, a, z, \\delta")
        token = self.advance()
        return self.scripts(Sym(token.column, token.text))

    def scripts(self, symbol: Sym) -> Sym:
        sup, sub = symbol.sup, symbol.sub
        while True:
            if self.at("SUB") and sub is None:
                sub = self.advance().text
            elif self.at("SUP") and sup is None and self.token.text.strip() not in TRANSPOSE \
                    and self.token.text.strip() not in PRIME:
                sup = self.advance().text
            else:
                return Sym(symbol.column, symbol.name, sup, sub)


def parse_left_side(text: str, place: str) -> Node:
    """The left side of an equation alone, when the rest cannot be parsed (what kind of claim is it?)."""
    parser = Parser(text, place)
    side = parser.expr()
    if not parser.at("OP", "="):
        raise parser.error("'=' between the left and right sides")
    return side


def parse_first_sides(text: str, place: str) -> tuple[Node, Node]:
    """The left side and the first right side, whatever follows (``s = Σ_i … = −1``)."""
    parser = Parser(text, place)
    left = parser.expr()
    parser.expect("OP", "=", "'=' between the left and right sides")
    return left, parser.expr()


def parse_equation(text: str, place: str) -> Equation:
    """Parse one equation; ``place`` (e.g. "equation 2") prefixes every error."""
    return Parser(text, place).equation()
