"""Per-weight partial derivatives of a small convolutional network, brute force and factored.

* ``brute``: ∂C/∂p by direct differentiation: SymPy's derivative of every node's definition,
  carried forward from the parameter to the cost (in node symbols, so shared subexpressions stay
  shared);
* ``factored``: the layer-level forms of :mod:`symbackprop.conv.derivation` instantiated for
  this network: ∂C/∂w^l_{c,d,p,q} = Σ_{i,j} δ^l_{c,i,j} a^{l−1}_{d,s·i+p−P,s·j+q−P} and
  ∂C/∂b^l_c = Σ_{i,j} δ^l_{c,i,j} for a conv layer (one term per position the parameter is
  shared across, :meth:`ConvPartials.positions`), a^{l−1}_k δ^l_j and δ^l_j for a dense one, with
  every δ written through the crossing of the layer above it.

The proof (:mod:`symbackprop.conv.driver`) shows that ``factored`` equals ``brute``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from functools import cached_property

import sympy as sp

from ..derivation import N_OUT, E
from ..registry import A, Y, Z
from .derivation import ConvLayerDerivation, ConvLayerEquations, axes
from .model import ConvModel, ConvParameter, Index, flat_index, route_to_maximum


class ConvPartials:
    """Brute-force and factored partials of every parameter of a convolutional ``model``."""

    def __init__(self, model: ConvModel, layers: ConvLayerDerivation) -> None:
        self.model = model
        self.layers = layers
        self._brute: dict[ConvParameter, sp.Expr] = {}

    def brute(self, parameter: ConvParameter) -> sp.Expr:
        """∂C/∂p by differentiating the network's definitions forward, in node symbols (computed once).

        Every node's derivative by p is SymPy's derivative of the node's own definition (z from the
        a's below it, a from its z's, a pooling output from its window) carried forward from the
        parameter to the cost: the chain rule applied in the forward direction, which uses none of
        the backward forms it is compared with.  The result is the derivative of the whole-network
        cost with its shared subexpressions kept as node symbols.
        """
        if parameter not in self._brute:
            tangents = self._tangents(parameter)
            cost = self.model.cost_in_outputs()
            self._brute[parameter] = sp.Add(*(sp.diff(cost, node) * tangents[node]
                                              for node in cost.free_symbols if tangents.get(node, 0) != 0))
        return self._brute[parameter]

    def _tangents(self, parameter: ConvParameter) -> dict[sp.Symbol, sp.Expr]:
        """d(node)/dp for every node above the parameter's layer (nodes missing from the dict do not depend on p)."""
        model, symbol = self.model, self.model.symbol(parameter)
        tangents: dict[sp.Symbol, sp.Expr] = {}

        def carried(definition: sp.Expr, local: sp.Expr = sp.S.Zero) -> sp.Expr:
            terms = [sp.diff(definition, node) * tangents[node] for node in definition.free_symbols
                     if tangents.get(node, 0) != 0]
            return sp.Add(local, *terms)

        for layer in range(parameter.layer, model.L + 1):
            if not model.is_pool(layer):
                for index in model.units(layer):
                    definition = model.z_definition(layer, index)
                    tangents[model.z(layer, index)] = carried(definition, sp.diff(definition, symbol))
            for index in model.units(layer):
                tangents[model.a(layer, index)] = carried(model.a_definition(layer, index))
        return tangents

    # -- the errors ---------------------------------------------------------------------------
    def error(self, layer: int, index: Index) -> sp.Expr:
        """e^l = ∂C/∂a^l at ``index``, through the crossing of layer l+1 (in the δ's of layer l+1)."""
        model, above = self.model, layer + 1
        crossing = self.layers.layer(above).crossing
        if crossing.kind in ("dense", "flatten"):
            k = flat_index(model.shapes[layer], index)
            return sp.Add(*(model.w(above, (j, k)) * model.delta(above, (j,)) for j in range(model.shapes[above][0])))
        rows, columns = axes(self.layers.spec.layer(above), model.shapes[above])
        channel, u, v = index
        terms = []
        for p in range(rows.kernel):
            i = crossing.index_map.source(u, p, rows)
            for q in range(columns.kernel) if i is not None else ():
                j = crossing.index_map.source(v, q, columns)
                if j is not None:
                    terms += self._window_terms(above, crossing.kind, index, (i, j), (p, q))
        return sp.Add(*terms)

    def _window_terms(self, above: int, kind: str, index: Index, position: tuple[int, int],
                      offset: tuple[int, int]) -> list[sp.Expr]:
        """The terms of e^l at ``index`` that come from window ``position`` of layer ``above`` at ``offset``."""
        model = self.model
        if kind == "conv":
            return [model.w(above, (c, index[0], *offset)) * model.delta(above, (c, *position))
                    for c in range(model.shapes[above][0])]
        delta = model.delta(above, (index[0], *position))
        window = [model.a(above - 1, (index[0], *entry)) for _, entry in model.reads(above, (index[0], *position))]
        if kind == "avgpool":
            return [delta / len(window)]
        return [route_to_maximum(window, window.index(model.a(above - 1, index))) * delta]

    @cached_property
    def deltas(self) -> dict[sp.Symbol, sp.Expr]:
        """δ^l at every index ↦ its definition in a, z, y, w and the δ's of layer l+1 (output layer first)."""
        found: dict[sp.Symbol, sp.Expr] = {}
        for equations in reversed(self.layers.layers):
            for index in self.model.units(equations.layer):
                found[self.model.delta(equations.layer, index)] = self.instantiate(equations, index)
        return found

    def instantiate(self, equations: ConvLayerEquations, index: Index) -> sp.Expr:
        """The layer-level δ of ``equations`` written for the neuron at ``index``."""
        model, layer, eq = self.model, equations.layer, equations.equations
        mapping = {A: model.a(layer, index), Z: model.z(layer, index)}
        if equations.is_output:
            units = [(j,) for j in range(model.shapes[layer][0])]
            mapping[Y] = model.y(index[0])
            mapping[N_OUT] = sp.Integer(len(units))
            for row_sum in eq.row_sums:
                mapping[row_sum.symbol] = sp.Add(*(
                    row_sum.summand.xreplace({A: model.a(layer, i), Y: model.y(i[0]), Z: model.z(layer, i)})
                    for i in units))
        else:
            mapping[E] = self.error(layer, index)
        return eq.delta.xreplace(mapping)

    # -- the factored partials ---------------------------------------------------------------
    def positions(self, parameter: ConvParameter) -> list[tuple[sp.Symbol, sp.Expr]]:
        """(δ^l, ∂z^l/∂p) for every neuron the parameter reaches: the terms of its factored partial."""
        model, layer = self.model, parameter.layer
        if len(model.shapes[layer]) == 1:
            j = parameter.index[0]
            if parameter.kind == "b":
                return [(model.delta(layer, (j,)), sp.Integer(1))]
            below = model.units(layer - 1)[parameter.index[1]]
            return [(model.delta(layer, (j,)), model.a(layer - 1, below))]
        return list(self.image_positions(parameter))

    def image_positions(self, parameter: ConvParameter) -> Iterator[tuple[sp.Symbol, sp.Expr]]:
        """The terms of :meth:`positions` for a conv parameter, one at a time in (row, column) order (a
        document lists the first few of a large image without building the rest)."""
        model, layer = self.model, parameter.layer
        channel = parameter.index[0]
        _, rows, columns = model.shapes[layer]
        for index in itertools.product((channel,), range(rows), range(columns)):
            if parameter.kind == "b":
                yield model.delta(layer, index), sp.Integer(1)
                continue
            d, p, q = parameter.index[1:]
            read = dict(model.reads(layer, index))
            if (p, q) in read:
                yield model.delta(layer, index), model.a(layer - 1, (d, *read[(p, q)]))

    def factored(self, parameter: ConvParameter) -> sp.Expr:
        """Σ over positions of δ^l times the input the parameter multiplies there (δ left as symbols)."""
        return sp.Add(*(delta * factor for delta, factor in self.positions(parameter)))

    @cached_property
    def _node_deltas(self) -> dict[sp.Symbol, sp.Expr]:
        values: dict[sp.Symbol, sp.Expr] = {}
        for symbol, definition in self.deltas.items():
            values[symbol] = definition.xreplace(values)
        return values

    @cached_property
    def _derivative_rewrites(self) -> dict[sp.Expr, sp.Expr]:
        """σ' written in a back to σ'(z), the form direct differentiation produces (the rewrite is proved apart)."""
        rewrites: dict[sp.Expr, sp.Expr] = {}
        for equations in self.layers.layers:
            eq = equations.equations
            if eq.derivative is None or eq.derivative == eq.derivative_z:
                continue
            for index in self.model.units(equations.layer):
                in_a = eq.derivative.xreplace({A: self.model.a(equations.layer, index)})
                rewrites[in_a] = eq.derivative_z.xreplace({Z: self.model.z(equations.layer, index)})
        return rewrites

    def factored_in_nodes(self, parameter: ConvParameter) -> sp.Expr:
        """The factored form with every δ replaced, in node symbols (σ' in terms of z)."""
        return self.factored(parameter).xreplace(self._node_deltas).xreplace(self._derivative_rewrites)

    @cached_property
    def _expanded_deltas(self) -> dict[sp.Symbol, sp.Expr]:
        values: dict[sp.Symbol, sp.Expr] = {}
        for symbol, definition in self.deltas.items():
            values[symbol] = self.model.expand_nodes(definition.xreplace(values))
        return values

    def factored_expanded(self, parameter: ConvParameter) -> sp.Expr:
        """The factored form with every δ, a and z replaced by parameters and inputs."""
        return self.model.expand_nodes(self.factored(parameter).xreplace(self._expanded_deltas))

