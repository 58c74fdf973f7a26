"""The true values the checker compares against, for one small spec (cached per spec).

Everything is written in parameters, inputs and targets:

* ∂C/∂w and ∂C/∂b by differentiating the whole-network cost (as the proof's brute force);
* δ^l_j = ∂C/∂z^l_j by rebuilding the network above layer l with the z's of layer l left
  free and differentiating the cost by them.  This does not use BP1/BP2 at all, so an
  equation is checked against the definition of δ, not against our own derivation of it;
* ∂C/∂a^l_j the same way, with the a's of layer l left free;
* the one-step chain-rule terms of δ^l_j (one per neuron of the layer above, or per output
  for softmax), for diagnosing a missing path.

Under the derivation's assumption Σ_j y_j = 1 (softmax with cross-entropy) the last target
is eliminated, y_n = 1 − Σ_{j<n} y_j, on both sides before comparing.
"""

from __future__ import annotations

from functools import cache, cached_property, lru_cache

import sympy as sp

from ..derivation import derive_layers
from ..errors import EquationError
from ..model import NetworkModel, Parameter
from ..partials import PerWeightPartials
from ..proof import DIGITS, Sampler
from ..registry import A, Y, Z
from ..spec import Spec

#: Specs above this many parameters are too big to differentiate as a whole.
MAX_PARAMETERS = 60


class Truth:
    def __init__(self, spec: Spec) -> None:
        if spec.parameter_count > MAX_PARAMETERS:
            raise EquationError(f"the checker differentiates the whole network and takes at most {MAX_PARAMETERS} "
                                f"parameters ({spec.shorthand()} has {spec.parameter_count}); check on a smaller "
                                "network such as 2-3-2 (the equations do not depend on the widths)", "check")
        self.spec = spec
        self.model = NetworkModel(spec)
        self.layers = derive_layers(spec)
        self.partials = PerWeightPartials(self.model, self.layers)
        targets = self.model.targets
        self.closing = {targets[-1]: 1 - sp.Add(*targets[:-1])} if self.layers.assumptions else {}

    @cached_property
    def sampler(self) -> Sampler:
        symbols = [self.model.symbol(p) for p in self.model.parameters] + list(self.model.inputs)
        return Sampler(symbols, [t for t in self.model.targets if t not in self.closing])

    def close(self, expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(self.closing) if self.closing else expr

    @cache  # noqa: B019 - one Truth per spec, kept for the run
    def above(self, kind: str, layer: int) -> dict[sp.Symbol, sp.Expr]:
        """Every node above the free ``kind`` ("z" or "a") symbols of ``layer``, in terms of them."""
        model = self.model
        values: dict[sp.Symbol, sp.Expr] = {}
        if kind == "z":
            values.update({model.a(layer, j): model.a_definition(layer, j) for j in model.units(layer)})
        for above in range(layer + 1, model.L + 1):
            for j in model.units(above):
                values[model.z(above, j)] = model.z_definition(above, j).xreplace(values)
            for j in model.units(above):
                values[model.a(above, j)] = model.a_definition(above, j).xreplace(values)
        return values

    @cache  # noqa: B019
    def below(self, layer: int) -> dict[sp.Symbol, sp.Expr]:
        """a = σ(z) for the elementwise layers 1..layer."""
        model = self.model
        return {model.a(m, j): model.a_definition(m, j) for m in range(1, layer + 1)
                if self.activation(m).elementwise for j in model.units(m)}

    @cache  # noqa: B019
    def _cost(self, kind: str, layer: int) -> sp.Expr:
        return self.model.cost_in_outputs().xreplace(self.above(kind, layer))

    @cache  # noqa: B019
    def parameter(self, parameter: Parameter) -> sp.Expr:
        """∂C/∂p by differentiating the cost written in the free activations of the layer below."""
        return sp.diff(self._cost("a", parameter.layer - 1), self.model.symbol(parameter))

    @cache  # noqa: B019
    def delta(self, layer: int, j: int) -> sp.Expr:
        """δ^l_j = ∂C/∂z^l_j, in the free z's of layer l and the parameters above."""
        return sp.diff(self._cost("z", layer), self.model.z(layer, j))

    @cached_property
    def deltas(self) -> dict[sp.Symbol, sp.Expr]:
        return {self.model.delta(layer, j): self.delta(layer, j)
                for layer in range(1, self.model.L + 1) for j in self.model.units(layer)}

    @cache  # noqa: B019
    def activation_gradient(self, layer: int, j: int) -> sp.Expr:
        """∂C/∂a^l_j, in the free activations of layer l and the parameters above."""
        return sp.diff(self._cost("a", layer), self.model.a(layer, j))

    def in_parameters(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with the δ's and every node written out in parameters, inputs and targets."""
        return self.close(self.model.expand_nodes(self.expand(expr)))

    def output_gradient(self, j: int) -> sp.Expr:
        """∂C/∂a^L_j in the output activations and targets."""
        model = self.model
        return self.layers.cost_gradient.xreplace({A: model.a(model.L, j), Y: model.y(j)})

    def expand(self, expr: sp.Expr) -> sp.Expr:
        """δ's replaced by their true values (node symbols stay)."""
        return expr.xreplace(self.deltas)

    def canonical(self, expr: sp.Expr, base: tuple[str, int]) -> sp.Expr:
        """``expr`` with every node above ``base`` written through it and a = σ(z) below it."""
        kind, layer = base
        expr = expr.xreplace(self.above(kind, layer))
        return self.close(expr.xreplace(self.below(layer if kind == "z" else layer)))

    def points(self, count: int, seed: int = 0) -> list[dict[sp.Symbol, sp.Float]]:
        """Random points of the network: parameters, inputs and targets, and every node's value."""
        return [self.complete(point)
                for point in Sampler(self.sampler.symbols, self.sampler.positive, seed).points(count)]

    def complete(self, point: dict[sp.Symbol, sp.Float]) -> dict[sp.Symbol, sp.Float]:
        """``point`` (parameters, inputs, targets) with the closed target and every node's value added."""
        model = self.model
        for target, value in self.closing.items():
            point[target] = value.xreplace(point)
        for layer in range(1, model.L + 1):
            for j in model.units(layer):
                point[model.z(layer, j)] = sp.N(model.z_definition(layer, j).xreplace(point), DIGITS)
            for j in model.units(layer):
                point[model.a(layer, j)] = sp.N(model.a_definition(layer, j).xreplace(point), DIGITS)
        return point

    def point_names(self, show) -> dict[sp.Symbol, str]:
        """The symbols a report lists for a point (parameters, inputs, targets), as ``show`` prints them."""
        return {symbol: show(symbol) for symbol in (*self.sampler.symbols, *self.model.targets)}

    def activation(self, layer: int):
        return self.spec.activations[layer - 1]

    def derivative(self, layer: int, argument: sp.Expr) -> sp.Expr:
        equations = self.layers.layer(layer)
        if equations.derivative_z is None:
            raise ValueError("softmax")
        return equations.derivative_z.xreplace({Z: argument})

    def chain_terms(self, layer: int, j: int) -> list[tuple[int, sp.Expr]]:
        """δ^l_j as Σ_i term_i, one term per neuron i of layer l+1 (softmax output: per output i)."""
        model = self.model
        if layer < model.L:
            return [(i, self.expand(model.delta(layer + 1, i) * model.w(layer + 1, i, j)
                                    * self.derivative(layer, model.z(layer, j))))
                    for i in model.units(layer + 1)]
        if self.activation(layer).elementwise:
            return []
        terms = []
        for i in model.units(layer):
            local = sp.diff(model.a_definition(layer, i), model.z(layer, j))
            terms.append((i, self.output_gradient(i) * local))
        return terms


@lru_cache(maxsize=8)
def truth_for(spec: Spec) -> Truth:
    return Truth(spec)
