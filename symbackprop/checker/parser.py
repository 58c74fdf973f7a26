"""A recursive-descent parser for backprop equations in LaTeX or plain form.

The grammar (tokens from :mod:`.lexer`; juxtaposition is multiplication)::

    equation := side (relation side)+ END          relation: = := ≡ ≈ → ←; a side '?' is a question
    expr     := ["+" | "-"] term (("+" | "-") term)*        (a term ⋯ continues a pattern: Dots)
    term     := product (hadamard product)*           (⊙, ∘, .* bind more loosely than products)
    product  := postfix (("*" | cdot | "/" | <juxtaposition>) postfix)*   (⋯ among factors: Dots)
    postfix  := primary (SUP | "'")*             SUP T/\\top → transpose, SUP number → power
              | "1" SUB                          \\mathbf{1}_m, the column of ones
    primary  := NUMBER | "(" expr ")" | "[" expr "]" | "{" expr "}" | "‖" expr "‖" [SUB]
              | "[" comparison "]" | \\mathbb{1} ("(" comparison ")" | SUB) | matrix | "?"
              | frac | partial | sum | nabla | font "{" … "}" | function | symbol | UNKNOWN
    frac     := \\frac "{" expr "}" "{" expr "}"    (\\partial on top: a partial derivative)
    partial  := \\frac{\\partial C}{\\partial symbol} | \\frac{\\partial}{\\partial symbol} J(…)
              | \\frac{\\partial expr}{\\partial symbol} | \\frac{\\partial}{\\partial symbol} product
              | dC/dsymbol | ∂C/∂symbol | ∂(expr)/∂symbol | \\frac{d}{dz} product
    sum      := \\sum SUB [SUP] term                 (the body runs to the end of the term)
    nabla    := \\nabla SUB C                        (∇_a C: the gradient in the output activations, ∇_A C of a batch;
                                                  ∇_{W^l} C, ∇_{b^l} C: a partial, as a left side)
    function := (σ | f | g | h | φ | exp | log | tanh | sech | max | ReLU | diag …) ["'" | ^2] ("(" args ")" | factor)
    symbol   := NAME [SUB] [SUP] ["'"]               (sub- and superscripts in either order)

The result is a tree of the small immutable nodes below; nothing in the user's text is ever
evaluated as code.  A command nobody here knows becomes an :class:`Unknown` node, which the
evaluator reports with its column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from enum import Enum

from ..errors import EquationError
from .lexer import GREEK, Token, tokenize

#: The activation's letters (read as the spec's activation) and the elementary functions.
ACTIVATION_LETTERS = {"sigma", "g", "f", "h", "phi", "varphi"}
FUNCTIONS = ACTIVATION_LETTERS | {"exp", "log", "tanh", "diag"}
#: Functions with a fixed meaning, evaluated by :mod:`.structures` (one or more arguments).
NAMED_FUNCTIONS = {"sinh", "cosh", "sech", "max", "min", "ReLU", "relu", "softplus", "sigmoid", "softmax", "sqrt",
                   "Sigma"}
#: Functions TeX writes without parentheses (\exp z, \tanh^2 z, \exp -z).
BARE_ARGUMENT = {"exp", "log", "tanh", "sinh", "cosh", "sech"}
FONTS = {"mathrm", "mathbf", "boldsymbol", "bm", "mathsf", "mathit", "mathbb", "operatorname", "text", "textrm",
         "textit", "mbox", "vec"}
TRANSPOSE = {"T", r"\top", r"\intercal", "t", "\\mathsf{T}"}
PRIME = {"'", r"\prime", "′"}
#: Letters a cost may have in ∂C/∂w (with a subscript as written: C_x, E_n, C_0).
#: The superscript of a training pattern (E^p, y^p_k, δ^p_k in texts on the generalised delta rule).
PATTERN = "p"
COSTS = {"C", "J", "E", "L", "ell", r"\mathcal{L}", r"\mathcal{J}", r"\mathcal{E}", r"\mathcal{C}"}
COMPARISONS = {"<", ">", "<=", ">=", "!=", "="}
#: Quantities written as functions of the input they belong to (a^L(x), y(x), δ^{[l]}(x), h_Θ(x)); a weight
#: or a bias is no function of the input, so w(x) stays a product.
SAMPLE_QUANTITIES = {"a", "z", "delta", "y", "t", "h"}
#: A deep-learning course's names for the derivatives of the cost: dW = ∂J/∂W, db, dZ, dz, dA, da.
GRADIENT_NAMES = {"dW", "dw", "db", "dZ", "dz", "dA", "da"}
#: What a cost is written as a function of: J(Θ), C(w, b), E(W).
PARAMETERS = {"theta", "Theta", "w", "W", "b", "B"}
#: A sample's marker on the input: x^{(i)}, x^{\\{i\\}} (Higham), x^{[i]} is no marker (a layer).
_SAMPLE_SCRIPT = re.compile(r"^\s*(?:\(\s*([a-z])\s*\)|\\\{\s*([a-z])\s*\\\})\s*$")
_FONT_IN_SCRIPT = re.compile(r"\\(?:mathsf|mathrm|rm|mathbf|sf|text|mathit|bf|boldsymbol)\b|[{}\s]")
#: a layer superscript with a transpose inside it: a^{[l-1]^T}, a^{[l-1]T}, a^{(l)\top}
_TRANSPOSED_LAYER = re.compile(r"^(.*[\])}])\s*(?:\^\s*)?(?:\{\s*)?"
                               r"(T|\\top|\\intercal|\\mathsf\s*\{?\s*T\s*\}?)\s*\}?$")


class Relation(Enum):
    """How two sides are joined; the checker compares the sides of =, := and ≡ alike."""

    EQUALS = "="
    DEFINES = ":="
    EQUIVALENT = "equiv"
    APPROXIMATELY = "approx"
    MAPS_TO = "->"
    ASSIGNED_FROM = "<-"
    ASKS = "=?"  # \overset{?}{=}: whether the sides are equal is the question


RELATIONS = {relation.value: relation for relation in Relation}
#: Relations whose sides the checker compares; the others make no claim to check.
CLAIMS = frozenset({Relation.EQUALS, Relation.DEFINES, Relation.EQUIVALENT})


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
        return _LETTERS.get(self.name, "\\" + self.name if self.name in GREEK else self.name)

    def latex(self) -> str:
        """The symbol as LaTeX, with its scripts as written: ``\\delta^{l}_{j}``."""
        return self.letter + (f"^{{{self.sup}}}" if self.sup else "") + (f"_{{{self.sub}}}" if self.sub else "")


@dataclass(frozen=True)
class Func(Node):
    name: str
    prime: bool
    arg: Node
    layer: str | None = None  # the layer written on the function, g^{[l]}(z^{[l]}) (its argument says the layer)


@dataclass(frozen=True)
class Apply(Node):
    """A function with a fixed meaning (sech, max, ReLU, softplus, √…), of one or more arguments."""

    name: str
    prime: bool
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Partial(Node):
    cost: str
    wrt: Sym
    written: str = ""  # the name it was written as, where one name stands for it (dW, db, dZ)


@dataclass(frozen=True)
class NodePartial(Node):
    """∂a^l_k/∂z^l_j and the like: one network quantity by another, a step of the chain rule."""

    of: Sym
    wrt: Sym


@dataclass(frozen=True)
class Derivative(Node):
    """∂σ(z)/∂z, ∂/∂a_j ½Σ_k(a_k − y_k)², ∂(a − y)²/∂a: an expression differentiated by a quantity."""

    expr: Node
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
    written: str = ""  # a product's sign as written: "*" or "cdot" (·, ×); "" for juxtaposition


@dataclass(frozen=True)
class Transpose(Node):
    arg: Node


@dataclass(frozen=True)
class Power(Node):
    arg: Node
    exponent: int


@dataclass(frozen=True)
class FunctionPower(Node):
    """\\tanh^2 z, σ^2(z): a function's value raised to a power, entry by entry for a vector."""

    arg: Node
    exponent: int


@dataclass(frozen=True)
class Ones(Node):
    """The column of ones \\mathbf{1}_m (the batch's sum as a product)."""

    size: str


@dataclass(frozen=True)
class Indicator(Node):
    """The Iverson bracket [i = j] of two indices (1 when they agree, else 0), and Kronecker's δ_{ij}."""

    left: str
    right: str


@dataclass(frozen=True)
class Compare(Node):
    """A comparison inside an Iverson bracket: ``z > 0``, ``z \\le 0``."""

    op: str  # one of COMPARISONS
    left: Node
    right: Node


@dataclass(frozen=True)
class Iverson(Node):
    """[z > 0], \\mathbb{1}(z > 0), \\mathbb{1}_{z>0}, \\mathbf{1}\\{z > 0\\}: 1 where the comparison holds, else 0
    (entry by entry for vectors)."""

    condition: Compare


@dataclass(frozen=True)
class Norm(Node):
    """‖v‖ or ‖v‖_2 (the Euclidean norm; ‖v‖² is its square)."""

    arg: Node
    p: str | None = None


@dataclass(frozen=True)
class Matrix(Node):
    """A matrix literal (bmatrix, pmatrix, array), row by row."""

    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Dots(Node):
    """A product (``op`` "*") or sum ("+") written with ⋯: the items before and after the dots;
    the dots stand for the pattern the items repeat (layer by layer, index by index)."""

    op: str
    before: tuple[Node, ...]
    after: tuple[Node, ...]


@dataclass(frozen=True)
class Question(Node):
    """The ``?`` of ``∂C/∂w = ?``: a question, nothing to check."""


@dataclass(frozen=True)
class Unknown(Node):
    """A command this checker does not know (``\\foo``, ``\\begin{cases}``): reported where it stands."""

    name: str


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
    lower: str | None = None  # "0" or "1" as written (\\sum_{k=0}^{n-1}), None when the text gives none
    within: str | None = None  # the set after \\in (\\sum_{k \\in K}), None when the text names none


@dataclass(frozen=True)
class Equation:
    text: str
    sides: tuple[Node, ...]  # the left side first, then every right side
    relations: tuple[Relation, ...] = ()  # one per right side: how it is joined to the side before

    @property
    def question(self) -> bool:
        """``A = ?``: the text asks, it claims nothing."""
        return any(isinstance(side, Question) for side in self.sides) or Relation.ASKS in self.relations


_LETTERS = {"delta": r"\delta", "theta": r"\theta", "Theta": r"\Theta", "Delta": r"\Delta", "sigma": r"\sigma",
            "varphi": r"\varphi", "phi": r"\phi", "eta": r"\eta", "alpha": r"\alpha", "Sigma": r"\Sigma",
            "ell": r"\ell", "lambda": r"\lambda", "epsilon": r"\epsilon", "varepsilon": r"\varepsilon"}
_STARTS = {"NAME", "NUMBER", "CMD", "UNKNOWN", "BEGIN"}
_OPENERS = {"(": ")", "[": "]", "{": "}", r"\{": r"\}"}
MAX_LENGTH = 5000
MAX_DEPTH = 100
MAX_EXPONENT = 64
MAX_CHAIN = 200  # terms of a sum, factors of a product: each is one level of the tree
MAX_LINKS = 300  # all the terms and factors of one equation


def transpose_text(text: str) -> bool:
    """Whether a superscript says transpose: T, \\top, \\intercal, {\\mathsf T}, \\rm T…"""
    return _FONT_IN_SCRIPT.sub("", text) in TRANSPOSE or text.strip() in TRANSPOSE


def _collapse_braces(tokens: list[Token]) -> list[Token]:
    """``{{X}}`` is ``{X}`` (equation editors double every group)."""
    stack, pairs = [], {}
    for index, token in enumerate(tokens):
        if token.kind == "OP" and token.text == "{":
            stack.append(index)
        elif token.kind == "OP" and token.text == "}" and stack:
            pairs[stack.pop()] = index
    drop = {i + 1 for i, j in pairs.items() if pairs.get(i + 1) == j - 1}
    drop |= {pairs[i] for i in drop}
    return [token for index, token in enumerate(tokens) if index not in drop]


class Parser:
    def __init__(self, text: str, place: str, offset: int = 0, depth: int = 0) -> None:
        if len(text) > MAX_LENGTH:
            raise EquationError(f"the equation is {len(text)} characters long: expected at most {MAX_LENGTH}", place)
        self.text = text
        self.place = place
        tokens = tokenize(text, place)
        if offset:
            tokens = [Token(t.kind, t.text, t.column + offset, t.start + offset if t.start else 0) for t in tokens]
        self.tokens = _collapse_braces(tokens)
        self.pos = 0
        self.depth = depth
        self.in_norm = 0  # inside ‖…‖ a '‖' closes, it does not open
        self.links = 0  # terms and factors read so far (see _bounded)
        self.in_left_dot = 0  # inside \left. … an evaluation bar closes the scope, it is not a factor's

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

    def at_op(self, *texts: str) -> bool:
        return self.token.kind == "OP" and self.token.text in texts

    def error(self, expected: str, token: Token | None = None) -> EquationError:
        token = token or self.token
        return EquationError(f"expected {expected}, found {token.describe()}",
                             f"{self.place}, column {token.column}")

    def expect(self, kind: str, text: str, expected: str | None = None) -> Token:
        if not self.at(kind, text):
            raise self.error(expected or f"'{text}'")
        return self.advance()

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"at most {MAX_DEPTH} nested brackets", token)

    def _bounded(self, count: int, what: str, token: Token) -> None:
        """A sum or product is read as a chain of nodes as deep as it is long: each one's length and the
        links of all of them together are bounded (so an equation's tree stays shallow enough to walk)."""
        self.links += 1
        if count > MAX_CHAIN:
            raise EquationError(f"at most {MAX_CHAIN} {what}", f"{self.place}, column {token.column}")
        if self.links > MAX_LINKS:
            raise EquationError(f"at most {MAX_LINKS} operations in one equation",
                                f"{self.place}, column {token.column}")

    def script(self, token: Token) -> Parser:
        """A parser for the text of a sub/superscript, with the columns of the whole equation."""
        inner = Parser(token.text, self.place, (token.start or token.column) - 1, self.depth + 1)
        if inner.depth > MAX_DEPTH:
            raise self.error(f"at most {MAX_DEPTH} nested brackets", token)
        return inner

    # -- grammar ----------------------------------------------------------------------------
    def equation(self) -> Equation:
        sides = [self.side()]
        relations = []
        if not self.at_op(*RELATIONS):
            raise self.error("'=' between the left and right sides")
        while self.at_op(*RELATIONS):
            relations.append(RELATIONS[self.advance().text])
            sides.append(self.side())
        if self.at_op("\\\\"):
            raise EquationError(r"a second equation after '\\': give one equation at a time",
                                f"{self.place}, column {self.token.column}")
        if not self.at("END"):
            raise self.error("an operator or the end of the equation")
        return Equation(self.text, tuple(sides), tuple(relations))

    def side(self) -> Node:
        if self.at_op("?"):
            return Question(self.advance().column)
        return self.expr()

    def expr(self) -> Node:
        column = self.token.column
        if self.at_op("-"):
            self.advance()
            first: Node = Neg(column, self.term())
        else:
            if self.at_op("+"):
                self.advance()
            first = self.term()
        terms: list[tuple[Token | None, Node]] = [(None, first)]
        dots: int | None = None
        while self.at_op("+", "-"):
            op = self.advance()
            if self.at_op("dots") and dots is None and op.text == "+":
                dots = len(terms)
                self.advance()
                if not self.at_op("+"):
                    raise self.error("'+' after the dots of a sum (a_1 + \\cdots + a_n)")
                continue
            terms.append((op, self.term()))
            self._bounded(len(terms), "terms in one sum", op)
        if dots is not None:
            items = tuple(Neg(op.column, term) if op is not None and op.text == "-" else term for op, term in terms)
            if not items[:dots] or not items[dots:]:
                raise self.error("terms on both sides of \\cdots")
            return Dots(column, "+", items[:dots], items[dots:])
        node = first
        for op, term in terms[1:]:
            node = Bin(op.column, op.text, node, term)
        return node

    def _starts_factor(self) -> bool:
        token = self.token
        if token.kind == "OP" and token.text == "‖":
            return not self.in_norm
        return token.kind in _STARTS or (token.kind == "OP" and token.text in ("(", "[", "{", r"\{", "dots", "left."))

    def term(self) -> Node:
        """Hadamard products bind more loosely than matrix products: σ'(z) ⊙ W^T δ is σ'(z) ⊙ (W^T δ)."""
        node, count = self.product(), 1
        while self.at_op("hadamard"):
            token = self.advance()
            node = Bin(token.column, "hadamard", node, self.product())
            count += 1
            self._bounded(count, "factors in one elementwise product", token)
        return node

    def product(self) -> Node:
        start = self.token
        factors: list[tuple[str, Token, Node]] = [("*", start, self.postfix())]
        dots: Token | None = None
        while True:
            token = self.token
            if self.at_op("dots") and dots is None:
                dots = self.advance()
                if self.at_op("*", "cdot"):
                    self.advance()
                factors.append(("dots", dots, Num(dots.column, "1")))
            elif token.kind == "OP" and token.text in ("*", "cdot", "/"):
                self.advance()
                if self.at_op("dots") and token.text != "/":
                    continue
                factors.append(({"cdot": "*"}.get(token.text, token.text), token, self.postfix()))
            elif self._starts_factor():
                factors.append(("", token, self.postfix()))
            else:
                break
            self._bounded(len(factors), "factors in one product", token)
        if dots is not None:
            return self._dotted_product(start, dots, factors)
        node = factors[0][2]
        for op, token, factor in factors[1:]:
            node = Bin(token.column, op or "*", node, factor, token.text if op == "*" else "")
        return node

    def _dotted_product(self, start: Token, dots: Token, factors: list[tuple[str, Token, Node]]) -> Dots:
        if any(op == "/" for op, _, _ in factors):
            raise EquationError("a '/' in a product written with \\cdots: write the product of factors alone",
                                f"{self.place}, column {dots.column}")
        at = next(index for index, (op, _, _) in enumerate(factors) if op == "dots")
        before = tuple(node for _, _, node in factors[:at])
        after = tuple(node for _, _, node in factors[at + 1:])
        if not before or not after:
            raise EquationError("factors on both sides of \\cdots (the pattern it continues and where it ends)",
                                f"{self.place}, column {dots.column}")
        return Dots(start.column, "*", before, after)

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            token = self.token
            if token.kind == "SUP":
                self.advance()
                text = token.text.strip()
                if transpose_text(text):
                    node = Transpose(token.column, node)
                elif text.isdigit() and int(text) <= MAX_EXPONENT:
                    node = Power(token.column, node, int(text))
                elif (negative := _NEGATIVE_POWER.match(text)) and int(negative.group(1)) <= MAX_EXPONENT \
                        and _reciprocal_base(node):
                    power = int(negative.group(1))  # (1 + e^{-z})^{-1}: the reciprocal
                    node = Bin(token.column, "/", Num(token.column, "1"),
                               node if power == 1 else Power(token.column, node, power))
                else:
                    raise self.error(f"a transpose (^T) or a whole-number power up to {MAX_EXPONENT}", token)
            elif token.kind == "OP" and token.text == "'":
                self.advance()
                node = Transpose(token.column, node)
            elif self._at_bar() and not self.in_left_dot:
                self.advance()
                node = self.evaluated_at(node, self.advance())
            elif token.kind == "SUB" and node == Num(node.column, "1"):  # \mathbf{1}_m
                self.advance()
                node = Ones(node.column, token.text.strip())
            elif token.kind == "SUB" and self.tokens[self.pos - 1].kind == "OP" \
                    and self.tokens[self.pos - 1].text in (")", "]", r"\}"):
                self.advance()
                node = Component(token.column, node, token.text.strip())
            else:
                return node

    def _at_bar(self) -> bool:
        """An evaluation bar ``|_{z = …}`` at the cursor."""
        return self.at_op("|") and self.peek().kind == "SUB" and "=" in self.peek().text

    def left_dot(self) -> Node:
        """``\\left.`` opens the scope of an evaluation bar ``\\right|_{z = …}``; without one it is a
        null delimiter and what follows is read on."""
        token = self.advance()
        self.enter(token)
        self.in_left_dot += 1
        node = self.expr()
        self.in_left_dot -= 1
        self.depth -= 1
        if self._at_bar():
            self.advance()
            return self.evaluated_at(node, self.advance())
        return node

    def evaluated_at(self, node: Node, where: Token) -> Node:
        """``F|_{v = e}``, ``\\left.F\\right|_{v = e}``: F at v = e.  A derivative of the activation
        (dσ/dz, σ'(z)) becomes σ'(e); an expression without derivatives has v replaced by e."""
        inner = self.script(where)
        variable = inner.symbol()
        inner.expect("OP", "=", "'=' in the evaluation bar |_{z = …}")
        value = inner.expr()
        if not inner.at("END"):
            raise inner.error("the end of the evaluation bar |_{z = …}")
        if isinstance(node, Derivative) and node.wrt == Sym(node.wrt.column, variable.name, variable.sup,
                                                                variable.sub):
            activation = node.expr
            if isinstance(activation, Func) and not activation.prime and _same_symbol(activation.arg, variable):
                activation = Sym(activation.column, activation.name)
            if isinstance(activation, Sym) and activation.name in ACTIVATION_LETTERS and activation.sup is None \
                    and activation.sub is None:
                return Func(node.column, activation.name, True, value)
        if _holds_derivative(node):
            raise EquationError("an evaluation bar |_{…} over a derivative other than the activation's: "
                                "write the derivative at its point", f"{self.place}, column {where.column}")
        substituted = _substituted(node, variable, value)
        if substituted == node:
            raise EquationError(f"the evaluation bar sets {variable.latex()}, which does not stand in what it "
                                "evaluates", f"{self.place}, column {where.column}")
        return substituted

    def group(self, open_: str, close: str, comparison: bool = False) -> Node:
        """A bracketed expression; with ``comparison``, what an Iverson bracket holds (z > 0) may stand there."""
        token = self.expect("OP", open_)
        self.enter(token)
        node = self.comparison() if comparison else self.expr()
        self.expect("OP", close, f"'{close}' to close the '{open_}'")
        self.depth -= 1
        return node

    def comparison(self) -> Node:
        left = self.expr()
        if not self.at_op(*COMPARISONS):
            return left
        op = self.advance()
        return Compare(op.column, op.text, left, self.expr())

    def primary(self) -> Node:  # noqa: C901 - one branch per kind of primary
        token = self.token
        if token.kind == "NUMBER":
            self.advance()
            return Num(token.column, token.text)
        if token.kind == "UNKNOWN":
            self.advance()
            return Unknown(token.column, token.text)
        if token.kind == "BEGIN":
            return self.matrix()
        if self.at_op("left."):
            return self.left_dot()
        if self.at_op("‖"):
            return self.norm()
        if self.at_op("["):
            return self.bracket()
        if token.kind == "OP" and token.text in _OPENERS:
            node = self.group(token.text, _OPENERS[token.text])
            return self.scripts(node) if token.text == "{" and isinstance(node, Sym) else node
        if token.kind == "CMD":
            return self.command()
        if token.kind == "NAME":
            return self.name()
        if self.at_op("?"):
            raise self.error("'?' alone on a side (A = ?)")
        raise self.error("a number, a symbol, '(' or a command such as \\frac")

    def name(self) -> Node:
        token, following = self.token, self.peek()
        if token.text in ("dC", "dJ") and following.kind == "OP" and following.text == "/":
            return self.plain_partial()
        if token.text in GRADIENT_NAMES and not self._in_d_fraction():
            return self.gradient_name()
        if token.text == "e" and following.kind == "SUP" and not transpose_text(following.text):
            self.advance()
            exponent = self.advance()
            inner = self.script(exponent)
            argument = inner.expr()
            if not inner.at("END"):
                raise inner.error("the end of the exponent")
            return Func(token.column, "exp", False, argument)
        if (token.text in FUNCTIONS or token.text in NAMED_FUNCTIONS) and self._function_follows():
            return self.function()
        if token.text == "delta" and following.kind == "SUB" and self._kronecker(following):
            self.advance()
            left, right = self._two_indices(self.advance().text)
            return Indicator(token.column, left, right)
        return self.transposed_symbol()

    def _function_follows(self) -> bool:
        name, following = self.token.text, self.peek()
        if following.kind == "OP" and following.text in ("(", "'", "{", r"\{"):
            return True
        if following.kind == "SUP" and (following.text in PRIME or following.text.isdigit()):
            return True
        if following.kind == "SUP" and name in ACTIVATION_LETTERS and _LAYERED_FUNCTION.match(following.text):
            return self.peek(2).kind == "OP" and self.peek(2).text == "("
        return name in BARE_ARGUMENT and (following.kind in ("NAME", "CMD", "NUMBER")
                                          or following.kind == "OP" and following.text == "-")

    @staticmethod
    def _two_indices(text: str) -> tuple[str, str]:
        text = text.strip().strip("{}")
        if "," in text:
            left, right = (part.strip() for part in text.split(",", 1))
            return left, right
        return text[0], text[1]

    def _kronecker(self, sub: Token) -> bool:
        """δ_{ij} (no layer, two indices) is Kronecker's delta; δ with a layer is the error."""
        after = self.peek(2)
        if after.kind == "SUP" and not transpose_text(after.text):
            return False
        text = sub.text.strip().strip("{}")
        parts = [part.strip() for part in text.split(",")] if "," in text else list(text)
        return len(parts) == 2 and all(len(part) == 1 and part.isalnum() for part in parts)

    def bracket(self) -> Node:
        """[ … ]: brackets, an Iverson bracket [z > 0], or the index comparison [k = j]."""
        token = self.token
        if self.peek(2).kind == "OP" and self.peek(2).text == "=" and self.peek(4).kind == "OP" \
                and self.peek(4).text == "]" and self.peek().kind in ("NAME", "NUMBER") \
                and self.peek(3).kind in ("NAME", "NUMBER"):
            return self.indicator()
        node = self.group("[", "]", comparison=True)
        return Iverson(token.column, node) if isinstance(node, Compare) else node

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

    def norm(self) -> Norm:
        token = self.advance()
        self.enter(token)
        self.in_norm += 1
        inner = self.expr()
        self.in_norm -= 1
        self.expect("OP", "‖", "'‖' to close the norm")
        self.depth -= 1
        p = self.advance().text.strip() if self.at("SUB") else None
        return Norm(token.column, inner, p)

    def matrix(self) -> Matrix:
        """bmatrix, pmatrix, array…: rows separated by \\\\, entries by &."""
        begin = self.advance()
        self.enter(begin)
        rows: list[tuple[Node, ...]] = []
        row: list[Node] = []
        while not self.at("ENDENV"):
            row.append(self.expr())
            if self.at_op("&"):
                self.advance()
            elif self.at_op("\\\\"):
                self.advance()
                rows.append(tuple(row))
                row = []
            elif not self.at("ENDENV"):
                raise self.error(f"'&', '\\\\' or \\end{{{begin.text}}} in the matrix")
        self.advance()
        self.depth -= 1
        if row:
            rows.append(tuple(row))
        if not rows or any(len(r) != len(rows[0]) for r in rows):
            raise EquationError(f"the rows of the {begin.text} have different numbers of entries",
                                f"{self.place}, column {begin.column}")
        return Matrix(begin.column, tuple(rows))

    def command(self) -> Node:  # noqa: C901 - one branch per command
        token = self.advance()
        name = token.text
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            return self.fraction(token)
        if name == "partial" and self.at("SUB"):
            return self.subscript_partial(token)
        if name == "partial":
            return self.slashed_partial(token)
        if name == "sum":
            if not self.at("SUB"):
                raise self.error("a summation index, as in \\sum_k")
            sub = self.advance().text
            var, _, lower = sub.partition("=")
            if lower and lower.strip() not in ("1", "0"):
                raise self.error("a sum starting at 1 (\\sum_{k=1}^{n})")
            var, _, within = re.sub(r"\\in(?![A-Za-z])", "∈", var).partition("∈")  # \sum_{k \in K}
            upper = self.advance().text if self.at("SUP") else None
            return Sum(token.column, var.strip(), upper, self.term(), lower.strip() or None, within.strip() or None)
        if name == "nabla":
            if not self.at("SUB"):  # ∇C: the list of all the partials (a definition, read as such)
                self.expect_cost()
                return Nabla(token.column, "")
            sub = self.advance()
            cost = self.expect_cost()
            if sub.text.strip() in ("a", "a^L", "a^{L}", "A"):
                return Nabla(token.column, sub.text)
            return Partial(token.column, cost, self.inner_symbol(sub))
        if name == "one":
            return self.one(token)
        if name == "dot":
            return self.dotted(token)
        if name == "sqrt":
            return Apply(token.column, "sqrt", False, (self.group("{", "}"),))
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

    def one(self, token: Token) -> Node:
        """\\mathbb{1}: an indicator 𝟙(z > 0), 𝟙_{z>0}, 𝟙\\{z > 0\\}, 𝟙[z > 0]; else the ones (\\mathbf{1}_m) or 1."""
        if self.at("SUB"):
            inner = self.script(self.token)
            condition = inner.comparison()
            if isinstance(condition, Compare) and inner.at("END"):
                self.advance()
                return Iverson(token.column, condition)
            return Num(token.column, "1")
        for open_, close in (("(", ")"), ("[", "]"), (r"\{", r"\}")):
            if self.at_op(open_):
                saved = self.pos
                node = self.group(open_, close, comparison=True)
                if isinstance(node, Compare):
                    return Iverson(token.column, node)
                self.pos = saved
        return Num(token.column, "1")

    def dotted(self, token: Token) -> Node:
        """\\dot\\sigma(z) is σ'(z) (Newton's dot for the derivative of the activation)."""
        braced = self.at_op("{")
        if braced:
            self.advance()
        if not (self.at("NAME") and self.token.text in ACTIVATION_LETTERS):
            raise self.error("the activation after \\dot, as in \\dot\\sigma(z)")
        letter = self.advance()
        if braced:
            self.expect("OP", "}", "'}' after \\dot{\\sigma")
        return Func(letter.column, letter.text, True, self.function_argument(letter))

    def fraction(self, token: Token) -> Node:
        if self.at("OP", "{") and self.peek().kind == "CMD" and self.peek().text == "partial":
            return self.latex_partial(token)
        if self._d_fraction():
            return self.d_fraction(token)
        top = self.group("{", "}")
        bottom = self.group("{", "}")
        return Bin(token.column, "/", top, bottom)

    def inner_symbol(self, sub: Token) -> Sym:
        """The symbol written in a subscript, as in \\nabla_{W^l} C."""
        inner = self.script(sub)
        symbol = inner.symbol()
        if not inner.at("END"):
            raise inner.error("one symbol in the subscript of \\nabla, as in \\nabla_{W^l} C")
        return symbol

    def at_cost(self) -> bool:
        """A cost letter, written alone (with its subscript, J(θ)) up to what follows."""
        if not (self.at("NAME") and self.token.text in COSTS):
            return False
        offset = 1
        if self.peek(offset).kind == "SUB":
            offset += 1
        following = self.peek(offset)
        if following.kind == "SUP":
            return following.text.strip("{}() ") == PATTERN  # E^p: one training pattern's error
        return not (following.kind == "OP" and following.text == "(" and self.token.text != "J")

    def expect_cost(self) -> str:
        """C, J, E, L, 𝓛, with a subscript as written (C_x, E_n, C_{\\text{batch}}): the text of the cost."""
        if not (self.at("NAME") and self.token.text in COSTS):
            raise self.error("the cost C (or J, E, L)")
        cost = self.advance().text
        if self.at("SUB"):
            cost += f"_{{{self.advance().text.strip()}}}"
        if self.at("SUP") and self.token.text.strip("{}() ") == PATTERN:
            self.advance()  # the pattern p of E^p: the equation is about the one pattern checked
        if self.at("OP", "(") and cost == "J":  # J(Θ)
            self.group("(", ")")
        return cost

    def latex_partial(self, frac: Token) -> Node:
        """\\frac{\\partial …}{\\partial x}: ∂C/∂x, ∂a/∂z between quantities, or ∂(expression)/∂x."""
        self.expect("OP", "{")
        self.expect("CMD", "partial")
        if self.at_op("}"):  # the operator \frac{\partial}{\partial x}, then what it applies to
            self.advance()
            wrt = self.denominator()
            if self.at_cost():
                return Partial(frac.column, self.expect_cost(), wrt)
            return Derivative(frac.column, self.postfix_product(), wrt)
        if self.at_cost() and self._closes_after_cost():
            cost = self.expect_cost()
            self.expect("OP", "}", "'}' after \\partial C")
            return Partial(frac.column, cost, self.denominator())
        self.enter(frac)
        numerator = self.expr()
        self.depth -= 1
        self.expect("OP", "}", "'}' after the numerator of the derivative")
        wrt = self.denominator()
        return _derivative(frac.column, numerator, wrt)

    def _closes_after_cost(self) -> bool:
        saved = self.pos
        try:
            self.expect_cost()
            return self.at_op("}")
        except EquationError:
            return False
        finally:
            self.pos = saved

    def denominator(self) -> Sym:
        """{\\partial x}: the quantity a derivative is taken by."""
        self.expect("OP", "{", "'{' to open the denominator")
        self.expect("CMD", "partial", "\\partial in the denominator")
        wrt = self.symbol_in_braces()
        self.expect("OP", "}", "'}' to close the denominator")
        return wrt

    def postfix_product(self) -> Node:
        """What \\frac{\\partial}{\\partial x} applies to: the product that follows it."""
        if not self._starts_factor():
            raise self.error("what the derivative applies to, after \\frac{\\partial}{\\partial …}")
        return self.product()

    def _d_fraction(self) -> bool:
        """\\frac{d}{dz}, \\frac{d\\sigma}{dz}, \\frac{dC}{dw}, \\frac{\\mathrm{d} C}{\\mathrm{d} w}: a derivative
        written with d (the numerator starts with d; the denominator is d and one quantity)."""
        if not (self.at_op("{") and self.peek().kind == "NAME" and _d_prefixed(self.peek().text, numerator=True)):
            return False
        close = next((i for i in range(self.pos, len(self.tokens)) if self.tokens[i].text == "}"), None)
        if close is None or close + 2 >= len(self.tokens) or self.tokens[close + 1].text != "{":
            return False
        denominator, following = self.tokens[close + 2], self.tokens[min(close + 3, len(self.tokens) - 1)]
        if denominator.kind != "NAME":
            return False
        return len(denominator.text) > 1 and denominator.text.startswith("d") \
            or denominator.text == "d" and following.kind == "NAME"

    def d_fraction(self, frac: Token) -> Node:
        self.expect("OP", "{")
        self._drop_d()
        numerator = None if self.at_op("}") else self.expr()
        self.expect("OP", "}", "'}' after the numerator of the derivative")
        self.expect("OP", "{")
        self._drop_d()
        wrt = self.symbol()
        self.expect("OP", "}", "'}' to close the denominator")
        if numerator is None:
            return Derivative(frac.column, self.postfix_product(), wrt)
        if isinstance(numerator, Sym) and numerator.name in COSTS and numerator.sup is None:
            cost = numerator.name + (f"_{{{numerator.sub.strip()}}}" if numerator.sub else "")
            return Partial(frac.column, cost, wrt)  # dC/dw: the total derivative of the cost is its partial
        return _derivative(frac.column, numerator, wrt)

    def _drop_d(self) -> None:
        """The differential's d at the cursor: a token of its own, or the first letter of dz / dC."""
        token = self.token
        if token.text == "d":
            self.advance()
        else:
            self.tokens[self.pos] = Token("NAME", token.text[1:], token.column + 1)

    def slashed_partial(self, token: Token) -> Node:
        """∂C/∂w, ∂a/∂z, ∂(a − y)²/∂a: a derivative written with a slash."""
        if self.at_cost():
            cost = self.expect_cost()
            self.expect("OP", "/", "'/' in ∂C/∂w")
            self.expect("CMD", "partial", "'∂' after the '/'")
            return Partial(token.column, cost, self.symbol())
        of = self.postfix()
        self.expect("OP", "/", "'/' in ∂C/∂w")
        self.expect("CMD", "partial", "'∂' after the '/'")
        wrt = self.symbol()
        if isinstance(of, Sym):
            return NodePartial(token.column, of, wrt)
        return Derivative(token.column, of, wrt)

    def subscript_partial(self, token: Token) -> Node:
        """∂_{w^l_{jk}} C, ∂_{z} a: the derivative by the quantity in the subscript, of what follows."""
        wrt = self.inner_symbol(self.advance())
        if self.at_cost():
            return Partial(token.column, self.expect_cost(), wrt)
        of = self.postfix()
        if isinstance(of, Sym):
            return NodePartial(token.column, of, wrt)
        return Derivative(token.column, of, wrt)

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

    def _in_d_fraction(self) -> bool:
        """Whether a name dX stands in a derivative written with d (\\frac{da}{dz}, da/dz), not alone."""
        before = self.tokens[self.pos - 1] if self.pos else None
        return self.peek().text == "/" or before is not None and before.kind == "OP" and before.text in ("{", "/")

    def gradient_name(self) -> Partial | Transpose:
        """A deep-learning course's dW^{[l]}, db^{[l]}, dZ^{[l](i)}, da: the cost's derivative by what follows d
        (dZ^{[l]T}: its transpose)."""
        token = self.advance()
        quantity = self.scripts(Sym(token.column + 1, token.text[1:]))
        transposed = _TRANSPOSED_LAYER.match(quantity.sup or "")
        if transposed:
            quantity = replace(quantity, sup=transposed.group(1).strip())
            return Transpose(token.column, Partial(token.column, "J", quantity, token.text))
        return Partial(token.column, "J", quantity, token.text)

    def plain_partial(self) -> Node:
        token = self.advance()
        self.expect("OP", "/")
        if not (self.at("NAME") and self.token.text.startswith("d") and len(self.token.text) > 1):
            raise self.error("d and a parameter after the '/', as in dC/dw2_11")
        name = self.token
        self.tokens[self.pos] = Token("NAME", name.text[1:], name.column + 1)
        return Partial(token.column, token.text[1], self.symbol())

    def function(self) -> Node:
        """σ(z), σ'(z), \\tanh(z), \\tanh^2 z, \\exp -z, \\max(0, z); \\tanh^{2}{(z)} is tanh(z)²."""
        token = self.advance()
        prime, power, layer = False, None, None
        if self.at("OP", "'") or (self.at("SUP") and self.token.text in PRIME):
            self.advance()
            prime = True
        elif self.at("SUP") and token.text in ACTIVATION_LETTERS and _LAYERED_FUNCTION.match(self.token.text):
            written = _LAYERED_FUNCTION.match(self.advance().text)
            prime, layer = bool(written.group(2)), written.group(1)
        elif self.at("SUP") and self.token.text.isdigit():
            power = self.advance()
            if int(power.text) > MAX_EXPONENT:
                raise self.error(f"a whole-number power up to {MAX_EXPONENT}", power)
        if token.text in NAMED_FUNCTIONS:
            node: Node = Apply(token.column, token.text, prime, self.function_arguments(token))
        else:
            node = Func(token.column, token.text, prime, self.function_argument(token), layer)
        return node if power is None else FunctionPower(power.column, node, int(power.text))

    def function_argument(self, token: Token) -> Node:
        arguments = self.function_arguments(token)
        if len(arguments) != 1:
            raise self.error(f"one argument of {token.text}", token)
        return arguments[0]

    def function_arguments(self, token: Token) -> tuple[Node, ...]:
        """(x), (x, y), {x}, or — for \\exp, \\log, \\tanh… — a bare factor: \\exp z, \\exp -z."""
        if self.at_op("{", "(", r"\{"):
            open_ = self.token.text
            close = _OPENERS[open_]
            opener = self.advance()
            self.enter(opener)
            arguments = [self.expr()]
            while self.at_op(","):
                self.advance()
                arguments.append(self.expr())
            self.expect("OP", close, f"'{close}' to close the '{open_}'")
            self.depth -= 1
            return tuple(arguments)
        if token.text in BARE_ARGUMENT:
            column = self.token.column
            if self.at_op("-"):
                self.advance()
                return (Neg(column, self.postfix()),)
            if self._starts_factor():
                return (self.postfix(),)
        raise self.error(f"'(' after {token.text}")

    def symbol(self) -> Sym:
        if not self.at("NAME"):
            raise self.error("a symbol such as w, b, a, z, \\delta")
        token = self.advance()
        return self.scripts(Sym(token.column, token.text))

    def transposed_symbol(self) -> Node:
        """A symbol, transposed when its layer superscript says so: a^{[l-1]^T}, a^{[l-1]T}; a cost's
        parameters J(Θ), C(w, b) dropped; the input a quantity belongs to, a^L(x), y(x^{(i)}),
        δ^{[l]}(x^{\\{i\\}}), kept as its sample marker (:func:`with_sample`)."""
        symbol = self.symbol()
        if symbol.name in COSTS and symbol.sup is None:
            self.cost_parameters()
        elif symbol.name in SAMPLE_QUANTITIES:
            symbol = with_sample(symbol, self.sample_argument())
        match = _TRANSPOSED_LAYER.match(symbol.sup or "")
        if match:
            return Transpose(symbol.column, Sym(symbol.column, symbol.name, match.group(1).strip(), symbol.sub))
        return symbol

    def cost_parameters(self) -> None:
        """Skip ``(Θ)``, ``(w, b)``, ``(W^{[1]}, b^{[1]})`` after a cost letter: what the cost is a function of."""
        if not self.at_op("("):
            return
        end = self.pos + 1
        while end < len(self.tokens) and (self.tokens[end].kind in ("SUB", "SUP") or self.tokens[end].text == ","
                                          or self.tokens[end].kind == "NAME" and self.tokens[end].text in PARAMETERS):
            end += 1
        if end > self.pos + 1 and self.tokens[end].kind == "OP" and self.tokens[end].text == ")":
            self.pos = end + 1

    def sample_argument(self) -> str | None:
        """After a quantity, ``(x)``, ``(x^{(i)})`` or ``(x^{\\{i\\}})``: the input it is of, as a marker
        ("x", "(i)"); None (nothing read) for anything else."""
        tokens = self.tokens[self.pos:self.pos + 4]
        if len(tokens) < 3 or tokens[0].text != "(" or tokens[1].kind != "NAME" or tokens[1].text != "x":
            return None
        if tokens[2].kind == "OP" and tokens[2].text == ")":
            self.pos += 3
            return "x"
        marker = _SAMPLE_SCRIPT.match(tokens[2].text) if tokens[2].kind == "SUP" else None
        if marker and len(tokens) == 4 and tokens[3].kind == "OP" and tokens[3].text == ")":
            self.pos += 4
            return f"({marker.group(1) or marker.group(2)})"
        return None

    def scripts(self, symbol: Sym) -> Sym:
        sup, sub = symbol.sup, symbol.sub
        while True:
            if self.at("SUB") and sub is None:
                sub = self.advance().text
            elif self.at("SUP") and sup is None and not transpose_text(self.token.text) \
                    and self.token.text.strip() not in PRIME:
                sup = self.advance().text
            else:
                return Sym(symbol.column, symbol.name, sup, sub)


#: A layer's own activation function, g^{[l]}(z^{[l]}) or its derivative g^{[l]\prime}(z^{[l]}) (deep-learning
#: course notes): the layer in [ ] or ( ), then a prime or none.
_LAYERED_FUNCTION = re.compile(r"\A\s*\{?\s*(\[[^\]]*\]|\([^)]*\))\s*\}?\s*(\\prime|')?\s*\Z")
_NEGATIVE_POWER = re.compile(r"\A-\s*(\d+)\Z")


def _reciprocal_base(node: Node) -> bool:
    """Whether ``node^{-n}`` is a reciprocal: a sum or a function's value, (1 + e^{-z})^{-1}, σ(z)^{-1}; a
    symbol or a product may be a matrix, whose ^{-1} is its inverse, which is not read."""
    return isinstance(node, (Func, Apply, FunctionPower, Num)) or isinstance(node, Bin) and node.op in "+-"


def _d_prefixed(text: str, numerator: bool = False) -> bool:
    """``d`` alone, or (in a numerator) ``dC``/``dJ``/``dE``/``dL`` or ``da``/``dz``: a quantity with its
    differential."""
    return text == "d" or numerator and len(text) == 2 and text[0] == "d" and (text[1] in COSTS or text[1] in "az")


def _derivative(column: int, of: Node, wrt: Sym) -> Node:
    """The derivative of ``of`` by ``wrt``: dσ/dz is d/dz σ(z) (the activation's derivative), ∂a/∂z
    between two network quantities a step of the chain rule, anything else an expression's."""
    if isinstance(of, Sym) and of.name in ACTIVATION_LETTERS and of.sup is None and of.sub is None \
            and wrt.sup is None and wrt.sub is None:
        return Derivative(column, Func(of.column, of.name, False, wrt), wrt)
    if isinstance(of, Sym):
        return NodePartial(column, of, wrt)
    return Derivative(column, of, wrt)


def _same_symbol(node: Node, symbol: Sym) -> bool:
    return isinstance(node, Sym) and (node.name, node.sup, node.sub) == (symbol.name, symbol.sup, symbol.sub)


def _holds_derivative(node: Node) -> bool:
    """Whether a derivative stands anywhere in ``node`` (evaluating one at a point is not a substitution)."""
    if isinstance(node, (Derivative, Partial, NodePartial)) or isinstance(node, Func) and node.prime:
        return True
    return any(_holds_derivative(value) for value in _children(node))


def _children(node: Node) -> list[Node]:
    found = []
    for field in fields(node):
        value = getattr(node, field.name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, Node):
                found.append(item)
            elif isinstance(item, tuple):
                found += [inner for inner in item if isinstance(inner, Node)]
    return found


def _substituted(node: Node, variable: Sym, value: Node) -> Node:
    """``node`` with every occurrence of the symbol ``variable`` replaced by ``value``."""
    if _same_symbol(node, variable):
        return value
    changes = {}
    for field in fields(node):
        current = getattr(node, field.name)
        if isinstance(current, Node):
            changes[field.name] = _substituted(current, variable, value)
        elif isinstance(current, tuple) and any(isinstance(item, Node | tuple) for item in current):
            changes[field.name] = tuple(
                _substituted(item, variable, value) if isinstance(item, Node)
                else tuple(_substituted(inner, variable, value) for inner in item) if isinstance(item, tuple)
                else item
                for item in current)
    return replace(node, **changes) if changes else node


def with_sample(symbol: Sym, marker: str | None) -> Sym:
    """``symbol`` with the sample marker of its input added to its superscript, where :mod:`.batch` reads
    markers: a^L(x) is a^{L,x}, y(x^{(i)}) is y^{(i)}, a^{[L]}(x^{\\{i\\}}) is a^{[L],(i)}."""
    if marker is None:
        return symbol
    return replace(symbol, sup=marker if symbol.sup is None else f"{symbol.sup},{marker}")


def children(node: Node) -> list[Node]:
    """A node's direct subtrees: its Node fields and the Nodes of its tuple fields (a matrix's rows,
    tuples themselves, are not entered)."""
    found = []
    for item in fields(node):
        value = getattr(node, item.name)
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            found += [entry for entry in value if isinstance(entry, Node)]
    return found


def parse_left_side(text: str, place: str) -> Node:
    """The left side of an equation alone, when the rest cannot be parsed (what kind of claim is it?)."""
    parser = Parser(text, place)
    side = parser.expr()
    if not parser.at_op(*RELATIONS):
        raise parser.error("'=' between the left and right sides")
    return side


def parse_first_sides(text: str, place: str) -> tuple[Node, Node]:
    """The left side and the first right side, whatever follows (``s = Σ_i … = −1``)."""
    parser = Parser(text, place)
    left = parser.expr()
    if not parser.at_op(*RELATIONS):
        raise parser.error("'=' between the left and right sides")
    parser.advance()
    return left, parser.side()


def parse_equation(text: str, place: str, claims: frozenset[Relation] = CLAIMS) -> Equation:
    """Parse one equation; ``place`` (e.g. "equation 2") prefixes every error.

    An equation joined by a relation outside ``claims`` (≈, →: an approximation, an update) or
    asking ``= ?`` makes no claim to compare: it is refused with the reason, unless the caller
    asks for its tree by passing the relations it reads (``claims=frozenset(Relation)``).
    """
    equation = Parser(text, place).equation()
    other = [relation for relation in equation.relations if relation not in claims]
    if other:
        shown = {Relation.APPROXIMATELY: "'≈' states an approximation",
                 Relation.MAPS_TO: "'→' states an update or a label",
                 Relation.ASSIGNED_FROM: "'←' states an update",
                 Relation.ASKS: "'=?' asks a question"}
        raise EquationError(f"{shown.get(other[0], repr(other[0].value))}, not an equation: nothing to check", place)
    if equation.question and claims == CLAIMS:
        raise EquationError("'= ?' asks a question: nothing to check", place)
    return equation
