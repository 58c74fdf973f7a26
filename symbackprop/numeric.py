"""Float64 evaluation of the layer-level equations, for checking them at full width.

The layer-level (matrix) forms δ^l = ((W^{l+1})^T δ^{l+1}) ⊙ σ'(z^l) and
∂C/∂W^l = δ^l (a^{l−1})^T, and their batched versions (mean over m samples), are evaluated
with NumPy and compared with central differences of the cost, which uses only the forward
definitions.  This is the independent check used where per-weight expansion is too large.  Differences
keep clear of the activations' and the cost's kinks (:func:`kink_aware_difference`): a central
difference across relu's kink at 0 measures the mean of the two slopes, not the derivative.

The check holds the parameters and their gradients (two floats per parameter) and a few
arrays per layer and sample; :func:`check_bytes` estimates that from above and
:func:`widths_within` caps the widths until it fits a memory budget.  The forms do not depend
on the widths, so a capped network checks the same formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import sympy as sp

from .derivation import N_OUT, E, LayerDerivation
from .functions import FUNCTIONS
from .passes import LOGP, stable_cost
from .registry import A, Y, Z
from .spec import Spec

#: NumPy implementations of the functions NumPy lacks (from the function table), for lambdify.
NUMPY_FUNCTIONS = {
    **{row.function.__name__: row.numeric for row in FUNCTIONS if row.numeric is not None},
    "Heaviside": lambda x, h0=0.0: np.heaviside(x, h0),
}


def _compile(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]):
    # The module object, not "numpy": the string makes lambdify star-import numpy, which loads
    # f2py, numpy.testing and numpy.ma (a tenth of codegen's start-up).
    return sp.lambdify(symbols, expr, modules=[NUMPY_FUNCTIONS, np])


@dataclass
class LayerLevelEvaluator:
    """Forward pass, cost and layer-level backward pass of a spec in float64."""

    derivation: LayerDerivation

    def __post_init__(self) -> None:
        spec = self.derivation.spec
        self.activations = [_compile(act.expr, (Z,)) if act.elementwise else None for act in spec.activations]
        output = spec.output.expr if spec.output.elementwise else None
        self.unit_cost = _compile(stable_cost(spec.cost.expr, output), (A, Y, Z, LOGP))
        self.switches = [_compile(list(equations.kinks.switches), (Z,)) for equations in self.derivation.layers]
        self.cost_switches = _compile(list(self.derivation.cost_kinks.switches), (A, Y))
        self.deltas = []
        for equations in self.derivation.layers:
            extra = tuple(row.symbol for row in equations.row_sums)
            delta = equations.delta.xreplace({N_OUT: spec.sizes[-1]})
            self.deltas.append((_compile(delta, (A, Y, Z, E, *extra)),
                                [_compile(row.summand, (A, Y, Z)) for row in equations.row_sums]))

    @property
    def spec(self) -> Spec:
        return self.derivation.spec

    def forward(self, params: dict[str, np.ndarray], X: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(z^l, a^l)] for l = 0..L with one sample per row (z^0 is unused)."""
        layers = [(X, X)]
        for layer, activation in enumerate(self.activations, start=1):
            Z_l = layers[-1][1] @ params[f"W{layer}"].T
            if self.spec.bias:
                Z_l = Z_l + params[f"b{layer}"]
            if activation is None:
                shifted = np.exp(Z_l - Z_l.max(axis=1, keepdims=True))
                A_l = shifted / shifted.sum(axis=1, keepdims=True)
            else:
                A_l = np.broadcast_to(activation(Z_l), Z_l.shape).astype(float)
            layers.append((Z_l, A_l))
        return layers

    def kink_values(self, params: dict[str, np.ndarray], X: np.ndarray, Y_: np.ndarray) -> list[np.ndarray]:
        """Every kink switch at every pre-activation (and output unit's cost): its sign is the side."""
        layers = self.forward(params, X)
        values = [np.broadcast_to(value, layer[0].shape)
                  for switches, layer in zip(self.switches, layers[1:], strict=True) for value in switches(layer[0])]
        return values + [np.broadcast_to(value, Y_.shape) for value in self.cost_switches(layers[-1][1], Y_)]

    def cost(self, params: dict[str, np.ndarray], X: np.ndarray, Y_: np.ndarray) -> float:
        """Mean over samples of Σ_j c(a^L_j, y_j)."""
        return float(self.unit_costs(params, X, Y_).sum(axis=1).mean())

    def unit_costs(self, params: dict[str, np.ndarray], X: np.ndarray, Y_: np.ndarray) -> np.ndarray:
        """c(a^L_j, y_j) for every sample (row) and output unit (column), its logarithms of a^L taken
        through the logits."""
        Z_L, output = self.forward(params, X)[-1]
        shifted = Z_L - Z_L.max(axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return np.broadcast_to(self.unit_cost(output, Y_, Z_L, log_softmax), output.shape)

    def gradients(self, params: dict[str, np.ndarray], X: np.ndarray, Y_: np.ndarray) -> dict[str, np.ndarray]:
        """∂C/∂W^l = (1/m) Δ^l^T A^{l−1} and ∂C/∂b^l = mean of Δ^l, from the layer-level forms."""
        layers = self.forward(params, X)
        m = X.shape[0]
        grads: dict[str, np.ndarray] = {}
        error = np.zeros(0)
        for layer in range(self.spec.depth, 0, -1):
            delta = self.delta(layer, *layers[layer], Y_, error)
            grads[f"W{layer}"] = delta.T @ layers[layer - 1][1]
            grads[f"W{layer}"] /= m  # in place: a second array of the weights' size is what the budget counts
            if self.spec.bias:
                grads[f"b{layer}"] = delta.mean(axis=0)
            error = delta @ params[f"W{layer}"]
        return grads


    def delta(self, layer: int, Z_l: np.ndarray, A_l: np.ndarray, Y_: np.ndarray, error: np.ndarray) -> np.ndarray:
        """δ of ``layer`` from its z, a, the targets and the error that came back to it (its row sums first)."""
        delta_fn, summands = self.deltas[layer - 1]
        sums = [np.broadcast_to(fn(A_l, Y_, Z_l), A_l.shape).sum(axis=1, keepdims=True) for fn in summands]
        return np.broadcast_to(delta_fn(A_l, Y_, Z_l, error, *sums), A_l.shape).astype(float)


def random_problem(spec: Spec, samples: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Random parameters, inputs and targets (probability vectors for a softmax output)."""
    rng = np.random.default_rng(seed)
    params: dict[str, np.ndarray] = {}
    for layer in range(1, spec.depth + 1):
        fan_in = spec.sizes[layer - 1]
        params[f"W{layer}"] = rng.normal(0.0, 1.5 / np.sqrt(fan_in), (spec.sizes[layer], fan_in))
        if spec.bias:
            params[f"b{layer}"] = rng.normal(0.0, 0.5, spec.sizes[layer])
    X = rng.uniform(-1.5, 1.5, (samples, spec.sizes[0]))
    Y_ = rng.uniform(0.05, 0.95, (samples, spec.sizes[-1]))
    if not spec.output.elementwise:
        Y_ = Y_ / Y_.sum(axis=1, keepdims=True)
    return params, X, Y_


def clear_of_kinks(stencil: list[list[np.ndarray]]) -> bool:
    """Whether no value crosses or touches a kink between the points of a difference stencil.

    ``stencil[t]`` holds the kink switches (see :meth:`LayerLevelEvaluator.kink_values`) at the
    t-th point.  A value that does not move at all is clear even on a kink.
    """
    for values in zip(*stencil, strict=True):
        stacked = np.stack(values)
        signs = np.sign(stacked)
        moved = (stacked != stacked[0]).any(axis=0)
        if (moved & ((signs != signs[0]).any(axis=0) | (signs[0] == 0))).any():
            return False
    return True


def kink_aware_difference(evaluator: LayerLevelEvaluator, params: dict[str, np.ndarray], X: np.ndarray,
                          Y_: np.ndarray, key: str, index: tuple[int, ...],
                          step: float = 1e-6) -> tuple[float | None, str]:
    """∂C/∂p by a difference whose points keep clear of kinks, and which kind it is.

    A central difference when no kink lies within the step; otherwise a second-order
    one-sided difference (−3C(p) + 4C(p ± h) − C(p ± 2h)) / (±2h) on a side clear of kinks;
    (None, "on a kink") when neither side is clear.
    """
    original = params[key][index]

    def at(offset: int) -> tuple[np.ndarray, list[np.ndarray]]:
        params[key][index] = original + offset * step
        try:
            return evaluator.unit_costs(params, X, Y_), evaluator.kink_values(params, X, Y_)
        finally:
            params[key][index] = original

    def combined(weights: dict[int, float], side: int = 1) -> float:
        # the per-unit costs are differenced before they are summed: a unit the parameter does not
        # reach cancels exactly, so rounding does not grow with the cost of a wide output layer
        # (differencing the summed cost of 300,000 units loses five digits)
        difference = sum(weight * points[side * offset][0] for offset, weight in weights.items())
        return float(difference.sum(axis=1).mean())

    points = {offset: at(offset) for offset in (-1, 0, 1)}
    if clear_of_kinks([points[offset][1] for offset in (-1, 0, 1)]):
        return combined({1: 1.0, -1: -1.0}) / (2 * step), "central"
    for side in (1, -1):
        points[2 * side] = at(2 * side)
        if clear_of_kinks([points[side * offset][1] for offset in (0, 1, 2)]):
            return combined({1: 4.0, 0: -3.0, 2: -1.0}, side) / (2 * side * step), "one-sided"
    return None, "on a kink"


#: Memory the full-width checks may use unless the caller says otherwise (MiB).
DEFAULT_MEMORY_BUDGET_MIB = 256.0
_FLOAT = 8
#: Arrays of one float per sample and neuron that the check holds at once at its peak: for the input
#: X and the error sent back to it; for every other layer z, a, δ, the error, the per-unit costs of a
#: central difference and the temporaries of the activation (up to 6 measured with tracemalloc, for
#: a custom activation; doubled, as an expression may nest deeper).
_INPUT_ARRAYS, _ARRAYS_PER_NEURON = 2, 12
#: What the check allocates whatever the widths (compiled functions, small arrays).
_FIXED_BYTES = 4 * 2**20


def check_bytes(spec: Spec, samples: int) -> int:
    """An upper estimate of the bytes the float64 check of ``spec`` with ``samples`` samples holds.

    Parameters and gradients, one float each per parameter, plus the per-sample arrays.
    """
    neurons = _INPUT_ARRAYS * spec.sizes[0] + _ARRAYS_PER_NEURON * sum(spec.sizes[1:])
    return _FIXED_BYTES + _FLOAT * (2 * spec.parameter_count + samples * neurons)


def widths_within(spec: Spec, budget_mib: float | None, samples: int) -> Spec:
    """``spec`` when its check fits ``budget_mib`` (None: no limit), else ``spec`` with every width
    capped at the largest power of two (2 at least) for which the check fits."""
    if budget_mib is None or check_bytes(spec, samples) <= budget_mib * 2**20:
        return spec
    cap = 2
    while 2 * cap < max(spec.sizes) and check_bytes(capped(spec, 2 * cap), samples) <= budget_mib * 2**20:
        cap *= 2
    return capped(spec, cap)


def capped(spec: Spec, cap: int) -> Spec:
    """The same architecture with every width at most ``cap``."""
    return replace(spec, sizes=tuple(min(size, cap) for size in spec.sizes))


def size_text(count: int) -> str:
    """A number of bytes for people: ``74.5 GiB``, ``256 MiB``, ``12 KiB``."""
    value, unit = float(count), "bytes"
    for larger in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    if unit == "bytes":
        return f"{count} bytes"
    digits = f"{value:.{max(0, 2 - int(math.log10(value)))}f}"
    return f"{digits.rstrip('0').rstrip('.') if '.' in digits else digits} {unit}"
