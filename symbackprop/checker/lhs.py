"""The left side of an equation: what it states, and every instance of it the spec allows.

A left side is ∂C/∂w^l_{jk}, ∂C/∂b^l_j, ∂C/∂W^l, ∂C/∂b^l, ∂C/∂z^l_j, δ^l_j or δ^l (in any
notation profile), or in a batch equation (:mod:`.batch`) the batch gradients ∂C/∂w, ∂C/∂b,
∂C/∂W^l, ∂C/∂b^l or the batch of errors Δ^l.  Free letters (l, j, k, …) run over every layer and neuron the spec has;
each :class:`Instance` carries the true value (a scalar, or a matrix checked entry by entry).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import sympy as sp

from ..errors import EquationError
from ..model import Parameter
from ..notation import Notation
from .parser import Node, Partial, Sym
from .resolve import Evaluator, OutOfRangeError, Resolved


@dataclass(frozen=True)
class Instance:
    env: dict[str, int]
    core: int
    indices: tuple[int, ...]
    true: sp.Expr | sp.Matrix
    label: str
    kind: str
    cost: str = "C"  # the cost as the person wrote it on the left side (C, J, …), for messages
    #: core layer → the left side's free index letter that runs over it (δ^L_j: L → j), for component readings
    components: Mapping[int, str] = field(default_factory=dict)


def target_of(evaluator: Evaluator, lhs: Node) -> Resolved:
    if isinstance(lhs, Partial):
        resolved = evaluator.resolve(lhs.wrt)
        if resolved.kind == "z":
            return Resolved("delta", None, resolved.indices, resolved.column, resolved.layer_text, derivative=True)
        if resolved.kind in ("w", "W", "b"):
            return resolved
        if resolved.kind == "Z" and lhs.written == "dZ":  # a deep-learning course's dZ: the batch of δ's
            return replace(resolved, kind="Delta")
    elif isinstance(lhs, Sym) and evaluator.accumulator:  # Ng's D^{(l)} = ∂J/∂Θ^{(l)}
        return evaluator.resolve(replace(lhs, name="Theta"))
    elif isinstance(lhs, Sym):
        resolved = evaluator.resolve(lhs)
        if resolved.kind in ("delta", "Delta"):
            return resolved
    raise evaluator.error("the left side must be ∂C/∂w^l_{jk}, ∂C/∂b^l_j, ∂C/∂W^l, ∂C/∂b^l, ∂C/∂z^l_j, "
                          "δ^l_j or δ^l (for a batch also Δ^l, and Ng's D^{(l)} in the ng notation)", lhs.column)


def _variables(text: str | None) -> list[str]:
    return [] if text is None else sorted(set(re.findall(r"[a-zA-KM-Z]", text)))


def cost_of(lhs: Node) -> str:
    """The cost's letter as the person wrote it (``J`` in Ng's course), C for a left side δ."""
    return lhs.cost if isinstance(lhs, Partial) else "C"


def instances(evaluator: Evaluator, target: Resolved, cost: str = "C") -> tuple[list[Instance], bool]:
    """Every instance of the left side, and whether it has free indices; labels name ``cost``."""
    model, profile = evaluator.model, evaluator.notation
    layer_vars = _variables(target.layer_text)
    if len(layer_vars) > 1:
        raise evaluator.error(f"layer '{target.layer_text}' has more than one letter", target.column)
    weight = target.kind in ("w", "W", "b")
    offset = profile.weight_offset if weight else profile.layer_offset
    layer_values = [{layer_vars[0]: core + offset} for core in range(0, model.L + 2)] if layer_vars else [{}]
    found = []
    for env in layer_values:
        try:
            core = evaluator.core_layer(target, env)
        except OutOfRangeError:
            if layer_vars:
                continue
            raise
        index_vars = sorted({v for text in target.indices for v in _variables(text)} - set(env))
        ranges = {}
        for text, allowed in zip(target.indices, evaluator.ranges(target, core), strict=False):
            if text.strip() in index_vars:
                ranges[text.strip()] = allowed
        if set(ranges) != set(index_vars):
            raise evaluator.error("a free index on the left side must stand alone (j, not j+1)", target.column)
        for combination in itertools.product(*(ranges[v] for v in index_vars)):
            bound = {**env, **dict(zip(index_vars, combination, strict=True))}
            indices = evaluator.index_values(target, core, bound)
            sign = evaluator.notation.conventions.delta_sign if target.kind == "delta" and not target.derivative else 1
            found.append(Instance(bound, core, indices, sign * true_value(evaluator, target.kind, core, indices),
                                  label(profile, target.kind, core, indices, bound, cost), target.kind, cost,
                                  component_letters(evaluator, target, core, index_vars)))
    if not found:
        raise evaluator.error(f"no layer of {evaluator.truth.spec.shorthand()} fits '{target.layer_text}'",
                              target.column)
    return found, bool(layer_vars or any(_variables(text) for text in target.indices))


def component_letters(evaluator: Evaluator, target: Resolved, core: int, free: list[str]) -> dict[int, str]:
    """Which free index letter of the left side runs over which core layer: δ^l_j gives {l: j},
    ∂C/∂w^l_{jk} gives {l: j, l−1: k} (source-first ∂E/∂w_{ij}: {l: j, l−1: i})."""
    texts = [text.strip() for text in target.indices]
    if target.kind == "w" and len(texts) == 2:
        texts = list(evaluator.weight_order(tuple(texts)))
        layers = (core, core - 1)
    elif target.kind in ("b", "delta") and len(texts) == 1:
        layers = (core,)
    else:
        return {}
    return {layer: text for layer, text in zip(layers, texts, strict=True) if text in free}


def true_value(evaluator: Evaluator, kind: str, core: int, indices: tuple[int, ...]):
    """The true value of a left side, in the profile's index order and orientation."""
    truth = evaluator.truth
    model = truth.model
    if kind == "Delta":
        return evaluator.batch_oriented(truth.delta_matrix(core))
    if kind == "w":
        return truth.parameter(Parameter("w", core, *evaluator.weight_order(indices)))
    if kind == "W":
        matrix = sp.Matrix([[truth.parameter(Parameter("w", core, j, k)) for k in model.units(core - 1)]
                            for j in model.units(core)])
        return matrix.T if evaluator.notation.conventions.source_first else matrix
    if kind == "b":
        if not truth.spec.bias:
            raise EquationError("the spec has no biases (--no-bias)", "check")
        if indices:
            return truth.parameter(Parameter("b", core, *indices))
        return evaluator.oriented(sp.Matrix([truth.parameter(Parameter("b", core, j)) for j in model.units(core)]))
    if indices:
        return truth.delta(core, *indices)
    return evaluator.oriented(sp.Matrix([truth.delta(core, j) for j in model.units(core)]))


def label(profile: Notation, kind: str, core: int, indices: tuple[int, ...], env: dict[str, int],
          cost: str = "C") -> str:
    """The left side in the profile's letters, with the cost as written (∂J/∂θ in Ng's notation)."""
    if kind == "w":
        text = rf"\partial {cost}/\partial {profile.weight(core, *indices)}"
    elif kind == "W":
        text = rf"\partial {cost}/\partial {profile.weight_matrix(core)}"
    elif kind == "b":
        text = rf"\partial {cost}/\partial {profile.bias(core, *indices) if indices else profile.bias_vector(core)}"
    else:
        text = profile.node(r"\Delta" if kind == "Delta" else r"\delta", core, *indices)
    bindings = ", ".join(f"{key}={value}" for key, value in sorted(env.items()))
    return f"{text}" + (f" ({bindings})" if bindings else "")


def components(value) -> list[tuple[tuple[int, int] | None, sp.Expr]]:
    if isinstance(value, sp.MatrixBase):
        return [((r, c), value[r, c]) for r in range(value.shape[0]) for c in range(value.shape[1])]
    return [(None, value)]


def shape_of(value) -> tuple[int, int] | None:
    return value.shape if isinstance(value, sp.MatrixBase) else None
