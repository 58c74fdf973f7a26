"""The values of ``symbackprop latex --highlight`` and ``--weights``, in the reader's notation.

Provides :func:`parse_parameter` (one weight or bias name), :func:`parse_weights` (``all``,
``none`` or a comma list of names) and :func:`require_parameters` (every named parameter
exists in the network).  Names are read in the document's notation profile
(:meth:`~symbackprop.notation.Notation.read_parameter`), so a reader of an Ng document types
``theta^(1)_{21}`` and a reader of a Higham one ``w^[3]_{12}``.  Mistakes are
:class:`UserError` naming the option, so the CLI prints them as one line.
"""

from __future__ import annotations

from ..driver import Derivation
from ..errors import UserError
from ..model import NetworkModel, Parameter
from ..notation import PROFILES, Notation

NIELSEN = PROFILES["nielsen"]


def parse_parameter(text: str, option: str = "--highlight", notation: Notation = NIELSEN) -> Parameter:
    """``w^2_{11}``, ``w2_11``, ``w^3_{10,2}``, ``b^1_2`` (or the profile's own spelling, such as
    ``theta^(1)_{21}``) as a parameter in the core numbering."""
    try:
        return notation.read_parameter(text)
    except UserError as error:
        raise error.at(option) from None


def parse_weights(text: str | None, notation: Notation = NIELSEN) -> str | tuple[Parameter, ...]:
    """``None``/``"all"`` → "all", ``"none"`` → "none", else a tuple of parameters."""
    if text is None or text.strip().lower() == "all":
        return "all"
    if text.strip().lower() == "none":
        return "none"
    items = [item for item in _split_commas(text) if item.strip()]
    if not items:
        raise UserError(f"expected all, none or a comma list like {notation.example('w')},{notation.example('b')}",
                        "--weights")
    return tuple(dict.fromkeys(parse_parameter(item, "--weights", notation) for item in items))


def require_parameters(d: Derivation, notation: Notation, chosen: Parameter | None,
                       selection: str | tuple[Parameter, ...]) -> None:
    """Raise, naming the option and the parameter in the reader's notation, unless every one exists."""
    named = [(chosen, "--highlight")] if chosen else []
    if isinstance(selection, tuple):
        named += [(parameter, "--weights") for parameter in selection]
    for parameter, option in named:
        if not d.model.has(parameter):
            raise UserError(f"{d.spec.shorthand()} has no parameter {notation.parameter_name(parameter)}"
                            f"{_layer_hint(d.model, notation, parameter)}", option)


def _layer_hint(model: NetworkModel, notation: Notation, parameter: Parameter) -> str:
    """Where the layers are, when the parameter's layer is the mistake (often off by one between notations)."""
    if 1 <= parameter.layer <= model.L:
        return ""
    first, last = notation.weight_layer(1), notation.weight_layer(model.L)
    return f" (its parameters are in layers {first} to {last} of the {notation.name} numbering)"


def _split_commas(text: str) -> list[str]:
    """Split at commas outside braces (``w^3_{10,2}`` keeps its comma)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]
