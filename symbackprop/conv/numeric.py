"""Float64 evaluation of a convolutional network's batched forms, for checking them at full size.

The forward pass and the cost use only the definitions (cross-correlation with zero padding,
window max or mean, dense layers on the flattened image); the backward pass uses the derived
forms of :mod:`symbackprop.conv.derivation` as they are: a convolution's error is the
correlation of the dilated error with the (flipped) kernel that :meth:`IndexMap.correlation`
reads off the solved index map, a pooling layer's is gathered through the solved index map,
and δ^l and δ^L are the layer equations lambdified.  Differences of the cost that keep clear of
kinks (the activations', the cost's, and a max-pooling window's change of maximum:
:meth:`ConvEvaluator.kink_values`) then check the gradients (:func:`symbackprop.conv.driver.verify_batched`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.lib.stride_tricks import sliding_window_view

from ..numeric import LayerLevelEvaluator
from .derivation import IN, OFFSET, OUT, ConvLayerDerivation, axes
from .spec import Conv2d, ConvSpec, Dense, Pool2d


def windows(a: np.ndarray, layer: Conv2d | Pool2d) -> np.ndarray:
    """(m, C, H', W', kh, kw): the window of every output position, zero-padded (a view where no padding)."""
    (ph, pw), (sh, sw) = layer.padding, layer.stride
    if ph or pw:
        a = np.pad(a, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    view = sliding_window_view(a, layer.kernel, axis=(2, 3))
    return view[:, :, ::sh, ::sw]


def first_maximum(window: np.ndarray) -> np.ndarray:
    """One-hot over the last two axes at each window's first maximum in row-major order."""
    flat = window.reshape(*window.shape[:4], -1)
    chosen = flat.argmax(axis=-1)
    return (np.arange(flat.shape[-1]) == chosen[..., None]).reshape(window.shape)


@dataclass
class ConvEvaluator(LayerLevelEvaluator):
    """Forward pass, cost and the derived batched backward pass of a ConvSpec, in float64.

    ``derivation`` is the dense twin (:attr:`ConvLayerDerivation.elementwise`: the same activations,
    identity for pooling, the same δ in e and the same cost), whose compiled functions and cost this
    reuses; ``conv`` is the derivation whose layers and crossings it evaluates.
    """

    conv: ConvLayerDerivation | None = None

    @classmethod
    def of(cls, derivation: ConvLayerDerivation) -> ConvEvaluator:
        return cls(derivation.elementwise, derivation)

    @property
    def spec(self) -> ConvSpec:
        return self.conv.spec

    def forward(self, params: dict[str, np.ndarray], X: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(z^l, a^l)] for l = 0..L, one sample per row (pooling layers: z^l = a^l)."""
        layers = [(X, X)]
        for number, layer in enumerate(self.spec.layers, start=1):
            below = layers[-1][1]
            if isinstance(layer, Pool2d):
                window = windows(below, layer)
                out = window.max(axis=(4, 5)) if layer.mode == "max" else window.mean(axis=(4, 5))
                layers.append((out, out))
                continue
            if isinstance(layer, Conv2d):
                z = np.einsum("mdijpq,cdpq->mcij", windows(below, layer), params[f"W{number}"])
                bias_shape = (1, -1, 1, 1)
            else:
                z = below.reshape(below.shape[0], -1) @ params[f"W{number}"].T
                bias_shape = (1, -1)
            if self.spec.bias:
                z = z + params[f"b{number}"].reshape(bias_shape)
            layers.append((z, self._activate(number, z)))
        return layers

    def _activate(self, number: int, z: np.ndarray) -> np.ndarray:
        activation = self.activations[number - 1]
        if activation is None:
            shifted = np.exp(z - z.max(axis=1, keepdims=True))
            return shifted / shifted.sum(axis=1, keepdims=True)
        return np.broadcast_to(activation(z), z.shape).astype(float)

    def kink_values(self, params: dict[str, np.ndarray], X: np.ndarray, Y_: np.ndarray) -> list[np.ndarray]:
        """Every kink switch: the activations' at every pre-activation, the cost's, and for every max-pooling
        window each entry less the window's maximum (zero at the maxima, negative elsewhere: a value that
        moves and reaches or leaves zero is a change of the maximum, and this needs one value per entry
        where the differences of every pair need a number growing with the square of the window)."""
        layers = self.forward(params, X)
        values = []
        for number, (switches, (z, _)) in enumerate(zip(self.switches, layers[1:], strict=True), start=1):
            layer = self.spec.layer(number)
            if isinstance(layer, Pool2d):
                if layer.mode == "max":
                    values.append(windows(layers[number - 1][1], layer) - z[..., None, None])
                continue
            values += [np.broadcast_to(value, z.shape) for value in switches(z)]
        return values + [np.broadcast_to(value, Y_.shape) for value in self.cost_switches(layers[-1][1], Y_)]

    def gradients(self, params: dict[str, np.ndarray], X: np.ndarray, Y_: np.ndarray) -> dict[str, np.ndarray]:
        """Every parameter's gradient from the derived forms, averaged over the m samples."""
        layers = self.forward(params, X)
        m = X.shape[0]
        grads: dict[str, np.ndarray] = {}
        error = np.zeros(0)
        for number in range(self.spec.depth, 0, -1):
            delta = self.delta(number, *layers[number], Y_, error)
            grads.update(self._parameter_gradients(number, delta, layers[number - 1][1], m))
            if number > 1:
                error = self.cross(number, delta, params, layers[number - 1][1])
        return grads

    def _parameter_gradients(self, number: int, delta: np.ndarray, below: np.ndarray, m: int) -> dict:
        layer = self.spec.layer(number)
        if isinstance(layer, Pool2d):
            return {}
        if isinstance(layer, Conv2d):
            found = {f"W{number}": np.einsum("mcij,mdijpq->cdpq", delta, windows(below, layer)) / m}
            axes_ = (0, 2, 3)
        else:
            found = {f"W{number}": delta.T @ below.reshape(m, -1) / m}
            axes_ = (0,)
        if self.spec.bias:
            found[f"b{number}"] = delta.sum(axis=axes_) / m
        return found

    def cross(self, number: int, delta: np.ndarray, params: dict[str, np.ndarray], below: np.ndarray) -> np.ndarray:
        """∂C/∂a^{l−1} from δ^l through layer l, by the derived crossing of that layer."""
        layer, crossing = self.spec.layer(number), self.conv.layer(number).crossing
        if isinstance(layer, Dense):
            return (delta @ params[f"W{number}"]).reshape(below.shape)
        if isinstance(layer, Conv2d):
            return correlate_back(delta, params[f"W{number}"], crossing.index_map, layer, self.spec.shapes[number],
                                  below.shape)
        window = windows(below, layer)
        local = first_maximum(window) if layer.mode == "max" else np.full(window.shape, 1.0 / np.prod(layer.kernel))
        return gather(local * delta[..., None, None], crossing.index_map, layer, self.spec.shapes[number],
                      below.shape)


def correlate_back(delta: np.ndarray, weights: np.ndarray, index_map, layer: Conv2d, out_shape, in_shape):
    """e^{l−1} = the correlation of δ^l, dilated and padded as the index map says, with the (flipped) kernel."""
    m, _, height, width = in_shape
    forms = [index_map.correlation(axis) for axis in axes(layer, out_shape)]
    (kh, kw) = layer.kernel
    spread = np.zeros((m, delta.shape[1], height + kh - 1, width + kw - 1))
    rows = forms[0].front + forms[0].dilation * np.arange(delta.shape[2])
    columns = forms[1].front + forms[1].dilation * np.arange(delta.shape[3])
    keep_r, keep_c = rows < spread.shape[2], columns < spread.shape[3]
    spread[:, :, rows[keep_r, None], columns[None, keep_c]] = delta[:, :, keep_r][:, :, :, keep_c]
    kernel = weights[:, :, ::-1] if forms[0].flip else weights
    kernel = kernel[:, :, :, ::-1] if forms[1].flip else kernel
    view = sliding_window_view(spread, layer.kernel, axis=(2, 3))[:, :, :height, :width]
    return np.einsum("mcuvpq,cdpq->mduv", view, kernel)


def gather(values: np.ndarray, index_map, layer: Pool2d, out_shape, in_shape) -> np.ndarray:
    """e_{c,u,v} = Σ_{p,q} values[c, i(u,p), j(v,q), p, q] over the window positions the index map finds."""
    error = np.zeros(in_shape)
    (row_axis, column_axis) = axes(layer, out_shape)
    rows = _sources(index_map, row_axis, in_shape[2])
    columns = _sources(index_map, column_axis, in_shape[3])
    for p in range(layer.kernel[0]):
        for q in range(layer.kernel[1]):
            u, i = rows[p]
            v, j = columns[q]
            error[:, :, u[:, None], v[None, :]] += values[:, :, i[:, None], j[None, :], p, q]
    return error


def _sources(index_map, axis, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each kernel offset p: the input positions u that some window reads at p, and those windows i."""
    backward = sp.lambdify((IN, OFFSET), index_map.backward.xreplace(axis.values), modules=[np])
    forward = sp.lambdify((OUT, OFFSET), index_map.forward.xreplace(axis.values), modules=[np])
    found = []
    for p in range(axis.kernel):
        u = np.arange(size)
        # the nearest whole i, kept where the forward map reads u from it: (u − p)/s in floats is not
        # exact (14/10 − 4/10 ≠ 1), and comparing it with its rounding would drop whole positions
        i = np.rint(np.broadcast_to(np.asarray(backward(u, p), dtype=float), u.shape)).astype(int)
        read = np.broadcast_to(np.asarray(forward(i, p)), u.shape)
        valid = (read == u) & (i >= 0) & (i < axis.positions)
        found.append((u[valid], i[valid]))
    return found


def random_problem(spec: ConvSpec, samples: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Random parameters, inputs and targets (probability vectors for a softmax output)."""
    rng = np.random.default_rng(seed)
    params: dict[str, np.ndarray] = {}
    for key, shape in spec.parameter_shapes().items():
        fan_in = int(np.prod(shape[1:])) if key[0] == "W" else 1
        params[key] = rng.normal(0.0, 1.5 / np.sqrt(fan_in) if key[0] == "W" else 0.5, shape)
    X = rng.uniform(-1.5, 1.5, (samples, *spec.input_shape))
    Y_ = rng.uniform(0.05, 0.95, (samples, spec.sizes[-1]))
    if not spec.output.elementwise:
        Y_ = Y_ / Y_.sum(axis=1, keepdims=True)
    return params, X, Y_
