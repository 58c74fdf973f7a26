"""The symbolic model of one concrete network with convolution and pooling layers.

Every weight, bias, input, target and neuron of a :class:`~symbackprop.conv.spec.ConvSpec`
is a SymPy symbol.  In these networks **every index starts at 0, as in the arrays**: the
weight ``w^l_{c,d,p,q}`` is ``W{l}[c, d, p, q]`` (from input channel d at kernel offset
(p, q) to output channel c), a neuron of an image layer is ``a^l_{c,i,j}`` (channel c, row i,
column j, the array ``A_l[:, c, i, j]``), a dense layer's ``w^l_{j,k}`` is ``W{l}[j, k]``, and a
dense layer after an image reads it flattened in (channel, row, column) order.

A conv layer is a cross-correlation with zero padding,
``z^l_{c,i,j} = b^l_c + Σ_{d,p,q} w^l_{c,d,p,q} a^{l−1}_{d, s·i+p−P, s·j+q−P}``; a pooling
layer's ``a^l_{c,i,j}`` is the maximum or the mean of ``a^{l−1}_{c, s·i+p, s·j+q}`` over its
window and has no ``z`` (:meth:`ConvModel.z` gives its ``a``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from ..model import contract_subtrees
from ..registry import A, Y, Z
from .spec import Conv2d, ConvSpec, Pool2d

Index = tuple[int, ...]


@dataclass(frozen=True, order=True)
class ConvParameter:
    """One trainable parameter: ``kind`` "w" or "b" of layer ``layer`` at array index ``index``."""

    kind: str
    layer: int
    index: Index

    @property
    def key(self) -> str:
        """The parameter's array, ``W{l}`` or ``b{l}`` (a contract of the generated modules)."""
        return f"{self.kind.upper() if self.kind == 'w' else 'b'}{self.layer}"

    def __str__(self) -> str:
        return f"{self.kind}^{self.layer}_{{{','.join(map(str, self.index))}}}"


def _name(letter: str, layer: int | None, index: Index) -> str:
    scripts = ",".join(map(str, index))
    return f"{letter}_{{{scripts}}}" if layer is None else f"{letter}^{{{layer}}}_{{{scripts}}}"


def flat_index(shape: tuple[int, ...], index: Index) -> int:
    """The position of ``index`` in the (channel, row, column) order of a flattened image."""
    position = 0
    for size, value in zip(shape, index, strict=True):
        position = position * size + value
    return position


class window_max(sp.Function):  # noqa: N801 - SymPy names functions in lower case
    """The largest of its arguments, left unevaluated until they are numbers.

    SymPy's ``Max`` compares its arguments pairwise whenever it is built, which makes the
    derivative of a pooled network (a Max of the others for every entry) take minutes.  The
    derivative is the definition's, ∂max/∂x_r = H(x_r − max of the others), undefined (½) at a tie.
    """

    @classmethod
    def eval(cls, *args):
        if len(args) == 1:
            return args[0]
        if all(arg.is_number for arg in args):
            return sp.Max(*args)
        return None

    def fdiff(self, argindex=1):
        others = self.args[:argindex - 1] + self.args[argindex:]
        return sp.Heaviside(self.args[argindex - 1] - window_max(*others))

    def _eval_is_real(self):
        return True if all(arg.is_real for arg in self.args) else None


def route_to_maximum(window: list[sp.Symbol], entry: int) -> sp.Expr:
    """1 when ``window[entry]`` is the window's first maximum in row-major order, else 0 (a product of steps).

    Strictly greater than every entry before it, at least as large as every entry after it: the
    tie rule of :data:`~symbackprop.conv.derivation.TIE_RULE`.
    """
    value = window[entry]
    return sp.Mul(*(sp.Heaviside(value - other, 0 if position < entry else 1)
                    for position, other in enumerate(window) if position != entry))


class ConvModel:
    """Symbols and local definitions of every node of a concrete convolutional network."""

    def __init__(self, spec: ConvSpec) -> None:
        self.spec = spec
        self.L = spec.depth
        self.shapes = spec.shapes

    # -- symbols -------------------------------------------------------------------------
    def w(self, layer: int, index: Index) -> sp.Symbol:
        return sp.Symbol(_name("w", layer, index), real=True)

    def b(self, layer: int, channel: int) -> sp.Symbol:
        return sp.Symbol(_name("b", layer, (channel,)), real=True)

    def x(self, index: Index) -> sp.Symbol:
        return sp.Symbol(_name("x", None, index), real=True)

    def y(self, j: int) -> sp.Symbol:
        return sp.Symbol(_name("y", None, (j,)), real=True)

    def a(self, layer: int, index: Index) -> sp.Symbol:
        return self.x(index) if layer == 0 else sp.Symbol(_name("a", layer, index), real=True)

    def z(self, layer: int, index: Index) -> sp.Symbol:
        """z^l at ``index``; a pooling layer has none and gives its a^l (δ^l = ∂C/∂a^l there)."""
        if self.is_pool(layer):
            return self.a(layer, index)
        return sp.Symbol(_name("z", layer, index), real=True)

    def delta(self, layer: int, index: Index) -> sp.Symbol:
        return sp.Symbol(_name("delta", layer, index), real=True)

    def symbol(self, parameter: ConvParameter) -> sp.Symbol:
        if parameter.kind == "w":
            return self.w(parameter.layer, parameter.index)
        return self.b(parameter.layer, parameter.index[0])

    def is_pool(self, layer: int) -> bool:
        return layer > 0 and isinstance(self.spec.layer(layer), Pool2d)

    def units(self, layer: int) -> list[Index]:
        """Every neuron index of a layer, in the flattened (channel, row, column) order."""
        return list(itertools.product(*(range(size) for size in self.shapes[layer])))

    @cached_property
    def parameters(self) -> tuple[ConvParameter, ...]:
        """All parameters, layer by layer, weights before biases, in array (row-major) order."""
        found: list[ConvParameter] = []
        for key, shape in self.spec.parameter_shapes().items():
            kind, layer = ("w" if key[0] == "W" else "b"), int(key[1:])
            found += [ConvParameter(kind, layer, index) for index in itertools.product(*(range(n) for n in shape))]
        return tuple(found)

    @property
    def inputs(self) -> tuple[sp.Symbol, ...]:
        return tuple(self.x(index) for index in self.units(0))

    @property
    def targets(self) -> tuple[sp.Symbol, ...]:
        return tuple(self.y(j) for j in range(self.shapes[-1][0]))

    # -- local definitions ----------------------------------------------------------------
    def reads(self, layer: int, index: Index) -> list[tuple[tuple[int, int], Index]]:
        """The neurons of layer l−1 that window position ``index`` of a conv or pool layer reads.

        Each is ((p, q), (i', j')): kernel offset and input position s·i+p−P, s·j+q−P, inside the
        input only (positions in the zero padding contribute nothing).
        """
        spec_layer = self.spec.layer(layer)
        _, height, width = self.shapes[layer - 1]
        (kh, kw), (sh, sw), (ph, pw) = spec_layer.kernel, spec_layer.stride, spec_layer.padding
        _, i, j = index
        found = []
        for p, q in itertools.product(range(kh), range(kw)):
            row, column = sh * i + p - ph, sw * j + q - pw
            if 0 <= row < height and 0 <= column < width:
                found.append(((p, q), (row, column)))
        return found

    def z_definition(self, layer: int, index: Index) -> sp.Expr:
        """z^l at ``index`` from the activations of layer l−1 (conv or dense)."""
        spec_layer = self.spec.layer(layer)
        if isinstance(spec_layer, Conv2d):
            channel = index[0]
            terms = [self.w(layer, (channel, d, p, q)) * self.a(layer - 1, (d, row, column))
                     for d in range(self.shapes[layer - 1][0])
                     for (p, q), (row, column) in self.reads(layer, index)]
        else:
            terms = [self.w(layer, (index[0], flat_index(self.shapes[layer - 1], k))) * self.a(layer - 1, k)
                     for k in self.units(layer - 1)]
        total = sp.Add(*terms)
        return total + self.b(layer, index[0]) if self.spec.bias else total

    def a_definition(self, layer: int, index: Index) -> sp.Expr:
        """a^l at ``index``: σ(z), softmax of the layer, or the maximum or mean over a pooling window."""
        spec_layer = self.spec.layer(layer)
        if isinstance(spec_layer, Pool2d):
            window = [self.a(layer - 1, (index[0], *position)) for _, position in self.reads(layer, index)]
            return window_max(*window) if spec_layer.mode == "max" else sp.Add(*window) / len(window)
        if spec_layer.activation.elementwise:
            return spec_layer.activation.expr.xreplace({Z: self.z(layer, index)})
        exps = [sp.exp(self.z(layer, other)) for other in self.units(layer)]
        return exps[index[0]] / sp.Add(*exps)

    def cost_in_outputs(self) -> sp.Expr:
        """The per-sample cost Σ_j c(a^L_j, y_j)."""
        unit_cost = self.spec.cost.expr
        return sp.Add(*(unit_cost.xreplace({A: self.a(self.L, (j,)), Y: self.y(j)}) for j in range(self.shapes[-1][0])))

    # -- the whole network --------------------------------------------------------------
    @cached_property
    def node_values(self) -> dict[sp.Symbol, sp.Expr]:
        """Every z and a symbol as an expression of parameters and inputs, built bottom-up."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for layer in range(1, self.L + 1):
            if not self.is_pool(layer):
                for index in self.units(layer):
                    values[self.z(layer, index)] = self.z_definition(layer, index).xreplace(values)
            for index in self.units(layer):
                values[self.a(layer, index)] = self.a_definition(layer, index).xreplace(values)
        return values

    @cached_property
    def cost(self) -> sp.Expr:
        """C as one expression of weights, biases, inputs and targets."""
        return self.cost_in_outputs().xreplace(self.node_values)

    def _elementwise(self, layer: int) -> bool:
        spec_layer = self.spec.layer(layer)
        return isinstance(spec_layer, Pool2d) or spec_layer.activation.elementwise

    @cached_property
    def _contraction(self) -> tuple[dict[sp.Expr, sp.Symbol], dict[sp.Symbol, sp.Expr]]:
        """Node values back to node symbols; softmax outputs stay written in their z's."""
        contract: dict[sp.Expr, sp.Symbol] = {}
        softmax: dict[sp.Symbol, sp.Expr] = {}
        for layer in range(1, self.L + 1):
            for index in self.units(layer):
                contract[self.node_values[self.z(layer, index)]] = self.z(layer, index)
                if self._elementwise(layer):
                    contract[self.node_values[self.a(layer, index)]] = self.a(layer, index)
                else:
                    softmax[self.a(layer, index)] = self.a_definition(layer, index)
        return contract, softmax

    def contract_nodes(self, expr: sp.Expr) -> sp.Expr:
        """An expression of parameters rewritten in node symbols where subtrees match node values."""
        return contract_subtrees(expr, self._contraction[0]).xreplace(self._contraction[1])

    @cached_property
    def free_values(self) -> dict[sp.Symbol, sp.Expr]:
        """Each a symbol (and pooling output) in terms of the z's below it, so that z's vary freely.

        a^l = σ(z^l) for an elementwise layer, softmax of the z's for a softmax layer; a pooling
        output is the maximum or mean of the free values of its window.
        """
        values: dict[sp.Symbol, sp.Expr] = {}
        for layer in range(1, self.L + 1):
            for index in self.units(layer):
                values[self.a(layer, index)] = self.a_definition(layer, index).xreplace(values)
        return values

    @cached_property
    def tie_rule(self) -> dict[sp.Expr, sp.Expr]:
        """Each window entry's derivative H(x_r − max of the others), as differentiation writes it, ↦ the tie
        rule's 1 for the first maximum in row-major order (0 elsewhere, a product of steps).

        The two agree except where entries tie, where the maximum has a kink and no derivative (H(0) = ½ is
        not one); with it the brute-force partials of a max-pooled network can be compared symbolically.
        """
        rule: dict[sp.Expr, sp.Expr] = {}
        for layer in range(1, self.L + 1):
            if not self.is_pool(layer) or self.spec.layer(layer).mode != "max":
                continue
            for index in self.units(layer):
                window = [self.a(layer - 1, (index[0], *position)) for _, position in self.reads(layer, index)]
                for entry, value in enumerate(window):
                    others = window[:entry] + window[entry + 1:]
                    rule[sp.Heaviside(value - window_max(*others))] = route_to_maximum(window, entry)
        return rule

    @cached_property
    def softmax_values(self) -> dict[sp.Symbol, sp.Expr]:
        """Each softmax output in terms of its layer's z's (empty without a softmax layer)."""
        return {self.a(layer, index): self.a_definition(layer, index)
                for layer in range(1, self.L + 1) if not self._elementwise(layer) for index in self.units(layer)}

    def node_point(self, point: dict[sp.Symbol, sp.Float], digits: int) -> dict[sp.Symbol, sp.Float]:
        """``point`` (values of every z, input and parameter) with every a computed from them, as the network does."""
        values = dict(point)
        for layer in range(1, self.L + 1):
            for index in self.units(layer):
                values[self.a(layer, index)] = self.a_definition(layer, index).xreplace(values).evalf(digits)
        return values

    def free_nodes(self, expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(self.free_values)

    def expand_nodes(self, expr: sp.Expr) -> sp.Expr:
        """Replace z and a symbols in ``expr`` by their values (parameters and inputs)."""
        return expr.xreplace(self.node_values)
