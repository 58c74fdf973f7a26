"""The layer-level backpropagation of a network with convolution and pooling layers.

Derived once per layer at generic sizes, so the cost of deriving does not depend on the image
size or the number of channels:

* δ^l = e^l ⊙ σ_l'(z^l) for every layer with an activation (e^l = ∂C/∂a^l, the error coming
  back from layer l+1; a pooling layer has no activation and δ^l = e^l), and δ^L of the dense
  output layer, simplified as for dense networks (:mod:`symbackprop.derivation`);
* how the error crosses layer l back to layer l−1 (:class:`Crossing`): through a dense layer
  e^{l−1}_k = Σ_j w^l_{j,k} δ^l_j (unflattened when layer l−1 is an image); through a
  convolution the window positions that read input position u at kernel offset p are found by
  solving u = s·i + p − P for i (:func:`derive_index_map`), so
  e^{l−1}_{d,u,v} = Σ_c Σ_{p,q} w^l_{c,d,p,q} δ^l_{c,(u+P−p)/s,(v+P−q)/s} over whole indices in
  range — a full correlation of δ^l, dilated by the stride, with the flipped kernel
  (:meth:`IndexMap.correlation`); through max pooling to the arg-max of each window, through
  average pooling spread evenly, the local derivative found by differentiating the window's
  max or mean (:func:`pool_derivative`);
* ∂C/∂b^l_c = Σ_{i,j} δ^l_{c,i,j} and ∂C/∂w^l_{c,d,p,q} = Σ_{i,j} δ^l_{c,i,j} a^{l−1}_{d,s·i+p−P,s·j+q−P}:
  weight sharing makes every parameter of a conv layer a sum over the positions it is used at.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..derivation import Assumption, LayerDerivation, LayerEquations, derive_layers
from ..registry import builtin_activation
from ..spec import Spec
from .spec import Conv2d, ConvSpec, Dense, Pool2d

#: Generic index symbols along one axis: output position, input position, kernel offset, and the
#: layer's stride, padding and kernel size.
OUT, IN, OFFSET = sp.symbols("i u p", integer=True, nonnegative=True)
STRIDE, KERNEL = sp.symbols("s k", integer=True, positive=True)
PAD = sp.Symbol("P", integer=True, nonnegative=True)
#: The flipped kernel offset p̄ = k − 1 − p.
FLIPPED = sp.Symbol("pbar", integer=True, nonnegative=True)

#: How a max-pooling window routes its error when several entries share the maximum.
TIE_RULE = ("the first maximum of the window in row-major order takes the whole error (as PyTorch does); "
            "at a tie the maximum has a kink and this is one of its subgradients")


@dataclass(frozen=True)
class Correlation:
    """e_u = Σ_p w_{p'} D_{u+p} with p' = k−1−p when ``flip``: D is δ dilated by ``dilation``, after ``front`` zeros.

    The form in which the generated code and the numeric check evaluate a convolution's backward
    pass (``D[front + dilation·i] = δ_i``, zero elsewhere).
    """

    dilation: int
    front: int
    flip: bool


@dataclass(frozen=True)
class Axis:
    """One axis of a conv or pooling layer: kernel size, stride, padding and its number of output positions."""

    kernel: int
    stride: int
    padding: int
    positions: int

    @property
    def values(self) -> dict[sp.Symbol, int]:
        return {KERNEL: self.kernel, STRIDE: self.stride, PAD: self.padding}


def axes(layer: Conv2d | Pool2d, out_shape: tuple[int, ...]) -> tuple[Axis, Axis]:
    """The row and column axes of a conv or pooling layer whose output has ``out_shape`` (C, H', W')."""
    return tuple(Axis(k, s, p, n) for k, s, p, n in zip(layer.kernel, layer.stride, layer.padding, out_shape[1:],
                                                        strict=True))


@dataclass(frozen=True)
class IndexMap:
    """Along one axis: the input position u that window position i reads at kernel offset p.

    ``forward`` is u = s·i + p − P (P = 0 for pooling); ``backward`` is the window position i that
    reads u at offset p, solved from it.
    """

    forward: sp.Expr
    backward: sp.Expr

    def read(self, i: int, p: int, axis: Axis) -> int:
        """The input position window position i reads at offset p (it may lie in the padding)."""
        return int(self.forward.xreplace({OUT: i, OFFSET: p, **axis.values}))

    def source(self, u: int, p: int, axis: Axis) -> int | None:
        """The window position that reads u at offset p, or None when there is none (not whole, or out of range)."""
        value = self.backward.xreplace({IN: u, OFFSET: p, **axis.values})
        positions = axis.positions
        if not value.is_Integer or not 0 <= int(value) < positions:
            return None
        return int(value)

    def correlation(self, axis: Axis) -> Correlation:
        """``backward`` read as a correlation over offsets: i = (u + p̄ − front)/dilation for p̄ = k−1−p (flipped)
        or p̄ = p; ValueError when it is not of that form."""
        kernel = axis.kernel
        concrete = sp.expand(self.backward.xreplace(axis.values))
        slope, step = Fraction(str(concrete.coeff(IN))), Fraction(str(concrete.coeff(OFFSET)))
        constant = Fraction(str(concrete.xreplace({IN: 0, OFFSET: 0})))
        if slope <= 0 or (1 / slope).denominator != 1 or abs(step) != slope:
            raise ValueError(f"i = {concrete} is not a correlation over kernel offsets")
        flip = step < 0
        front = -(step * (kernel - 1) + constant) / slope if flip else -constant / slope
        if front.denominator != 1 or front < 0:
            raise ValueError(f"i = {concrete} does not start inside the padded error")
        return Correlation(int(1 / slope), int(front), flip)


def derive_index_map(padded: bool = True) -> IndexMap:
    """Solve u = s·i + p − P for the window position i (P = 0 when not ``padded``)."""
    forward = STRIDE * OUT + OFFSET - (PAD if padded else 0)
    (backward,) = sp.solve(sp.Eq(IN, forward), OUT)
    return IndexMap(forward, backward)


def flipped(index_map: IndexMap) -> sp.Expr:
    """The backward map with the offset written as the flipped p̄ = k − 1 − p: read left to right, a correlation."""
    return sp.simplify(index_map.backward.xreplace({OFFSET: KERNEL - 1 - FLIPPED}))


def pool_derivative(mode: str, entries: int) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """∂(window max or mean)/∂(first entry) of a window of ``entries`` symbols, by SymPy's diff."""
    window = sp.symbols(f"x0:{entries}", real=True)
    value = sp.Max(*window) if mode == "max" else sp.Add(*window) / entries
    return sp.diff(value, window[0]), window


@dataclass(frozen=True)
class Crossing:
    """How the error crosses layer ``layer`` back to the layer before it.

    ``kind`` is "dense", "flatten" (a dense layer reading an image), "conv", "maxpool" or
    "avgpool"; ``index_map`` is that of conv and pooling layers, ``local`` a pooling window's
    derivative by its first entry (:func:`pool_derivative` of a 2-entry window, for display).
    """

    layer: int
    kind: str
    index_map: IndexMap | None = None
    local: sp.Expr | None = None

    @property
    def equation(self) -> str:
        """The name the proof's verdicts use for this rule."""
        return {"dense": "BP2", "flatten": "BP2-flatten", "conv": "BP2-conv", "maxpool": "BP2-maxpool",
                "avgpool": "BP2-avgpool"}[self.kind]


@dataclass(frozen=True)
class ConvLayerEquations:
    """Layer l: its δ in terms of e = ∂C/∂a^l (``equations``), and how its error crosses to layer l−1."""

    layer: int
    spec_layer: Dense | Conv2d | Pool2d
    equations: LayerEquations
    crossing: Crossing

    @property
    def kind(self) -> str:
        return self.spec_layer.kind

    @property
    def is_output(self) -> bool:
        return self.equations.is_output


@dataclass(frozen=True)
class ConvLayerDerivation:
    """The layer-level derivation of a whole convolutional network (layer l in ``layers[l − 1]``)."""

    spec: ConvSpec
    elementwise: LayerDerivation  # σ', the δ in e and the output δ^L, as for a dense network
    layers: tuple[ConvLayerEquations, ...]

    @property
    def cost_gradient(self) -> sp.Expr:
        return self.elementwise.cost_gradient

    @property
    def assumptions(self) -> tuple[Assumption, ...]:
        return self.elementwise.assumptions

    def layer(self, number: int) -> ConvLayerEquations:
        return self.layers[number - 1]


IDENTITY = builtin_activation("identity")


def elementwise_spec(spec: ConvSpec) -> Spec:
    """The dense network with the same activations (identity for pooling) and cost: its layer equations are
    σ' of every layer, δ^l = e·σ'(z) and δ^L, which do not depend on how the layers are wired."""
    activations = tuple(activation or IDENTITY for activation in spec.activations)
    return Spec(sizes=spec.sizes, activations=activations, cost=spec.cost, bias=spec.bias, name=spec.name)


def _crossing(spec: ConvSpec, number: int) -> Crossing:
    layer = spec.layer(number)
    if isinstance(layer, Dense):
        return Crossing(number, "flatten" if len(spec.shapes[number - 1]) == 3 else "dense")
    if isinstance(layer, Conv2d):
        return Crossing(number, "conv", derive_index_map(padded=True))
    local, _ = pool_derivative(layer.mode, 2)
    return Crossing(number, f"{layer.mode}pool", derive_index_map(padded=False), local)


def derive_conv_layers(spec: ConvSpec) -> ConvLayerDerivation:
    """δ of every layer, the crossing of every layer, and the output δ^L, at generic sizes."""
    elementwise = derive_layers(elementwise_spec(spec))
    layers = tuple(ConvLayerEquations(number, spec.layer(number), elementwise.layer(number), _crossing(spec, number))
                   for number in range(1, spec.depth + 1))
    return ConvLayerDerivation(spec, elementwise, layers)
