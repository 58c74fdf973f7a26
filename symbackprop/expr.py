"""A safe parser for the custom expressions in a spec.

Custom activations (``z*sigmoid(z)``) and costs (``log(cosh(a - y))``) are user text.  They
are parsed with :mod:`ast` into a syntax tree and translated node by node into SymPy; only
numbers, the variables that belong to the expression, ``+ - * / **`` and the functions in
:data:`symbackprop.functions.WHITELIST` are admitted.  Nothing is ever evaluated (no eval,
exec, sympify or parse_expr), and the size, nesting depth, exponents and exact numbers are
bounded so that hostile input cannot exhaust time or memory.  The result must be a finite real
function; characters that could end a string or start a comment where the text is shown
(``# ' " ` \\ $``) are refused, so the source text is safe to quote in generated code.
"""

from __future__ import annotations

import ast
import unicodedata
import warnings
from collections.abc import Mapping

import sympy as sp

from .errors import ExpressionError
from .functions import WHITELIST

MAX_LENGTH = 500
MAX_DEPTH = 24
MAX_NODES = 200
MAX_EXPONENT = 16
MAX_NUMBER_DIGITS = 30
#: Bound on the exponent of any power in the result (powers of powers multiply: (z**16)**16).
MAX_TOTAL_EXPONENT = 64
#: Characters with no use in an expression that would matter where its text is shown: a
#: comment (#) could carry anything past the parser into generated code or LaTeX, and
#: quotes and backslashes could end a string or a docstring there.
_FORBIDDEN = {"#": "comments", "'": "strings", '"': "strings", "`": "backquotes", "\\": "backslashes",
              "$": "dollar signs"}

_BINARY = {
    ast.Add: lambda left, right: left + right,
    ast.Sub: lambda left, right: left - right,
    ast.Mult: lambda left, right: left * right,
    ast.Div: lambda left, right: left / right,
}
_OPERATOR_NAMES = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
    ast.BitXor: "^ (use ** for powers)", ast.LShift: "<<", ast.RShift: ">>",
}
_TWO_ARGUMENT = {"max", "min"}


def parse_expression(text: str, variables: Mapping[str, sp.Symbol]) -> sp.Expr:
    """Translate ``text`` into a SymPy expression in ``variables``, or raise ExpressionError."""
    _check_text(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning ("invalid decimal literal") would add stderr lines
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        offset = f" at column {error.offset}" if error.offset else ""
        shown = text.strip() if len(text.strip()) <= 60 else text.strip()[:57] + "..."
        raise ExpressionError(f"syntax error{offset} in {shown!r}") from None
    except (ValueError, MemoryError, RecursionError):
        raise ExpressionError("expression cannot be parsed") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ExpressionError(f"expression too large ({nodes} syntax nodes, at most {MAX_NODES})")
    try:
        expr = _Translator(variables).visit(tree.body, depth=0)
    except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError):
        # SymPy's own evaluation of a hostile constant (an overflow, a huge integer)
        raise ExpressionError("expression cannot be evaluated safely (a number in it is too large?)") from None
    _check_result(expr)
    return expr


def _check_result(expr: sp.Expr) -> None:
    """Reject results that are not finite real functions (1/0, log(0), sqrt(-1), z**256)."""
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise ExpressionError("expression is infinite or undefined (division by zero? log(0)?)")
    for node in sp.preorder_traversal(expr):
        if node.is_number and (node.has(sp.I) or node.is_extended_real is False):
            raise ExpressionError(f"{sp.sstr(node)} is not a real number")
        if node.is_Pow and node.exp.is_Rational and abs(node.exp) > MAX_TOTAL_EXPONENT:
            raise ExpressionError(f"power {sp.sstr(node)[:40]} too large: exponents multiply to {node.exp} "
                                  f"(at most {MAX_TOTAL_EXPONENT})")


def _check_text(text: str) -> None:
    """Reject text that is too long or uses characters outside plain ASCII expressions."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression too long ({len(text)} characters, at most {MAX_LENGTH})")
    for position, char in enumerate(text, start=1):
        if char in _FORBIDDEN:
            raise ExpressionError(f"character {char!r} at column {position} is not allowed "
                                  f"(no {_FORBIDDEN[char]} in expressions)")
        if not (char.isascii() and (char.isprintable() or char in " \t")):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            raise ExpressionError(
                f"character {char!r} ({name}) at column {position} is not allowed; "
                "use plain ASCII names such as z, a, y, sigmoid")


class _Translator:
    """Walks an ``ast`` expression and builds the SymPy expression, admitting a whitelist."""

    def __init__(self, variables: Mapping[str, sp.Symbol]) -> None:
        self.variables = dict(variables)

    def visit(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested too deeply (more than {MAX_DEPTH} levels)")
        method = getattr(self, f"_visit_{type(node).__name__}", None)
        if method is None:
            raise ExpressionError(f"{_describe(node)} is not allowed in an expression")
        return method(node, depth + 1)

    def _visit_Constant(self, node: ast.Constant, depth: int) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExpressionError(f"constant {value!r} is not allowed; only numbers are")
        text = repr(value)
        if len(text.lstrip("-").replace(".", "").split("e")[0]) > MAX_NUMBER_DIGITS:
            raise ExpressionError(f"number {text[:20]}... has too many digits")
        if isinstance(value, float) and not sp.Float(value).is_finite:
            raise ExpressionError(f"number {text} is not finite")
        return _bounded(sp.Integer(value) if isinstance(value, int) else sp.Rational(text))

    def _visit_Name(self, node: ast.Name, depth: int) -> sp.Expr:
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in WHITELIST:
            raise ExpressionError(f"function {node.id!r} must be called, e.g. {node.id}(...)")
        allowed = ", ".join(sorted(self.variables)) or "none"
        raise ExpressionError(f"unknown name {node.id!r}; the variables here are: {allowed}")

    def _visit_UnaryOp(self, node: ast.UnaryOp, depth: int) -> sp.Expr:
        operand = self.visit(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")

    def _visit_BinOp(self, node: ast.BinOp, depth: int) -> sp.Expr:
        if isinstance(node.op, ast.Pow):
            return self._power(node, depth)
        combine = _BINARY.get(type(node.op))
        if combine is None:
            symbol = _OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)
            raise ExpressionError(f"operator {symbol} is not allowed; use + - * / **")
        return _bounded(combine(self.visit(node.left, depth), self.visit(node.right, depth)))

    def _power(self, node: ast.BinOp, depth: int) -> sp.Expr:
        """Powers are admitted only with a small rational exponent, so nothing explodes."""
        exponent = self.visit(node.right, depth)
        if not exponent.is_Rational:
            raise ExpressionError("exponent must be a plain number (e.g. z**2 or z**0.5), "
                                  f"got {sp.sstr(exponent)[:40]}")
        if abs(exponent) > MAX_EXPONENT:
            raise ExpressionError(f"exponent {exponent} too large (at most {MAX_EXPONENT} in size)")
        base = self.visit(node.left, depth)
        if base.is_Rational and _digits(base) * abs(exponent) > MAX_NUMBER_DIGITS * 2:
            raise ExpressionError(f"number too large: more than {MAX_NUMBER_DIGITS * 2} digits")
        return _bounded(base ** exponent)

    def _visit_Call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(f"{_describe(node.func)} cannot be called; only named functions")
        name = node.func.id
        function = WHITELIST.get(name)
        if function is None:
            allowed = ", ".join(sorted(WHITELIST))
            raise ExpressionError(f"function {name!r} is not allowed; allowed: {allowed}")
        if node.keywords:
            raise ExpressionError(f"{name}() takes no keyword arguments")
        arguments = [self.visit(argument, depth) for argument in node.args]
        for argument in arguments:
            # towers such as exp(exp(exp(100))) make SymPy evaluate enormous numbers later
            if argument.is_number and not argument.is_Rational:
                raise ExpressionError(f"{name}() of a constant takes a plain number, got {sp.sstr(argument)[:40]}")
        expected = 2 if name in _TWO_ARGUMENT else 1
        if len(arguments) != expected:
            raise ExpressionError(f"{name}() takes {expected} argument(s), got {len(arguments)}")
        if name in _TWO_ARGUMENT and not any(arg.is_number for arg in arguments):
            raise ExpressionError(f"{name}() needs a number as one argument, e.g. {name}(0, z)")
        return function(*arguments)


def _digits(number: sp.Rational) -> int:
    """Decimal digits of the larger of numerator and denominator (a cheap upper estimate)."""
    return max(abs(number.p).bit_length(), number.q.bit_length()) * 30103 // 100000 + 1


def _bounded(value: sp.Expr) -> sp.Expr:
    """Every exact number met along the way stays small, so nested powers cannot explode."""
    if value.is_Rational and _digits(value) > MAX_NUMBER_DIGITS * 2:
        raise ExpressionError(f"number {sp.sstr(value)[:20]}... has too many digits "
                              f"(more than {MAX_NUMBER_DIGITS * 2})")
    return value


def _describe(node: ast.AST) -> str:
    """Name a syntax element in words a user recognises."""
    names = {
        "Attribute": "attribute access (.)", "Subscript": "indexing ([...])",
        "Lambda": "lambda", "ListComp": "a comprehension", "GeneratorExp": "a generator",
        "SetComp": "a comprehension", "DictComp": "a comprehension", "List": "a list",
        "Tuple": "a tuple", "Dict": "a dict", "Set": "a set", "Compare": "a comparison",
        "BoolOp": "and/or", "IfExp": "if/else", "NamedExpr": "assignment (:=)",
        "JoinedStr": "an f-string", "Starred": "unpacking (*)", "Await": "await",
        "Yield": "yield", "YieldFrom": "yield",
    }
    kind = type(node).__name__
    text = names.get(kind, kind)
    if isinstance(node, ast.Attribute):
        text += f" {node.attr!r}"
    return text
