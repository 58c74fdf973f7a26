"""The derivation driver: spec → symbolic model → layer equations → partials → proof.

:func:`derive` runs the stages in order, each a pure function of the previous ones, and
returns every intermediate in one :class:`Derivation` so tests and users can look at each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import sympy as sp

from .derivation import LayerDerivation, LayerEquations, derive_layers
from .errors import UserError
from .model import NetworkModel, Parameter
from .notation import notation as notation_profile
from .numeric import (
    DEFAULT_MEMORY_BUDGET_MIB,
    LayerLevelEvaluator,
    check_bytes,
    kink_aware_difference,
    random_problem,
    size_text,
    widths_within,
)
from .partials import PerWeightPartials
from .proof import (
    DIGITS,
    FAILED,
    NO_DEADLINE,
    POINTS_AFTER_DEADLINE,
    PROVED,
    VERIFIED,
    Deadline,
    Proof,
    Sampler,
    Verdict,
    compare,
    numerically_equal,
    sampled,
    symbolically_zero,
)
from .registry import A, Z
from .rich_display import RichDisplay
from .spec import Spec

#: Specs with more parameters than this get the layer-level derivation only.
DEFAULT_MAX_PARAMETERS = 120
REDUCED_WIDTH = 2
#: Deeper networks get the per-weight proof on a reduced network (see :func:`_reduced`).
MAX_PROOF_DEPTH = 4
#: ... and so do networks whose brute-force partials would be too large (see :func:`path_terms`).
MAX_PATH_TERMS = 400
#: Seconds for the whole symbolic proof (see :class:`~symbackprop.proof.Deadline`).
DEFAULT_PROOF_BUDGET = 30.0
NUMERIC_ENTRIES = 24
#: Samples in the batch of the numeric check of the batched forms.
CHECK_SAMPLES = 5
#: Times the layer-level check draws its random point again when a difference cannot keep clear of a kink.
MAX_MOVES = 5
RELATIVE_TOLERANCE = 1e-5
# What the report states instead of the measured error: the last digits of that depend on the BLAS
# build, and the committed documents must read the same on every machine.
REPORTED_BOUNDS = (1e-8, RELATIVE_TOLERANCE)


@dataclass(frozen=True)
class PartialDerivative(RichDisplay):
    """∂C/∂p for one parameter in its three forms, with the proof verdict."""

    parameter: Parameter
    brute: sp.Expr
    factored: sp.Expr
    chain: tuple
    verdict: Verdict
    parameter_symbol: sp.Symbol
    notation: str = "nielsen"  # the profile its displays are written in


@dataclass(frozen=True)
class Derivation(RichDisplay):
    """Everything derived for a spec; ``per_weight`` is None past ``max_parameters``."""

    spec: Spec
    model: NetworkModel
    layers: LayerDerivation
    per_weight: PerWeightPartials | None
    proof: Proof
    max_parameters: int = DEFAULT_MAX_PARAMETERS
    notation: str = "nielsen"  # the profile its displays are written in (see in_notation)

    def in_notation(self, name: str) -> Derivation:
        """The same derivation, displayed in another notation profile (``nielsen``, ``ng``, ``higham``)."""
        notation_profile(name)
        return replace(self, notation=name, proof=replace(self.proof, notation=name))

    def delta(self, layer: int) -> LayerEquations:
        """The equations for δ^l (BP1 for the output layer, BP2 otherwise)."""
        if not 1 <= layer <= self.spec.depth:
            raise UserError(f"layer {layer} does not exist (weight layers are 1..{self.spec.depth})")
        return self.layers.layer(layer)

    def partial(self, kind: str, layer: int, j: int, k: int | None = None) -> PartialDerivative:
        """∂C/∂w^l_jk (kind "w") or ∂C/∂b^l_j (kind "b"), 1-based as in the mathematics."""
        parameter = Parameter(kind, layer, j, k if kind == "w" else None)
        if not self.model.has(parameter):
            raise UserError(f"no parameter {parameter} in {self.spec.shorthand()}")
        if self.per_weight is None:
            reason = _too_large(self.spec, self.max_parameters)
            hint = "" if self.spec.depth > MAX_PROOF_DEPTH else "; raise --max-weights to list them"
            raise UserError(f"per-weight partials are not derived for {self.spec.shorthand()}: {reason}{hint}")
        verdict = next(v for v in self.proof.verdicts if v.subject == _subject(parameter))
        return PartialDerivative(parameter, self.per_weight.brute(parameter), self.per_weight.factored(parameter),
                                 self.per_weight.chain(parameter), verdict, self.model.symbol(parameter),
                                 self.notation)


def derive(spec: Spec, *, max_parameters: int = DEFAULT_MAX_PARAMETERS, budget: float | None = 2.0,
           proof_budget: float | None = DEFAULT_PROOF_BUDGET, memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB,
           seed: int = 0, notation: str = "nielsen") -> Derivation:
    """Derive and prove backpropagation for ``spec``.

    ``budget`` bounds each symbolic simplification (seconds); ``proof_budget`` bounds all of
    them together (None: no limit).  Statements reached after it are checked numerically at
    fewer points, never reported as proved, and a note in the proof says how many.
    ``memory_budget`` (MiB; None: no limit) bounds the numeric check of the layer-level forms,
    which runs at capped widths where the full network would not fit (the verdicts say so).
    ``notation`` is the profile the result displays in (see :meth:`Derivation.in_notation`).
    """
    notation_profile(notation)
    if not isinstance(spec, Spec):  # a network with convolution or pooling layers
        from .conv.driver import derive_conv

        return derive_conv(spec, max_parameters=max_parameters, budget=budget, proof_budget=proof_budget, seed=seed,
                           notation=notation, memory_budget=memory_budget)
    model = NetworkModel(spec)
    layers = derive_layers(spec)
    deadline = Deadline(proof_budget)
    # the few σ' rewrites first: the per-weight proof relies on them, and they are cheap
    rewrites = prove_rewrites(layers, budget=budget, seed=seed, deadline=deadline)
    reason = _too_large(spec, max_parameters)
    per_weight = PerWeightPartials(model, layers) if reason is None else None
    if per_weight is not None:
        verdicts = prove_per_weight(per_weight, budget=budget, seed=seed, deadline=deadline)
        notes: tuple[str, ...] = ()
    else:
        reduced = _reduced(spec)
        reduced_partials = PerWeightPartials(NetworkModel(reduced), derive_layers(reduced))
        verdicts = tuple(replace(v, subject=f"{v.subject} (reduced network {reduced.shorthand()})")
                         for v in prove_per_weight(reduced_partials, budget=budget, seed=seed, deadline=deadline))
        notes = (_reduction_note(spec, reduced, reason, widths_within(spec, memory_budget, CHECK_SAMPLES)),)
    verdicts = rewrites + verdicts + verify_layer_level(layers, seed=seed, memory_budget=memory_budget)
    proof = Proof(verdicts, notes + budget_note(verdicts, deadline), layers, notation)
    return Derivation(spec, model, layers, per_weight, proof, max_parameters, notation)


def budget_note(verdicts: tuple[Verdict, ...], deadline: Deadline,
                partial_equations: tuple[str, ...] = ("BP3", "BP4")) -> tuple[str, ...]:
    """What the user must know when the overall budget cut the symbolic proof short (else nothing)."""
    if not any(v.budget_spent for v in verdicts):
        return ()
    partials = [v for v in verdicts if v.equation in partial_equations]
    cut = [v for v in partials if v.budget_spent]
    proved = sum(v.status == PROVED for v in partials)
    rewrites = sum(v.budget_spent for v in verdicts if v.equation == "rewrite")
    also = f"; {rewrites} of the σ' rewrites were likewise checked numerically only" if rewrites else ""
    return (f"The proof's time budget of {deadline.seconds:g} s ran out: {proved} of {len(partials)} per-weight "
            f"partials were proved symbolically, and {len(cut)} were then checked numerically only, at "
            f"{POINTS_AFTER_DEADLINE} random points each in {DIGITS}-digit arithmetic, without a symbolic "
            f"attempt{also} (a larger --proof-budget lets them be attempted).",)


def derive_layer_level(spec: Spec, *, budget: float | None = 2.0, seed: int = 0,
                       memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB) -> Derivation:
    """The layer-level derivation with only the checks a training module relies on.

    Those are the σ' rewrites and the matrix forms against central differences, at full width
    where that fits ``memory_budget`` (see :func:`verify_layer_level`).
    The per-weight proof of :func:`derive` is about the symbolic route to those forms, not about
    the spec's code, and takes most of ``derive``'s time, so ``codegen`` does without it.
    """
    layers = derive_layers(spec)
    verdicts = (prove_rewrites(layers, budget=budget, seed=seed)
                + verify_layer_level(layers, seed=seed, memory_budget=memory_budget))
    note = "per-weight proof not run: the layer-level forms were checked against central differences only"
    return Derivation(spec, NetworkModel(spec), layers, None, Proof(verdicts, (note,), layers), max_parameters=0)


def _subject(parameter: Parameter) -> str:
    return f"∂C/∂{parameter}"


def _reduced(spec: Spec) -> Spec:
    """The same architecture with every width capped at 2 (softmax keeps its two outputs).

    Past :data:`MAX_PROOF_DEPTH` weight layers the brute-force partials grow like width^depth,
    so the hidden layers are also cut down: one per distinct hidden activation, in order
    (two when there is only one, so that a hidden layer feeding a hidden layer is covered).
    BP2 depends on a layer's activation only, so every hidden equation is still proved.
    """
    sizes = tuple(min(size, REDUCED_WIDTH) for size in spec.sizes)
    if spec.depth <= MAX_PROOF_DEPTH:
        return replace(spec, sizes=sizes)
    hidden: list = []
    for activation in spec.activations[:-1]:
        if activation not in hidden:
            hidden.append(activation)
    hidden = hidden[:MAX_PROOF_DEPTH - 1]
    if len(hidden) == 1:
        hidden *= 2
    sizes = (sizes[0],) + (REDUCED_WIDTH,) * len(hidden) + (sizes[-1],)
    return replace(spec, sizes=sizes, activations=(*hidden, spec.output))


def path_terms(spec: Spec) -> int:
    """How many chain-rule path products the brute-force partials of ``spec`` hold in all.

    A parameter of layer l reaches the cost along Π_{k>l} n_k paths (times n_L more through a
    softmax Jacobian); SymPy's expressions are trees, so the proof's work grows with this.
    """
    total = 0
    for layer in range(1, spec.depth + 1):
        paths = 1
        for width in spec.sizes[layer + 1:]:
            paths *= width
        if not spec.output.elementwise:
            paths *= spec.sizes[-1]
        total += (spec.sizes[layer] * spec.sizes[layer - 1] + (spec.sizes[layer] if spec.bias else 0)) * paths
    return total


def _too_large(spec: Spec, max_parameters: int) -> str | None:
    """Why the per-weight proof runs on a reduced network, or None when it runs on ``spec`` itself."""
    if spec.parameter_count > max_parameters:
        return f"{spec.parameter_count} parameters exceed the per-weight limit of {max_parameters}"
    if spec.depth > MAX_PROOF_DEPTH:
        return f"{spec.depth} weight layers exceed the per-weight depth limit of {MAX_PROOF_DEPTH}"
    terms, limit = path_terms(spec), _path_limit(max_parameters)
    if terms > limit:
        return f"the brute-force partials would hold {terms} path terms, more than the limit of {limit}"
    return None


def _path_limit(max_parameters: int) -> int:
    """MAX_PATH_TERMS, raised in proportion when the caller raises max_parameters (--max-weights)."""
    return max(MAX_PATH_TERMS, MAX_PATH_TERMS * max_parameters // DEFAULT_MAX_PARAMETERS)


def _reduction_note(spec: Spec, reduced: Spec, reason: str, checked: Spec) -> str:
    labels = ", ".join(activation.label() for activation in reduced.activations[:-1])
    kept = "" if reduced.depth == spec.depth else f" (its hidden layers: {labels})"
    where = "at full width" if checked == spec else f"at the widths {checked.shorthand()} the memory budget allows"
    return (f"{reason}: per-weight partials are not listed; BP1–BP4 are proved per weight on the reduced network "
            f"{reduced.shorthand()}{kept} (the layer-level forms do not depend on the widths) and verified "
            f"numerically {where}.")


def _equation(parameter: Parameter) -> str:
    return "BP4" if parameter.kind == "w" else "BP3"


def prove_per_weight(partials: PerWeightPartials, *, budget: float | None = 2.0, seed: int = 0,
                     deadline: Deadline = NO_DEADLINE) -> tuple[Verdict, ...]:
    """For every parameter: factored form (BP1–BP4 instantiated) == brute-force partial.

    Under the assumption Σ y = 1 both sides are compared with the last target eliminated.
    Past ``deadline`` the remaining parameters are only checked numerically (see :func:`compare`).
    """
    model = partials.model
    closing = {}
    if partials.layers.assumptions:
        targets = model.targets
        closing = {targets[-1]: 1 - sp.Add(*targets[:-1])}
    targets = [t for t in model.targets if t not in closing]
    switches = tuple(switch.xreplace(closing) for switch in model.kink_switches())
    full_sampler = Sampler([model.symbol(p) for p in model.parameters] + list(model.inputs), targets, seed,
                           tuple(model.expand_nodes(switch) for switch in switches))
    # output layer first: its partials are the smallest, so when the budget runs out it is the
    # deepest (costliest) ones that are left to the numeric check
    found = {parameter: _prove_parameter(partials, parameter, closing, full_sampler, switches, budget, seed, deadline)
             for parameter in sorted(model.parameters, key=lambda parameter: -parameter.layer)}
    verdicts = [found[parameter] for parameter in model.parameters]
    return tuple(verdicts) + _delta_verdicts(model, verdicts)


def _prove_parameter(partials: PerWeightPartials, parameter: Parameter, closing: dict, full_sampler: Sampler,
                     switches: tuple[sp.Expr, ...], budget: float | None, seed: int, deadline: Deadline) -> Verdict:
    """The verdict for one parameter: its brute-force and factored partials in node form, then compared.

    ``switches`` are the network's kinks in node symbols, for the node-form sampler.
    """
    model = partials.model
    brute = partials.brute(parameter)
    factored = partials.factored_in_nodes(parameter)

    def in_nodes(thorough: bool) -> sp.Expr:
        difference = model.contract_nodes(brute, thorough) - model.contract_nodes(factored, thorough)
        return partials.free_nodes(difference).xreplace(closing)

    fast = in_nodes(False)
    targets = full_sampler.positive
    node_symbols = sorted(fast.free_symbols - set(targets), key=str)
    full = (brute.xreplace(closing), partials.factored_expanded(parameter).xreplace(closing))
    node_sampler = Sampler(node_symbols, targets, seed, switches)
    return compare(_subject(parameter), _equation(parameter), fast, full, node_sampler, full_sampler,
                   budget=budget, retry=lambda: in_nodes(True), deadline=deadline)


def prove_rewrites(layers: LayerDerivation, *, budget: float | None = 2.0, seed: int = 0,
                   points: int = 24, deadline: Deadline = NO_DEADLINE) -> tuple[Verdict, ...]:
    """One verdict per layer whose σ'(z) is written in terms of a = σ(z): g(σ(z)) − σ'(z) = 0.

    The per-weight proof turns g(a) back into σ'(z), so it relies on these.  Proved with
    cancel/expand/simplify (also after rewriting into exponentials); otherwise checked in
    50-digit arithmetic at ``points`` random z (Heaviside forms such as relu's are never
    decided symbolically).  Layers with the same activation state the same identity, which is
    decided once; past ``deadline`` only numerically.
    """
    verdicts = []
    decided: dict[tuple[sp.Expr, sp.Expr], Verdict] = {}
    for equations in layers.layers:
        if not equations.rewritten_in_a:
            continue
        subject = f"σ'(z) = {sp.sstr(equations.derivative)} (layer {equations.layer})"
        composed = equations.derivative.xreplace({A: equations.activation.expr})
        key = (composed, equations.derivative_z)
        if key not in decided:
            decided[key] = _rewrite_verdict(composed, equations.derivative_z, budget, seed, points, deadline,
                                            equations.kinks.switches)
        verdicts.append(replace(decided[key], subject=subject))
    return tuple(verdicts)


def _rewrite_verdict(composed: sp.Expr, derivative_z: sp.Expr, budget: float | None, seed: int, points: int,
                     deadline: Deadline, kinks: tuple[sp.Expr, ...] = ()) -> Verdict:
    """g(σ(z)) == σ'(z): PROVED, VERIFIED at random z, or FAILED with the z (subject left blank)."""
    difference = composed - derivative_z
    spent = deadline.spent
    if not spent and (symbolically_zero(difference, deadline.step(budget))
                               or symbolically_zero(difference.rewrite(sp.exp), deadline.step(budget))):
        return Verdict("", "rewrite", PROVED)
    sampler = Sampler([Z], seed=seed, kinks=kinks)
    equal, point, left, right = numerically_equal(composed, derivative_z, sampler, points)
    if equal:
        return Verdict("", "rewrite", VERIFIED, sampled(sampler, points, after=deadline.after() if spent else ""),
                       budget_spent=spent)
    return Verdict("", "rewrite", FAILED, f"at z = {float(point[Z]):.6g}: "
                   f"g(σ(z)) = {float(left):.10g} but σ'(z) = {float(right):.10g}", {"z": float(point[Z])},
                   budget_spent=spent)


def _delta_verdicts(model: NetworkModel, verdicts: list[Verdict]) -> tuple[Verdict, ...]:
    """BP1 holds when every output-layer partial does, BP2 when every hidden-layer one does."""
    found = []
    for equation, layers in (("BP1", [model.L]), ("BP2", list(range(1, model.L)))):
        if not layers:
            continue
        mine = [v for v, p in zip(verdicts, model.parameters, strict=True) if p.layer in layers]
        failure = next((v for v in mine if not v.holds), None)
        status = FAILED if failure else (PROVED if all(v.status == PROVED for v in mine) else VERIFIED)
        where = "output layer" if equation == "BP1" else "hidden layers"
        how = failure.how if failure else f"through the {len(mine)} partials of the {where}"
        found.append(Verdict(f"δ of the {where}", equation, status, how,
                             failure.counterexample if failure else {}))
    return tuple(found)


def verify_layer_level(layers: LayerDerivation, *, seed: int = 0, samples: int = CHECK_SAMPLES,
                       memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB) -> tuple[Verdict, ...]:
    """Matrix forms per sample (m = 1) and batched (mean over m) against central differences.

    At full width when that fits ``memory_budget`` (MiB; None: no limit), else at the widths
    :func:`~symbackprop.numeric.widths_within` caps them to: the forms are the same at any width.
    """
    spec = layers.spec
    checked = widths_within(spec, memory_budget, samples)
    where = _check_coverage(spec, checked, samples, memory_budget)
    forms = (("layer-level", 1, "δ^l = ((W^{l+1})^T δ^{l+1}) ⊙ σ'(z^l), ∂C/∂W^l = δ^l (a^{l−1})^T"),
             ("batched", samples, f"∂C/∂W^l = (1/m) Δ^l^T A^{{l−1}}, ∂C/∂b^l = mean of Δ^l (m = {samples})"))
    evaluator = LayerLevelEvaluator(replace(layers, spec=checked))
    return verify_forms(evaluator, lambda m, at: random_problem(checked, m, at), forms, where, seed=seed)


def verify_forms(evaluator, draw: Callable[[int, int], tuple], forms: tuple[tuple[str, int, str], ...], where: str,
                 *, seed: int = 0) -> tuple[Verdict, ...]:
    """One verdict per (equation, m, subject) of ``forms``: ``evaluator``'s gradients against differences of its
    cost at NUMERIC_ENTRIES random entries of a problem ``draw(m, seed)`` (parameters, X, Y).

    ``where`` says what the problem covers, up to its separator ("at full width 3-4-2,").  The
    evaluator gives ``gradients``, ``cost`` and ``kink_values``.  A random point where an
    entry's difference cannot keep clear of a kink on either side is moved off it: the problem is
    drawn again, at most :data:`MAX_MOVES` times.
    """
    verdicts = []
    for equation, m, subject in forms:
        for moves in range(MAX_MOVES + 1):
            outcome = _compare_entries(evaluator, *draw(m, seed + moves), np.random.default_rng(seed + 1))
            if outcome is not None:
                break
        else:
            return tuple(verdicts) + (Verdict(subject, equation, FAILED, f"undecided: the random point sat on a kink "
                                              f"after it was moved {MAX_MOVES} times"),)
        worst, one_sided, failure = outcome
        if failure is not None:
            return tuple(verdicts) + (Verdict(subject, equation, FAILED, f"{failure}, {where.rstrip(',;')}"),)
        bound = next(b for b in REPORTED_BOUNDS if worst <= b)
        how = (f"float64 {where} {NUMERIC_ENTRIES} entries against central differences"
               f"{_kink_words(one_sided, moves)}, relative error below 1e{round(np.log10(bound))}")
        verdicts.append(Verdict(subject, equation, VERIFIED, how))
    return tuple(verdicts)


def _compare_entries(evaluator: LayerLevelEvaluator, params: dict, X: np.ndarray, Y_: np.ndarray,
                     rng: np.random.Generator) -> tuple[float, int, str | None] | None:
    """The worst relative error over NUMERIC_ENTRIES random entries, how many of their differences
    were one-sided, and the first failure (None when every entry agrees).

    None when an entry's difference cannot keep clear of a kink on either side: the point must move.
    """
    grads = evaluator.gradients(params, X, Y_)
    worst, one_sided = 0.0, 0
    for _ in range(NUMERIC_ENTRIES):
        key = sorted(grads)[rng.integers(len(grads))]
        index = tuple(int(rng.integers(n)) for n in grads[key].shape)
        numeric, kind = kink_aware_difference(evaluator, params, X, Y_, key, index)
        if numeric is None:
            return None
        one_sided += kind == "one-sided"
        error = abs(numeric - grads[key][index]) / max(1.0, abs(numeric))
        if error > RELATIVE_TOLERANCE:
            how = f"{key}{list(index)}: form {grads[key][index]:.10g}, {kind} difference {numeric:.10g}"
            return worst, one_sided, how
        worst = max(worst, error)
    return worst, one_sided, None


def _kink_words(one_sided: int, moves: int) -> str:
    """What the check did about kinks, for the verdict line (nothing when none was near)."""
    words = [f"{one_sided} one-sided beside a kink"] if one_sided else []
    words += [f"the random point moved off a kink {'once' if moves == 1 else f'{moves} times'}"] if moves else []
    return f" ({'; '.join(words)})" if words else ""


def _check_coverage(spec: Spec, checked: Spec, samples: int, memory_budget: float | None) -> str:
    """Which widths the layer-level check ran at (and why not at full width), up to the separator after it."""
    if checked == spec:
        return f"at full width {spec.shorthand()},"
    needed, allowed = size_text(check_bytes(spec, samples)), size_text(int(memory_budget * 2**20))
    return (f"at widths capped to {checked.shorthand()}, since the full network needs {needed} and the memory "
            f"budget is {allowed};")
