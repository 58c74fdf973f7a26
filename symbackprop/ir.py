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
from dataclasses import dataclass, fields

import sympy as sp


@dataclass(frozen=True)
class Array:
    """A value the program computes; ``shape`` holds ints and ``"m"``, the batch size.

    ``fill`` is how its buffer starts: "empty" (every entry written before it is read), "zeros"
    (a zero-padded buffer whose border is never written), "ones", "index" (integers, not DTYPE) or
    "flags" (booleans).
    """

    name: str
    shape: tuple[int | str, ...]
    fill: str = "empty"

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


# -- convolution and pooling: images are (channels, m, rows, columns) arrays inside the program ---------
@dataclass(frozen=True)
class Relayout:
    """``out`` = ``source`` read as ``shape`` with its axes permuted by ``axes`` (a copy, or a view when
    ``view``): an input image (m, C, H, W) to channels last, an image to or from the (channel, row,
    column) order a dense layer reads (the program keeps images as (C, m, H, W))."""

    out: Array
    source: Operand
    shape: tuple[int | str, ...]
    axes: tuple[int, ...]
    view: bool = False


@dataclass(frozen=True)
class Windows:
    """Every (kh, kw) window of ``source`` (C, m, H, W) at the given ``stride``, ``source`` first copied
    into the zero-padded ``padded`` when there is padding: copied into ``out`` (C, kh, kw, m, H', W'), the
    matrix a conv layer's matmul reads, or, when ``view``, ``out`` is the strided view (C, m, H', W', kh, kw)."""

    out: Array
    source: Operand
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padded: Array | None = None
    padding: tuple[int, int] = (0, 0)
    view: bool = False


@dataclass(frozen=True)
class Contract:
    """``out`` (C_out, m, H', W') = the weight ``kernel`` (C_out, C_in, kh, kw) contracted with ``windows``
    (C_in, kh, kw, m, H', W') over (C_in, kh, kw), plus ``bias``: one matmul."""

    out: Array
    windows: Array
    kernel: Parameter
    bias: Parameter | None = None


@dataclass(frozen=True)
class KernelProducts:
    """``out`` (C_in, kh, kw, m, H', W') = Σ_c ``weight``[c, d, p, q] · ``delta``[c, ..]: the error of every
    output position times every weight that connects it, one matmul."""

    out: Array
    delta: Operand
    weight: Parameter


#: Where one kernel offset's terms land: (offset index, output rows, output columns, source rows, source
#: columns), each a (start, stop, step) slice.
Placement = tuple[tuple[int, ...], tuple[int, int, int], tuple[int, int, int], tuple[int, int, int],
                  tuple[int, int, int]]


@dataclass(frozen=True)
class Scatter:
    """``out`` (C, m, H, W) = Σ over ``placements`` of the offset's slice of ``source`` (C, kh, kw, m, H', W'),
    added at the output positions it reaches."""

    out: Array
    source: Array
    placements: tuple[Placement, ...]


@dataclass(frozen=True)
class KernelGradient:
    """``out`` (C_out, C_in, kh, kw) = Σ over samples and positions of ``delta`` (C_out, ..) times the
    ``windows`` (C_in, kh, kw, ..) the forward pass read, and ``bias_out`` = Σ of ``delta`` (a product with
    the vector of ``ones``); times ``scale`` if set."""

    out: Array
    bias_out: Array | None
    delta: Operand
    windows: Array
    ones: Array | None = None
    scale: Argument | None = None


@dataclass(frozen=True)
class Pool:
    """``out`` = the max or mean of each window of the strided view ``windows`` (C, m, H', W', kh, kw),
    entry by entry; for max pooling ``argmax`` receives the first maximum's offset (``greater`` is scratch)."""

    out: Array
    windows: Array
    mode: str
    argmax: Array | None = None
    greater: Array | None = None


@dataclass(frozen=True)
class Unpool:
    """``out`` (C, m, H, W) = the error ``delta`` of each window sent to its ``argmax`` (max) or spread over it
    (average), offset by offset at ``placements``; ``tiled`` when the windows tile the input (no sums)."""

    out: Array
    delta: Operand
    mode: str
    placements: tuple[Placement, ...]
    tiled: bool
    argmax: Array | None = None
    mask: Array | None = None


ConvStatement = Relayout | Windows | Contract | KernelProducts | Scatter | KernelGradient | Pool | Unpool
Statement = Affine | Apply | Reduce | MatMul | Comment | Return | Mean | Call | ConvStatement


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
    elif isinstance(statement, ConvStatement):
        values = [getattr(statement, field.name) for field in fields(statement)]
        values = [value for value in values if isinstance(value, Array | Parameter | Argument | Transposed)]
    for value in values:
        while isinstance(value, Transposed):
            value = value.operand
        if value is not None:
            yield value


def written(statement: Statement) -> tuple[Array, ...]:
    """The buffers an in-place statement writes (a Call's ``out``; a convolution node's outputs and scratch)."""
    if isinstance(statement, Call):
        return (statement.out,)
    if isinstance(statement, Relayout | Windows) and statement.view:
        return (statement.padded,) if getattr(statement, "padded", None) is not None else ()
    if isinstance(statement, ConvStatement):
        names = ("out", "bias_out", "padded", "argmax", "greater", "mask", "ones")
        return tuple(value for name in names if isinstance(value := getattr(statement, name, None), Array))
    return ()


def defined(statement: Statement) -> tuple[Array, ...]:
    """The values a pure statement defines: its ``out``, and a convolution node's other results."""
    found = [getattr(statement, "out", None)]
    if isinstance(statement, ConvStatement):
        found += [getattr(statement, name, None) for name in ("bias_out", "argmax")]
    return tuple(value for value in found if isinstance(value, Array))
