"""Per-weight partial derivatives of a concrete (small) network, in three forms.

* ``brute``: ∂C/∂w^l_jk by direct differentiation of the whole-network cost (the
  brute-force chain rule, as SymPy applies it);
* ``chain``: the sum over paths from the weight to the cost, one product of named local
  factors per path, as hand derivations write it;
* ``factored``: a^{l−1}_k δ^l_j (BP4) and δ^l_j (BP3), with each δ^l_j the layer-level
  equation of :mod:`symbackprop.derivation` instantiated at neuron j.

The proof (:mod:`symbackprop.proof`) shows that ``factored`` equals ``brute``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from .derivation import N_OUT, E, LayerDerivation, LayerEquations
from .model import NetworkModel, Parameter
from .registry import A, Y, Z


@dataclass(frozen=True)
class PathTerm:
    """One path from a parameter to the cost: its local factors, in order from the cost.

    ``neurons`` are the neurons it passes through, one per layer from the parameter's own
    (1-based, as in the mathematics) up to the output.
    """

    factors: tuple[sp.Expr, ...]
    neurons: tuple[int, ...] = ()

    def product(self) -> sp.Expr:
        return sp.Mul(*self.factors)


class PerWeightPartials:
    """Brute-force, sum-over-paths and factored partials of every parameter of ``model``."""

    def __init__(self, model: NetworkModel, layers: LayerDerivation) -> None:
        self.model = model
        self.layers = layers
        self._brute: dict[Parameter, sp.Expr] = {}

    # -- brute force ------------------------------------------------------------------------
    def brute(self, parameter: Parameter) -> sp.Expr:
        """∂C/∂p by SymPy's differentiation of the whole-network cost (computed once per parameter)."""
        if parameter not in self._brute:
            self._brute[parameter] = sp.diff(self.model.cost, self.model.symbol(parameter))
        return self._brute[parameter]

    # -- factored (BP1–BP4 instantiated) ----------------------------------------------------
    @cached_property
    def deltas(self) -> dict[sp.Symbol, sp.Expr]:
        """δ^l_j ↦ its definition in a, z, y, w and the δ's of layer l+1."""
        found: dict[sp.Symbol, sp.Expr] = {}
        for equations in reversed(self.layers.layers):
            for j in self.model.units(equations.layer):
                found[self.model.delta(equations.layer, j)] = self.instantiate(equations, j)
        return found

    def instantiate(self, equations: LayerEquations, j: int) -> sp.Expr:
        """The layer-level δ of ``equations`` written for neuron j of this network."""
        model, layer = self.model, equations.layer
        mapping = {A: model.a(layer, j), Z: model.z(layer, j)}
        if equations.is_output:
            mapping[Y] = model.y(j)
            mapping[N_OUT] = sp.Integer(model.width(layer))
            for row_sum in equations.row_sums:
                mapping[row_sum.symbol] = sp.Add(*(
                    row_sum.summand.xreplace({A: model.a(layer, i), Y: model.y(i), Z: model.z(layer, i)})
                    for i in model.units(layer)))
        else:
            mapping[E] = sp.Add(*(model.w(layer + 1, k, j) * model.delta(layer + 1, k)
                                  for k in model.units(layer + 1)))
        return equations.delta.xreplace(mapping)

    def factored(self, parameter: Parameter) -> sp.Expr:
        """BP4 a^{l−1}_k δ^l_j for a weight, BP3 δ^l_j for a bias (δ left as a symbol)."""
        delta = self.model.delta(parameter.layer, parameter.j)
        if parameter.kind == "b":
            return delta
        return self.model.a(parameter.layer - 1, parameter.k) * delta

    @cached_property
    def _node_deltas(self) -> dict[sp.Symbol, sp.Expr]:
        """Each δ in node symbols (a, z), weights and targets, with no δ left."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for symbol, definition in self.deltas.items():
            values[symbol] = definition.xreplace(values)
        return values

    def factored_in_nodes(self, parameter: Parameter) -> sp.Expr:
        """The factored form with δ's replaced, still written in node symbols.

        σ'(z) written in terms of a (the rewrite found by the passes, proved separately) is
        turned back into σ'(z), the form direct differentiation produces.
        """
        return self.factored(parameter).xreplace(self._node_deltas).xreplace(self._derivative_rewrites)

    @cached_property
    def _derivative_rewrites(self) -> dict[sp.Expr, sp.Expr]:
        rewrites: dict[sp.Expr, sp.Expr] = {}
        for equations in self.layers.layers:
            if equations.derivative is None or equations.derivative == equations.derivative_z:
                continue
            for j in self.model.units(equations.layer):
                in_a = equations.derivative.xreplace({A: self.model.a(equations.layer, j)})
                rewrites[in_a] = equations.derivative_z.xreplace({Z: self.model.z(equations.layer, j)})
        return rewrites

    def free_nodes(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with each elementwise a^l_j replaced by σ(z^l_j), so z's can vary freely."""
        values = {}
        for equations in self.layers.layers:
            if equations.activation.elementwise:
                for j in self.model.units(equations.layer):
                    values[self.model.a(equations.layer, j)] = equations.activation.expr.xreplace(
                        {Z: self.model.z(equations.layer, j)})
        return expr.xreplace(values)

    @cached_property
    def _expanded_deltas(self) -> dict[sp.Symbol, sp.Expr]:
        """Each δ in terms of parameters, inputs and targets only (output layer first)."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for symbol, definition in self.deltas.items():
            values[symbol] = self.model.expand_nodes(definition.xreplace(values))
        return values

    def factored_expanded(self, parameter: Parameter) -> sp.Expr:
        """The factored form with every δ, a and z replaced by parameters and inputs."""
        return self.model.expand_nodes(self.factored(parameter).xreplace(self._expanded_deltas))

    # -- sum over paths ---------------------------------------------------------------------
    def chain(self, parameter: Parameter) -> tuple[PathTerm, ...]:
        """∂C/∂p as a sum over paths: ∂C/∂a^L · ∂a^L/∂z^L · w · σ' … · ∂z^l_j/∂p."""
        model, layer = self.model, parameter.layer
        last = model.a(layer - 1, parameter.k) if parameter.kind == "w" else sp.Integer(1)
        terms = []
        later = [list(model.units(number)) for number in range(layer + 1, model.L + 1)]
        for route in itertools.product(*later):
            neurons = (parameter.j, *route)
            factors = self._output_factors(neurons[-1])
            for step in range(len(neurons) - 1, 0, -1):
                here, below = layer + step, neurons[step - 1]
                factors.append(model.w(here, neurons[step], below))
                factors.append(self._local_derivative(here - 1, below))
            terms.append(PathTerm(tuple(factors) + (last,), neurons))
        return tuple(terms)

    def _local_derivative(self, layer: int, j: int) -> sp.Expr:
        """∂a^l_j/∂z^l_j = σ'(z^l_j) for an elementwise layer."""
        equations = self.layers.layer(layer)
        return equations.derivative_z.xreplace({Z: self.model.z(layer, j)})

    def _output_factors(self, j: int) -> list[sp.Expr]:
        """∂C/∂z^L_j: ∂C/∂a^L_j · σ'(z^L_j), or the softmax Jacobian sum Σ_i ∂C/∂a_i ∂a_i/∂z_j."""
        model, layer = self.model, self.model.L
        gradient = self.layers.cost_gradient
        equations = self.layers.layer(layer)
        if equations.derivative_z is not None:
            return [gradient.xreplace({A: model.a(layer, j), Y: model.y(j)}),
                    self._local_derivative(layer, j)]
        a_j = model.a(layer, j)
        jacobian_sum = sp.Add(*(
            gradient.xreplace({A: model.a(layer, i), Y: model.y(i)})
            * model.a(layer, i) * ((1 if i == j else 0) - a_j)
            for i in model.units(layer)))
        return [jacobian_sum]
