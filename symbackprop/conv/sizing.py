"""The size of the numeric check of a convolutional network, and the network it runs on.

The batched forms are checked against central differences
(:func:`symbackprop.conv.driver.verify_batched`) on a float64 copy of the network: the parameters
and their gradients, a few arrays per neuron and sample, and for every pooling layer a few arrays
per window entry. Its time is that of a few hundred forward passes, whose multiply-adds grow with
channels × positions × kernel entries rather than with the memory, and with the entries of the
arrays it steps over. :func:`check_size` estimates both from above; :func:`network_within` picks the
network the check runs on: the spec itself when both fit (the memory budget, and
:data:`MAX_CHECK_OPERATIONS`), otherwise the same layers -- the same kernels, strides, padding and
pooling, so the same formulas -- with fewer channels and units (capped at a power of two) and, where
that is not enough, a smaller image.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..driver import NUMERIC_ENTRIES
from .spec import Conv2d, ConvSpec, Dense, Pool2d, output_side, units

#: The operations the check of one network may take: multiply-adds, and steps over its arrays' entries
#: (about ten seconds of NumPy on one core, measured).
MAX_CHECK_OPERATIONS = 4 * 10**9
#: Operations per float of the arrays a forward pass and its kink switches hold (activations, the window's
#: maximum and one-hot, the kink switches compared across the stencil): measured, about 8 multiply-adds' time.
_OPERATIONS_PER_ARRAY_ENTRY = 8
_FLOAT = 8
#: Per sample: the input and its error; for every other neuron z, a, δ, the error, the per-unit
#: costs and kink switches of the difference stencil and the temporaries of the activation (as
#: for dense networks, :data:`symbackprop.numeric._ARRAYS_PER_NEURON`).
_INPUT_ARRAYS, _ARRAYS_PER_NEURON = 2, 12
#: Per sample and window entry of a pooling layer: the windows copied, the one-hot of the maximum,
#: the routed error, the kink switches at every point of the stencil and their comparisons.
_ARRAYS_PER_WINDOW_ENTRY = 16
#: Per sample, for a conv layer: the zero-padded input (where there is padding) and the dilated error of
#: its crossing (above the first layer), each twice.
_ARRAYS_PER_PADDED = 2
#: What the check allocates whatever the sizes (compiled functions, small arrays).
_FIXED_BYTES = 4 * 2**20
#: Forward passes per entry of the check at most (unit costs and kink switches at five points).
_PASSES_PER_ENTRY = 10
#: The gradients of one problem cost about this many forward passes.
_PASSES_PER_GRADIENT = 3
#: Channels and units are never capped below this (a sum over channels keeps two terms).
LEAST_WIDTH = 2


@dataclass(frozen=True)
class CheckSize:
    """What the numeric check of one network needs: bytes held at its peak, operations in all (per sample, the
    multiply-adds of a forward pass and :data:`_OPERATIONS_PER_ARRAY_ENTRY` per float of its arrays, times the
    passes)."""

    bytes: int
    operations: int

    def within(self, budget_mib: float | None) -> bool:
        """Whether both fit (``budget_mib`` None: no memory limit)."""
        memory = budget_mib is None or self.bytes <= budget_mib * 2**20
        return memory and self.operations <= MAX_CHECK_OPERATIONS


def check_size(spec: ConvSpec, samples: int) -> CheckSize:
    """An upper estimate of what the check of ``spec`` needs for problems of 1 and ``samples`` samples."""
    shapes = spec.shapes
    neurons = _INPUT_ARRAYS * units(shapes[0]) + _ARRAYS_PER_NEURON * sum(units(shape) for shape in shapes[1:])
    stepped = neurons - _INPUT_ARRAYS * units(shapes[0])  # a pass reads the input only through its windows
    forward = held = 0
    for number, layer in enumerate(spec.layers, start=1):
        below, out = shapes[number - 1], shapes[number]
        if isinstance(layer, Dense):
            forward += units(below) * layer.size
            continue
        entries = units(out) * layer.kernel[0] * layer.kernel[1]
        if isinstance(layer, Conv2d):
            channels, height, width = below
            (kh, kw), (ph, pw) = layer.kernel, layer.padding
            padded = channels * (height + 2 * ph) * (width + 2 * pw) if ph or pw else 0
            neurons += _ARRAYS_PER_PADDED * padded
            stepped += _ARRAYS_PER_PADDED * padded
            if number > 1:  # the dilated error of the crossing: once per gradient, not in every pass
                held += _ARRAYS_PER_PADDED * layer.channels * (height + kh) * (width + kw)
            forward += entries * channels
        else:
            neurons += _ARRAYS_PER_WINDOW_ENTRY * entries
            stepped += _ARRAYS_PER_WINDOW_ENTRY * entries
            forward += entries
    passes = _PASSES_PER_GRADIENT + NUMERIC_ENTRIES * _PASSES_PER_ENTRY
    return CheckSize(_FIXED_BYTES + _FLOAT * (2 * spec.parameter_count + samples * (neurons + held)),
                     passes * (1 + samples) * (forward + _OPERATIONS_PER_ARRAY_ENTRY * stepped))


def network_within(spec: ConvSpec, budget_mib: float | None, samples: int) -> ConvSpec | None:
    """The network the check of ``spec`` runs on (see the module's docstring); None when not even the
    smallest network of the same layers (:func:`smallest`) fits.

    Channels (of the input and the conv layers) and units (of the dense layers) are capped apart,
    each at a power of two, both doubled in turn while the check still fits: dense layers are cheap
    beside convolutions, so a wide dense head need not shrink to the channels' cap.
    """
    if check_size(spec, samples).within(budget_mib):
        return spec
    fits = lambda network: check_size(network, samples).within(budget_mib)  # noqa: E731
    sides = spec.input_shape[1:]
    if not fits(scaled(spec, LEAST_WIDTH, LEAST_WIDTH, sides)):
        sides = _largest_sides(spec, lambda candidate: fits(scaled(spec, LEAST_WIDTH, LEAST_WIDTH, candidate)))
        if sides is None:
            return None
    widest = (max([spec.input_shape[0]] + [layer.channels for layer in spec.layers if isinstance(layer, Conv2d)]),
              max(layer.size for layer in spec.layers if isinstance(layer, Dense)))
    caps = [LEAST_WIDTH, LEAST_WIDTH]
    grown = True
    while grown:
        grown = False
        for which in (0, 1):
            wider = list(caps)
            wider[which] *= 2
            if caps[which] < widest[which] and fits(scaled(spec, *wider, sides)):
                caps, grown = wider, True
    return scaled(spec, *caps, sides)


def scaled(spec: ConvSpec, channels: int, units: int, sides: tuple[int, int]) -> ConvSpec:
    """``spec`` with at most ``channels`` channels (input and conv layers), at most ``units`` units in every
    dense layer and an input image of ``sides`` (a pair :func:`image_fits` accepts)."""
    layers = tuple(replace(layer, channels=min(layer.channels, channels)) if isinstance(layer, Conv2d) else
                   replace(layer, size=min(layer.size, units)) if isinstance(layer, Dense) else layer
                   for layer in spec.layers)
    return replace(spec, input_shape=(min(spec.input_shape[0], channels), *sides), layers=layers)


def smallest(spec: ConvSpec) -> ConvSpec:
    """The smallest network the check would run on: the least widths on the smallest image that fits."""
    sides = tuple(next(side for side in range(1, spec.input_shape[axis + 1] + 1) if image_fits(side, spec, axis))
                  for axis in (0, 1))
    return scaled(spec, LEAST_WIDTH, LEAST_WIDTH, sides)


def _largest_sides(spec: ConvSpec, fits) -> tuple[int, int] | None:
    """The largest input image, halving both sides from the spec's down to the smallest that
    :func:`image_fits`, for which ``fits(sides)``; None when not even the smallest does."""
    valid = [[side for side in range(1, spec.input_shape[axis + 1] + 1) if image_fits(side, spec, axis)]
             for axis in (0, 1)]
    goal = list(spec.input_shape[1:])
    while True:
        goal = [max(1, side // 2) for side in goal]
        sides = tuple(max([side for side in found if side <= wanted], default=found[0])
                      for found, wanted in zip(valid, goal, strict=True))
        if fits(sides):
            return sides
        if sides == (valid[0][0], valid[1][0]):
            return None


def image_fits(side: int, spec: ConvSpec, axis: int) -> bool:
    """Whether an input ``side`` long along ``axis`` fits every image layer of ``spec``, keeping two
    positions where a conv layer had them (so that its weights are shared) and two windows where a
    pooling layer of stride above one had them (so that the stride shows in its crossing)."""
    original = spec.input_shape[axis + 1]
    for layer in spec.layers:
        if isinstance(layer, Dense):
            return True
        kernel, stride, padding = layer.kernel[axis], layer.stride[axis], layer.padding[axis]
        if kernel > side + 2 * padding or (isinstance(layer, Pool2d) and (side - kernel) % stride):
            return False
        side, original = output_side(side, kernel, stride, padding), output_side(original, kernel, stride, padding)
        wanted = 2 if isinstance(layer, Conv2d) or stride > 1 else 1
        if side < min(wanted, original):
            return False
    return True
