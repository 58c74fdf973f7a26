"""The derivation driver for convolutional networks: spec → model → layer forms → partials → proof.

:func:`derive_conv` runs the stages in order and returns every intermediate in one
:class:`ConvDerivation`.  The per-weight proof compares, for every weight and bias, the
factored form (a sum over the positions the parameter is shared across, with each δ pushed
back through the layers above) with SymPy's direct derivative of the whole-network cost, in
node symbols (z free, a = σ(z), pooling outputs the max or mean of their window), symbolically
where SymPy decides and in 50-digit arithmetic otherwise (:func:`symbackprop.proof.compare`).
Networks too large to list get the proof on a reduced network of the same layers
(:func:`reduced`), and the batched forms are checked against central differences at full size, or
where that would not fit the memory budget on the same layers at a smaller size (:mod:`symbackprop.conv.sizing`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from ..driver import (
    CHECK_SAMPLES,
    DEFAULT_MAX_PARAMETERS,
    DEFAULT_PROOF_BUDGET,
    budget_note,
    prove_rewrites,
    verify_forms,
)
from ..errors import UserError
from ..numeric import DEFAULT_MEMORY_BUDGET_MIB, size_text
from ..proof import (
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
    numeric_verdict,
    symbolically_zero,
)
from ..rich_display import RichDisplay
from .derivation import (
    IDENTITY,
    TIE_RULE,
    ConvLayerDerivation,
    ConvLayerEquations,
    derive_conv_layers,
    elementwise_spec,
)
from .model import ConvModel, ConvParameter
from .numeric import ConvEvaluator, random_problem
from .partials import ConvPartials
from .sizing import MAX_CHECK_OPERATIONS, CheckSize, check_size, image_fits, network_within, smallest
from .spec import Conv2d, ConvSpec, Dense, Pool2d

#: Reduced networks keep at most this many channels and dense units per layer.
REDUCED_WIDTH = 2
#: The brute-force partials of a network may hold this many chain-rule path products in all
#: (see :func:`path_terms`); past it the proof runs on the reduced network.
MAX_PATH_TERMS = 6000
PARTIAL_EQUATIONS = ("BP3", "BP4", "BP3-conv", "BP4-conv")


@dataclass(frozen=True)
class ConvPartialDerivative:
    """∂C/∂p for one parameter: brute force, factored, the terms of the sum over positions, the verdict."""

    parameter: ConvParameter
    brute: sp.Expr
    factored: sp.Expr
    positions: list[tuple[sp.Symbol, sp.Expr]]
    verdict: Verdict
    parameter_symbol: sp.Symbol


@dataclass(frozen=True)
class ConvDerivation(RichDisplay):
    """Everything derived for a convolutional network; ``per_weight`` is None when the per-weight proof ran
    on the smaller ``proof_networks`` instead of ``spec``."""

    spec: ConvSpec
    model: ConvModel
    layers: ConvLayerDerivation
    per_weight: ConvPartials | None
    proof: Proof
    proof_networks: tuple[ConvSpec, ...]
    max_parameters: int = DEFAULT_MAX_PARAMETERS
    notation: str = "nielsen"  # the profile its displays and documents are written in

    def delta(self, layer: int) -> ConvLayerEquations:
        """The equations of δ^l and of the crossing of layer l."""
        if not 1 <= layer <= self.spec.depth:
            raise UserError(f"layer {layer} does not exist (the layers are 1..{self.spec.depth})")
        return self.layers.layer(layer)

    def partial(self, kind: str, layer: int, *index: int) -> ConvPartialDerivative:
        """∂C/∂w^l at ``index`` (kind "w": c, d, p, q or j, k) or ∂C/∂b^l_c (kind "b"), 0-based as the arrays."""
        parameter = ConvParameter(kind, layer, tuple(index))
        if parameter not in self.model.parameters:
            raise UserError(f"no parameter {parameter} in {self.spec.shorthand()}")
        if self.per_weight is None:
            raise UserError(f"per-weight partials are not derived for {self.spec.shorthand()}: "
                            f"{_too_large(self.spec, self.max_parameters)}")
        verdict = next(v for v in self.proof.verdicts if v.subject == _subject(parameter))
        partials = self.per_weight
        return ConvPartialDerivative(parameter, partials.brute(parameter), partials.factored(parameter),
                                     partials.positions(parameter), verdict, self.model.symbol(parameter))


def derive_conv(spec: ConvSpec, *, max_parameters: int = DEFAULT_MAX_PARAMETERS, budget: float | None = 2.0,
                proof_budget: float | None = DEFAULT_PROOF_BUDGET, seed: int = 0, notation: str = "nielsen",
                memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB) -> ConvDerivation:
    """Derive and prove backpropagation for a convolutional network (see :func:`symbackprop.driver.derive`)."""
    model, layers = ConvModel(spec), derive_conv_layers(spec)
    deadline = Deadline(proof_budget)
    rewrites = prove_rewrites(layers.elementwise, budget=budget, seed=seed, deadline=deadline)
    reason = _too_large(spec, max_parameters)
    per_weight = ConvPartials(model, layers) if reason is None else None
    networks = (spec,) if reason is None else proof_networks(spec, _path_limit(max_parameters))
    unprovable = tuple(network for network in networks if network is not spec
                       and not _provable(network, _path_limit(max_parameters)))
    networks = tuple(network for network in networks if network not in unprovable)
    verdicts: tuple[Verdict, ...] = ()
    for network in networks:
        partials = per_weight or ConvPartials(ConvModel(network), derive_conv_layers(network))
        found = prove_per_weight(partials, budget=budget, seed=seed, deadline=deadline)
        if network is not spec:
            found = tuple(replace(v, subject=f"{v.subject} (proof network {network.shorthand()})") for v in found)
        verdicts += found
    checked = network_within(spec, memory_budget, CHECK_SAMPLES)
    notes = () if reason is None else (_reduction_note(reason, networks, spec, checked),)
    notes += _unprovable_note(unprovable, _path_limit(max_parameters))
    notes += _tie_note(spec) + unchecked_note(spec, memory_budget)
    verdicts = rewrites + verdicts + verify_batched(layers, seed=seed, memory_budget=memory_budget)
    proof = Proof(verdicts, notes + budget_note(verdicts, deadline, PARTIAL_EQUATIONS), None, notation)
    return ConvDerivation(spec, model, layers, per_weight, proof, networks, max_parameters, notation)


def derive_conv_layer_level(spec: ConvSpec, *, budget: float | None = 2.0, seed: int = 0,
                            memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB) -> ConvDerivation:
    """The layer-level derivation with only the checks a training module relies on (σ' rewrites, batched forms,
    the latter within ``memory_budget`` MiB as :func:`verify_batched` says)."""
    layers = derive_conv_layers(spec)
    verdicts = (prove_rewrites(layers.elementwise, budget=budget, seed=seed)
                + verify_batched(layers, seed=seed, memory_budget=memory_budget))
    notes = ("per-weight proof not run: the batched forms were checked against central differences only",)
    notes += unchecked_note(spec, memory_budget)
    return ConvDerivation(spec, ConvModel(spec), layers, None, Proof(verdicts, notes), (), max_parameters=0)



def _reduction_note(reason: str, networks: tuple[ConvSpec, ...], spec: ConvSpec, checked: ConvSpec | None) -> str:
    if not networks:
        return (f"{reason}: per-weight partials are not listed, and no network small enough to prove them on "
                f"keeps these kernels (see below); {_batched_where(spec, checked)}.")
    if networks == (reduced(spec),):
        where = (f"the reduced network {networks[0].shorthand()} (the same layers with at most {REDUCED_WIDTH} "
                 "channels or units and the smallest image they fit)")
    else:
        where = (f"{len(networks)} small network{'s' if len(networks) > 1 else ''}, one for each layer's crossing: "
                 "the layer after a probe layer "
                 f"with parameters, then the output layer ({', '.join(n.shorthand() for n in networks)})")
    return (f"{reason}: per-weight partials are not listed; the forms are proved per weight on {where}, since the "
            f"layer-level forms do not depend on the sizes and each relates a layer only to the next one, and "
            f"{_batched_where(spec, checked)}.")


def _batched_where(spec: ConvSpec, checked: ConvSpec | None) -> str:
    if checked is None:
        return "the whole network's forms are not checked numerically (see below)"
    if checked == spec:
        return "the whole network's forms are verified numerically at full size"
    return f"the whole network's forms are verified numerically at the size {checked.shorthand()} the limits allow"


#: A proof network whose brute-force partials exceed the path limit this many times over is not proved per
#: weight: only its kernels can make it so large (its channels and units are already cut to two), and
#: SymPy's expressions of it would grow with the kernel's entries squared.
UNPROVABLE_FACTOR = 10


def _provable(network: ConvSpec, limit: int) -> bool:
    """Whether the per-weight proof of ``network`` stays within UNPROVABLE_FACTOR times ``limit`` path terms
    (its parameter count first: path_terms itself lists every read of every neuron)."""
    bound = UNPROVABLE_FACTOR * limit
    return network.parameter_count <= bound and path_terms(network) <= bound


def _unprovable_note(networks: tuple[ConvSpec, ...], limit: int) -> tuple[str, ...]:
    if not networks:
        return ()
    return (f"The per-weight proof was not run on {', '.join(n.shorthand() for n in networks)}: even with two "
            f"channels or units per layer its kernels make the brute-force partials hold more than "
            f"{UNPROVABLE_FACTOR * limit} path terms; the crossings and gradients they hold are checked only by "
            "the numeric check of the batched forms.",)


def _tie_note(spec: ConvSpec) -> tuple[str, ...]:
    if not any(isinstance(layer, Pool2d) and layer.mode == "max" for layer in spec.layers):
        return ()
    return (f"Max pooling: {TIE_RULE}. Direct differentiation gives H(x − max of the others), with H(0) = ½ at a "
            "tie; the proof compares the two forms off ties, where they agree.",)


def _subject(parameter: ConvParameter) -> str:
    return f"∂C/∂{parameter}"


def _equation(model: ConvModel, parameter: ConvParameter) -> str:
    name = "BP4" if parameter.kind == "w" else "BP3"
    return f"{name}-conv" if isinstance(model.spec.layer(parameter.layer), Conv2d) else name


# ---------------------------------------------------------------------------------------
# Size limits and the reduced network


def path_terms(spec: ConvSpec) -> int:
    """How many chain-rule path products the brute-force partials of ``spec`` hold in all.

    Counted backwards like an error of ones: a neuron's paths to the cost are the sum of the paths
    of every neuron that reads it, once per weight or window entry between them; a parameter
    used at a neuron adds that neuron's paths once per use.
    """
    model = ConvModel(spec)
    paths = dict.fromkeys(model.units(spec.depth), spec.sizes[-1] if not spec.output.elementwise else 1)
    total = 0
    for layer in range(spec.depth, 0, -1):
        below = dict.fromkeys(model.units(layer - 1), 0)
        for index, count in paths.items():
            sources = _sources(model, layer, index)
            for source in sources:
                below[source] += count
            if spec.layer(layer).has_parameters:
                total += count * (len(sources) + spec.bias)
        paths = below
    return total


def _sources(model: ConvModel, layer: int, index: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The neurons of layer l−1 that neuron ``index`` of layer l reads, once per weight or window entry."""
    kind = model.spec.layer(layer).kind
    if kind == "dense":
        return model.units(layer - 1)
    channels = range(model.shapes[layer - 1][0]) if kind == "conv2d" else [index[0]]
    return [(d, *position) for _, position in model.reads(layer, index) for d in channels]


def _path_limit(max_parameters: int) -> int:
    """MAX_PATH_TERMS, raised in proportion when the caller raises max_parameters (--max-weights)."""
    return max(MAX_PATH_TERMS, MAX_PATH_TERMS * max_parameters // DEFAULT_MAX_PARAMETERS)


def _too_large(spec: ConvSpec, max_parameters: int) -> str | None:
    """Why the per-weight proof runs on smaller networks, or None when it runs on ``spec`` itself."""
    if spec.parameter_count > max_parameters:
        return f"{spec.parameter_count} parameters exceed the per-weight limit of {max_parameters}"
    limit = _path_limit(max_parameters)
    terms = path_terms(spec)
    if terms > limit:
        return f"the brute-force partials would hold {terms} path terms, more than the limit of {limit}"
    return None


def reduced(spec: ConvSpec) -> ConvSpec:
    """The same layers on the smallest image they fit, with at most REDUCED_WIDTH input channels and units.

    A conv layer keeps two channels where they are summed over (its crossing is used, or a later
    conv layer reads it), one otherwise.  Along each axis a conv layer keeps at least two positions
    (so that its weights are shared) and a pooling layer two windows when its stride exceeds one
    (so that the stride shows in its crossing), where the network had them.
    """
    layers, has_parameters = [], False
    for number, layer in enumerate(spec.layers, start=1):
        if isinstance(layer, Conv2d):
            summed = has_parameters or any(isinstance(later, Conv2d) for later in spec.layers[number:])
            layer = replace(layer, channels=min(layer.channels, REDUCED_WIDTH if summed else 1))
        elif isinstance(layer, Dense):
            layer = replace(layer, size=min(layer.size, REDUCED_WIDTH))
        has_parameters = has_parameters or layer.has_parameters
        layers.append(layer)
    channels, *sides = spec.input_shape
    small = tuple(next(side for side in range(1, sides[axis] + 1) if image_fits(side, spec, axis)) for axis in (0, 1))
    return replace(spec, input_shape=(min(channels, REDUCED_WIDTH), *small), layers=tuple(layers))


def proof_networks(spec: ConvSpec, limit: int) -> tuple[ConvSpec, ...]:
    """The networks the per-weight proof runs on when ``spec`` itself is too large.

    The reduced network when its partials hold at most ``limit`` path terms; otherwise one network
    per crossing, each small: the crossing's layer after a probe layer that has parameters (a
    1×1 convolution, or a dense layer, with the activation of the layer below the crossing), then
    the output layer.  Every rule is local (δ^{l−1} depends on δ^l only through the crossing of
    layer l), so proving each in its own network covers the whole.
    """
    whole = reduced(spec)
    if path_terms(whole) <= limit:
        return (whole,)
    found: dict[ConvSpec, None] = {}
    output = spec.layers[-1]
    for number in range(1, spec.depth + 1):
        shape = spec.shapes[number - 1]
        layers = (spec.layer(number),) if number == spec.depth else (spec.layer(number), output)
        if number > 1:
            layers = (_probe(spec, number - 1, shape),) + layers
        elif len(layers) == 1:
            continue
        image = shape if len(shape) == 3 else (shape[0], 1, 1)
        network = reduced(replace(spec, input_shape=image, layers=layers))
        if number > 1:  # one channel (unit) of the probe is enough to observe the δ below the crossing
            probe = network.layers[0]
            probe = replace(probe, channels=1) if isinstance(probe, Conv2d) else replace(probe, size=1)
            network = replace(network, layers=(probe, *network.layers[1:]))
        found[network] = None
    return tuple(found)


def _probe(spec: ConvSpec, number: int, shape) -> Conv2d | Dense:
    """A layer with parameters in place of layer ``number`` that keeps its output shape and activation."""
    activation = spec.activations[number - 1] or IDENTITY
    if len(shape) == 3:
        return Conv2d(shape[0], (1, 1), (1, 1), (0, 0), activation)
    return Dense(shape[0], activation)


# ---------------------------------------------------------------------------------------
# The per-weight proof


def prove_per_weight(partials: ConvPartials, *, budget: float | None = 2.0, seed: int = 0,
                     deadline: Deadline = NO_DEADLINE) -> tuple[Verdict, ...]:
    """For every parameter: the factored form (a sum over positions) == the brute-force partial."""
    model = partials.model
    closing = {}
    if partials.layers.assumptions:
        targets = model.targets
        closing = {targets[-1]: 1 - sp.Add(*targets[:-1])}
    targets = [t for t in model.targets if t not in closing]
    full_sampler = Sampler([model.symbol(p) for p in model.parameters] + list(model.inputs), targets, seed)
    found = {parameter: _prove_parameter(partials, parameter, closing, full_sampler, budget, seed, deadline)
             for parameter in sorted(model.parameters, key=lambda parameter: -parameter.layer)}
    verdicts = [found[parameter] for parameter in model.parameters]
    return tuple(verdicts) + crossing_verdicts(partials.layers, model.parameters, verdicts)


def _prove_parameter(partials: ConvPartials, parameter: ConvParameter, closing: dict, full_sampler: Sampler,
                     budget: float | None, seed: int, deadline: Deadline) -> Verdict:
    model = partials.model
    brute = partials.brute(parameter)
    difference = brute.xreplace(model.tie_rule) - partials.factored_in_nodes(parameter)
    targets = full_sampler.positive
    def full() -> tuple[sp.Expr, sp.Expr]:
        return (model.expand_nodes(brute).xreplace(closing),
                partials.factored_expanded(parameter).xreplace(closing))

    subject, equation = _subject(parameter), _equation(model, parameter)
    if not deadline.spent and symbolically_zero(model.free_nodes(difference).xreplace(closing), deadline.step(budget)):
        return Verdict(subject, equation, PROVED)
    # numerically: in node symbols, every a computed from the random z's (far cheaper than substituting σ(z))
    in_nodes = difference.xreplace(model.softmax_values).xreplace(closing)
    sampler = NodeSampler(_node_symbols(model, in_nodes, targets), targets, seed, model=model)
    points = POINTS_AFTER_DEADLINE if deadline.spent else 12
    return numeric_verdict(subject, equation, in_nodes, full, sampler, full_sampler, points,
                           deadline.after() if deadline.spent else "")


@dataclass(frozen=True)
class NodeSampler(Sampler):
    """Random z's, parameters, inputs and targets, with every a computed from them as the network does.

    The same as substituting a = σ(z) (and each pooling output's max or mean) into the compared
    expression before evaluating it, without building that far larger expression.
    """

    model: ConvModel | None = None

    def points(self, count: int):
        for point in super().points(count):
            yield self.model.node_point(point, DIGITS)


def _node_symbols(model: ConvModel, expr: sp.Expr, targets) -> list[sp.Symbol]:
    """The symbols a NodeSampler draws: every z and input of the network, and the parameters in ``expr``."""
    nodes = {model.z(layer, index) for layer in range(1, model.L + 1) if not model.is_pool(layer)
             for index in model.units(layer)}
    activations = {model.a(layer, index) for layer in range(1, model.L + 1) for index in model.units(layer)}
    drawn = nodes | set(model.inputs) | (expr.free_symbols - activations - set(targets))
    return sorted(drawn, key=str)


def crossing_verdicts(layers: ConvLayerDerivation, parameters: tuple[ConvParameter, ...],
                      verdicts: list[Verdict]) -> tuple[Verdict, ...]:
    """BP1 holds when every output-layer partial does; the crossing of layer k when every partial below k does.

    The δ of a layer below k is written through the crossing of layer k, so those partials rely on it;
    the crossing of layer 1 is never used (no gradient by the input is needed).
    """
    groups: dict[str, tuple[str, list[Verdict]]] = {}
    depth = layers.spec.depth
    groups["BP1"] = ("δ of the output layer", [v for v, p in zip(verdicts, parameters, strict=True)
                                               if p.layer == depth])
    for equations in layers.layers[1:]:
        crossing = equations.crossing
        below = [v for v, p in zip(verdicts, parameters, strict=True) if p.layer < crossing.layer]
        if below:
            _, mine = groups.setdefault(crossing.equation, (f"δ crossing back through {crossing.kind} layers", []))
            mine.extend(below)
    found = []
    for equation, (subject, mine) in groups.items():
        if not mine:
            continue
        failure = next((v for v in mine if not v.holds), None)
        status = FAILED if failure else (PROVED if all(v.status == PROVED for v in mine) else VERIFIED)
        how = failure.how if failure else f"through the {len(mine)} partials that rely on it"
        found.append(Verdict(subject, equation, status, how, failure.counterexample if failure else {}))
    return tuple(found)


# ---------------------------------------------------------------------------------------
# The batched forms at full size, or as large as the limits allow


def verify_batched(layers: ConvLayerDerivation, *, seed: int = 0, samples: int = CHECK_SAMPLES,
                   memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB) -> tuple[Verdict, ...]:
    """The derived forms per sample (m = 1) and batched (mean over m) against central differences.

    At full size where that fits ``memory_budget`` (MiB; None: no limit) and the check's limit of
    multiply-adds, else on the network :func:`~symbackprop.conv.sizing.network_within` picks (the same
    layers, fewer channels or a smaller image: the forms are the same at any size); none when not
    even the smallest one fits (:func:`unchecked_note` says so).
    """
    spec = layers.spec
    checked = network_within(spec, memory_budget, samples)
    if checked is None:
        return ()
    forms = (("layer-level", 1, "every δ^l through the derived crossings, ∂C/∂W^l and ∂C/∂b^l as sums over "
                                "positions"),
             ("batched", samples, f"the same for a batch, each gradient the mean over the m = {samples} samples"))
    evaluator = ConvEvaluator.of(resized(layers, checked))
    return verify_forms(evaluator, lambda m, at: random_problem(checked, m, at), forms,
                        _coverage(spec, checked, samples, memory_budget), seed=seed)


def resized(layers: ConvLayerDerivation, spec: ConvSpec) -> ConvLayerDerivation:
    """``layers`` with their equations as they are (a test's wrong one too) for ``spec``, the same layers at
    other sizes."""
    if spec == layers.spec:
        return layers
    equations = tuple(replace(equations, spec_layer=spec.layer(equations.layer)) for equations in layers.layers)
    return replace(layers, spec=spec, elementwise=replace(layers.elementwise, spec=elementwise_spec(spec)),
                   layers=equations)


def _coverage(spec: ConvSpec, checked: ConvSpec, samples: int, memory_budget: float | None) -> str:
    """Which network the check ran on (and why not on the spec itself), up to the separator after it."""
    if checked == spec:
        return f"at full size {spec.shorthand()},"
    return (f"at the reduced size {checked.shorthand()} (the same kernels, strides, padding and pooling), since "
            f"{_excess(check_size(spec, samples), memory_budget)};")


def _excess(size: CheckSize, memory_budget: float | None) -> str:
    """What of ``size`` exceeds the limits, in words: "the full network needs 146 GiB and the memory budget ..."."""
    reasons = []
    if memory_budget is not None and size.bytes > memory_budget * 2**20:
        reasons.append(f"the full network needs {size_text(size.bytes)} and the memory budget is "
                       f"{size_text(int(memory_budget * 2**20))}")
    if size.operations > MAX_CHECK_OPERATIONS:
        reasons.append(f"its check would take {_count_text(size.operations)} operations (the limit is "
                       f"{_count_text(MAX_CHECK_OPERATIONS)})")
    return ", and ".join(reasons)


def _count_text(count: int) -> str:
    """A large count in two digits: ``9.8e11``."""
    mantissa, exponent = f"{count:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def unchecked_note(spec: ConvSpec, memory_budget: float | None, samples: int = CHECK_SAMPLES) -> tuple[str, ...]:
    """Why the batched forms were not checked numerically, when not even the smallest network fits."""
    if network_within(spec, memory_budget, samples) is not None:
        return ()
    least = smallest(spec)
    return (f"The batched forms were not checked numerically: even the smallest network of these layers, "
            f"{least.shorthand()}, exceeds the limits ({_excess(check_size(least, samples), memory_budget)}"
            f"); a larger --memory-budget lets it run where memory is what it lacks.",)
