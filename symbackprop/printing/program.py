"""Program printers: the training program (:mod:`symbackprop.ir`) as lines of Python.

* :class:`InPlacePrinter` — the lowered, in-place form (:class:`~symbackprop.ir.Call` into
  preallocated buffers) for NumPy; :class:`CuPyInPlacePrinter` is the same with CuPy's tables;
* :class:`PurePrinter` — the pure form for JAX: every statement a new value, expressions
  printed whole (XLA fuses them), values passed between the blocks in a dict.

Each has one ``_print_<Node>`` per statement kind and refuses a node it has no form for.
Function names come from the function table (:data:`symbackprop.functions.ROWS`) through
the expression printers of :mod:`symbackprop.printing.numpy`.
"""

from __future__ import annotations

import textwrap

import sympy as sp

from ..functions import ROWS
from ..ir import (
    BLOCKS,
    Affine,
    Apply,
    Argument,
    Array,
    Call,
    Comment,
    Literal,
    MatMul,
    Mean,
    Operand,
    Parameter,
    Program,
    Reduce,
    Return,
    Statement,
    Transposed,
    defined,
    operands,
)
from .numpy import CuPyCodePrinter, JaxCodePrinter, NumPyCodePrinter, PrintingError


def comment_lines(text: str) -> list[str]:
    """``text`` as comment lines that fit the generated code's line length."""
    return [f"# {line}" for line in textwrap.wrap(text, 100, break_long_words=True, break_on_hyphens=False)]


class _ProgramPrinter:
    """Dispatch on the statement's class, ``_print_<Class>``; shared operand spelling."""

    expressions: type[NumPyCodePrinter] = NumPyCodePrinter

    def __init__(self) -> None:
        self.helpers: set[str] = set()

    @property
    def xp(self) -> str:
        return self.expressions.alias

    def operand(self, operand: Operand) -> str:
        if isinstance(operand, Array | Argument):
            return operand.name
        if isinstance(operand, Parameter):
            return f'params["{operand.name}"]'
        if isinstance(operand, Transposed):
            return f"{self.operand(operand.operand)}.T"
        if isinstance(operand, Literal):
            return operand.text
        raise PrintingError(f"no operand form for {operand!r}")

    def statement(self, statement: Statement) -> list[str]:
        method = getattr(self, f"_print_{type(statement).__name__}", None)
        if method is None:
            raise PrintingError(f"{type(self).__name__} cannot print a {type(statement).__name__} statement")
        return method(statement)

    def _print_Comment(self, statement: Comment) -> list[str]:
        return comment_lines(statement.text)

    def _print_Return(self, statement: Return) -> list[str]:
        return [f"return {self.operand(statement.value)}"]

    @staticmethod
    def _unpack(source: str, names: list[str]) -> list[str]:
        return [f'{name} = {source}["{name}"]' for name in names]


class InPlacePrinter(_ProgramPrinter):
    """NumPy's in-place form: ``np.multiply(a1, e1, out=d1)``; buffers unpacked from ``buf``."""

    #: Reductions: NumPy's ufunc ``reduce`` skips the Python wrapper of ``np.sum``/``np.max`` (about
    #: 1 µs a call, a tenth of a batch-10 step; same algorithm, same bits).
    reductions = {"sum": "np.add.reduce", "max": "np.maximum.reduce"}

    def block(self, program: Program, name: str, buffers: tuple[Array, ...]) -> list[str]:
        """The body of one block: its buffers taken from ``buf``, then its statements."""
        statements = program.block(name)
        used = {operand for statement in statements for operand in operands(statement)}
        lines = self._unpack("buf", [array.name for array in buffers if array in used])
        return lines + [line for statement in statements for line in self.statement(statement)]

    def _print_Call(self, call: Call) -> list[str]:
        args = [self.operand(arg) for arg in call.args]
        out = self.operand(call.out)
        if call.function in self.reductions:
            text = f"{self.reductions[call.function]}({', '.join(args + [f'{k}={v}' for k, v in call.keywords])}, " \
                   f"out={out})"
        elif call.function == "copyto":  # the destination comes first and is not out=
            text = f"{self.xp}.copyto({out}, {args[0]})"
        elif call.function in _ROWS_BY_NAME:
            row = _ROWS_BY_NAME[call.function]
            if row.helper and row.helper in row.array:
                self.helpers.add(row.helper)
            text = row.array.format(*args, xp=self.xp)[:-1] + f", out={out})"
        else:
            text = f"{self.xp}.{call.function}({', '.join(args)}, out={out})"
        return [f"{text}  # {call.comment}" if call.comment else text]

    def _print_Mean(self, statement: Mean) -> list[str]:
        return [f"return {self.reductions['sum']}({self.operand(statement.source)}, axis=None) / m"]


class CuPyInPlacePrinter(InPlacePrinter):
    """CuPy's in-place form: ``cp.`` and CuPy's own reductions."""

    expressions = CuPyCodePrinter
    reductions = {"sum": "cp.sum", "max": "cp.max"}


_ROWS_BY_NAME = {function.__name__: row for function, row in ROWS.items()}


class PurePrinter(_ProgramPrinter):
    """JAX's pure form: ``d1 = e1 * a1 * (1 - a1)``; values between blocks in a dict."""

    expressions = JaxCodePrinter

    def block(self, program: Program, name: str, also: set[str] = frozenset()) -> list[str]:
        """The body of one block; the forward pass also returns what the later blocks (and ``also``) read."""
        statements = program.block(name)
        lines = []
        if name != "forward":
            lines = self._unpack("values", [array.name for array in shared_values(program) if any(
                array in operands(statement) for statement in statements)])
        lines += [line for statement in statements for line in self.statement(statement)]
        if name == "forward":
            shared = ", ".join(f'"{array.name}": {array.name}' for array in shared_values(program, also))
            lines[-1] += f", {{{shared}}}"
        if name == "backward":
            lines.append("return {" + ", ".join(f'"{key}": {array.name}' for key, array in program.gradients) + "}")
        return lines

    def expression(self, expr: sp.Expr, bindings: dict[sp.Symbol, Operand]) -> str:
        names = {symbol: sp.Symbol(self.operand(operand), real=True) for symbol, operand in bindings.items()}
        return self.expressions().doprint(expr.xreplace(names))

    def _print_Affine(self, statement: Affine) -> list[str]:
        text = f"{self.operand(statement.input)} @ {self.operand(statement.weight)}.T"
        if statement.bias is not None:
            text += f" + {self.operand(statement.bias)}"
        return [f"{statement.out.name} = {text}"]

    def _print_Apply(self, statement: Apply) -> list[str]:
        bindings = dict(statement.bindings)
        replacements, (reduced,) = sp.cse(statement.expr, symbols=sp.numbered_symbols("_cse"), optimizations=None)
        lines = []
        for i, (symbol, value) in enumerate(replacements):
            name = f"{statement.scratch}{i}"
            lines.append(f"{name} = {self.expression(value, bindings)}")
            bindings[symbol] = Argument(name)
        text = f"{statement.out.name} = {self.expression(reduced, bindings)}"
        return lines + [f"{text}  # {statement.comment}" if statement.comment else text]

    @staticmethod
    def _scaled(text: str, scale: Argument | None) -> str:
        return f"{text} * {scale.name}" if scale is not None else text

    def _print_Reduce(self, statement: Reduce) -> list[str]:
        keepdims = ", keepdims=True" if statement.keepdims else ""
        text = f"jnp.{statement.op}({self.operand(statement.source)}, axis={statement.axis}{keepdims})"
        return [f"{statement.out.name} = {self._scaled(text, statement.scale)}"]

    def _print_MatMul(self, statement: MatMul) -> list[str]:
        text = f"{self.operand(statement.left)} @ {self.operand(statement.right)}"
        if statement.scale is not None:
            text = f"({text})"
        return [f"{statement.out.name} = {self._scaled(text, statement.scale)}"]

    def _print_Mean(self, statement: Mean) -> list[str]:
        return [f"return jnp.sum({self.operand(statement.source)}) / m"]


def shared_values(program: Program, also: set[str] = frozenset()) -> list[Array]:
    """Arrays the forward pass computes that the loss or the backward pass reads (or named in
    ``also``), in declaration order."""
    written = {array for statement in program.forward for array in defined(statement)}
    read = {operand for name in BLOCKS[1:] for statement in program.block(name) for operand in operands(statement)}
    return [array for array in program.arrays if array in written and (array in read or array.name in also)]


PRINTERS: dict[str, type[_ProgramPrinter]] = {"numpy": InPlacePrinter, "cupy": CuPyInPlacePrinter,
                                              "jax": PurePrinter}
