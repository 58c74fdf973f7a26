"""Check hand-written backprop equations against the true values of a spec's model.

:func:`check_equations` parses each equation (:mod:`.parser`) and names the claim it makes
(:mod:`.claims`): what claims nothing is skipped with the reason; a gradient or an error δ is
checked instance by instance (every layer and index the spec allows when they are free, :mod:`.lhs`);
∂C/∂a, a chain-rule step and a definition of the forward pass, the cost or the activation are
checked the same way against the true value of their left side, a definition being CONSISTENT or
INCONSISTENT with the spec (:mod:`.definitions`).  Each right side of a chain A = B = C is compared
with the true value of A (:mod:`.compare`); a failure is explained with every mistake that fits
(:mod:`.explain`, :mod:`.diagnose`).  The :class:`~.report.CheckReport` prints the result and
gives the exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import sympy as sp

from ..errors import EquationError
from ..notation import AUTO, Notation
from ..notation import notation as notation_profile
from ..proof import PROVED, VERIFIED
from ..spec import Spec
from . import claims
from .batch import SIZE, Mark, batch_for, batch_marks, counts_of, ng_gradient
from .claims import Kind, classify, kind_of
from .compare import POINTS, compare
from .definitions import at_layer, dummy, representatives, softmax_applied, written_mismatch
from .explain import explain_claim, explain_failure, explain_shape, printer_for, true_side_text
from .furniture import Qualifier
from .infer import Reading, equation_notation, infer_notation, inferred_order, mentions_weights, other_readings
from .lexer import ell_as_written
from .lhs import Instance, components, cost_of, instances, shape_of, target_of
from .parser import Equation, Node, NodePartial, Relation, Sym, parse_equation, parse_first_sides, parse_left_side
from .reading import reading
from .report import CheckReport, Failure, Result
from .resolve import (
    ALIASES,
    LAYER_VARIABLES,
    Evaluator,
    IndexOutOfRangeError,
    NotElementwiseError,
    OutOfRangeError,
    Resolved,
    ShapeMismatchError,
)
from .source import Snippet, snippets_from_equation
from .truth import Truth, truth_for


def check_equations(spec: Spec, equations: Sequence[Snippet | str], notation: str = AUTO, *,
                    keep_going: bool = False, explain: bool = False) -> CheckReport:
    """Check every equation: :class:`~.source.Snippet` s, or texts (their furniture is taken off
    the same way, so a ``\\tag`` or a trailing comma is no part of the mathematics).

    One that cannot be understood raises :class:`EquationError` (exit 2), or with ``keep_going``
    (a whole file: derivations mix in forward-pass lines and prose-like maths) becomes a
    NOT UNDERSTOOD result while the others are still checked.  With ``explain`` each result carries
    how its equation was read, stage by stage (:mod:`.reading`).
    """
    truth = truth_for(spec)
    snippets = [piece for entry in equations
                for piece in (snippets_from_equation(entry) if isinstance(entry, str) else [entry])]
    texts = [snippet.text for snippet in snippets]
    profile = read_notation(notation, texts, spec.depth)
    definitions = _definitions(texts) if keep_going else {}
    settled = settled_order(truth, profile, texts, definitions) if keep_going else None
    results = [result for number, snippet in enumerate(snippets, start=1)
               for result in _check_snippet(truth, profile, number, snippet, definitions, settled, keep_going,
                                            explain)]
    return CheckReport(spec, profile, tuple(results), bool(truth.closing))


def _check_snippet(truth: Truth, profile: Notation, number: int, snippet: Snippet, definitions: dict[str, Node],
                   settled: int | None, keep_going: bool, explain: bool) -> list[Result]:
    """The results of one equation, with where it stands; what cannot be read is skipped with the reason
    when it claims nothing, NOT UNDERSTOOD with ``keep_going``, else an :class:`EquationError`."""
    results = _snippet_results(truth, profile, number, snippet, definitions, settled, keep_going, explain)
    rewrite = ell_as_written(snippet.text)
    return results if rewrite is None else [_rewritten(result, rewrite) for result in results]


def _rewritten(result: Result, rewrite: Callable[[str], str]) -> Result:
    """``result`` with ``rewrite`` applied to every message it carries (not to the equation's text)."""
    failure = result.failure and replace(result.failure, instance=rewrite(result.failure.instance),
                                         diagnoses=tuple(map(rewrite, result.failure.diagnoses)))
    return replace(result, how=rewrite(result.how), unreadable=rewrite(result.unreadable),
                   skipped=rewrite(result.skipped), notes=tuple(map(rewrite, result.notes)), failure=failure,
                   reading=tuple(map(rewrite, result.reading)))


def _snippet_results(truth: Truth, profile: Notation, number: int, snippet: Snippet, definitions: dict[str, Node],
                     settled: int | None, keep_going: bool, explain: bool) -> list[Result]:
    text = snippet.text
    letter_reading = equation_notation(profile, text, truth.spec.depth)
    here, letters = letter_reading.notation, letter_reading.note
    where = {"line": snippet.line, "tag": snippet.tag, "origin": snippet.origin,
             "qualifier": snippet.qualifier.text if snippet.qualifier else "",
             "reading": reading(truth, here, number, snippet, definitions) if explain else ()}
    try:
        found = _every_reading(truth, letter_reading, number, text, definitions, snippet.qualifier) or \
            check_one(truth, here, number, text, definitions, snippet.qualifier, settled=settled)
    except EquationError as error:
        unread = claims.unread_no_claim(text, f"equation {number}")
        if unread:
            return [Result(str(number), text, True, "", skipped=unread, **where)]
        if not keep_going:
            raise
        reason = _not_a_claim(truth, here, number, text, definitions, error)
        if reason is None:
            return [Result(str(number), text, False, "", unreadable=error.message, **where)]
        return [Result(str(number), text, True, "", skipped=reason, **where)]
    return [replace(result, **where, notes=result.notes + ((letters,) if letters else ())) for result in found]


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
                 definitions: dict[str, Node], error: EquationError) -> str | None:
    """Why an equation of a file that could not be checked is passed over (skipped, not an error), or
    None when it is an unread claim (NOT UNDERSTOOD).  An unreadable left side counts as a claim.

    A definition, a step or another claim besides gradients and δ that cannot be read yet is passed
    over with the reason, as the lines of a derivation between its claims are, so that a document
    that checked before still checks."""
    place = f"equation {number}"
    try:
        lhs = parse_left_side(text, place)
    except EquationError:
        return None
    accumulator = ng_gradient(lhs, profile)
    for model in (truth, batch_for(truth)):
        evaluator = Evaluator(model, profile, place, accumulator)
        try:
            target_of(evaluator, lhs)
        except EquationError:
            kind = kind_of(lhs, evaluator)
            if kind is not Kind.GRADIENT:
                return f"{kind.value} that cannot be read yet ({error.message})"
            continue
        return None
    if isinstance(lhs, Sym) and lhs.bare and lhs.name in definitions:
        return f"it defines {lhs.name}, read where the file uses it"
    return None  # a left side that names nothing the spec defines may still be a claim: NOT UNDERSTOOD


def check_one(truth: Truth, profile: Notation, number: int, text: str, definitions: dict[str, Node] | None = None,
              qualifier: Qualifier | None = None, readings: bool = True, settled: int | None = None) -> list[Result]:
    """The verdicts on one equation: one per right side, or one skipped result for what claims nothing.

    An incorrect side that holds under another reading (the other index order, row or column
    vectors: ``readings``) says so in a note, and so does a correct one that fails in the profile's
    own index order where the order was inferred.  Where equation ``settled`` of the same text fixes
    the index order (:func:`settled_order`), the other order is no reading of this text."""
    results = _check_sides(truth, profile, number, text, definitions, qualifier)
    if readings and any(result.failure for result in results):
        shapes = any(result.failure and not result.failure.point for result in results)  # no point: shapes, indices
        weights = settled is None and mentions_weights(parse_equation(text, "", frozenset(Relation)))
        for other, why in other_readings(profile, weights, shapes):
            try:
                again = _check_sides(truth, other, number, text, definitions, qualifier)
            except EquationError:
                continue
            results = [_also(mine, why) if mine.failure and theirs.correct else mine
                       for mine, theirs in zip(results, again, strict=True)]
    inferred = inferred_order(profile) if readings and all(result.correct for result in results) else None
    if inferred is not None:
        try:
            again = _check_sides(truth, inferred[0], number, text, definitions, qualifier)
        except EquationError:
            again = []
        results = [replace(mine, notes=mine.notes + (inferred[1],)) if theirs.failure else mine
                   for mine, theirs in zip(results, again, strict=False)] + results[len(again):]
    return results


def settled_order(truth: Truth, profile: Notation, texts: list[str], definitions: dict[str, Node]) -> int | None:
    """The number of the first forward-pass definition that names weights and is CONSISTENT with the
    spec in the profile's index order but not in the other (a_j = σ(Σ_k w_{jk} a_k + b_j) in a text
    read destination-first): the text has fixed its order there.  None when no definition does."""
    other = other_readings(profile, weights=True, shapes=False)[0][0]
    for number, text in enumerate(texts, start=1):
        try:
            equation = parse_equation(text, f"equation {number}")
            evaluator = Evaluator(truth, profile, f"equation {number}", None, definitions)
            if not mentions_weights(equation) or classify(equation, evaluator).kind is not Kind.FORWARD:
                continue
            mine = _check_sides(truth, profile, number, text, definitions)
            if not all(result.correct for result in mine):
                continue
            theirs = _check_sides(truth, other, number, text, definitions)
        except (EquationError, ShapeMismatchError):  # what this reading cannot read settles nothing
            continue
        if not all(result.correct for result in theirs):
            return number
    return None


def _every_reading(truth: Truth, reading: Reading, number: int, text: str, definitions: dict[str, Node],
                   qualifier: Qualifier | None) -> list[Result]:
    """Where the index letters fit several layers (net_j = Σ_k w_{kj} o_k: j any unit, k the layer before),
    the verdicts when they are the same under every fitting reading, with a note; none otherwise."""
    found = []
    for notation, _ in reading.alternatives:
        try:
            found.append(check_one(truth, notation, number, text, definitions, qualifier, readings=False))
        except EquationError:
            return []
    if not found or any([r.verdict for r in results] != [r.verdict for r in found[0]] for results in found):
        return []
    note = "holds alike whichever layers the letters name: " if found[0][0].correct else \
        "fails whichever layers the letters name: "
    return [_also(result, note + "; ".join(why for _, why in reading.alternatives)) for result in found[0]]


def _also(result: Result, note: str) -> Result:
    return replace(result, notes=result.notes + (note,))


def _check_sides(truth: Truth, profile: Notation, number: int, text: str,
                 definitions: dict[str, Node] | None = None, qualifier: Qualifier | None = None) -> list[Result]:
    place = f"equation {number}"
    equation = parse_equation(text, place, frozenset(Relation))  # ≈, →, = ?: claim nothing, said below
    reason = claims.no_claim_in_form(equation)
    if reason:
        return [Result(str(number), text, True, "", skipped=reason)]
    accumulator = ng_gradient(equation.sides[0], profile)
    marks = batch_marks(equation, profile)
    batch = bool(marks)
    evaluator = Evaluator(batch_for(truth) if batch else truth, profile, place, accumulator, definitions)
    evaluator.counts = counts_of(equation, place)
    claim = classify(equation, evaluator)
    if claim.kind is Kind.NO_CLAIM:
        return [Result(str(number), text, True, "", skipped=claim.reason)]
    if claim.kind is not Kind.GRADIENT:
        if batch and claim.kind is not Kind.COST:
            raise EquationError(f"{claim.kind.value} is read for one sample; this equation is about a batch "
                                "(it mentions m, a batch matrix or a sum over samples)", place)
        return check_claim(evaluator, claim.kind, equation, number, text, qualifier)
    target = target_of(evaluator, equation.sides[0])
    if batch and target.kind == "delta" and marks == {Mark.COUNT}:
        return _mean_in_one_sample(truth, profile, equation, number, text, definitions, qualifier)
    if batch and target.kind == "delta":
        delta, batch_delta = profile.generic_node(r"\delta"), profile.generic_node(r"\Delta")
        raise EquationError(f"the left side is one sample's error {delta}, but the equation is about a batch (it "
                            "mentions m, a batch matrix or a sum over samples): the 1/m of the batch average belongs "
                            f"in the gradients of the batch cost; the batch of errors is {batch_delta} (one row per "
                            "sample)", place)
    found, free = instances(evaluator, target, "J" if accumulator else cost_of(equation.sides[0]))
    found = _within(found, qualifier, truth.spec.depth + profile.layer_offset, place)
    judge = _gradient_judge(evaluator, target)
    return [_check_side(evaluator, judge, found, free, rhs, _label(number, equation, side), text)
            for side, rhs in enumerate(equation.sides[1:], start=1)]


#: What a reader says of the batch size m inside one sample's δ.
MEAN_IN_ONE_SAMPLE = ("the number of samples m inside one sample's error {delta} (as a 1/m of the batch average): one "
                      "sample's δ does not depend on m; the 1/m belongs in the gradients of the batch cost")


def _mean_in_one_sample(truth: Truth, profile: Notation, equation: Equation, number: int, text: str,
                        definitions: dict[str, Node] | None, qualifier: Qualifier | None) -> list[Result]:
    """One sample's δ written with m (and no other batch quantity): checked for one sample with m = SIZE
    and with m = 1; it holds only if both hold, and where it fails the m is named (the other mistakes,
    those with m = 1, after it)."""
    place = f"equation {number}"
    checked = []
    for count in (SIZE, 1):
        evaluator = Evaluator(truth, profile, place, definitions=definitions)
        evaluator.count = count
        target = target_of(evaluator, equation.sides[0])
        found, free = instances(evaluator, target, cost_of(equation.sides[0]))
        found = _within(found, qualifier, truth.spec.depth + profile.layer_offset, place)
        judge = _gradient_judge(evaluator, target)
        checked.append([_check_side(evaluator, judge, found, free, rhs, _label(number, equation, side), text)
                        for side, rhs in enumerate(equation.sides[1:], start=1)])
    why = MEAN_IN_ONE_SAMPLE.format(delta=profile.generic_node(r"\delta"))
    results = []
    for with_m, without in zip(*checked, strict=True):
        if with_m.correct and without.correct:
            results.append(with_m)
            continue
        wrong = with_m if without.correct else without
        failure = wrong.failure or Failure(wrong.text, "")
        extra = () if without.correct else tuple(d for d in without.failure.diagnoses if d != why)
        results.append(replace(wrong, correct=False, how="", failure=replace(failure, diagnoses=(why, *extra))))
    return results


def _within(found: list[Instance], qualifier: Qualifier | None, last: int, place: str) -> list[Instance]:
    """The instances the qualifier keeps (``for 2 ≤ l ≤ L−1``: the hidden layers), its bounds read in
    the text's own numbering (``last`` is L there); all of them when it restricts no free letter."""
    if qualifier is None or qualifier.variable is None or not any(qualifier.variable in i.env for i in found):
        return found
    kept = [instance for instance in found if qualifier.admits(instance.env[qualifier.variable], last)]
    if not kept:
        raise EquationError(f"the qualifier '{qualifier.text}' leaves no instance of the left side", place)
    return kept


def _label(number: int, equation: Equation, side: int) -> str:
    return str(number) if len(equation.sides) == 2 else f"{number}.{side}"


@dataclass(frozen=True)
class Judge:
    """How one kind of claim is compared and explained: ``canonical`` writes a side for SymPy,
    ``fit`` puts the true value in the shape the person wrote, ``explain`` and ``explain_shape``
    say what is wrong; ``definition`` words the verdict CONSISTENT / INCONSISTENT."""

    canonical: Callable[[Instance, sp.Expr], sp.Expr]
    explain: Callable[..., Failure]
    explain_shape: Callable[[Instance, Node, str], Failure]
    true_text: Callable[[Instance], str]
    fit: Callable = claims.as_written
    definition: bool = False


def _gradient_judge(evaluator: Evaluator, target: Resolved) -> Judge:
    truth = evaluator.truth

    def explain(instance, where, rhs, true, mine, outcome):
        return explain_failure(evaluator, target, instance, where, rhs, true, mine, outcome)

    return Judge(lambda instance, expr: truth.canonical(expr, _base(target.kind, instance.core)), explain,
                 lambda instance, rhs, reason: explain_shape(evaluator, instance, rhs, reason),
                 lambda instance: true_side_text(evaluator, instance, printer_for(truth, evaluator.notation)))


def _claim_judge(evaluator: Evaluator, kind: Kind) -> Judge:
    truth = evaluator.truth

    def explain(instance, where, rhs, true, mine, outcome):
        return explain_claim(evaluator, kind, instance, where, rhs, true, mine, outcome, claims.fit)

    show = printer_for(truth, evaluator.notation)
    return Judge(lambda instance, expr: truth.in_parameters(expr), explain,
                 lambda instance, rhs, reason: explain_claim_shape(evaluator, instance, reason),
                 lambda instance: show(instance.true), claims.fit, kind.definition)


def explain_claim_shape(evaluator: Evaluator, instance: Instance, reason: str) -> Failure:
    show = printer_for(evaluator.truth, evaluator.notation)
    return Failure(instance.label, show(instance.true), diagnoses=(f"the shapes do not fit: {reason}",))


def check_claim(evaluator: Evaluator, kind: Kind, equation: Equation, number: int, text: str,
                qualifier: Qualifier | None = None) -> list[Result]:
    """A claim other than a gradient or δ: each right side against the true value of the left side."""
    lhs = equation.sides[0]
    judge = _claim_judge(evaluator, kind)
    if kind in (Kind.ACTIVATION, Kind.DERIVATIVE) and dummy(lhs):
        return [_check_function(evaluator, judge, lhs, rhs, _label(number, equation, side), text)
                for side, rhs in enumerate(equation.sides[1:], start=1)]
    found, free = claim_instances(evaluator, kind, lhs)
    found = _within(found, qualifier, evaluator.truth.spec.depth + evaluator.notation.layer_offset,
                    evaluator.place)
    results = []
    for side, rhs in enumerate(equation.sides[1:], start=1):
        label = _label(number, equation, side)
        claimed = _elementwise_layers(evaluator, kind, rhs, found) if free else found
        mismatch = next(((instance, why) for instance in claimed
                         if (why := written_mismatch(kind, evaluator, rhs, instance.env))), None)
        if mismatch:
            instance, why = mismatch
            results.append(Result(label, text, False, "", Failure(instance.label, judge.true_text(instance),
                                                                  diagnoses=(why,)), definition=judge.definition))
            continue
        results.append(_check_side(evaluator, judge, claimed, free, rhs, label, text))
    return results


def _elementwise_layers(evaluator: Evaluator, kind: Kind, rhs: Node, found: list[Instance]) -> list[Instance]:
    """The instances of a free layer where the σ written applies: ``a^l = σ(z^l)`` over every layer
    claims the elementwise ones, as texts that define a softmax output apart mean it (a layer named
    outright, σ of a softmax layer, is the wrong activation)."""
    if kind is not Kind.FORWARD:
        return found
    kept = [instance for instance in found if softmax_applied(evaluator, rhs, instance.env) is None]
    return kept or found


def _check_function(evaluator: Evaluator, judge: Judge, lhs: Node, rhs: Node, label: str, text: str) -> Result:
    """σ(z) = … with a dummy z: it holds when it holds for one of the spec's elementwise activations."""
    name = dummy(lhs)
    first = None
    for core in representatives(evaluator):
        left, right = (at_layer(evaluator, node, name, core) for node in (lhs, rhs))
        activation = evaluator.truth.activation(core).label()
        shown = f"{claims.latex(lhs)} ({activation}, layer {evaluator.notation.layer(core)})"
        instance = Instance({}, core, (1,), evaluator.value(left, {}), shown, "function")
        result = _check_side(evaluator, judge, [instance], False, right, label, text)
        if result.correct:
            return result
        first = first or result
    if first is None:
        raise evaluator.error("the spec has no elementwise activation for this function", lhs.column)
    return first


def claim_instances(evaluator: Evaluator, kind: Kind, lhs: Node) -> tuple[list[Instance], bool]:
    """Every instance of a left side that is not a gradient, with its true value."""
    written = _written_symbols(kind, lhs)
    found, free = claims.bindings(evaluator, written) if written else ([{}], False)
    result = []
    for env in found:
        try:
            true, core, unit, letter = _true_value(evaluator, kind, lhs, env)
        except OutOfRangeError:
            if free:
                continue
            raise
        result.append(Instance(env, core, () if unit is None else (unit,), true,
                               claims.instance_label(claims.latex(lhs), env), letter))
    if not result:
        raise evaluator.error("no instance of the left side exists in this spec", lhs.column)
    return result, free


def _written_symbols(kind: Kind, lhs: Node) -> list[Sym]:
    if kind is Kind.STEP:
        return [lhs.of, lhs.wrt] if isinstance(lhs, NodePartial) else list(claims.symbols(lhs))
    if kind is Kind.ACTIVATION_GRADIENT:
        return [lhs.wrt] if hasattr(lhs, "wrt") and isinstance(lhs.wrt, Sym) else []
    if kind is Kind.FORWARD:
        return [lhs]
    if kind in (Kind.ACTIVATION, Kind.DERIVATIVE):
        return list(claims.symbols(lhs))
    return []


def _true_value(evaluator: Evaluator, kind: Kind, lhs: Node, env: dict[str, int]):
    """The true value of the left side, its layer, its unit (None for a vector) and the letter of the
    quantity it is about (for a step, the one differentiated by)."""
    if kind is Kind.COST:  # a batch's cost is the mean of the samples' costs
        cost = evaluator.model.cost_in_outputs()
        return evaluator.batch.mean(cost) if evaluator.batch else cost, evaluator.model.L, None, kind.name
    if kind is Kind.ACTIVATION_GRADIENT:
        return claims.activation_gradient_value(evaluator, lhs, env), evaluator.model.L, None, "a"
    if kind is Kind.STEP and not isinstance(lhs, NodePartial):  # ∂σ(z^l)/∂z^l: the derivative of an expression
        main = claims.written(evaluator, claims.derivative_parts(lhs)[1], env, ("a", "z", "w", "b"))
        return evaluator.value(lhs, env), main.core, None if main.vector else main.units[0], f"?/{main.kind}"
    if kind in (Kind.STEP, Kind.FORWARD):
        main = claims.written(evaluator, lhs.wrt if kind is Kind.STEP else lhs, env, ("a", "z", "w", "b"))
        true = claims.step_value(evaluator, lhs, env) if kind is Kind.STEP else \
            claims.forward_value(evaluator, lhs, env)
        letter = main.kind if kind is Kind.FORWARD else \
            f"{claims.written(evaluator, lhs.of, env, ('a', 'z')).kind}/{main.kind}"
        return true, main.core, None if main.vector else main.units[0], letter
    value = evaluator.value(lhs, env)
    layers = [claims.written(evaluator, s, env, ("a", "z")).core for s in claims.symbols(lhs)]
    return value, layers[0] if layers else 1, None, kind.name


def _check_side(evaluator: Evaluator, judge: Judge, found: list[Instance], free: bool, rhs: Node,
                label: str, text: str) -> Result:
    truth = evaluator.truth
    statuses: list[str] = []
    checked = 0
    skipped: OutOfRangeError | None = None
    points = truth.points(POINTS)
    notes: tuple[str, ...] = ()
    for instance in found:
        try:
            person, slips = evaluator.side_value(rhs, instance.env, shape_of(instance.true), instance.components)
            notes += tuple(slip for slip in slips if slip not in notes)
        except IndexOutOfRangeError as error:
            if not free:
                raise
            return Result(label, text, False, "", Failure(
                instance.label, judge.true_text(instance),
                diagnoses=(f"an index is out of range for this instance ({error.reason}): swapped or "
                           "misplaced indices?",)), definition=judge.definition)
        except OutOfRangeError as error:
            if free:
                skipped = skipped or error
                continue
            raise
        except ShapeMismatchError as mismatch:
            return Result(label, text, False, "", judge.explain_shape(instance, rhs, str(mismatch)),
                          definition=judge.definition)
        checked += 1
        instance = replace(instance, true=judge.fit(instance.true, person))
        if shape_of(person) != shape_of(instance.true):
            return Result(label, text, False, "", judge.explain_shape(
                instance, rhs, f"the right side is {_describe(person)} but the left side is "
                f"{_describe(instance.true)}"), definition=judge.definition)

        def canonical(expr: sp.Expr, instance=instance) -> sp.Expr:
            return judge.canonical(instance, expr)

        for (where, true), (_, mine) in zip(components(instance.true), components(person), strict=True):
            mine = truth.expand(mine)
            # once SymPy could not decide one entry, the others (the same form) go straight to numbers
            outcome = compare(true, mine, points, canonical, symbolic=VERIFIED not in statuses)
            if not outcome.holds:
                failure = judge.explain(instance, where, rhs, true, mine, outcome)
                if free and _repeats(instance.env):
                    failure = _with_distinct(evaluator, judge, found, rhs, failure, points)
                failure = replace(failure, diagnoses=notes + failure.diagnoses)
                return Result(label, text, False, "", failure, definition=judge.definition)
            statuses.append(outcome.status)
    if not checked:
        if isinstance(skipped, NotElementwiseError):
            raise skipped  # not a missing layer: σ' of the softmax output, the only layer there is
        raise EquationError("the right side refers to layers that do not exist for any instance of the left "
                            "side", f"equation {label}")
    summary = _summary(statuses, checked, free)
    if evaluator.batch:
        summary += f"; on a batch of m = {SIZE} samples" + (", the batch cost being their mean"
                                                              if found[0].kind != "Delta" else "")
    return Result(label, text, True, summary, definition=judge.definition, notes=notes)


#: How many more instances are tried for one whose free indices differ (see :func:`_with_distinct`).
MORE_INSTANCES = 8


def _repeats(env: dict[str, int]) -> bool:
    indices = [value for key, value in env.items() if key not in LAYER_VARIABLES]
    return len(set(indices)) < len(indices)


def _with_distinct(evaluator: Evaluator, judge: Judge, found: list[Instance], rhs: Node, failure: Failure,
                   points) -> Failure:
    """``failure`` (at an instance such as j = k, where swapped indices cannot show) with the diagnoses
    of the first failing instance whose free indices all differ added: every mistake is named."""
    for instance in [i for i in found if not _repeats(i.env)][:MORE_INSTANCES]:
        try:
            person = evaluator.value(rhs, instance.env)
        except (EquationError, ShapeMismatchError):
            continue
        instance = replace(instance, true=judge.fit(instance.true, person))
        if shape_of(person) != shape_of(instance.true):
            continue
        for (where, true), (_, mine) in zip(components(instance.true), components(person), strict=True):
            mine = evaluator.truth.expand(mine)
            outcome = compare(true, mine, points, lambda expr: expr, symbolic=False)
            if not outcome.holds:
                other = judge.explain(instance, where, rhs, true, mine, outcome)
                extra = tuple(text for text in other.diagnoses if text not in failure.diagnoses)
                return replace(failure, diagnoses=failure.diagnoses + extra)
    return failure


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
