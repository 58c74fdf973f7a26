"""The training program of a convolutional network, built once from its layer-level derivation.

:func:`build_conv_program` turns a :class:`~symbackprop.conv.derivation.ConvLayerDerivation`
into a pure :class:`~symbackprop.ir.Program`, the same IR dense networks get, with the nodes
of :mod:`symbackprop.ir` for images (kept as (channels, m, rows, columns), so that a conv layer is
one matmul of the kernel with its windows, and every window copy reads whole rows):

* forward: the input to (C, m, H, W); per conv layer its windows (zero-padded) contracted with
  the kernel, plus the bias, then σ; per pooling layer its windows and their max (with the arg-max)
  or mean; a dense layer after an image reads it in (channel, row, column) order;
* backward, from the output down: δ^l (the derivation's simplified form), the gradients -- a conv
  kernel's as the sum over positions of δ times the windows its forward pass read -- and the
  error of the layer below through this layer's crossing: for a conv layer the correlation the
  derivation solved (:meth:`~symbackprop.conv.derivation.IndexMap.correlation`: δ dilated and
  padded, against the flipped kernel), evaluated offset by offset (:func:`placements`); for pooling,
  δ routed to the arg-max or spread at the same placements; for a dense layer δ W.

The loss and the output layer are built as for dense networks (:mod:`symbackprop.program`).
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ..derivation import E
from ..ir import (
    Affine,
    Apply,
    Array,
    Comment,
    Contract,
    KernelGradient,
    KernelProducts,
    Layer,
    MatMul,
    Operand,
    Parameter,
    Placement,
    Pool,
    Program,
    Reduce,
    Relayout,
    Return,
    Scatter,
    Statement,
    Transposed,
    Unpool,
    Windows,
)
from ..printing.text import expression_text, kinks_text
from ..program import SCALE, X_DATA, Y_DATA, _Builder, _delta, _loss, _softmax, initialisation
from ..registry import A, Y, Z
from .derivation import ConvLayerDerivation, ConvLayerEquations, Correlation, axes
from .spec import Conv2d, Dense, Pool2d, units


def array_shape(shape: tuple[int, ...]) -> tuple[int | str, ...]:
    """The program's array of an image layer (C, H, W): (C, m, H, W); of a dense layer (n,): (m, n)."""
    return (shape[0], "m", shape[1], shape[2]) if len(shape) == 3 else ("m", shape[0])


class _ConvBuilder(_Builder):
    """The dense builder with arrays of any shape."""

    def elementwise(self, out: str, shape: tuple[int | str, ...], expr: sp.Expr, bindings: dict[sp.Symbol, Operand],
                    scratch: str) -> tuple[list[Statement], Operand]:
        """``out = expr`` over an array of ``shape``, or no statement when ``expr`` is one bound symbol."""
        if isinstance(expr, sp.Symbol) and expr in bindings:
            return [], bindings[expr]
        used = tuple((symbol, operand) for symbol, operand in bindings.items() if symbol in expr.free_symbols)
        array = self.array(out, *shape)
        return [Apply(array, expr, used, scratch)], array

    def filled(self, name: str, fill: str, *shape: int | str) -> Array:
        array = Array(name, shape, fill)
        self.arrays.append(array)
        return array


def _input(builder: _ConvBuilder, shape: tuple[int, int, int]) -> tuple[list[Statement], Array]:
    """X (m, C·H·W, as the module's API takes it) as the channels-last image x0; a view for one channel."""
    channels, height, width = shape
    x0 = builder.array("x0", channels, "m", height, width)
    return [Relayout(x0, X_DATA, ("m", channels, height, width), (1, 0, 2, 3), view=channels == 1)], x0


def _conv_forward(builder: _ConvBuilder, layers: ConvLayerDerivation, n: int, below: Operand,
                  named: dict) -> list[Statement]:
    spec = layers.spec
    layer: Conv2d = spec.layer(n)
    (_, height, width), (channels, rows, columns) = spec.shapes[n - 1], spec.shapes[n]
    padded = None
    if layer.padding != (0, 0):
        (ph, pw) = layer.padding
        padded = builder.filled(f"pad{n}", "zeros", spec.shapes[n - 1][0], "m", height + 2 * ph, width + 2 * pw)
    windows = named[f"col{n}"] = builder.array(f"col{n}", spec.shapes[n - 1][0], *layer.kernel, "m", rows, columns)
    z = named[f"z{n}"] = builder.array(f"z{n}", channels, "m", rows, columns)
    bias = Parameter(f"b{n}") if spec.bias else None
    statements: list[Statement] = [Windows(windows, below, layer.kernel, layer.stride, padded, layer.padding),
                                   Contract(z, windows, Parameter(f"W{n}"), bias)]
    lines, output = builder.elementwise(f"a{n}", z.shape, layer.activation.expr, {Z: z}, f"f{n}_")
    named[f"a{n}"] = output
    return statements + lines


def _pool_forward(builder: _ConvBuilder, layers: ConvLayerDerivation, n: int, below: Operand,
                  named: dict) -> list[Statement]:
    spec = layers.spec
    layer: Pool2d = spec.layer(n)
    channels, rows, columns = spec.shapes[n]
    windows = named[f"win{n}"] = Array(f"win{n}", (channels, "m", rows, columns, *layer.kernel))  # a view
    argmax = greater = None
    if layer.mode == "max":
        argmax = builder.filled(f"idx{n}", "index", channels, "m", rows, columns)
        greater = builder.filled(f"gt{n}", "flags", channels, "m", rows, columns)
    named[f"idx{n}"] = argmax
    out = named[f"a{n}"] = named[f"z{n}"] = builder.array(f"a{n}", channels, "m", rows, columns)
    return [Windows(windows, below, layer.kernel, layer.stride, view=True), Pool(out, windows, layer.mode, argmax,
                                                                                 greater)]


def _dense_forward(builder: _ConvBuilder, layers: ConvLayerDerivation, n: int, below: Operand,
                   named: dict) -> list[Statement]:
    spec = layers.spec
    layer: Dense = spec.layer(n)
    statements: list[Statement] = []
    if len(spec.shapes[n - 1]) == 3:  # the flatten: (channel, row, column) order, as the spec says
        channels, height, width = spec.shapes[n - 1]
        flat = builder.array(f"flat{n}", "m", units(spec.shapes[n - 1]))
        statements.append(Relayout(flat, below, (channels, "m", height, width), (1, 0, 2, 3)))
        below = flat
    named[f"in{n}"] = below
    z = named[f"z{n}"] = builder.array(f"z{n}", "m", layer.size)
    statements.append(Affine(z, below, Parameter(f"W{n}"), Parameter(f"b{n}") if spec.bias else None))
    if layer.activation.elementwise:
        lines, output = builder.elementwise(f"a{n}", z.shape, layer.activation.expr, {Z: z}, f"f{n}_")
    else:
        lines, output = _softmax(builder, z, n, layer.size, named)
    named[f"a{n}"] = output
    return statements + lines


_FORWARD = {Conv2d: _conv_forward, Pool2d: _pool_forward, Dense: _dense_forward}


def _forward(builder: _ConvBuilder, layers: ConvLayerDerivation) -> tuple[list[Statement], dict]:
    statements, below = _input(builder, layers.spec.input_shape)
    named: dict = {"a0": below}
    for n in range(1, layers.spec.depth + 1):
        statements += _FORWARD[type(layers.spec.layer(n))](builder, layers, n, named[f"a{n - 1}"], named)
    return statements, named


def _gradients(builder: _ConvBuilder, layers: ConvLayerDerivation, n: int, delta: Operand,
               named: dict) -> tuple[list[Statement], list[tuple[str, Array]]]:
    spec, layer = layers.spec, layers.spec.layer(n)
    weight_shape = spec.parameter_shapes()[f"W{n}"]
    grad_w = builder.array(f"gW{n}", *weight_shape)
    grad_b = builder.array(f"gb{n}", weight_shape[0]) if spec.bias else None
    found = [(f"W{n}", grad_w)] + ([(f"b{n}", grad_b)] if grad_b is not None else [])
    if isinstance(layer, Conv2d):
        positions = spec.shapes[n][1] * spec.shapes[n][2]
        ones = builder.filled(f"ones{n}", "ones", f"m * {positions}") if grad_b is not None else None
        return [KernelGradient(grad_w, grad_b, delta, named[f"col{n}"], ones, SCALE)], found
    statements: list[Statement] = [MatMul(grad_w, Transposed(delta), named[f"in{n}"], scale=SCALE)]
    if grad_b is not None:
        statements.append(Reduce(grad_b, "sum", delta, axis=0, scale=SCALE))
    return statements, found


def _cross(builder: _ConvBuilder, layers: ConvLayerDerivation, n: int, delta: Operand,
           named: dict) -> list[Statement]:
    """The error of layer n − 1, e^{n−1}, from δ^n through the crossing of layer n."""
    spec, equations = layers.spec, layers.layer(n)
    error = named[f"e{n - 1}"] = builder.array(f"e{n - 1}", *array_shape(spec.shapes[n - 1]))
    kind = equations.crossing.kind
    if kind == "dense":
        return [MatMul(error, delta, Parameter(f"W{n}"))]
    if kind == "flatten":
        channels, height, width = spec.shapes[n - 1]
        flat = builder.array(f"eflat{n - 1}", "m", units(spec.shapes[n - 1]))
        return [MatMul(flat, delta, Parameter(f"W{n}")),
                Relayout(error, flat, ("m", channels, height, width), (1, 0, 2, 3))]
    if kind == "conv":
        return _conv_cross(builder, layers, equations, delta, error)
    return _pool_cross(builder, layers, n, delta, error, named)


def placements(layers: ConvLayerDerivation, n: int) -> tuple[tuple[Placement, ...], bool]:
    """Where each kernel offset of layer n sends its terms of the error of layer n − 1, and whether every
    input position is reached exactly once (the windows tile it).

    Read off the derived correlation (:meth:`~symbackprop.conv.derivation.IndexMap.correlation`): the
    error of input position u gathers, for each offset, the window position i = (u + p̄ − front)/dilation,
    p̄ the (flipped) offset, so offset p reaches u = dilation·i + front − p̄ for every whole i in range.
    """
    spec, equations = layers.spec, layers.layer(n)
    row_axis, column_axis = axes(equations.spec_layer, spec.shapes[n])
    sides = spec.shapes[n - 1][1:]
    per_axis = [_axis_placements(equations.crossing.index_map.correlation(axis), axis.kernel, axis.positions, side)
                for axis, side in zip((row_axis, column_axis), sides, strict=True)]
    found: list[Placement] = []
    reached = np.zeros(sides, dtype=int)
    for (p, out_rows, in_rows), (q, out_columns, in_columns) in itertools.product(*per_axis):
        found.append(((p, q), out_rows, out_columns, in_rows, in_columns))
        reached[slice(*out_rows), slice(*out_columns)] += 1
    return tuple(found), bool((reached == 1).all())


def _axis_placements(form: Correlation, kernel: int, positions: int, size: int) -> list[tuple]:
    """(offset, output slice, window slice) along one axis, for each offset that reaches the input."""
    found = []
    for p in range(kernel):
        shift = form.front - (kernel - 1 - p if form.flip else p)  # u = dilation·i + shift
        first = max(0, -(shift // form.dilation))
        last = min(positions, (size - 1 - shift) // form.dilation + 1)
        if first < last:
            start = form.dilation * first + shift
            found.append((p, (start, start + form.dilation * (last - first - 1) + 1, form.dilation),
                          (first, last, 1)))
    return found


def _conv_cross(builder: _ConvBuilder, layers: ConvLayerDerivation, equations: ConvLayerEquations, delta: Operand,
                error: Array) -> list[Statement]:
    """e^{n−1}: the derived correlation of δ^n with the flipped kernel, evaluated offset by offset -- every
    product of δ with the kernel in one matmul, each added where the solved index map places it."""
    spec, n, layer = layers.spec, equations.layer, equations.spec_layer
    forms = [equations.crossing.index_map.correlation(axis) for axis in axes(layer, spec.shapes[n])]
    (_, rows, columns), in_channels = spec.shapes[n], spec.shapes[n - 1][0]
    products = builder.array(f"prod{n}", in_channels, *layer.kernel, "m", rows, columns)
    spots, _ = placements(layers, n)
    flipped = " flipped" if forms[0].flip or forms[1].flip else ""
    return [Comment(f"layer {n} back: the correlation of δ, dilated by {forms[0].dilation}×{forms[1].dilation} and "
                    f"padded by {forms[0].front}×{forms[1].front}, with the kernel{flipped}, offset by offset"),
            KernelProducts(products, delta, Parameter(f"W{n}")), Scatter(error, products, spots)]


def _pool_cross(builder: _ConvBuilder, layers: ConvLayerDerivation, n: int, delta: Operand, error: Array,
                named: dict) -> list[Statement]:
    layer: Pool2d = layers.spec.layer(n)
    spots, tiled = placements(layers, n)
    mask = builder.filled(f"mask{n}", "flags", *named[f"a{n}"].shape) if layer.mode == "max" else None
    what = "to each window's first maximum" if layer.mode == "max" else "spread evenly over each window"
    return [Comment(f"layer {n} back: δ routed {what}, at the positions the solved index map gives"),
            Unpool(error, delta, layer.mode, spots, tiled, named[f"idx{n}"], mask)]


def _needs_error(spec, n: int) -> bool:
    """Whether some layer below n has parameters (else the error of layer n − 1 is never used)."""
    return any(layer.has_parameters for layer in spec.layers[:n - 1])


def _backward(builder: _ConvBuilder, layers: ConvLayerDerivation,
              named: dict) -> tuple[list[Statement], Operand, list[tuple[str, Array]]]:
    spec = layers.spec
    statements: list[Statement] = []
    gradients: list[tuple[str, Array]] = []
    delta_output: Operand = named[f"a{spec.depth}"]
    for equations in reversed(layers.layers):
        n, eq = equations.layer, equations.equations
        if n < spec.depth and f"e{n}" not in named:
            continue  # no layer at or below n has parameters: its δ is never used
        bindings = {A: named[f"a{n}"], Y: Y_DATA, Z: named[f"z{n}"]}
        if n < spec.depth:
            bindings[E] = named[f"e{n}"]
        statements.append(Comment(f"layer {n} ({equations.kind}): δ = {expression_text(eq.delta)}"))
        if n == spec.depth:
            lines, delta = _delta(builder, eq, bindings, spec.sizes[-1])
            delta_output = delta
        else:
            lines, delta = builder.elementwise(f"d{n}", array_shape(spec.shapes[n]), eq.delta, bindings, f"t{n}_")
        statements += lines
        if equations.spec_layer.has_parameters:
            lines, found = _gradients(builder, layers, n, delta, named)
            statements += lines
            gradients += found
        if n > 1 and _needs_error(spec, n):
            statements += _cross(builder, layers, n, delta, named)
    order = list(spec.parameter_shapes())
    return statements, delta_output, sorted(gradients, key=lambda item: order.index(item[0]))


def _layer(equations: ConvLayerEquations, layers: ConvLayerDerivation) -> Layer:
    spec, n, layer = layers.spec, equations.layer, equations.spec_layer
    eq = equations.equations
    activation = getattr(layer, "activation", None)
    if activation is None:
        forward, derivative, name, init = f"{layer.mode} over each window", "(routing)", layer.kind, "xavier"
    elif activation.elementwise:
        forward, derivative = expression_text(activation.expr), expression_text(eq.derivative)
        name, init = activation.label(), initialisation(activation.expr)
    else:
        forward, derivative, name, init = "softmax(z)", "(softmax Jacobian)", activation.label(), "xavier"
    return Layer(n, spec.sizes[n - 1], spec.sizes[n], name, init, activation is not None and not activation.elementwise,
                 forward, derivative, expression_text(eq.delta), kinks_text(eq.kinks))


def build_conv_program(layers: ConvLayerDerivation) -> Program:
    """The pure training program of a convolutional network."""
    builder = _ConvBuilder()
    forward, named = _forward(builder, layers)
    backward, delta_output, gradients = _backward(builder, layers, named)
    loss = _loss(builder, layers, named[f"a{layers.spec.depth}"], named)
    output = named[f"a{layers.spec.depth}"]
    return Program(tuple(_layer(eq, layers) for eq in layers.layers), tuple(builder.arrays),
                   tuple(forward) + (Return(output),), tuple(loss), tuple(backward), output, delta_output,
                   tuple(gradients))
