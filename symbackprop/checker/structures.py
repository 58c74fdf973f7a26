"""Values of the parser's structural nodes: matrices, Iverson brackets, norms, named functions,
derivatives of expressions and products or sums written with ⋯.

:func:`structure_value` is the one entry point; :class:`~.resolve.Evaluator` calls it for every
node type listed in :data:`HANDLERS`.  Each value is a SymPy scalar or matrix in the model's
symbols, as the evaluator's own; nothing of the user's text is evaluated as code (a derivative
is taken by SymPy of the tree's value, a ⋯ is instantiated by rebuilding the tree's symbols).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import sympy as sp

from ..errors import EquationError
from ..functions import relu, sigmoid, softplus
from .parser import (
    Apply,
    Bin,
    Compare,
    Derivative,
    Dots,
    Func,
    FunctionPower,
    Iverson,
    Matrix,
    Node,
    Norm,
    Num,
    Question,
    Sym,
    Unknown,
)

if TYPE_CHECKING:
    from .resolve import Evaluator

#: At most this many items a ⋯ may stand for (a hostile pattern cannot run away).
MAX_DOTS_ITEMS = 64
_X = sp.Symbol("x", real=True)
#: The functions with a fixed meaning, as SymPy functions of one argument.
FIXED: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "sinh": sp.sinh, "cosh": sp.cosh, "sech": sp.sech, "sqrt": sp.sqrt, "ReLU": relu, "relu": relu,
    "softplus": softplus, "sigmoid": sigmoid,
}
_RELATIONS: dict[str, Callable[[sp.Expr, sp.Expr], sp.Basic]] = {
    "<": sp.Lt, ">": sp.Gt, "<=": sp.Le, ">=": sp.Ge, "=": sp.Eq, "!=": sp.Ne,
}


def _elementwise(function: Callable, value):
    return value.applyfunc(function) if isinstance(value, sp.MatrixBase) else function(value)


# -- simple structures ----------------------------------------------------------------------------
def unknown(evaluator: Evaluator, node: Unknown, env: dict[str, int]):
    raise evaluator.error(f"unknown command '\\{node.name}': this checker reads fractions, partial derivatives, "
                          "sums, Greek letters, fonts, norms, matrices and the usual operators", node.column)


def question(evaluator: Evaluator, node: Question, env: dict[str, int]):
    raise evaluator.error("'?' asks a question: there is nothing to check", node.column)


def matrix(evaluator: Evaluator, node: Matrix, env: dict[str, int]) -> sp.Matrix:
    """A matrix literal, entry by entry (each entry a scalar)."""
    rows = []
    for row in node.rows:
        values = []
        for entry in row:
            value = evaluator.value(entry, env)
            if isinstance(value, sp.MatrixBase):
                if value.shape != (1, 1):
                    raise evaluator.error("each entry of a matrix must be a number, not a vector or a matrix",
                                          entry.column)
                value = value[0, 0]
            values.append(value)
        rows.append(values)
    return sp.Matrix(rows)


def iverson(evaluator: Evaluator, node: Iverson, env: dict[str, int]):
    """1 where the comparison holds, else 0 (entry by entry when a side is a vector)."""
    condition: Compare = node.condition
    left, right = (_index_or_value(evaluator, side, env) for side in (condition.left, condition.right))
    relation = _RELATIONS[condition.op]

    def bracket(a, b):
        return sp.Piecewise((1, relation(a, b)), (0, True))

    if isinstance(left, sp.MatrixBase) or isinstance(right, sp.MatrixBase):
        shape = left.shape if isinstance(left, sp.MatrixBase) else right.shape
        if isinstance(left, sp.MatrixBase) and isinstance(right, sp.MatrixBase) and left.shape != right.shape:
            raise evaluator.error("the two sides of the comparison have different shapes", condition.column)
        entry = (lambda value, i, j: value[i, j] if isinstance(value, sp.MatrixBase) else value)  # noqa: E731
        return sp.Matrix(shape[0], shape[1], lambda i, j: bracket(entry(left, i, j), entry(right, i, j)))
    return bracket(left, right)


def _index_or_value(evaluator: Evaluator, side: Node, env: dict[str, int]):
    """A bound index letter as its number (𝟙[i = j]), anything else as its value."""
    if isinstance(side, Sym) and side.bare and side.name in env:
        return sp.Integer(env[side.name])
    return evaluator.value(side, env)


def norm(evaluator: Evaluator, node: Norm, env: dict[str, int]):
    """‖v‖ = ‖v‖_2, the Euclidean norm (of a matrix: Frobenius's)."""
    if node.p not in (None, "2", "F"):
        raise evaluator.error(f"‖…‖_{{{node.p}}}: only the Euclidean norm ‖…‖ (or ‖…‖_2) is read", node.column)
    value = evaluator.value(node.arg, env)
    entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
    return sp.sqrt(sum(entry ** 2 for entry in entries))


def apply(evaluator: Evaluator, node: Apply, env: dict[str, int]):
    """sech, max, ReLU, softplus, √… of their arguments; a prime is the function's derivative.
    Nielsen's Σ'(z) is diag(σ'(z))."""
    if node.name == "Sigma":
        if not node.prime or len(node.args) != 1:
            raise evaluator.error("\\Sigma is read as Σ'(z), the diagonal matrix of σ'(z)", node.column)
        vector = evaluator.value(Func(node.column, "sigma", True, node.args[0]), env)
        if not isinstance(vector, sp.MatrixBase) or vector.shape[1] != 1:
            raise evaluator.error("Σ'(z) takes a layer's vector z", node.column)
        return sp.diag(*vector)
    values = [evaluator.value(argument, env) for argument in node.args]
    if node.name in ("max", "min"):
        return _extremum(evaluator, node, values)
    if len(values) != 1:
        raise evaluator.error(f"{node.name} takes one argument", node.column)
    if node.name == "softmax":
        return softmax(evaluator, node, values[0])
    function = FIXED[node.name]
    if node.prime:
        derivative = sp.diff(function(_X), _X)
        return _elementwise(lambda value: derivative.xreplace({_X: value}), values[0])
    return _elementwise(function, values[0])


def softmax(evaluator: Evaluator, node: Apply, value):
    """softmax(z) of a layer's vector: e^{z_j} / Σ_k e^{z_k}, entry by entry (it has no derivative
    of one entry alone, so softmax' is refused)."""
    if node.prime:
        raise evaluator.error("softmax' is a Jacobian: write ∂a_k/∂z_j entry by entry", node.column)
    if not isinstance(value, sp.MatrixBase) or 1 not in value.shape:
        raise evaluator.error("softmax(…) takes a layer's vector, as in softmax(z^L)", node.column)
    exponentials = value.applyfunc(sp.exp)
    total = sum(exponentials)
    return exponentials.applyfunc(lambda entry: entry / total)


def function_power(evaluator: Evaluator, node: FunctionPower, env: dict[str, int]):
    """tanh²(z) of a vector: each entry's square."""
    return _elementwise(lambda value: value ** node.exponent, evaluator.value(node.arg, env))


def _extremum(evaluator: Evaluator, node: Apply, values: list):
    if node.prime or len(values) < 2:
        raise evaluator.error(f"\\{node.name} of two or more arguments, as in \\max(0, z)", node.column)
    function = sp.Max if node.name == "max" else sp.Min
    shapes = {value.shape for value in values if isinstance(value, sp.MatrixBase)}
    if not shapes:
        return function(*values)
    if len(shapes) > 1:
        raise evaluator.error(f"the arguments of \\{node.name} have different shapes", node.column)
    (shape,) = shapes
    return sp.Matrix(shape[0], shape[1], lambda i, j: function(
        *(value[i, j] if isinstance(value, sp.MatrixBase) else value for value in values)))


# -- derivatives of expressions ------------------------------------------------------------------
def derivative(evaluator: Evaluator, node: Derivative, env: dict[str, int]):
    """∂E/∂x of the person's expression E: E written through x's layer (a^l as σ(z^l) when x is z^l,
    the layers above in terms of it), then differentiated by SymPy.  By a vector x, an elementwise
    E gives the vector of its derivatives (∂σ(z)/∂z = σ'(z)); a scalar E its gradient."""
    if evaluator.batch:
        raise evaluator.error("a derivative of an expression is read in one sample's equations only", node.column)
    resolved = evaluator.resolve(node.wrt)
    if resolved.kind not in ("a", "z", "w", "W", "b"):
        raise evaluator.error("a derivative by a, z, w or b (as in ∂σ(z)/∂z)", node.wrt.column)
    core = evaluator.core_layer(resolved, env)
    if resolved.kind == "z" and core == 0:
        raise evaluator.error("the input layer has no z", node.wrt.column)
    through = evaluator.truth.above("a", core - 1) if resolved.kind in ("w", "W", "b") \
        else evaluator.truth.above(resolved.kind, core)
    value = evaluator.value(node.expr, env)
    value = value.xreplace(through) if isinstance(value, sp.Basic) else value
    variable = evaluator.symbol_value(node.wrt, env)
    if not isinstance(variable, sp.MatrixBase):
        return _elementwise(lambda entry: sp.diff(entry, variable), value)
    if not isinstance(value, sp.MatrixBase):
        return variable.applyfunc(lambda entry: sp.diff(value, entry))
    return _diagonal_jacobian(evaluator, node, value, variable)


def _diagonal_jacobian(evaluator: Evaluator, node: Derivative, value: sp.Matrix, variable: sp.Matrix) -> sp.Matrix:
    if value.shape != variable.shape or variable.shape[1] != 1:
        raise evaluator.error("the derivative of a vector by a vector of another shape is a Jacobian: write it "
                              "entry by entry", node.column)
    size = variable.shape[0]
    jacobian = [[sp.diff(value[i], variable[j]) for j in range(size)] for i in range(size)]
    if any(jacobian[i][j] != 0 for i in range(size) for j in range(size) if i != j):
        raise evaluator.error("this vector depends on every entry of the other (its Jacobian is not diagonal): "
                              "write the derivative entry by entry", node.column)
    return sp.Matrix([jacobian[i][i] for i in range(size)])


# -- products and sums written with ⋯ ------------------------------------------------------------
def dots(evaluator: Evaluator, node: Dots, env: dict[str, int]):
    """The product (or sum) the dots abbreviate, for this binding of the free indices."""
    items = expand_dots(evaluator, node, env)
    total = evaluator.value(items[0], env)
    for item in items[1:]:
        total = evaluator.binary(Bin(item.column, node.op, Num(item.column, "1"), item),
                                 total, evaluator.value(item, env))
    return total


def expand_dots(evaluator: Evaluator, node: Dots, env: dict[str, int]) -> list[Node]:
    """The items the dots stand for, written out.

    Each item's layers and indices that are numbers under ``env`` are its numbers; the rest of it
    is its pattern.  The items before the dots repeat a block of ``p`` patterns, each block one
    layer (or index) on from the last (numbers that do not move stay); the dots continue the blocks
    until the first item after them, which must be one of them.  Where the text's first items
    already pass it (``l`` near ``L``), the sequence ends there: D^{[l]}(W^{[l+1]})^T ⋯ D^{[L]} for
    l = L−1 is D^{[L-1]}(W^{[L]})^T D^{[L]}; where the blocks would have to run backwards to reach
    it (l = L), this instance of the equation does not exist.
    """
    from .resolve import OutOfRangeError

    before = [_pattern(evaluator, item, env) for item in node.before]
    target = _pattern(evaluator, node.after[0], env)
    behind = False
    for period in range(1, len(before) + 1):
        for step in (1, -1):
            found = _position(before, target, period, step)
            if found == "behind":
                behind = True
            if found is None or found == "behind":
                continue
            position, moves = found
            if position > len(before) + MAX_DOTS_ITEMS:
                raise evaluator.error(f"the dots stand for more than {MAX_DOTS_ITEMS} items", node.column)
            written = list(node.before[:position])
            for index in range(len(before), position):
                block, phase = divmod(index, period)
                deltas = [block * step if move else 0 for move in moves[phase]]
                written.append(_shifted(evaluator, node.before[phase], env, deltas))
            return written + list(node.after)
    if behind:
        raise evaluator.error("here the items after the dots come before the ones ahead of them (the dots would "
                              "run backwards)", node.column, OutOfRangeError)
    raise evaluator.error("cannot tell what the dots stand for: the items before them should repeat, layer by "
                          "layer (or index by index), up to the first item after them", node.column)


def _position(before: list[tuple], target: tuple, period: int, step: int):
    """Where ``target`` stands in the sequence the blocks of ``before`` continue, with which numbers
    of each block's items move from block to block; "behind" when it stands before the first
    block, None when the blocks do not lead to it."""
    moves: list[list[bool] | None] = [None] * period
    for index in range(period, len(before)):  # the written blocks must themselves repeat
        (key, values), (base_key, base_values) = before[index], before[index - period]
        if key != base_key or len(values) != len(base_values):
            return None
        differences = [v - b for v, b in zip(values, base_values, strict=True)]
        if any(d not in (0, step) for d in differences) or not any(differences):
            return None
        moves[index % period] = [d != 0 for d in differences]
    target_key, target_values = target
    for phase in range(period):
        key, values = before[phase]
        if key != target_key or len(values) != len(target_values):
            continue
        moving = moves[phase] or [t != v for t, v in zip(target_values, values, strict=True)]
        shifts = {t - v for t, v, move in zip(target_values, values, moving, strict=True) if move}
        if any(t != v for t, v, move in zip(target_values, values, moving, strict=True) if not move) \
                or len(shifts) > 1 or not any(moves[phase] or [True]):
            continue
        shift = shifts.pop() if shifts else 0
        if shift * step < 0:
            return "behind"
        if moves[phase] is None and shift == 0 and len(before) > period:
            continue
        filled = [m if m is not None else [True] * len(before[i][1]) for i, m in enumerate(moves)]
        filled[phase] = moving
        return shift // step * period + phase, filled
    return None


_SCRIPT = re.compile(r"^\s*([\[({]?)(.*?)([\])}]?)\s*$")


def _number(evaluator: Evaluator, script: str | None, env: dict[str, int]) -> int | None:
    """The number a layer or index script stands for under ``env`` (None: not a number here)."""
    if script is None:
        return None
    try:
        return evaluator.affine(_SCRIPT.match(script).group(2), env, 0, "layer")
    except EquationError:
        return None


def _indices(evaluator: Evaluator, symbol: Sym, env: dict[str, int]) -> list[int] | None:
    """The numbers of a subscript under ``env``: w_{31} is 3 and 1 (None: not numbers here)."""
    if symbol.sub is None:
        return None
    single = _number(evaluator, symbol.sub, env)
    try:
        resolved = evaluator.resolve(symbol)
    except EquationError:
        return None if single is None else [single]
    if len(resolved.indices) < 2:
        return None if single is None else [single]
    values = [_number(evaluator, text, env) for text in resolved.indices]
    return None if None in values else values


def _walk(item, on_symbol: Callable[[Sym], object]):
    """Rebuild a tree (nodes, tuples) with ``on_symbol`` applied to each symbol, in field order."""
    if isinstance(item, Sym):
        return on_symbol(item)
    if isinstance(item, Node):
        changes = {field.name: _walk(getattr(item, field.name), on_symbol) for field in dataclasses.fields(item)
                   if field.name != "column"}
        return dataclasses.replace(item, **changes)
    if isinstance(item, tuple):
        return tuple(_walk(child, on_symbol) for child in item)
    return item


def _pattern(evaluator: Evaluator, node: Node, env: dict[str, int]) -> tuple:
    """An item's pattern (its tree, numbered scripts blanked, columns gone) and its numbers in order."""
    values: list[int] = []

    def blank(symbol: Sym) -> Sym:
        sup, sub = symbol.sup, symbol.sub
        number = _number(evaluator, sup, env)
        if number is not None:
            values.append(number)
            sup = _SCRIPT.match(sup).group(1) + "#"
        indices = _indices(evaluator, symbol, env)
        if indices is not None:
            values.extend(indices)
            sub = "#" * len(indices)
        return Sym(0, symbol.name, sup, sub)

    pattern = _walk(node, blank)
    return _without_columns(pattern), values


def _without_columns(item):
    if isinstance(item, Node):
        return (type(item).__name__,) + tuple(_without_columns(getattr(item, field.name))
                                              for field in dataclasses.fields(item) if field.name != "column")
    if isinstance(item, tuple):
        return tuple(_without_columns(child) for child in item)
    return item


def _shifted(evaluator: Evaluator, node: Node, env: dict[str, int], deltas: list[int]) -> Node:
    """``node`` with its numbered scripts (in :func:`_pattern`'s order) moved by ``deltas``."""
    queue = list(deltas)

    def move(symbol: Sym) -> Sym:
        sup, sub = symbol.sup, symbol.sub
        number = _number(evaluator, sup, env)
        if number is not None:
            match = _SCRIPT.match(sup)
            sup = f"{match.group(1)}{number + queue.pop(0)}{match.group(3)}"
        indices = _indices(evaluator, symbol, env)
        if indices is not None:
            sub = ",".join(str(value + queue.pop(0)) for value in indices)
        return dataclasses.replace(symbol, sup=sup, sub=sub)

    return _walk(node, move)


HANDLERS: dict[type, Callable] = {
    Unknown: unknown, Question: question, Matrix: matrix, Iverson: iverson, Norm: norm, Apply: apply,
    Derivative: derivative, Dots: dots, FunctionPower: function_power,
}


def structure_value(evaluator: Evaluator, node: Node, env: dict[str, int]):
    """The value of a structural node (a type in :data:`HANDLERS`)."""
    return HANDLERS[type(node)](evaluator, node, env)
