"""Passes from the pure training program to the in-place form NumPy and CuPy run.

Each pass takes a :class:`~symbackprop.ir.Program` and returns a new one (or, for
:func:`allocate`, the buffers it needs); the JAX path runs none of them:

* :func:`fold_scale` — every δ is linear in δ^L, so the gradients' factor (1/m, or lr/m in an
  SGD step) is applied once to δ^L instead of to every gradient, and the update is then one
  in-place subtraction;
* :func:`lower_in_place` — every statement becomes array calls with ``out=`` into a buffer
  (:class:`~symbackprop.ir.Call`), elementwise expressions as three-address code after
  common-subexpression elimination, each temporary a new array declared just before the array
  its statement computes;
* :func:`allocate` — the arrays some call writes into, in declaration order: the buffers to
  preallocate per batch size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import sympy as sp

from .functions import ROWS, step_at_zero
from .ir import (
    BLOCKS,
    Affine,
    Apply,
    Array,
    Call,
    KernelGradient,
    Literal,
    MatMul,
    Operand,
    Program,
    Reduce,
    Statement,
    Transposed,
    written,
)
from .printing.numpy import PrintingError, number

_DELTA, _SCALE = sp.Symbol("delta", real=True), sp.Symbol("scale", real=True)


def fold_scale(program: Program) -> Program:
    """The gradients' factor ``scale`` moved from every gradient onto δ^L (one multiply)."""
    delta = program.delta_output
    scaled_kinds = MatMul | Reduce | KernelGradient
    scale = next(s.scale for s in program.backward if isinstance(s, scaled_kinds) and s.scale is not None)
    backward = [replace(s, scale=None) if isinstance(s, scaled_kinds) else s for s in program.backward]
    computed = [i for i, s in enumerate(backward) if isinstance(s, Apply) and s.out == delta]
    bindings = ((_DELTA, delta), (_SCALE, scale))
    if computed:  # scale δ^L in place, right after it is computed
        backward.insert(computed[-1] + 1, Apply(delta, _DELTA * _SCALE, bindings, "",
                                                comment="so gW, gb come out scaled"))
        return replace(program, backward=tuple(backward))
    # δ^L is another array (the targets, the output itself): scale a copy, not the original
    scaled = Array(f"d{len(program.layers)}", ("m", program.layers[-1].n_out))
    backward = [_substitute(s, delta, scaled) for s in backward]
    first = next(i for i, s in enumerate(backward) if isinstance(s, MatMul))
    backward.insert(first, Apply(scaled, _DELTA * _SCALE, bindings, ""))
    anchor = backward[first + 1].out
    return replace(program, arrays=_declare_before(program.arrays, [scaled], anchor), backward=tuple(backward),
                   delta_output=scaled)


def _substitute(statement: Statement, old: Operand, new: Operand) -> Statement:
    """``statement`` reading ``new`` where it read ``old`` (MatMul and Reduce operands)."""
    def swap(operand: Operand) -> Operand:
        if isinstance(operand, Transposed):
            return Transposed(swap(operand.operand))
        return new if operand == old else operand

    if isinstance(statement, MatMul):
        return replace(statement, left=swap(statement.left), right=swap(statement.right))
    if isinstance(statement, Reduce):
        return replace(statement, source=swap(statement.source))
    return statement


def _declare_before(arrays: tuple[Array, ...], new: list[Array], anchor: Array) -> tuple[Array, ...]:
    """``arrays`` with ``new`` inserted just before ``anchor``."""
    at = arrays.index(anchor)
    return arrays[:at] + tuple(a for a in new if a not in arrays) + arrays[at:]


def lower_in_place(program: Program) -> Program:
    """Every statement as array calls with ``out=``; temporaries declared before their statement's array."""
    arrays = program.arrays
    blocks = {}
    for name in BLOCKS:
        statements: list[Statement] = []
        for statement in program.block(name):
            calls, temporaries = lower_statement(statement)
            if temporaries:
                arrays = _declare_before(arrays, temporaries, statement.out)
            statements += calls
        blocks[name] = tuple(statements)
    return replace(program, arrays=arrays, **blocks)


def lower_statement(statement: Statement) -> tuple[list[Statement], list[Array]]:
    """One statement as in-place calls, and the temporaries they write."""
    if isinstance(statement, Affine):
        calls = [Call("matmul", (statement.input, Transposed(statement.weight)), statement.out)]
        if statement.bias is not None:
            calls.append(Call("add", (statement.out, statement.bias), statement.out))
        return calls, []
    if isinstance(statement, MatMul | Reduce | KernelGradient) and statement.scale is not None:
        raise ValueError("lower_in_place needs the scale folded into δ^L first (fold_scale)")
    if isinstance(statement, MatMul):
        return [Call("matmul", (statement.left, statement.right), statement.out)], []
    if isinstance(statement, Reduce):
        keywords = (("axis", str(statement.axis)),) + ((("keepdims", "True"),) if statement.keepdims else ())
        return [Call(statement.op, (statement.source,), statement.out, keywords)], []
    if isinstance(statement, Apply):
        lowering = _Lowering(dict(statement.bindings), set(statement.rows), statement.scratch, statement.out)
        lowering.lower(statement.expr)
        calls = lowering.calls
        if statement.comment and calls:
            calls[-1] = replace(calls[-1], comment=statement.comment)
        return calls, lowering.temporaries
    return [statement], []


class _Lowering:
    """Turns one expression into array calls with ``out=``; one instance per expression."""

    def __init__(self, names: Mapping[sp.Symbol, Operand], rows: set[sp.Symbol], scratch: str, out: Array) -> None:
        self.names = dict(names)
        self.rows = set(rows)  # symbols of shape (m, 1)
        self.scratch, self.shape = scratch, out.shape
        self.target = out
        self.calls: list[Call] = []
        self.temporaries: list[Array] = []

    def lower(self, expr: sp.Expr) -> None:
        """Calls computing ``expr`` into the target, common subexpressions once each."""
        replacements, (reduced,) = sp.cse(expr, symbols=sp.numbered_symbols("_cse"), optimizations=None)
        for symbol, value in replacements:
            name = self.temporary(value)
            if value.free_symbols <= self.rows:
                self.rows.add(symbol)
            self.into(value, name)
            self.names[symbol] = name
        self.into(reduced, self.target)

    def temporary(self, expr: sp.Expr) -> Array:
        rows = expr.free_symbols <= self.rows
        array = Array(f"{self.scratch}{len(self.temporaries)}", ("m", 1) if rows else self.shape)
        self.temporaries.append(array)
        return array

    def emit(self, function: str, *args: Operand, out: Array) -> None:
        self.calls.append(Call(function, args, out))

    def operand(self, expr: sp.Expr) -> Operand:
        """An operand for ``expr``, computing it into a temporary when needed."""
        if expr.is_Number or (expr.is_number and expr.is_real):
            return Literal(number(expr))
        if expr in self.names:
            return self.names[expr]
        if isinstance(expr, sp.Symbol):
            raise PrintingError(f"unknown symbol {expr} in a generated expression")
        target = self.temporary(expr)
        self.into(expr, target)
        return target

    def into(self, expr: sp.Expr, out: Array) -> None:
        """Calls computing ``expr`` into the array ``out``."""
        handler: Callable[[sp.Expr, Array], None] | None = None
        for kind in type(expr).__mro__:
            handler = getattr(self, f"_lower_{kind.__name__}", None)
            if handler is not None:
                break
        if expr.is_Number or isinstance(expr, sp.Symbol):
            self.emit("copyto", self.operand(expr), out=out)
        elif type(expr) in ROWS:
            self.emit(type(expr).__name__, *(self.operand(arg) for arg in expr.args), out=out)
        elif handler is not None:
            handler(expr, out)
        else:
            raise PrintingError(f"no array form for {type(expr).__name__} {expr}")

    def _lower_Heaviside(self, expr: sp.Heaviside, out: Array) -> None:
        h0 = step_at_zero(expr)
        x = self.operand(expr.args[0])
        if h0 == 0:
            self.emit("greater", x, Literal("0.0"), out=out)
        else:
            self.emit("heaviside", x, Literal(number(h0)), out=out)

    def _combine(self, function: str, current: Operand | None, operand: Operand, out: Array) -> Operand:
        """``function(current, operand)`` into ``out``; the first operand just becomes current."""
        if current is None:
            return operand
        self.emit(function, current, operand, out=out)
        return out

    def _first(self, expr: sp.Expr, out: Array) -> Operand:
        """An operand for the first term: the variable of a symbol, else ``out`` computed."""
        if expr in self.names:
            return self.names[expr]
        self.into(expr, out)
        return out

    def _finish(self, current: Operand, out: Array) -> None:
        if current != out:
            self.emit("copyto", current, out=out)

    def _lower_Max(self, expr: sp.Expr, out: Array, function: str = "maximum") -> None:
        current = None
        for arg in sorted(expr.args, key=sp.default_sort_key):
            current = self._first(arg, out) if current is None else self._combine(function, current,
                                                                                  self.operand(arg), out)
        self._finish(current, out)

    def _lower_Min(self, expr: sp.Expr, out: Array) -> None:
        self._lower_Max(expr, out, "minimum")

    def _lower_Add(self, expr: sp.Add, out: Array) -> None:
        constant, terms = expr.as_coeff_add()
        terms = sorted(terms, key=lambda term: (term.could_extract_minus_sign(), sp.default_sort_key(term)))
        current = None
        if constant != 0 and terms[0].could_extract_minus_sign():
            self.emit("subtract", Literal(number(constant)), self.operand(-terms[0]), out=out)
            current, constant, terms = out, sp.S.Zero, terms[1:]
        for term in terms:
            if current is None:
                current = self._first(term, out)
            elif term.could_extract_minus_sign():
                current = self._combine("subtract", current, self.operand(-term), out)
            else:
                current = self._combine("add", current, self.operand(term), out)
        if constant != 0:
            current = self._combine("add", current, Literal(number(constant)), out)
        self._finish(current, out)

    def _lower_Mul(self, expr: sp.Mul, out: Array) -> None:
        coefficient, factors = expr.as_coeff_mul()
        numerator, denominator = [], []
        for factor in sorted(factors, key=sp.default_sort_key):
            if factor.is_Pow and factor.exp.is_Number and factor.exp < 0:
                denominator.append(sp.Pow(factor.base, -factor.exp))
            else:
                numerator.append(factor)
        if not numerator:
            self.emit("divide", Literal(number(coefficient)), self.operand(sp.Mul(*denominator)), out=out)
            return
        current = None
        for factor in numerator:
            current = self._first(factor, out) if current is None else self._combine(
                "multiply", current, self.operand(factor), out)
        for factor in denominator:
            current = self._combine("divide", current, self.operand(factor), out)
        if coefficient == -1:
            self.emit("negative", current, out=out)
            current = out
        elif coefficient != 1:
            current = self._combine("multiply", current, Literal(number(coefficient)), out)
        self._finish(current, out)

    def _lower_Pow(self, expr: sp.Pow, out: Array) -> None:
        base, exponent = expr.args
        x = self.operand(base)
        if exponent == 2:
            self.emit("square", x, out=out)
        elif exponent == sp.S.Half:
            self.emit("sqrt", x, out=out)
        elif exponent == -1:
            self.emit("divide", Literal("1.0"), x, out=out)
        elif exponent.is_Number:
            self.emit("power", x, Literal(number(exponent)), out=out)
        else:
            self.emit("power", x, self.operand(exponent), out=out)


def allocate(program: Program) -> tuple[Array, ...]:
    """The arrays an in-place program writes into, in declaration order: its buffers."""
    found = {array for statement in program.statements() for array in written(statement)}
    return tuple(array for array in program.arrays if array in found)
