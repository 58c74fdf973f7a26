"""Explain a failed check: the true right-hand side, the point where the sides differ, a diagnosis.

The true right-hand side is printed in the chosen notation from the derivation's own
δ's (one level deep, so it reads like BP1–BP4); the point lists the parameters, inputs and
targets, and then the values there of what the two sides are written in (a, z, y, w, δ); the
diagnoses come from :mod:`.diagnose`.
"""

from __future__ import annotations

import contextlib

import sympy as sp

from ..errors import EquationError
from ..model import Parameter
from ..notation import Notation
from .compare import SCREEN_POINTS, Outcome, close, evaluate, values
from .diagnose import diagnose, variants
from .lhs import Instance, components, label, shape_of
from .parser import Node
from .report import Failure
from .resolve import Evaluator, Resolved, ShapeMismatchError
from .truth import Truth

DIAGNOSIS_POINTS = 5


def printer_for(truth: Truth, profile: Notation):
    from ..printing.latex import LatexPrintError, printer

    latex_printer = printer(profile)

    def show(expr: sp.Expr) -> str:
        try:
            return latex_printer.doprint(expr)
        except (LatexPrintError, ValueError, TypeError, AttributeError):  # printing must not hide a verdict
            return sp.latex(expr)

    return show


def _true_rhs(truth: Truth, kind: str, core: int, indices: tuple[int, ...], where) -> sp.Expr:
    """The true right side of one entry, for one sample (a batch equation wraps it, see :func:`_batched`)."""
    model = truth.model
    deltas = truth.partials.deltas
    if kind == "Delta":
        return deltas[model.delta(core, where[1] + 1)]
    if kind == "W":
        j, k = where[0] + 1, where[1] + 1
        return model.a(core - 1, k) * deltas[model.delta(core, j)]
    if kind == "w":
        j, k = indices
        return model.a(core - 1, k) * deltas[model.delta(core, j)]
    j = indices[0] if indices else where[0] + 1
    return deltas[model.delta(core, j)]


def _component_name(where, matrix: bool) -> str:
    if where is None:
        return ""
    row, column = where
    return f", entry ({row + 1},{column + 1})" if matrix else f", component {row + 1}"


def explain_failure(evaluator: Evaluator, target: Resolved, instance: Instance, where, rhs: Node,
                    true: sp.Expr, mine: sp.Expr, outcome: Outcome) -> Failure:
    """The first failing entry of an instance: true right side, the point, both values, diagnoses."""
    truth, profile = evaluator.truth, evaluator.notation
    show = printer_for(truth, profile)
    shown_true = _true_rhs(truth, target.kind, instance.core, instance.indices, where)
    true_rhs = show(shown_true)
    if evaluator.batch:
        true_rhs = _batched(true_rhs, instance.kind, where)
    point, nodes = _point_text(evaluator, instance, where, rhs, shown_true, outcome.point, show)
    shown_values = (f"the left side (true value) is {_number(outcome.true)} but the right side is "
                    f"{_number(outcome.person)}")
    diagnoses = _diagnoses(evaluator, target, instance, where, rhs, true, mine)
    matrix = isinstance(instance.true, sp.MatrixBase) and instance.true.shape[1] > 1
    return Failure(instance.label + _component_name(where, matrix), true_rhs, point, shown_values, tuple(diagnoses),
                   nodes)


def _point_text(evaluator: Evaluator, instance: Instance, where, rhs: Node, shown_true: sp.Expr,
                point: dict[sp.Symbol, sp.Float], show) -> tuple[str, str]:
    """The failing point (its weights, inputs and targets) and, beside it, the values there of
    what the two sides are written in (a, z, y, w, δ): the numbers a reader can check by hand.

    A batch equation's symbols stand for several samples, so it gets the point alone.
    """
    truth = evaluator.truth
    names = truth.point_names(show)
    everything = ", ".join(f"{names[symbol]} = {float(value):.10g}"
                           for symbol, value in sorted(point.items(), key=lambda item: str(item[0]))
                           if symbol in names)
    if evaluator.batch:
        return everything, ""
    symbols = set(shown_true.free_symbols)
    with contextlib.suppress(EquationError, ShapeMismatchError, KeyError):
        symbols |= dict(components(evaluator.value(rhs, instance.env)))[where].free_symbols
    shown = []
    for symbol in symbols:
        value = point[symbol] if symbol in point else evaluate(truth.expand(symbol), point)
        if not value.is_number:
            return everything, ""
        shown.append((show(symbol), float(value)))
    shown.sort(key=lambda item: item[0].lstrip("\\"))
    return everything, ", ".join(f"{name} = {value:.10g}" for name, value in shown)


def _batched(text: str, kind: str, where) -> str:
    """One sample's true right side as a batch states it: row s of Δ, or the mean of a gradient."""
    if kind == "Delta":
        return rf"\left[{text}\right]_{{({where[0] + 1})}} (row {where[0] + 1}: sample {where[0] + 1})"
    return rf"\frac{{1}}{{m}} \sum_{{s=1}}^{{m}} \left[{text}\right]_{{(s)}}"


def _number(value) -> str:
    try:
        return f"{complex(value).real:.10g}"
    except (TypeError, ValueError):
        return str(value)


def _diagnoses(evaluator: Evaluator, target: Resolved, instance: Instance, where, rhs: Node, true: sp.Expr,
               mine: sp.Expr) -> list[str]:
    truth = evaluator.truth
    points = truth.points(DIAGNOSIS_POINTS, seed=7)
    true_values, mine_values = values(true, points), values(mine, points)
    if true_values is None or mine_values is None:
        return []

    def at(node: Node, env: dict[str, int]) -> list[complex] | None:
        try:
            value = evaluator.value(node, env)
        except (EquationError, ShapeMismatchError):
            return None
        if shape_of(value) != shape_of(instance.true):
            return None
        component = dict(components(value))[where]
        return values(truth.expand(component), points)

    extras = []
    exchanged = None
    index_vars = [v for v in instance.env if v != "l" and v in "ijkmnpq"]
    if len(index_vars) == 2:
        first, second = index_vars
        swapped = {**instance.env, first: instance.env[second], second: instance.env[first]}
        if swapped != instance.env:
            exchanged = f"swapped indices: the right side is right for {first} and {second} exchanged"
            extras.append((exchanged, at(rhs, swapped)))
    if isinstance(instance.true, sp.MatrixBase) and instance.true.shape[0] == instance.true.shape[1] > 1:
        try:
            flipped = evaluator.value(rhs, instance.env).T
            extras.append(("a transpose on the wrong side: the right side is the transpose of the true matrix",
                           values(truth.expand(dict(components(flipped))[where]), points)))
        except (EquationError, ShapeMismatchError, AttributeError):
            pass
    terms, layer_name, weight_swaps = [], "", []
    if not evaluator.batch:  # these are written for one sample's symbols
        extras += _derivative_factor(truth, instance, where, mine_values, points)
        weight_swaps = _transposed_weight(truth, evaluator.notation, instance, mine_values, true_values, points)
        extras += weight_swaps
        terms, layer_name = _terms(truth, evaluator.notation, target.kind, instance, where)
    batch_size = evaluator.batch.size if evaluator.batch else None
    found = diagnose(mine_values, true_values, points, lambda node: at(node, instance.env), rhs, extras, terms,
                     layer_name, batch_size)
    if exchanged in found and any(text in found for text, _ in weight_swaps):
        found.remove(exchanged)  # naming the weight says the same, more precisely
    return found


def _transposed_weight(truth: Truth, profile: Notation, instance: Instance, mine: list[complex],
                       true: list[complex], points):
    """∂C/∂w^l_{jk} answered with the value of ∂C/∂w^l_{kj} (a fixed weight, indices swapped).

    The message names the cost as the person wrote it and the weight as the profile writes it
    (θ^{(l)}_{ij} in Ng's notation).
    """
    if instance.kind != "w":
        return []
    j, k = instance.indices
    model = truth.model
    if j == k or k not in model.units(instance.core) or j not in model.units(instance.core - 1):
        return []
    other = values(truth.parameter(Parameter("w", instance.core, k, j)), points)
    if other is None:
        return []
    shown, asked = (label(profile, "w", instance.core, pair, {}, instance.cost) for pair in ((k, j), (j, k)))
    return [(f"swapped indices: the right side is {shown}, not {asked} (the first index of a weight is the "
             "destination neuron)", [m + t - o for m, t, o in zip(mine, true, other, strict=True)])]


def _derivative_factor(truth: Truth, instance: Instance, where, mine: list[complex], points):
    """A right side that lacks, or has one too many, factor σ'(z^l_j) of the neuron on the left."""
    core = instance.core
    if not truth.activation(core).elementwise:
        return []
    j = instance.indices[0] if instance.indices else where[0] + 1
    factor = values(truth.derivative(core, truth.model.z(core, j)), points)
    if factor is None or any(abs(f) < 1e-12 for f in factor):
        return []
    return [("a missing factor σ'(z) of the neuron on the left (the activation's derivative)",
             [m * f for m, f in zip(mine, factor, strict=True)]),
            ("an extra factor σ'(z): the activation's derivative is applied twice",
             [m / f for m, f in zip(mine, factor, strict=True)])]


def _terms(truth: Truth, profile: Notation, kind: str, instance: Instance, where):
    model = truth.model
    core = instance.core
    if kind in ("w", "W"):
        j, k = instance.indices if kind == "w" else (where[0] + 1, where[1] + 1)
        factor = model.a(core - 1, k)
    else:
        j = instance.indices[0] if instance.indices else where[0] + 1
        factor = sp.Integer(1)
    terms = [(i, factor * term) for i, term in truth.chain_terms(core, j)]
    name = f"layer {profile.layer(core + 1)}" if core < model.L else "the output layer (softmax Jacobian)"
    return terms, name


def explain_shape(evaluator: Evaluator, instance: Instance, rhs: Node, reason: str) -> Failure:
    """Shapes that do not fit: say so, and find the transpose that makes them fit, if one does."""
    truth = evaluator.truth
    diagnoses = [f"the shapes do not fit: {reason}"]
    for text, variant in variants(rhs):
        if "transpose" not in text:
            continue
        try:
            value = evaluator.value(variant, instance.env)
        except (EquationError, ShapeMismatchError):
            continue
        if shape_of(value) == shape_of(instance.true) and all(
                _equal(truth, t, v)
                for (_, t), (_, v) in zip(components(instance.true), components(value), strict=True)):
            diagnoses.append(text)
            break
    else:
        if isinstance(instance.true, sp.MatrixBase):
            try:
                value = evaluator.value(rhs, instance.env)
                if shape_of(value) == shape_of(instance.true.T) and all(
                        _equal(truth, t, v)
                        for (_, t), (_, v) in zip(components(instance.true.T), components(value), strict=True)):
                    diagnoses.append("a transpose on the wrong side: the right side is the transpose of the "
                                     "true matrix")
            except (EquationError, ShapeMismatchError):
                pass
    show = printer_for(truth, evaluator.notation)
    if evaluator.batch and instance.kind == "Delta":  # every row is one sample's (δ^l)^T
        row = sp.Matrix([[_true_rhs(truth, "Delta", instance.core, (), (0, column))
                          for column in range(instance.true.shape[1])]])
        text = rf"\left[{show(row)}\right]_{{(s)}} (row s: sample s)"
    else:
        text = true_side_text(evaluator, instance, show)
        text = _batched(text, instance.kind, None) if evaluator.batch else text
    return Failure(instance.label, text, diagnoses=tuple(diagnoses))


def _equal(truth: Truth, true: sp.Expr, person: sp.Expr) -> bool:
    points = truth.points(SCREEN_POINTS, seed=3)
    found = values(truth.expand(person), points)
    expected = values(true, points)
    return found is not None and expected is not None and close(found, expected, 1e-9)


def true_side_text(evaluator: Evaluator, instance: Instance, show) -> str:
    truth = evaluator.truth
    if isinstance(instance.true, sp.MatrixBase):
        rows, columns = instance.true.shape
        # a weight matrix read with the other orientation (row vectors, source-first w_{ij}) is ∂C/∂W transposed
        flipped = instance.kind == "W" and rows != len(truth.model.units(instance.core))
        entries = sp.Matrix(rows, columns, lambda r, c: _true_rhs(truth, instance.kind, instance.core,
                                                                   instance.indices, (c, r) if flipped else (r, c)))
        return show(entries)
    return show(_true_rhs(truth, instance.kind, instance.core, instance.indices, None))


# -- claims other than gradients: steps, ∂C/∂a, definitions ---------------------------------------------
def explain_claim(evaluator: Evaluator, kind, instance: Instance, where, rhs: Node, true: sp.Expr, mine: sp.Expr,
                  outcome: Outcome, fit) -> Failure:
    """A failed claim that is not a gradient: the true value of the left side, the point, the diagnoses."""
    show = printer_for(evaluator.truth, evaluator.notation)
    point, nodes = _point_text(evaluator, instance, where, rhs, true, outcome.point, show)
    shown_values = (f"the left side (true value) is {_number(outcome.true)} but the right side is "
                    f"{_number(outcome.person)}")
    diagnoses = _claim_diagnoses(evaluator, kind, instance, where, rhs, true, mine, fit)
    matrix = isinstance(instance.true, sp.MatrixBase) and instance.true.shape[1] > 1
    return Failure(instance.label + _component_name(where, matrix), show(true), point, shown_values,
                   tuple(diagnoses), nodes)


def _claim_diagnoses(evaluator: Evaluator, kind, instance: Instance, where, rhs: Node, true: sp.Expr,
                     mine: sp.Expr, fit) -> list[str]:
    from .definitions import differences, fallback, forward_fallback

    truth = evaluator.truth
    points = truth.points(DIAGNOSIS_POINTS, seed=7)
    true_values, mine_values = values(true, points), values(mine, points)
    if true_values is None or mine_values is None:
        return []

    def at(node: Node) -> list[complex] | None:
        try:
            value = evaluator.value(node, instance.env)
        except (EquationError, ShapeMismatchError):
            return None
        value = _fitted(fit, instance.true, value)
        if shape_of(value) != shape_of(instance.true):
            return None
        return values(truth.expand(dict(components(value))[where]), points)

    unit = instance.indices[0] if instance.indices else (where[0] + 1 if where else None)
    extras = _step_factor(evaluator, kind, instance, unit, mine_values, points)
    found = list(differences(kind, evaluator, instance.core, unit, mine_values, true_values, points))
    named = bool(found)  # a definition's part named in its own words: no "constant factor" beside it
    found += [text for text in diagnose(mine_values, true_values, points, at, rhs, extras, [], "")
              if text not in found and not (named and text.startswith("off by a constant factor"))]
    if kind.name == "FORWARD" and any(text.startswith("swapped indices") for text in found):
        found.insert(0, "the index order: this holds if the first index of a weight is its source (source-first, "
                        f"the weight runs from the first unit to the second), not in the {evaluator.notation.name} "
                        "reading, where the first index is the destination")
    derivative = kind.name == "DERIVATIVE" or instance.kind == "a/z"
    if not found or derivative and not any("σ'(a)" in text for text in found):
        extra = forward_fallback(evaluator, instance.core, instance.kind) if kind.name == "FORWARD" else \
            fallback(kind, evaluator, instance.core, instance.kind)
        if extra:
            found.insert(0, extra)  # a wrong derivative, said first; the slip that makes it follows
    return found


def _fitted(fit, true, value):
    fitted = fit(true, value)
    return value if shape_of(fitted) == shape_of(value) else value


def _step_factor(evaluator: Evaluator, kind, instance: Instance, unit: int | None, mine: list[complex], points):
    """A chain-rule step through z of an elementwise layer that lacks its factor σ'(z)."""
    truth = evaluator.truth
    through_z = kind.name == "STEP" and instance.kind.endswith("/z") and unit is not None
    if not through_z or not truth.activation(instance.core).elementwise:
        return []
    factor = values(truth.derivative(instance.core, truth.model.z(instance.core, unit)), points)
    if factor is None:
        return []
    return [("a missing factor σ'(z) (the activation's derivative of the neuron differentiated by)",
             [m * f for m, f in zip(mine, factor, strict=True)])]
