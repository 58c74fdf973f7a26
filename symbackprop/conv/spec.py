"""Networks with convolution and pooling layers: their layers, shapes and specs.

A :class:`ConvSpec` is an image input (channels, height, width) followed by layers of four
kinds, numbered as they stand in the file (input 0)::

    [[layers]]                 # input: shape = [channels, height, width]
    shape = [1, 8, 8]
    [[layers]]
    kind = "conv2d"            # channels, kernel, optional stride (1) and padding (0), activation
    channels = 16
    kernel = 3                 # or [kh, kw]; stride and padding likewise
    padding = 1
    activation = "relu"
    [[layers]]
    kind = "maxpool2d"         # or "avgpool2d": kernel, optional stride (default: the kernel)
    kernel = 2
    [[layers]]
    size = 10                  # dense ("kind" defaults to it); flattens in (channel, row, column) order
    activation = "softmax"

The same network on the command line: ``1x8x8-conv16k3p1-maxpool2-10 --activation relu
--output-activation softmax`` (``conv{C}k{K}[s{S}][p{P}]`` with ``K`` etc. ``3`` or ``3x2``,
``maxpool{K}[s{S}]``, ``avgpool{K}[s{S}]``, a dense width).  Every shape that does not fit is a
:class:`~symbackprop.errors.SpecError` naming the layer, the key and the sizes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import SpecError
from ..registry import Activation, Cost
from ..rich_display import RichDisplay
from ..spec import (
    DEFAULT_NAME,
    MAX_LAYERS,
    MAX_WIDTH,
    activation_option,
    checked_width,
    cost_option,
    identifier,
    read_activation,
    read_cost,
    toml_activation,
    toml_cost,
)

#: The values of a layer's ``kind``.
KINDS = ("dense", "conv2d", "maxpool2d", "avgpool2d")
#: Image sizes, channels and kernel sizes are at most this (a layer's units at most MAX_WIDTH).
MAX_SIDE = 4096

Pair = tuple[int, int]
Shape = tuple[int, ...]  # (channels, height, width) for an image, (units,) after a dense layer


@dataclass(frozen=True)
class Dense:
    """A fully connected layer of ``size`` units; after an image it reads the image flattened."""

    size: int
    activation: Activation
    kind: ClassVar[str] = "dense"
    has_parameters: ClassVar[bool] = True


@dataclass(frozen=True)
class Conv2d:
    """z_{c,i,j} = b_c + Σ_{d,p,q} w_{c,d,p,q} a_{d, s·i+p−P, s·j+q−P} (cross-correlation, zero padding)."""

    channels: int
    kernel: Pair
    stride: Pair
    padding: Pair
    activation: Activation
    kind: ClassVar[str] = "conv2d"
    has_parameters: ClassVar[bool] = True


@dataclass(frozen=True)
class Pool2d:
    """a_{c,i,j} = max (or mean) over p, q of a_{c, s·i+p, s·j+q}: no parameters, no activation."""

    mode: str  # "max" or "avg"
    kernel: Pair
    stride: Pair
    has_parameters: ClassVar[bool] = False

    @property
    def kind(self) -> str:
        return f"{self.mode}pool2d"

    @property
    def padding(self) -> Pair:
        return (0, 0)


Layer = Dense | Conv2d | Pool2d


def output_side(side: int, kernel: int, stride: int, padding: int) -> int:
    """Positions of a window sliding over ``side`` (+ padding on both ends): ⌊(side + 2P − k)/s⌋ + 1."""
    return (side + 2 * padding - kernel) // stride + 1


def propagate(shape: Shape, layer: Layer) -> Shape:
    """The shape of ``layer``'s output for an input of ``shape``; a SpecError (reason only) if it does not fit."""
    if isinstance(layer, Dense):
        return (layer.size,)
    if len(shape) != 3:
        raise SpecError(f"{layer.kind} needs an image (channels, height, width) as input, "
                        f"but the layer before it is dense ({shape[0]} units)")
    channels, *sides = shape
    out = []
    for axis, lines, side, kernel, stride, padding in zip(("height", "width"), ("rows", "columns"), sides,
                                                          layer.kernel, layer.stride, layer.padding, strict=True):
        if kernel > side + 2 * padding:
            padded = f" padded by {padding} on both sides to {side + 2 * padding}" if padding else ""
            raise SpecError(f"kernel {_pair_text(layer.kernel)} is larger than the input {sides[0]}×{sides[1]}: "
                            f"its {axis} {kernel} exceeds the input's {side}{padded}")
        if isinstance(layer, Pool2d) and (side - kernel) % stride:
            raise SpecError(f"{layer.kind} of kernel {_pair_text(layer.kernel)} and stride {_pair_text(layer.stride)} "
                            f"does not divide the input {sides[0]}×{sides[1]}: along the {axis}, {side} − {kernel} "
                            f"is not a multiple of {stride}, so the last {(side - kernel) % stride} {lines} "
                            "would be dropped")
        out.append(output_side(side, kernel, stride, padding))
    return (layer.channels if isinstance(layer, Conv2d) else channels, *out)


def _pair_text(pair: Pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


def units(shape: Shape) -> int:
    product = 1
    for size in shape:
        product *= size
    return product


@dataclass(frozen=True)
class ConvSpec(RichDisplay):
    """A validated network with an image input and conv2d, pooling and dense layers."""

    input_shape: tuple[int, int, int]
    layers: tuple[Layer, ...]
    cost: Cost
    bias: bool = True
    name: str = DEFAULT_NAME

    @property
    def has_name(self) -> bool:
        return self.name != DEFAULT_NAME

    @property
    def depth(self) -> int:
        """L, the number of layers after the input (pooling layers count)."""
        return len(self.layers)

    @property
    def shapes(self) -> tuple[Shape, ...]:
        """The shape of every layer's output, the input's first (index = layer number)."""
        shapes: list[Shape] = [self.input_shape]
        for layer in self.layers:
            shapes.append(propagate(shapes[-1], layer))
        return tuple(shapes)

    @property
    def sizes(self) -> tuple[int, ...]:
        """The number of units of every layer (an image's channels × height × width)."""
        return tuple(units(shape) for shape in self.shapes)

    def layer(self, number: int) -> Layer:
        return self.layers[number - 1]

    @property
    def output(self) -> Activation:
        return self.layers[-1].activation

    @property
    def activations(self) -> tuple[Activation | None, ...]:
        """Each layer's activation; None for pooling layers."""
        return tuple(getattr(layer, "activation", None) for layer in self.layers)

    def parameter_shapes(self) -> dict[str, Shape]:
        """``W{l}`` and ``b{l}`` of every layer with parameters, with their array shapes (a contract)."""
        shapes = self.shapes
        found: dict[str, Shape] = {}
        for number, layer in enumerate(self.layers, start=1):
            if isinstance(layer, Conv2d):
                found[f"W{number}"] = (layer.channels, shapes[number - 1][0], *layer.kernel)
                bias = (layer.channels,)
            elif isinstance(layer, Dense):
                found[f"W{number}"] = (layer.size, units(shapes[number - 1]))
                bias = (layer.size,)
            else:
                continue
            if self.bias:
                found[f"b{number}"] = bias
        return found

    @property
    def weight_count(self) -> int:
        return sum(units(shape) for key, shape in self.parameter_shapes().items() if key[0] == "W")

    @property
    def bias_count(self) -> int:
        return sum(units(shape) for key, shape in self.parameter_shapes().items() if key[0] == "b")

    @property
    def parameter_count(self) -> int:
        return self.weight_count + self.bias_count

    def shorthand(self) -> str:
        """The network in the command-line shorthand, e.g. ``1x8x8-conv16k3p1-maxpool2-10``."""
        return "-".join(["x".join(map(str, self.input_shape))] + [_layer_token(layer) for layer in self.layers])

    def to_toml(self) -> str:
        """The canonical TOML text of this spec (embedded in generated files)."""
        lines = [f'name = "{self.name}"', f"cost = {toml_cost(self.cost)}",
                 f"bias = {'true' if self.bias else 'false'}", "", "[[layers]]",
                 f"shape = [{', '.join(map(str, self.input_shape))}]", ""]
        for layer in self.layers:
            lines += ["[[layers]]"] + _toml_layer(layer) + [""]
        return "\n".join(lines)


def _layer_token(layer: Layer) -> str:
    if isinstance(layer, Dense):
        return str(layer.size)
    pair = lambda values: "x".join(map(str, values)) if values[0] != values[1] else str(values[0])  # noqa: E731
    if isinstance(layer, Conv2d):
        token = f"conv{layer.channels}k{pair(layer.kernel)}"
        token += f"s{pair(layer.stride)}" if layer.stride != (1, 1) else ""
        return token + (f"p{pair(layer.padding)}" if layer.padding != (0, 0) else "")
    token = f"{layer.mode}pool{pair(layer.kernel)}"
    return token + (f"s{pair(layer.stride)}" if layer.stride != layer.kernel else "")


def _toml_pair(key: str, values: Pair) -> str:
    return f"{key} = {values[0]}" if values[0] == values[1] else f"{key} = [{values[0]}, {values[1]}]"


def _toml_layer(layer: Layer) -> list[str]:
    if isinstance(layer, Dense):
        return [f"size = {layer.size}", f"activation = {toml_activation(layer.activation)}"]
    if isinstance(layer, Conv2d):
        return ['kind = "conv2d"', f"channels = {layer.channels}", _toml_pair("kernel", layer.kernel),
                _toml_pair("stride", layer.stride), _toml_pair("padding", layer.padding),
                f"activation = {toml_activation(layer.activation)}"]
    return [f'kind = "{layer.kind}"', _toml_pair("kernel", layer.kernel), _toml_pair("stride", layer.stride)]


# ---------------------------------------------------------------------------------------
# The TOML layers

_KEYS = {"dense": {"kind", "size", "activation"},
         "conv2d": {"kind", "channels", "kernel", "stride", "padding", "activation"},
         "maxpool2d": {"kind", "kernel", "stride"}, "avgpool2d": {"kind", "kernel", "stride"}}
_HINTS = {"shape": "only the input layer has a shape (dense layers give size, conv2d layers channels)",
          "activation": "a pooling layer has no activation (give it to the layer before)",
          "padding": "pooling layers take no padding", "size": "only dense layers have a size",
          "channels": "only conv2d layers have channels"}


def is_layered(layers: list[dict], place: str) -> bool:
    """Whether the [[layers]] tables describe an image network (an input shape or a non-dense kind)."""
    for index, layer in enumerate(layers):
        kind = layer.get("kind", "dense")
        if kind not in KINDS:
            raise SpecError(f"unknown kind {kind!r} (allowed: {', '.join(KINDS)})", f"{place}: layers[{index}].kind")
    return any("shape" in layer or layer.get("kind", "dense") != "dense" for layer in layers)


def read_layers(data: dict[str, Any], place: str) -> ConvSpec:
    """A ConvSpec from parsed TOML whose [[layers]] are an image network (see :func:`is_layered`)."""
    tables = data["layers"]
    if len(tables) < 2:
        raise SpecError("a network needs an input layer and at least one more layer", f"{place}: layers")
    if len(tables) > MAX_LAYERS + 1:
        raise SpecError(f"at most {MAX_LAYERS} layers after the input", f"{place}: layers")
    shape = _input_shape(tables[0], f"{place}: layers[0]")
    layers = tuple(_read_layer(table, f"{place}: layers[{number}]") for number, table in enumerate(tables[1:], 1))
    if "cost" not in data:
        raise SpecError("missing (e.g. cost = \"cross_entropy\")", f"{place}: cost")
    cost = read_cost(data["cost"], f"{place}: cost")
    bias = data.get("bias", True)
    if not isinstance(bias, bool):
        raise SpecError("must be true or false", f"{place}: bias")
    name = identifier(data.get("name", DEFAULT_NAME), f"{place}: name")
    return build(shape, layers, cost, bias, name, lambda number, key: f"{place}: layers[{number}].{key}")


def _input_shape(table: dict, where: str) -> tuple[int, int, int]:
    unknown = sorted(set(table) - {"shape", "size"})
    if unknown:
        raise SpecError("the input layer of an image network takes only shape = [channels, height, width]",
                        f"{where}.{unknown[0]}")
    if "size" in table:
        reason = ("give the input either size (a vector) or shape (an image), not both" if "shape" in table else
                  "a network with conv2d or pooling layers needs an image input: shape = [channels, height, width] "
                  "instead of size")
        raise SpecError(reason, f"{where}.size")
    if "shape" not in table:
        raise SpecError("missing: the input of an image network is shape = [channels, height, width]",
                        f"{where}.shape")
    value = table["shape"]
    if not isinstance(value, list) or len(value) != 3 or not all(_whole(v) for v in value):
        raise SpecError(f"must be [channels, height, width] (three whole numbers), got {value!r}", f"{where}.shape")
    for side in value:
        _bounded(side, f"{where}.shape", 1)
    checked_width(units(tuple(value)), f"{where}.shape")
    return tuple(value)


def _read_layer(table: dict, where: str) -> Layer:
    kind = table.get("kind", "dense")
    unknown = sorted(set(table) - _KEYS[kind])
    if unknown:
        hint = _HINTS.get(unknown[0], f"unknown key (allowed for {kind}: {', '.join(sorted(_KEYS[kind]))})")
        raise SpecError(hint, f"{where}.{unknown[0]}")
    for key in sorted(_KEYS[kind] - {"kind", "stride", "padding"}):
        if key not in table:
            raise SpecError(f"missing: a {kind} layer needs {key}", f"{where}.{key}")
    if kind == "dense":
        size = table["size"]
        if not _whole(size):
            raise SpecError(f"must be a whole number, got {size!r}", f"{where}.size")
        return Dense(checked_width(size, f"{where}.size"), read_activation(table["activation"], f"{where}.activation"))
    kernel = _pair(table["kernel"], f"{where}.kernel", 1)
    stride = _pair(table.get("stride", list(kernel) if kind != "conv2d" else 1), f"{where}.stride", 1)
    if kind != "conv2d":
        return Pool2d(kind[:3], kernel, stride)
    channels = table["channels"]
    if not _whole(channels):
        raise SpecError(f"must be a whole number, got {channels!r}", f"{where}.channels")
    padding = _pair(table.get("padding", 0), f"{where}.padding", 0)
    return Conv2d(_bounded(channels, f"{where}.channels", 1), kernel, stride, padding,
                  read_activation(table["activation"], f"{where}.activation"))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bounded(value: int, where: str, least: int) -> int:
    if not least <= value <= MAX_SIDE:
        raise SpecError(f"must be between {least} and {MAX_SIDE}, got {value}", where)
    return value


def _pair(value: Any, where: str, least: int) -> Pair:
    """An int or [height, width] of ints ≥ ``least``."""
    if _whole(value):
        value = [value, value]
    if not isinstance(value, list) or len(value) != 2 or not all(_whole(v) for v in value):
        raise SpecError(f"must be a whole number or [height, width], got {value!r}", where)
    return (_bounded(value[0], where, least), _bounded(value[1], where, least))


def build(shape: tuple[int, int, int], layers: tuple[Layer, ...], cost: Cost, bias: bool, name: str,
          where) -> ConvSpec:
    """Checks that need the whole network; ``where(layer number, key)`` names the place of a mistake."""
    current: Shape = shape
    for number, layer in enumerate(layers, start=1):
        if isinstance(layer, Conv2d):
            for padding, kernel in zip(layer.padding, layer.kernel, strict=True):
                if padding >= kernel:
                    raise SpecError(f"padding {_pair_text(layer.padding)} must be smaller than the kernel "
                                    f"{_pair_text(layer.kernel)} (more only adds positions that see nothing but "
                                    "zeros)", where(number, "padding"))
        activation = getattr(layer, "activation", None)
        if activation is not None and not activation.elementwise and number < len(layers):
            kind = "a conv2d layer" if isinstance(layer, Conv2d) else f"layer {number}"
            raise SpecError(f"{activation.name} is not elementwise and is allowed in a dense output layer only, "
                            f"not in {kind}", where(number, "activation"))
        try:
            current = propagate(current, layer)
        except SpecError as error:
            key = "kind" if isinstance(layer, Dense) or len(current) != 3 else "kernel"
            if "does not divide" in error.reason:
                key = "stride" if layer.stride != layer.kernel else "kernel"
            raise error.at(where(number, key)) from None
        checked_width(units(current), where(number, "channels" if isinstance(layer, Conv2d) else "kind"))
    if not isinstance(layers[-1], Dense):
        raise SpecError(f"the output layer must be dense (size = ...): a {layers[-1].kind} output has no units "
                        "to compare with the targets", where(len(layers), "kind"))
    if not layers[-1].activation.elementwise and layers[-1].size < 2:
        raise SpecError("softmax needs at least 2 output units", where(len(layers), "size"))
    return ConvSpec(shape, layers, cost, bias, name)


# ---------------------------------------------------------------------------------------
# The command-line shorthand

_PAIR = r"\d+(?:x\d+)?"
_TOKENS = {
    "dense": re.compile(r"(?P<size>\d+)"),
    "conv2d": re.compile(rf"conv(?P<channels>\d+)k(?P<kernel>{_PAIR})"
                         rf"(?:s(?P<stride>{_PAIR}))?(?:p(?P<padding>{_PAIR}))?"),
    "pool": re.compile(rf"(?P<mode>max|avg)pool(?P<kernel>{_PAIR})(?:s(?P<stride>{_PAIR}))?"),
}
_IMAGE = re.compile(r"\d+x\d+x\d+")


def is_layer_shorthand(text: str) -> bool:
    """Whether ``text`` reads as the layer shorthand (an image input ``CxHxW`` first)."""
    parts = text.strip().split("-")
    return len(parts) > 1 and bool(_IMAGE.fullmatch(parts[0]))


def from_layer_shorthand(text: str, *, activation: str = "relu", output_activation: str | None = None,
                         cost: str = "cross_entropy", bias: bool = True, name: str | None = None) -> ConvSpec:
    """``1x8x8-conv16k3p1-maxpool2-10``: ``--activation`` for conv and hidden dense layers, ``--output-activation``
    (default: softmax) for the last."""
    place = text.strip()
    parts = place.split("-")
    shape = tuple(_bounded(_small_int(side), f"{place}: input", 1) for side in parts[0].split("x"))
    checked_width(units(shape), f"{place}: input")
    hidden = activation_option(activation, "--activation")
    output = activation_option(output_activation or "softmax", "--output-activation")
    layers = []
    for number, token in enumerate(parts[1:], start=1):
        last = number == len(parts) - 1
        layers.append(_token_layer(token, output if last else hidden, f"{place}: layer {number} ({token!r})"))
    if len(layers) > MAX_LAYERS:
        raise SpecError(f"at most {MAX_LAYERS} layers after the input", place)
    return build(shape, tuple(layers), cost_option(cost), bias, identifier(name or DEFAULT_NAME, "--name"),
                 lambda number, key: f"{place}: layer {number} ({parts[number]!r}) {key}")


def _token_layer(token: str, activation: Activation, where: str) -> Layer:
    for kind, pattern in _TOKENS.items():
        match = pattern.fullmatch(token)
        if match is None:
            continue
        if kind == "dense":
            return Dense(checked_width(_small_int(match["size"]), where), activation)
        kernel = _shorthand_pair(match["kernel"], where, 1)
        if kind == "pool":
            stride = _shorthand_pair(match["stride"], where, 1) if match["stride"] else kernel
            return Pool2d(match["mode"], kernel, stride)
        stride = _shorthand_pair(match["stride"] or "1", where, 1)
        padding = _shorthand_pair(match["padding"] or "0", where, 0)
        return Conv2d(_bounded(_small_int(match["channels"]), where, 1), kernel, stride, padding, activation)
    raise SpecError("expected a width, conv{C}k{K}[s{S}][p{P}], maxpool{K}[s{S}] or avgpool{K}[s{S}] "
                    "(K, S, P a number or HxW)", where)


def _small_int(text: str) -> int:
    """A number of the shorthand; absurdly long digit strings are refused before int() sees them."""
    return int(text) if len(text) <= len(str(MAX_WIDTH)) else MAX_WIDTH + 1


def _shorthand_pair(text: str, where: str, least: int) -> Pair:
    values = [_bounded(_small_int(part), where, least) for part in text.split("x")]
    return (values[0], values[-1])
