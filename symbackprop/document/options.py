"""The values of ``symbackprop latex --highlight`` and ``--weights``.

Provides :func:`parse_parameter` (one weight or bias name) and :func:`parse_weights`
(``all``, ``none`` or a comma list of names).  Mistakes are :class:`UserError` naming the
option, so the CLI prints them as one line.
"""

from __future__ import annotations

import re

from ..errors import UserError
from ..model import Parameter
from ..printing.latex import split_indices

_PARAMETER = re.compile(
    r"^(?P<kind>[wb])\s*\^?\s*(?:\{\s*(?P<braced>\d+)\s*\}|(?P<plain>\d+))\s*_\s*"
    r"(?:\{\s*(?P<bindices>\d+(?:\s*,\s*\d+)?)\s*\}|(?P<pindices>\d+(?:,\d+)?))$")


def parse_parameter(text: str, option: str = "--highlight") -> Parameter:
    """``w^2_{11}``, ``w^{2}_{11}``, ``w2_11``, ``w^3_{10,2}`` or ``b^1_2`` as a parameter."""
    match = _PARAMETER.match(text.strip())
    if not match:
        raise UserError(f"expected a weight like w^2_{{11}} or a bias like b^1_2, got {text!r}", option)
    layer = int(match["braced"] or match["plain"])
    raw = re.sub(r"\s", "", match["bindices"] or match["pindices"])
    if match["kind"] == "b":
        if "," in raw:
            raise UserError(f"a bias has one index, got {text!r}", option)
        return Parameter("b", layer, int(raw))
    indices = split_indices(raw)
    if len(indices) != 2:
        raise UserError(f"a weight has two indices (write w^2_{{10,3}} when one has two digits), got {text!r}",
                        option)
    return Parameter("w", layer, int(indices[0]), int(indices[1]))


def parse_weights(text: str | None) -> str | tuple[Parameter, ...]:
    """``None``/``"all"`` → "all", ``"none"`` → "none", else a tuple of parameters."""
    if text is None or text.strip().lower() == "all":
        return "all"
    if text.strip().lower() == "none":
        return "none"
    items = [item for item in _split_commas(text) if item.strip()]
    if not items:
        raise UserError("expected all, none or a comma list like w^2_{11},b^1_2", "--weights")
    return tuple(dict.fromkeys(parse_parameter(item, "--weights") for item in items))


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
