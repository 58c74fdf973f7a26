"""Check hand-written backprop equations against the true derivatives of a spec.

:func:`check_equations` parses each equation (:mod:`.parser`), enumerates the instances of
its left side (every layer and index the spec allows when they are free), evaluates the
right side for each (:mod:`.resolve`), compares (:mod:`.compare`) and, on the first
failure, explains it (:mod:`.explain`, :mod:`.diagnose`).  The
:class:`~.report.CheckReport` prints the result and gives the exit code.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..errors import EquationError
from ..notation import AUTO, Notation
from ..notation import notation as notation_profile
from ..proof import PROVED, VERIFIED
from ..spec import Spec
from .batch import SIZE, batch_for, is_batch, ng_gradient
from .compare import POINTS, compare
from .explain import explain_failure, explain_shape, printer_for, true_side_text
from .infer import infer_notation, inferred_order, mentions_weights, other_readings
from .lhs import Instance, components, cost_of, instances, shape_of, target_of
from .parser import Node, Sym, parse_equation, parse_first_sides, parse_left_side
from .report import CheckReport, Failure, Result
from .resolve import (
    ALIASES,
    Evaluator,
    IndexOutOfRangeError,
    NotElementwiseError,
    OutOfRangeError,
    Resolved,
    ShapeMismatchError,
)
from .truth import Truth, truth_for


def check_equations(spec: Spec, equations: list[str], notation: str = AUTO, *,
                    keep_going: bool = False) -> CheckReport:
    """Check every equation.

    One that cannot be understood raises :class:`EquationError` (exit 2), or with ``keep_going``
    (a whole file: derivations mix in forward-pass lines and prose-like maths) becomes a
    NOT UNDERSTOOD result while the others are still checked.
    """
    truth = truth_for(spec)
    texts = [text.strip().rstrip(".,;").strip() for text in equations]
    profile = read_notation(notation, texts, spec.depth)
    definitions = _definitions(texts) if keep_going else {}
    results: list[Result] = []
    for number, text in enumerate(texts, start=1):
        try:
            results += check_one(truth, profile, number, text, definitions)
        except EquationError as error:
            if not keep_going:
                raise
            reason = _not_a_claim(truth, profile, number, text, definitions)
            if reason is None:
                results.append(Result(str(number), text, False, "", unreadable=error.message))
            else:
                results.append(Result(str(number), text, True, "", skipped=reason))
    return CheckReport(spec, profile, tuple(results), bool(truth.closing))


def read_notation(name: str, texts: list[str], depth: int | None = None) -> Notation:
    """The profile ``name``, or for ``auto`` the one the equations that parse infer (:mod:`.infer`)."""
    if name != AUTO:
        return notation_profile(name)
    parsed = []
    for number, text in enumerate(texts, start=1):
        try:
            parsed.append(parse_equation(text, f"equation {number}"))
        except EquationError:
            continue
    return infer_notation(parsed, depth)


SKIPPED = "its left side is not a gradient or an error δ (a definition or an intermediate step)"


def _definitions(texts: list[str]) -> dict[str, Node]:
    """Symbols a file defines for its other equations, as in ``s = \\sum_i a_i ∂C/∂a_i``: a bare
    name that means nothing in any notation, on the left of an equation, mapped to its right side."""
    found: dict[str, Node] = {}
    for number, text in enumerate(texts, start=1):
        try:
            lhs, rhs = parse_first_sides(text, f"equation {number}")
        except EquationError:
            continue
        if isinstance(lhs, Sym) and lhs.bare and lhs.name not in ALIASES:
            found.setdefault(lhs.name, rhs)
    return found


def _not_a_claim(truth: Truth, profile: Notation, number: int, text: str,
                 definitions: dict[str, Node]) -> str | None:
    """Why an equation that could not be checked is no gradient or δ claim (a file's forward pass,
    cost, chain-rule step or definition: skipped, not an error), or None when it is one.  An
    unreadable left side counts as a claim."""
    place = f"equation {number}"
    try:
        lhs = parse_left_side(text, place)
    except EquationError:
        return None
    accumulator = ng_gradient(lhs, profile)
    for model in (truth, batch_for(truth)):
        try:
            target_of(Evaluator(model, profile, place, accumulator), lhs)
        except EquationError:
            continue
        return None
    if isinstance(lhs, Sym) and lhs.bare and lhs.name in definitions:
        return f"it defines {lhs.name}, read where the file uses it"
    return SKIPPED


def check_one(truth: Truth, profile: Notation, number: int, text: str,
              definitions: dict[str, Node] | None = None, readings: bool = True) -> list[Result]:
    """The results of one equation's sides; an incorrect side that holds under another reading (the other
    index order, row or column vectors: ``readings``) says so in a note, and so does a correct one that
    fails in the profile's own index order where the order was inferred."""
    results = _check_sides(truth, profile, number, text, definitions)
    if readings and any(result.failure for result in results):
        shapes = any(result.failure and not result.failure.point for result in results)  # no point: shapes, indices
        for other, why in other_readings(profile, mentions_weights(parse_equation(text, "")), shapes):
            try:
                again = _check_sides(truth, other, number, text, definitions)
            except EquationError:
                continue
            results = [_also(mine, why) if mine.failure and theirs.correct else mine
                       for mine, theirs in zip(results, again, strict=True)]
    inferred = inferred_order(profile) if readings and all(result.correct for result in results) else None
    if inferred is not None:
        try:
            again = _check_sides(truth, inferred[0], number, text, definitions)
        except EquationError:
            again = []
        results = [replace(mine, notes=mine.notes + (inferred[1],)) if theirs.failure else mine
                   for mine, theirs in zip(results, again, strict=False)] + results[len(again):]
    return results


def _also(result: Result, note: str) -> Result:
    return replace(result, notes=result.notes + (note,))


def _check_sides(truth: Truth, profile: Notation, number: int, text: str,
                 definitions: dict[str, Node] | None = None) -> list[Result]:
    place = f"equation {number}"
    equation = parse_equation(text, place)
    accumulator = ng_gradient(equation.sides[0], profile)
    batch = is_batch(equation, profile)
    evaluator = Evaluator(batch_for(truth) if batch else truth, profile, place, accumulator, definitions)
    target = target_of(evaluator, equation.sides[0])
    if batch and target.kind == "delta":
        delta, batch_delta = profile.generic_node(r"\delta"), profile.generic_node(r"\Delta")
        raise EquationError(f"the left side is one sample's error {delta}, but the equation is about a batch (it "
                            "mentions m, a batch matrix or a sum over samples): the 1/m of the batch average belongs "
                            f"in the gradients of the batch cost; the batch of errors is {batch_delta} (one row per "
                            "sample)", place)
    found, free = instances(evaluator, target, "J" if accumulator else cost_of(equation.sides[0]))
    results = []
    for side, rhs in enumerate(equation.sides[1:], start=1):
        label = str(number) if len(equation.sides) == 2 else f"{number}.{side}"
        results.append(_check_side(evaluator, target, found, free, rhs, label, text))
    return results


def _check_side(evaluator: Evaluator, target: Resolved, found: list[Instance], free: bool, rhs: Node,
                label: str, text: str) -> Result:
    truth = evaluator.truth
    statuses: list[str] = []
    checked = 0
    skipped: OutOfRangeError | None = None
    points = truth.points(POINTS)
    notes: tuple[str, ...] = ()
    for instance in found:
        try:
            person, slips = evaluator.side_value(rhs, instance.env, shape_of(instance.true),
                                                 instance.components)
            notes += tuple(slip for slip in slips if slip not in notes)
        except IndexOutOfRangeError as error:
            if not free:
                raise
            return Result(label, text, False, "", Failure(
                instance.label, true_side_text(evaluator, instance, printer_for(truth, evaluator.notation)),
                diagnoses=(f"an index is out of range for this instance ({error.reason}): swapped or "
                           "misplaced indices?",)))
        except OutOfRangeError as error:
            if free:
                skipped = skipped or error
                continue
            raise
        except ShapeMismatchError as mismatch:
            return Result(label, text, False, "", explain_shape(evaluator, instance, rhs, str(mismatch)))
        checked += 1
        if shape_of(person) != shape_of(instance.true):
            return Result(label, text, False, "", explain_shape(
                evaluator, instance, rhs, f"the right side is {_describe(person)} but the left side is "
                f"{_describe(instance.true)}"))
        base = _base(target.kind, instance.core)

        def canonical(expr: sp.Expr, base=base) -> sp.Expr:
            return truth.canonical(expr, base)

        for (where, true), (_, mine) in zip(components(instance.true), components(person), strict=True):
            mine = truth.expand(mine)
            # once SymPy could not decide one entry, the others (the same form) go straight to numbers
            outcome = compare(true, mine, points, canonical, symbolic=VERIFIED not in statuses)
            if not outcome.holds:
                failure = explain_failure(evaluator, target, instance, where, rhs, true, mine, outcome)
                return Result(label, text, False, "", replace(failure, diagnoses=notes + failure.diagnoses))
            statuses.append(outcome.status)
    if not checked:
        if isinstance(skipped, NotElementwiseError):
            raise skipped  # not a missing layer: σ' of the softmax output, the only layer there is
        raise EquationError("the right side refers to layers that do not exist for any instance of the left "
                            "side", f"equation {label}")
    summary = _summary(statuses, checked, free)
    if evaluator.batch:
        summary += f"; on a batch of m = {SIZE} samples" + (", the batch cost being their mean"
                                                              if target.kind != "Delta" else "")
    return Result(label, text, True, summary, notes=notes)


def _base(kind: str, core: int) -> tuple[str, int]:
    return ("z", core) if kind in ("delta", "Delta") else ("a", core - 1)


def _summary(statuses: list[str], checked: int, free: bool) -> str:
    proved = statuses.count(PROVED)
    numeric = len(statuses) - proved
    parts = []
    if proved:
        parts.append(f"{PROVED}" + (f" for {proved} of {len(statuses)} components" if numeric else ""))
    if numeric:
        parts.append(f"{VERIFIED} at random points, 50-digit arithmetic"
                     + (f" for {numeric} of {len(statuses)} components" if proved else ""))
    instances = f"; {checked} instance{'s' if checked > 1 else ''} of the free indices" if free else ""
    return "; ".join(parts) + instances


def _describe(value) -> str:
    shape = shape_of(value)
    if shape is None:
        return "a scalar"
    return f"a vector of {shape[0]}" if shape[1] == 1 else f"a {shape[0]}×{shape[1]} matrix"
