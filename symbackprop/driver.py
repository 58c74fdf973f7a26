"""The derivation driver: spec → symbolic model → layer equations → partials → proof.

:func:`derive` runs the stages in order, each a pure function of the previous ones, and
returns every intermediate in one :class:`Derivation` so tests and users can look at each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import sympy as sp

from .derivation import LayerDerivation, LayerEquations, derive_layers
from .errors import UserError
from .model import NetworkModel, Parameter
from .numeric import LayerLevelEvaluator, central_difference, random_problem
from .partials import PerWeightPartials
from .proof import FAILED, PROVED, VERIFIED, Proof, Sampler, Verdict, compare
from .spec import Spec

#: Specs with more parameters than this get the layer-level derivation only.
DEFAULT_MAX_PARAMETERS = 120
REDUCED_WIDTH = 2
NUMERIC_ENTRIES = 24
RELATIVE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class PartialDerivative:
    """∂C/∂p for one parameter in its three forms, with the proof verdict."""

    parameter: Parameter
    brute: sp.Expr
    factored: sp.Expr
    chain: tuple
    verdict: Verdict

    def _repr_latex_(self) -> str:
        from .printing.latex import latex

        return f"$\\frac{{\\partial C}}{{\\partial {latex(self.parameter_symbol)}}} = {latex(self.factored)}$"

    @property
    def parameter_symbol(self) -> sp.Symbol:
        kind, layer, j, k = (self.parameter.kind, self.parameter.layer, self.parameter.j, self.parameter.k)
        return NetworkModel.__dict__[kind](None, layer, j, k) if k is not None else NetworkModel.b(None, layer, j)


@dataclass(frozen=True)
class Derivation:
    """Everything derived for a spec; ``per_weight`` is None past ``max_parameters``."""

    spec: Spec
    model: NetworkModel
    layers: LayerDerivation
    per_weight: PerWeightPartials | None
    proof: Proof
    max_parameters: int = DEFAULT_MAX_PARAMETERS

    def delta(self, layer: int) -> LayerEquations:
        """The equations for δ^l (BP1 for the output layer, BP2 otherwise)."""
        if not 1 <= layer <= self.spec.depth:
            raise UserError(f"layer {layer} does not exist (weight layers are 1..{self.spec.depth})")
        return self.layers.layer(layer)

    def partial(self, kind: str, layer: int, j: int, k: int | None = None) -> PartialDerivative:
        """∂C/∂w^l_jk (kind "w") or ∂C/∂b^l_j (kind "b"), 1-based as in the mathematics."""
        parameter = Parameter(kind, layer, j, k if kind == "w" else None)
        if parameter not in self.model.parameters:
            raise UserError(f"no parameter {parameter} in {self.spec.shorthand()}")
        if self.per_weight is None:
            raise UserError(f"per-weight partials are derived for at most {self.max_parameters} parameters "
                            f"(this spec has {self.spec.parameter_count}); raise --max-weights to list them")
        verdict = next(v for v in self.proof.verdicts if v.subject == _subject(parameter))
        return PartialDerivative(parameter, self.per_weight.brute(parameter), self.per_weight.factored(parameter),
                                 self.per_weight.chain(parameter), verdict)

    def _repr_latex_(self) -> str:
        from .printing.latex import latex

        rows = [rf"\delta^{{{eq.layer}}}_j &= {latex(eq.delta)}" for eq in reversed(self.layers.layers)]
        return r"$\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$"


def derive(spec: Spec, *, max_parameters: int = DEFAULT_MAX_PARAMETERS, budget: float | None = 2.0,
           seed: int = 0) -> Derivation:
    """Derive and prove backpropagation for ``spec``."""
    model = NetworkModel(spec)
    layers = derive_layers(spec)
    small = spec.parameter_count <= max_parameters
    per_weight = PerWeightPartials(model, layers) if small else None
    if per_weight is not None:
        verdicts = prove_per_weight(per_weight, budget=budget, seed=seed)
        notes: tuple[str, ...] = ()
    else:
        reduced = _reduced(spec)
        reduced_partials = PerWeightPartials(NetworkModel(reduced), derive_layers(reduced))
        verdicts = tuple(replace(v, subject=f"{v.subject} (reduced network {reduced.shorthand()})")
                         for v in prove_per_weight(reduced_partials, budget=budget, seed=seed))
        notes = (f"{spec.parameter_count} parameters exceed the per-weight limit of {max_parameters}: "
                 f"per-weight partials are not listed; BP1–BP4 are proved per weight on the reduced network "
                 f"{reduced.shorthand()} (the layer-level forms do not depend on the widths) and verified "
                 f"numerically at full width.",)
    verdicts += verify_layer_level(layers, seed=seed)
    return Derivation(spec, model, layers, per_weight, Proof(verdicts, notes), max_parameters)


def _subject(parameter: Parameter) -> str:
    return f"∂C/∂{parameter}"


def _reduced(spec: Spec) -> Spec:
    """The same architecture with every width capped (softmax keeps at least two outputs)."""
    sizes = tuple(min(size, REDUCED_WIDTH) for size in spec.sizes)
    return replace(spec, sizes=sizes)


def _equation(parameter: Parameter, depth: int) -> str:
    return "BP4" if parameter.kind == "w" else "BP3"


def prove_per_weight(partials: PerWeightPartials, *, budget: float | None = 2.0, seed: int = 0) -> tuple[Verdict, ...]:
    """For every parameter: factored form (BP1–BP4 instantiated) == brute-force partial.

    Under the assumption Σ y = 1 both sides are compared with the last target eliminated.
    """
    model = partials.model
    closing = {}
    if partials.layers.assumptions:
        targets = model.targets
        closing = {targets[-1]: 1 - sp.Add(*targets[:-1])}
    targets = [t for t in model.targets if t not in closing]
    full_sampler = Sampler([model.symbol(p) for p in model.parameters] + list(model.inputs), targets, seed)
    verdicts = []
    for parameter in model.parameters:
        brute = partials.brute(parameter)
        in_nodes = partials.free_nodes(model.contract_nodes(brute)
                                       - model.contract_nodes(partials.factored_in_nodes(parameter)))
        in_nodes = in_nodes.xreplace(closing)
        node_symbols = sorted(in_nodes.free_symbols - set(targets), key=str)
        full = (brute.xreplace(closing), partials.factored_expanded(parameter).xreplace(closing))
        verdicts.append(compare(_subject(parameter), _equation(parameter, model.L), in_nodes, full,
                                Sampler(node_symbols, targets, seed), full_sampler, budget=budget))
    return tuple(verdicts) + _delta_verdicts(model, verdicts)


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


def verify_layer_level(layers: LayerDerivation, *, seed: int = 0, samples: int = 5) -> tuple[Verdict, ...]:
    """Matrix forms per sample (m = 1) and batched (mean over m) against central differences."""
    evaluator = LayerLevelEvaluator(layers)
    spec = layers.spec
    verdicts = []
    for equation, m, subject in (("layer-level", 1, "δ^l = ((W^{l+1})^T δ^{l+1}) ⊙ σ'(z^l), ∂C/∂W^l = δ^l (a^{l−1})^T"),
                                 ("batched", samples, f"∂C/∂W^l = (1/m) Δ^l^T A^{{l−1}}, ∂C/∂b^l = mean of Δ^l (m = {samples})")):
        params, X, Y_ = random_problem(spec, m, seed)
        grads = evaluator.gradients(params, X, Y_)
        rng = np.random.default_rng(seed + 1)
        worst = 0.0
        for _ in range(NUMERIC_ENTRIES):
            key = sorted(grads)[rng.integers(len(grads))]
            index = tuple(int(rng.integers(n)) for n in grads[key].shape)
            numeric = central_difference(evaluator, params, X, Y_, key, index)
            error = abs(numeric - grads[key][index]) / max(1.0, abs(numeric))
            if error > RELATIVE_TOLERANCE:
                return tuple(verdicts) + (Verdict(subject, equation, FAILED,
                                                  f"{key}{list(index)}: form {grads[key][index]:.10g}, central difference {numeric:.10g}"),)
            worst = max(worst, error)
        how = (f"float64 at full width {spec.shorthand()}, {NUMERIC_ENTRIES} entries against central differences, "
               f"max relative error {worst:.1e}")
        verdicts.append(Verdict(subject, equation, VERIFIED, how))
    return tuple(verdicts)
