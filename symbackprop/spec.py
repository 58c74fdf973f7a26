"""Network specifications: parse and validate a TOML file or the CLI shorthand.

Both forms describe the same :class:`Spec`::

    symbackprop derive 784-100-10 --activation sigmoid --output-activation softmax \\
        --cost cross_entropy
    symbackprop derive examples/mnist.toml

The TOML keys (``name``, ``cost``, ``bias``, ``[[layers]]`` with ``size`` and
``activation``) are a contract shared with other tools.  Every mistake raises a
:class:`~symbackprop.errors.SpecError` naming the file, the key and the reason.
"""

from __future__ import annotations

import keyword
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sympy as sp

from .errors import SpecError
from .registry import (
    Activation,
    Cost,
    builtin_activation,
    builtin_cost,
    custom_activation,
    custom_cost,
)
from .rich_display import RichDisplay

if TYPE_CHECKING:
    from .conv.spec import ConvSpec

MAX_WIDTH = 1_000_000
MAX_LAYERS = 64
MAX_SPEC_BYTES = 1 << 20
_TOP_KEYS = {"name", "cost", "bias", "layers"}
_SHORTHAND = re.compile(r"^\d+(-\d+)*$", re.ASCII)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


#: The name of a network given none (an identifier, used for generated module and file names).
DEFAULT_NAME = "network"


@dataclass(frozen=True)
class Spec(RichDisplay):
    """A validated feed-forward network: widths, one activation per weight layer, a cost."""

    sizes: tuple[int, ...]
    activations: tuple[Activation, ...]
    cost: Cost
    bias: bool = True
    name: str = DEFAULT_NAME

    @property
    def has_name(self) -> bool:
        """Whether the network was given a name of its own (titles then show it)."""
        return self.name != DEFAULT_NAME

    @property
    def depth(self) -> int:
        """L, the number of weight layers (the input is layer 0)."""
        return len(self.sizes) - 1

    @property
    def output(self) -> Activation:
        return self.activations[-1]

    @property
    def weight_count(self) -> int:
        return sum(n * m for m, n in zip(self.sizes, self.sizes[1:], strict=False))

    @property
    def bias_count(self) -> int:
        return sum(self.sizes[1:]) if self.bias else 0

    @property
    def parameter_count(self) -> int:
        return self.weight_count + self.bias_count

    def shorthand(self) -> str:
        return "-".join(map(str, self.sizes))

    @classmethod
    def parse(cls, text: str, **options: Any) -> Spec | ConvSpec:
        """A spec from a TOML path or a shorthand such as ``"3-4-2"`` with keyword options.

        Networks with an image input (``1x8x8-conv16k3p1-maxpool2-10``, or a TOML file whose
        input layer has a ``shape``) are :class:`~symbackprop.conv.spec.ConvSpec` instead.
        """
        if _SHORTHAND.fullmatch(text.strip()):
            return from_shorthand(text, **options)
        from .conv.spec import from_layer_shorthand, is_layer_shorthand

        if is_layer_shorthand(text):
            return from_layer_shorthand(text, **options)
        path = Path(text)
        if path.suffix == ".toml" or _exists(path):
            if options:
                given = ", ".join(f"--{key.replace('_', '-')}" for key in sorted(options))
                raise SpecError(f"options {given} apply to the shorthand only; "
                                "the TOML file says everything", text)
            return load_toml(path)
        raise SpecError("expected widths joined by '-' (e.g. 3-4-2), layers such as 1x8x8-conv16k3p1-maxpool2-10, "
                        "or a .toml spec file", text)

    def to_toml(self) -> str:
        """The canonical TOML text of this spec (embedded in generated files)."""
        lines = [f'name = "{self.name}"', f"cost = {toml_cost(self.cost)}",
                 f"bias = {'true' if self.bias else 'false'}", ""]
        for index, size in enumerate(self.sizes):
            lines += ["[[layers]]", f"size = {size}"]
            if index:
                lines.append(f"activation = {toml_activation(self.activations[index - 1])}")
            lines.append("")
        return "\n".join(lines)


def toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_activation(activation: Activation) -> str:
    if activation.source is not None:
        return f"{{ name = {toml_string(activation.name)}, expr = {toml_string(activation.source)} }}"
    if activation.parameters:
        inner = ", ".join(f"{key} = {float(value)!r}" for key, value in activation.parameters)
        return f"{{ name = {toml_string(activation.name)}, {inner} }}"
    return toml_string(activation.name)


def toml_cost(cost: Cost) -> str:
    if cost.source is not None:
        return f"{{ name = {toml_string(cost.name)}, expr = {toml_string(cost.source)} }}"
    return toml_string(cost.name)


# ---------------------------------------------------------------------------------------
# The shorthand


def from_shorthand(widths: str, *, activation: str = "sigmoid", output_activation: str | None = None,
                   cost: str = "quadratic", bias: bool = True, name: str | None = None) -> Spec:
    """``3-4-2`` with ``--activation`` for hidden layers and ``--output-activation`` (default: same)."""
    place = widths.strip()
    if not _SHORTHAND.fullmatch(place):
        raise SpecError("expected widths joined by '-', e.g. 3-4-2", place)
    sizes = tuple(checked_width(_width(part), f"{place}: layer {index}")
                  for index, part in enumerate(place.split("-")))
    _check_depth(sizes, place)
    hidden = activation_option(activation, "--activation")
    output = activation_option(output_activation or activation, "--output-activation")
    return _build(sizes, (hidden,) * (len(sizes) - 2) + (output,), cost_option(cost), bias,
                  identifier(name or DEFAULT_NAME, "--name"), place)


def activation_option(text: str, option: str) -> Activation:
    """``sigmoid``, ``leaky_relu:0.2`` or ``swish=z*sigmoid(z)``."""
    name, sep, rest = text.partition("=")
    try:
        if sep:
            return custom_activation(identifier(name.strip(), option), rest)
        base, colon, slope = text.partition(":")
        return builtin_activation(base.strip(), _slope(slope, "slope") if colon else None)
    except SpecError as error:
        raise error.at(option) from None


def cost_option(text: str) -> Cost:
    name, sep, rest = text.partition("=")
    try:
        if sep:
            return custom_cost(identifier(name.strip(), "--cost"), rest)
        return builtin_cost(text.strip())
    except SpecError as error:
        raise error.at("--cost") from None


# ---------------------------------------------------------------------------------------
# The TOML file


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return False


def load_toml(path: str | Path) -> Spec:
    """Read and validate a TOML spec file (a regular file of at most MAX_SPEC_BYTES)."""
    place = str(path)
    try:
        if not Path(path).is_file():
            raise SpecError("no such file" if not _exists(Path(path)) else "not a regular file", place)
        with open(path, "rb") as handle:
            data = handle.read(MAX_SPEC_BYTES + 1)
        if len(data) > MAX_SPEC_BYTES:
            raise SpecError(f"spec file larger than {MAX_SPEC_BYTES} bytes", place)
        text = data.decode("utf-8")
    except (OSError, ValueError) as error:  # UnicodeDecodeError is a ValueError
        raise SpecError(f"cannot read: {error}", place) from None
    return parse_toml(text, place)


def parse_toml(text: str, place: str = "<spec>") -> Spec | ConvSpec:
    """Validate TOML text; ``place`` names it in error messages.

    A network with an image input or convolution and pooling layers is read by
    :func:`symbackprop.conv.spec.read_layers` into a :class:`~symbackprop.conv.spec.ConvSpec`.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"malformed TOML: {error}", place) from None
    except RecursionError:
        raise SpecError("malformed TOML: nested too deeply", place) from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise SpecError(f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})", f"{place}: {unknown[0]}")
    layers = data.get("layers")
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        raise SpecError("missing or not an array of tables [[layers]]", f"{place}: layers")
    from .conv.spec import is_layered, read_layers

    if is_layered(layers, place):
        return read_layers(data, place)
    sizes, activations = _toml_layers(layers, place)
    if "cost" not in data:
        raise SpecError("missing (e.g. cost = \"quadratic\")", f"{place}: cost")
    cost = read_cost(data["cost"], f"{place}: cost")
    bias = data.get("bias", True)
    if not isinstance(bias, bool):
        raise SpecError("must be true or false", f"{place}: bias")
    return _build(sizes, activations, cost, bias, identifier(data.get("name", DEFAULT_NAME), f"{place}: name"), place)


def _toml_layers(layers: list[dict], place: str) -> tuple[tuple[int, ...], tuple[Activation, ...]]:
    sizes, activations = [], []
    for index, layer in enumerate(layers):
        where = f"{place}: layers[{index}]"
        allowed = {"size"} if index == 0 else {"kind", "size", "activation"}
        unknown = sorted(set(layer) - allowed)
        if unknown:
            reason = ("the input layer takes only size (or shape for an image)" if index == 0
                      else "unknown key (allowed: kind, size, activation)")
            raise SpecError(reason, f"{where}.{unknown[0]}")
        if "size" not in layer:
            raise SpecError("missing", f"{where}.size")
        size = layer["size"]
        if not isinstance(size, int) or isinstance(size, bool):
            raise SpecError(f"must be a whole number, got {size!r}", f"{where}.size")
        sizes.append(checked_width(size, f"{where}.size"))
        if index:
            if "activation" not in layer:
                raise SpecError("missing (e.g. activation = \"sigmoid\")", f"{where}.activation")
            activations.append(read_activation(layer["activation"], f"{where}.activation"))
    _check_depth(tuple(sizes), f"{place}: layers")
    return tuple(sizes), tuple(activations)


def read_activation(value: Any, where: str) -> Activation:
    try:
        if isinstance(value, str):
            return builtin_activation(value)
        if isinstance(value, dict):
            return _activation_table(value, where)
    except SpecError as error:
        raise error.at(where) from None
    raise SpecError("must be a name or a table { name = ..., expr = ... }", where)


def _activation_table(value: dict, where: str) -> Activation:
    unknown = sorted(set(value) - {"name", "expr", "slope"})
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r} (allowed: name, expr, slope)")
    name = identifier(value.get("name"), "name")
    if "expr" in value:
        if "slope" in value or not isinstance(value["expr"], str):
            raise SpecError("expr must be a string and cannot be combined with slope")
        return custom_activation(name, value["expr"])
    slope = value.get("slope")
    return builtin_activation(name, None if slope is None else _slope(slope, "slope"))


def read_cost(value: Any, where: str) -> Cost:
    try:
        if isinstance(value, str):
            return builtin_cost(value)
        if isinstance(value, dict):
            unknown = sorted(set(value) - {"name", "expr"})
            if unknown or not isinstance(value.get("expr"), str):
                raise SpecError("a custom cost is a table { name = ..., expr = \"...\" } in a and y")
            return custom_cost(identifier(value.get("name"), "name"), value["expr"])
    except SpecError as error:
        raise error.at(where) from None
    raise SpecError("must be a name or a table { name = ..., expr = ... }", where)


# ---------------------------------------------------------------------------------------
# Shared checks


def checked_width(size: int, where: str) -> int:
    if size <= 0:
        raise SpecError(f"width must be positive, got {size}", where)
    if size > MAX_WIDTH:
        raise SpecError(f"width {size} is larger than {MAX_WIDTH}", where)
    return size


def _width(text: str) -> int:
    """A width of the shorthand; absurdly long digit strings are refused before int() sees them."""
    return int(text) if len(text) <= len(str(MAX_WIDTH)) else MAX_WIDTH + 1


def _check_depth(sizes: tuple[int, ...], where: str) -> None:
    if len(sizes) < 2:
        raise SpecError("a network needs an input layer and at least one more layer", where)
    if len(sizes) > MAX_LAYERS + 1:
        raise SpecError(f"at most {MAX_LAYERS} weight layers", where)


def identifier(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value) or keyword.iskeyword(value):
        raise SpecError(f"must be a valid identifier (letters, digits, _), got {value!r}", where)
    if value.startswith("__"):
        raise SpecError(f"names starting with __ are reserved, got {value!r}", where)
    return value


def _slope(value: Any, where: str) -> sp.Rational:
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"[0-9]*\.?[0-9]+([eE]-?[0-9]{1,2})?", text):
        raise SpecError(f"slope must be a number, got {value!r}", where)
    slope = sp.Rational(text)
    if not 0 <= slope < 1:
        raise SpecError(f"slope must be in [0, 1), got {text}", where)
    return slope


def _build(sizes: tuple[int, ...], activations: tuple[Activation, ...], cost: Cost, bias: bool,
           name: str, place: str) -> Spec:
    """Checks that need the whole network: softmax placement and the output width."""
    for layer, activation in enumerate(activations[:-1], start=1):
        if not activation.elementwise:
            raise SpecError(f"{activation.name} is not elementwise and is allowed in the output layer only",
                            f"{place}: layer {layer} activation")
    if not activations[-1].elementwise and sizes[-1] < 2:
        raise SpecError("softmax needs at least 2 output units", f"{place}: output layer")
    return Spec(sizes=sizes, activations=activations, cost=cost, bias=bias, name=name)
