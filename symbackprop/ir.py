"""The nodes of the training program: arrays, operands and statements, all immutable.

A :class:`Program` (built by :func:`symbackprop.program.build_program`) holds three blocks of
statements — the forward pass, the loss and the backward pass — in *pure* form: every statement
computes a new value (an :class:`Array`) from operands.  Passes (:mod:`symbackprop.lowering`)
turn it into the in-place form NumPy and CuPy want (:class:`Call` into preallocated buffers);
printers (:mod:`symbackprop.printing.program`) walk either form.

Operands are :class:`Array` (a value the program computes, shape in terms of the batch size
``m``), :class:`Parameter` (``params["W1"]``), :class:`Argument` (``X``, ``Y``, ``scale``, a
function argument), :class:`Transposed` and :class:`Literal`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Array:
    """A value the program computes; ``shape`` holds ints and ``"m"``, the batch size."""

    name: str
    shape: tuple[int | str, ...]

    def shape_text(self) -> str:
        inner = ", ".join(map(str, self.shape))
        return f"({inner},)" if len(self.shape) == 1 else f"({inner})"

    @property
    def width(self) -> int | str:
        return self.shape[-1]


@dataclass(frozen=True)
class Parameter:
    """A weight matrix or bias vector of the network, ``params[name]``."""

    name: str


@dataclass(frozen=True)
class Argument:
    """An argument of the generated function (``X``, ``Y``, ``scale``)."""

    name: str


@dataclass(frozen=True)
class Transposed:
    """The transpose of a 2-D operand (a view, never a copy)."""

    operand: Operand


@dataclass(frozen=True)
class Literal:
    """A number, already printed as a Python float literal."""

    text: str


Operand = Array | Parameter | Argument | Transposed | Literal


# -- pure statements ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Affine:
    """``out = input · weight^T (+ bias)``: the pre-activations of one layer."""

    out: Array
    input: Operand
    weight: Parameter
    bias: Parameter | None


@dataclass(frozen=True)
class Apply:
    """``out = expr`` elementwise; ``bindings`` give the operand of every free symbol.

    ``scratch`` prefixes the names of the temporaries a lowering may need; ``rows`` are the
    symbols of shape (m, 1) (row sums), which broadcast against the others.
    """

    out: Array
    expr: sp.Expr
    bindings: tuple[tuple[sp.Symbol, Operand], ...]
    scratch: str
    rows: frozenset[sp.Symbol] = frozenset()
    comment: str = ""


@dataclass(frozen=True)
class Reduce:
    """``out = op(source)`` along ``axis`` (``op`` is ``"sum"`` or ``"max"``), times ``scale`` if set."""

    out: Array
    op: str
    source: Operand
    axis: int
    keepdims: bool = False
    scale: Argument | None = None


@dataclass(frozen=True)
class MatMul:
    """``out = left · right``, times ``scale`` if set."""

    out: Array
    left: Operand
    right: Operand
    scale: Argument | None = None


@dataclass(frozen=True)
class Comment:
    """A comment line in the generated code."""

    text: str


@dataclass(frozen=True)
class Return:
    """The block's result: ``value``."""

    value: Operand


@dataclass(frozen=True)
class Mean:
    """The block's result: the sum of all entries of ``source`` over the batch size m."""

    source: Operand


# -- in-place statements (after lowering) ------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """``function(*args, **keywords, out=out)``: one array call writing into a preallocated buffer.

    ``function`` is an array-module function (``multiply``, ``matmul``, ``sum``) or the class
    name of a row of the function table (``sigmoid``), which the printer looks up.
    """

    function: str
    args: tuple[Operand, ...]
    out: Array
    keywords: tuple[tuple[str, str], ...] = ()
    comment: str = ""


Statement = Affine | Apply | Reduce | MatMul | Comment | Return | Mean | Call


@dataclass(frozen=True)
class Layer:
    """What the module's docstring says about one weight layer."""

    number: int
    n_in: int
    n_out: int
    activation: str
    init: str  # "he" or "xavier"
    softmax: bool
    forward_formula: str
    derivative_formula: str
    delta_formula: str
    kinks: str  # where σ is not differentiable, in words ("z = 0"); empty when nowhere


@dataclass(frozen=True)
class Program:
    """The training program of one spec: three blocks and the arrays they compute.

    ``arrays`` lists every array in declaration order (the order buffers are allocated in);
    ``output`` is a^L; ``delta_output`` is δ^L (every δ, and so every gradient, is linear in it).
    """

    layers: tuple[Layer, ...]
    arrays: tuple[Array, ...]
    forward: tuple[Statement, ...]
    loss: tuple[Statement, ...]
    backward: tuple[Statement, ...]
    output: Operand
    delta_output: Operand
    gradients: tuple[tuple[str, Array], ...]  # (parameter key, its gradient)

    def block(self, name: str) -> tuple[Statement, ...]:
        return getattr(self, name)

    def statements(self) -> Iterator[Statement]:
        for name in BLOCKS:
            yield from self.block(name)


#: The blocks of a program, in the order they run.
BLOCKS = ("forward", "loss", "backward")


def operands(statement: Statement) -> Iterator[Operand]:
    """Every operand a statement reads or writes, transposes unwrapped."""
    values: list = []
    if isinstance(statement, Affine):
        values = [statement.out, statement.input, statement.weight, statement.bias]
    elif isinstance(statement, Apply):
        values = [statement.out, *(operand for _, operand in statement.bindings)]
    elif isinstance(statement, Reduce):
        values = [statement.out, statement.source, statement.scale]
    elif isinstance(statement, MatMul):
        values = [statement.out, statement.left, statement.right, statement.scale]
    elif isinstance(statement, Call):
        values = [*statement.args, statement.out]
    elif isinstance(statement, Return):
        values = [statement.value]
    elif isinstance(statement, Mean):
        values = [statement.source]
    for value in values:
        while isinstance(value, Transposed):
            value = value.operand
        if value is not None:
            yield value
