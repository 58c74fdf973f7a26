"""Definitions against the spec: the forward pass, the cost, the activation and its derivative.

A definition is compared with the spec's model like any claim (:mod:`.check`), and where it
differs this module says which part differs, in words a reader uses: a forward pass with no bias
(or one the spec lacks), the wrong activation (naming the spec's), a cost without the ½ (or with
one the spec lacks), another cost, a wrong derivative.  Each of those is tested, not guessed: the
person's side with that part put right must agree with the spec at every point.

An activation written with a dummy argument, ``σ(z) = 1/(1 + e^{-z})`` or ``σ'(z) = σ(z)(1 − σ(z))``,
claims something about a function, not a layer: its argument is read as z of one neuron of each
layer with a different elementwise activation (:func:`representatives`), and the definition holds
when it holds for one of them.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from ..errors import EquationError
from .claims import MATHEMATICAL, Kind, children, derivative_parts, function_parts, substitute, symbols
from .compare import close, values
from .parser import Func, Node, Parser, Sym
from .resolve import Evaluator, ShapeMismatchError


def dummy(lhs: Node) -> str | None:
    """The dummy variable of σ(z) = … or d/dz tanh z = … (a bare symbol as the function's one argument,
    or as what the derivative is taken by), or None."""
    derivative = derivative_parts(lhs)
    if derivative is not None:
        return derivative[1].name if derivative[1].bare else None
    function = function_parts(lhs)
    if function is not None and len(function[2]) == 1 and isinstance(function[2][0], Sym) and function[2][0].bare:
        return function[2][0].name
    return None


def representatives(evaluator: Evaluator) -> list[int]:
    """One layer per elementwise activation the spec uses, first layer first."""
    seen: dict[str, int] = {}
    for core in range(1, evaluator.model.L + 1):
        activation = evaluator.truth.activation(core)
        if activation.elementwise:
            seen.setdefault(activation.label(), core)
    return list(seen.values())


def at_layer(evaluator: Evaluator, node: Node, name: str, core: int) -> Node:
    """``node`` with the dummy ``name`` read as z of the first neuron of layer ``core``."""
    text = evaluator.notation.node("z", core, 1)
    return substitute(node, name, Parser(text, evaluator.place).symbol())


def spec_activations(evaluator: Evaluator) -> str:
    """The spec's activations in words: "σ (layers 1–2), softmax (layer 3)"."""
    layers: dict[str, list[int]] = {}
    for core in range(1, evaluator.model.L + 1):
        layers.setdefault(evaluator.truth.activation(core).label(), []).append(core)
    shown = evaluator.notation.layer
    return ", ".join(f"{name} (layer{'s' if len(cores) > 1 else ''} {', '.join(shown(c) for c in cores)})"
                     for name, cores in layers.items())


# -- parts that differ before anything is evaluated --------------------------------------------------
def written_mismatch(kind: Kind, evaluator: Evaluator, rhs: Node, env: dict[str, int]) -> str | None:
    """A part of a forward pass the spec cannot have: a bias in a spec without biases, or an
    elementwise activation applied to a softmax layer."""
    if kind is not Kind.FORWARD:
        return None
    if not evaluator.truth.spec.bias and any(_is_bias(evaluator, symbol) for symbol in symbols(rhs)):
        return "a bias that this spec does not have (it has no biases): no bias belongs in z"
    core = softmax_applied(evaluator, rhs, env)
    if core is not None:
        return (f"the wrong activation: layer {evaluator.notation.layer(core)} of the spec is softmax, which "
                "couples the layer's outputs; an elementwise activation is not it")
    return None


def softmax_applied(evaluator: Evaluator, node: Node, env: dict[str, int]) -> int | None:
    """The layer of a softmax whose z an elementwise activation σ(…) is applied to, or None."""
    if isinstance(node, Func) and node.name not in MATHEMATICAL and not node.prime:
        try:
            core = evaluator.function_layer(node, evaluator.value(node.arg, env))
        except (EquationError, ShapeMismatchError):
            core = None
        if core is not None and not evaluator.truth.activation(core).elementwise:
            return core
    for child in children(node):
        found = softmax_applied(evaluator, child, env)
        if found is not None:
            return found
    return None


def _is_bias(evaluator: Evaluator, symbol: Sym) -> bool:
    try:
        return evaluator.resolve(symbol).kind == "b"
    except EquationError:
        return False


# -- which part differs ------------------------------------------------------------------------------
def differences(kind: Kind, evaluator: Evaluator, core: int, unit: int | None, mine: list[complex],
                true: list[complex], points) -> Iterator[str]:
    """The parts of a definition that, put right, make the person's side agree with the spec."""
    truth, model = evaluator.truth, evaluator.model
    if kind is Kind.COST:
        yield from _cost_differences(evaluator, mine, true)
    if kind is Kind.FORWARD and unit is not None and truth.spec.bias:
        bias = values(model.b(core, unit), points)
        if bias is not None and close([m + b for m, b in zip(mine, bias, strict=True)], true, 1e-9):
            yield (f"no bias: the spec's z^{evaluator.notation.layer(core)} adds the bias "
                   f"b^{evaluator.notation.weight_layer(core)}, this forward pass leaves it out")


#: A batch cost's ratio to the spec's in powers of m: what a reader names for each.
MEAN_PARTS = {1: "missing the 1/m of the batch average: this cost sums the samples' costs, m times the spec's "
                 "batch cost (their mean)",
              -1: "divides by m once too often: the spec's batch cost is the mean of the samples' costs"}
HALF_PARTS = {1: "this cost has no ½: it is twice the spec's cost ({cost})",
              -1: "this cost has a ½ the spec's cost lacks: it is half the spec's cost ({cost})"}


def _cost_differences(evaluator: Evaluator, mine: list[complex], true: list[complex]) -> Iterator[str]:
    """A constant ratio m^a 2^b to the spec's cost (a batch's m; a ½ too few or too many), named part by part."""
    cost = evaluator.truth.spec.cost.label()
    ratios = [m / t for m, t in zip(mine, true, strict=True) if abs(t) > 1e-12]
    size = evaluator.batch.size if evaluator.batch else None
    for mean in (0, 1, -1) if size else (0,):
        for half in (0, 1, -1):
            ratio = float(size) ** mean * 2.0 ** half if size else 2.0 ** half
            if (mean or half) and ratios and close(ratios, [ratio] * len(ratios), 1e-9):
                if mean:
                    yield MEAN_PARTS[mean]
                if half:
                    yield HALF_PARTS[half].format(cost=cost)
                return


def fallback(kind: Kind, evaluator: Evaluator, core: int, letters: str = "") -> str | None:
    """What a reader says of a definition (or of the step ∂a/∂z, ``letters`` "a/z") that differs in no
    way a test names."""
    truth = evaluator.truth
    if kind is Kind.STEP and letters == "a/z":
        if not truth.activation(core).elementwise:
            return (f"a wrong derivative of the activation: layer {evaluator.notation.layer(core)} is softmax, whose "
                    "Jacobian ∂a_k/∂z_j = a_k([k = j] − a_j) couples every output with every z")
        kind = Kind.DERIVATIVE
    if kind is Kind.COST:
        return f"the wrong cost: this is another cost than the spec's ({truth.spec.cost.label()})"
    if kind is Kind.ACTIVATION:
        return f"the wrong activation: the spec's activations are {spec_activations(evaluator)}"
    if kind is Kind.FORWARD:
        return None
    if kind is Kind.DERIVATIVE:
        from .explain import printer_for

        derivative = printer_for(truth, evaluator.notation)(truth.derivative(core, sp.Symbol("z")))
        return (f"a wrong derivative of the activation: the spec's {truth.activation(core).label()} has "
                f"derivative {derivative}")
    return None


def forward_fallback(evaluator: Evaluator, core: int, kind_letter: str) -> str | None:
    """A definition of a^l that differs: the activation is the part a reader names."""
    if kind_letter == "a" and core > 0:
        return (f"the wrong activation: layer {evaluator.notation.layer(core)} of the spec applies "
                f"{evaluator.truth.activation(core).label()}")
    return None
