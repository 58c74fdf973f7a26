"""The training program of a spec, built once from the layer-level derivation.

:func:`build_program` turns a :class:`~symbackprop.derivation.LayerDerivation` into a pure
:class:`~symbackprop.ir.Program`: for every layer z = a W^T + b and a = σ(z) (softmax from the
shifted logits), the cost with its logarithms in terms of the logits (log-softmax,
log σ(z) = −softplus(−z)), and for every layer from the output down the row sums δ needs, δ
itself (the derivation's simplified form: σ' in terms of a, δ^L = a − y where it cancels), the
gradients scale · δ^T a and scale · Σ δ, and the back-propagated error δ W.  Nothing is printed
here: the NumPy/CuPy path lowers it to in-place calls (:mod:`symbackprop.lowering`), the JAX
path prints it as it is.
"""

from __future__ import annotations

import sympy as sp

from .derivation import N_OUT, E, LayerDerivation, LayerEquations
from .functions import FUNCTIONS
from .ir import (
    Affine,
    Apply,
    Argument,
    Array,
    Comment,
    Layer,
    MatMul,
    Mean,
    Operand,
    Parameter,
    Program,
    Reduce,
    Return,
    Statement,
    Transposed,
)
from .passes import LOGP, stable_cost
from .printing.text import expression_text, kinks_text
from .registry import A, Y, Z

#: Symbols of the statements the builder writes itself (softmax, log-softmax).
_MAX, _SUM, _LSE = (sp.Symbol(name, real=True) for name in ("zmax", "ssum", "lse"))
X_DATA, Y_DATA, SCALE = Argument("X"), Argument("Y"), Argument("scale")


def initialisation(activation_expr: sp.Expr | None) -> str:
    """He for activations built from a rectifier (relu, leaky_relu), Xavier (Glorot) otherwise."""
    rectifiers = [row.function for row in FUNCTIONS if row.rectifier]
    if activation_expr is not None and activation_expr.has(*rectifiers):
        return "he"
    return "xavier"


def _stable_cost(layers: LayerDerivation) -> sp.Expr:
    output = layers.spec.output
    return stable_cost(layers.spec.cost.expr, output.expr if output.elementwise else None)


class _Builder:
    """Statements and array declarations, in the order they are made."""

    def __init__(self) -> None:
        self.arrays: list[Array] = []

    def array(self, name: str, *shape: int | str) -> Array:
        array = Array(name, shape)
        self.arrays.append(array)
        return array

    def apply(self, out: str, width: int, expr: sp.Expr, bindings: dict[sp.Symbol, Operand], scratch: str,
              rows: frozenset[sp.Symbol] = frozenset(), comment: str = "") -> tuple[list[Statement], Operand]:
        """``out = expr``, or no statement when ``expr`` is one bound symbol (its operand is the value)."""
        if isinstance(expr, sp.Symbol) and expr in bindings:
            return [], bindings[expr]
        used = tuple((symbol, operand) for symbol, operand in bindings.items() if symbol in expr.free_symbols)
        array = self.array(out, "m", 1 if expr.free_symbols <= rows else width)
        return [Apply(array, expr, used, scratch, rows & expr.free_symbols, comment)], array


def _forward(builder: _Builder, layers: LayerDerivation) -> tuple[list[Statement], list[Operand], dict]:
    """z and a of every layer; returns the statements, a^0..a^L and the arrays by name."""
    spec = layers.spec
    statements: list[Statement] = []
    outputs: list[Operand] = [X_DATA]
    named: dict[str, Array] = {}
    for eq in layers.layers:
        n, width = eq.layer, spec.sizes[eq.layer]
        z = named[f"z{n}"] = builder.array(f"z{n}", "m", width)
        if n < spec.depth:
            named[f"e{n}"] = builder.array(f"e{n}", "m", width)
        bias = Parameter(f"b{n}") if spec.bias else None
        statements.append(Affine(z, outputs[-1], Parameter(f"W{n}"), bias))
        if eq.activation.elementwise:
            lines, output = builder.apply(f"a{n}", width, eq.activation.expr, {Z: z}, f"f{n}_")
            statements += lines
        else:
            lines, output = _softmax(builder, z, n, width, named)
            statements += lines
        outputs.append(output)
    return statements, outputs, named


def _softmax(builder: _Builder, z: Array, n: int, width: int, named: dict) -> tuple[list[Statement], Array]:
    """a = exp(z − max z) / Σ exp(z − max z); z is left shifted (the loss reads it)."""
    a = builder.array(f"a{n}", "m", width)
    zmax = named[f"zmax{n}"] = builder.array(f"zmax{n}", "m", 1)
    ssum = named[f"ssum{n}"] = builder.array(f"ssum{n}", "m", 1)
    return [Reduce(zmax, "max", z, axis=1, keepdims=True),
            Apply(z, Z - _MAX, ((Z, z), (_MAX, zmax)), f"z{n}_", frozenset({_MAX}),
                  comment="shifted logits: exp cannot overflow"),
            Apply(a, sp.exp(Z), ((Z, z),), f"a{n}_"),
            Reduce(ssum, "sum", a, axis=1, keepdims=True),
            Apply(a, A / _SUM, ((A, a), (_SUM, ssum)), f"a{n}_", frozenset({_SUM}))], a


def _delta(builder: _Builder, eq: LayerEquations, bindings: dict[sp.Symbol, Operand],
           width: int) -> tuple[list[Statement], Operand]:
    """The row sums δ^l needs, then δ^l itself."""
    n = eq.layer
    delta = eq.delta.xreplace({N_OUT: width})
    statements: list[Statement] = []
    rows = set()
    for k, row in enumerate(r for r in eq.row_sums if r.symbol in delta.free_symbols):
        summand = row.summand.xreplace({N_OUT: width})
        lines, value = builder.apply(f"u{n}_{k}", width, summand, bindings, f"u{n}_{k}_")
        total = builder.array(f"s{n}_{k}", "m", 1)
        statements += [*lines, Reduce(total, "sum", value, axis=1, keepdims=True)]
        bindings[row.symbol] = total
        rows.add(row.symbol)
    lines, value = builder.apply(f"d{n}", width, delta, bindings, f"t{n}_", frozenset(rows))
    return statements + lines, value


def _backward(builder: _Builder, layers: LayerDerivation, outputs: list[Operand],
              named: dict) -> tuple[list[Statement], Operand, list[tuple[str, Array]]]:
    """δ, the gradients and the back-propagated error of every layer, from the output down."""
    spec = layers.spec
    statements: list[Statement] = []
    gradients: list[tuple[str, Array]] = []
    delta_output: Operand = outputs[-1]
    for eq in reversed(layers.layers):
        n, width = eq.layer, spec.sizes[eq.layer]
        bindings = {A: outputs[n], Y: Y_DATA, Z: named[f"z{n}"]}
        if n < spec.depth:
            bindings[E] = named[f"e{n}"]
        statements += [Comment(f"layer {n}: δ = {expression_text(eq.delta.xreplace({N_OUT: spec.sizes[-1]}))}")]
        lines, delta = _delta(builder, eq, bindings, width)
        statements += lines
        if n == spec.depth:
            delta_output = delta
        grad_w = builder.array(f"gW{n}", width, spec.sizes[n - 1])
        statements.append(MatMul(grad_w, Transposed(delta), outputs[n - 1], scale=SCALE))
        gradients.append((f"W{n}", grad_w))
        if spec.bias:
            grad_b = builder.array(f"gb{n}", width)
            statements.append(Reduce(grad_b, "sum", delta, axis=0, scale=SCALE))
            gradients.append((f"b{n}", grad_b))
        if n > 1:
            statements.append(MatMul(named[f"e{n - 1}"], delta, Parameter(f"W{n}")))
    order = {f"{kind}{n}": i for i, (kind, n) in enumerate((k, n) for n in range(1, spec.depth + 1) for k in "Wb")}
    return statements, delta_output, sorted(gradients, key=lambda item: order[item[0]])


def _loss(builder: _Builder, layers: LayerDerivation, output: Operand, named: dict) -> list[Statement]:
    """Σ over units and samples of the (stable) per-unit cost, over m."""
    cost = _stable_cost(layers)
    last, width = layers.spec.depth, layers.spec.sizes[-1]
    z = named[f"z{last}"]
    statements: list[Statement] = [Comment(f"per-unit cost {sp.sstr(cost)}, summed over units and samples, "
                                           "divided by m")]
    bindings: dict[sp.Symbol, Operand] = {A: output, Y: Y_DATA, Z: z}
    if LOGP in cost.free_symbols:  # log softmax = shifted logits − log Σ exp
        lse = builder.array(f"lse{last}", "m", 1)
        logp = bindings[LOGP] = builder.array(f"logp{last}", "m", width)
        statements += [Apply(lse, sp.log(_SUM), ((_SUM, named[f"ssum{last}"]),), f"lse{last}_",
                             frozenset({_SUM})),
                       Apply(logp, Z - _LSE, ((Z, z), (_LSE, lse)), f"logp{last}_", frozenset({_LSE}))]
    lines, value = builder.apply(f"c{last}", width, cost, bindings, f"c{last}_")
    return statements + lines + [Mean(value)]


def _layer(eq: LayerEquations, layers: LayerDerivation) -> Layer:
    spec, n = layers.spec, eq.layer
    if eq.activation.elementwise:
        forward, derivative = expression_text(eq.activation.expr), expression_text(eq.derivative)
    else:
        forward, derivative = "softmax(z)", "(softmax Jacobian)"
    return Layer(n, spec.sizes[n - 1], spec.sizes[n], eq.activation.label(), initialisation(eq.activation.expr),
                 not eq.activation.elementwise, forward, derivative,
                 expression_text(eq.delta.xreplace({N_OUT: spec.sizes[-1]})), kinks_text(eq.kinks))


def build_program(layers: LayerDerivation) -> Program:
    """The pure training program for ``layers`` (a layer-level derivation)."""
    builder = _Builder()
    forward, outputs, named = _forward(builder, layers)
    backward, delta_output, gradients = _backward(builder, layers, outputs, named)
    loss = _loss(builder, layers, outputs[-1], named)
    return Program(tuple(_layer(eq, layers) for eq in layers.layers), tuple(builder.arrays),
                   tuple(forward) + (Return(outputs[-1]),), tuple(loss), tuple(backward), outputs[-1],
                   delta_output, tuple(gradients))
