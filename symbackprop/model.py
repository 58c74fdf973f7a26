"""The symbolic model of one concrete network.

Every weight ``w^l_jk``, bias ``b^l_j``, input ``x_k``, target ``y_j``, pre-activation
``z^l_j`` and activation ``a^l_j`` of a :class:`~symbackprop.spec.Spec` is a SymPy symbol.
Numbering is a contract shared with code generation and the checker: the input is layer 0
(``a^0 = x``), the weight layers are 1..L, ``w^l_jk`` connects neuron k of layer l−1 to
neuron j of layer l, and indices start at 1 (arrays start at 0).

The model gives each node's local definition (``z`` from the previous ``a``, ``a`` from
``z``) and the whole-network cost ``C`` as an expression of weights, biases, inputs and
targets, built bottom-up by substitution so that shared subexpressions stay shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from .kinks import kinks
from .registry import A, Y, Z
from .spec import Spec


@dataclass(frozen=True, order=True)
class Parameter:
    """One trainable parameter: ``kind`` is "w" or "b"; ``k`` is None for biases."""

    kind: str
    layer: int
    j: int
    k: int | None = None

    def __str__(self) -> str:
        indices = f"{self.j}{self.k}" if self.k is not None else f"{self.j}"
        return f"{self.kind}^{self.layer}_{indices}"


def _indices(*numbers: int) -> str:
    """Subscripts as people write them: ``11`` for small indices, ``10,3`` once any has two digits."""
    return ("," if any(n >= 10 for n in numbers) else "").join(map(str, numbers))


class NetworkModel:
    """Symbols and local definitions of every node of a concrete network."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.L = spec.depth

    # -- symbols -------------------------------------------------------------------------
    def w(self, layer: int, j: int, k: int) -> sp.Symbol:
        return sp.Symbol(f"w^{{{layer}}}_{{{_indices(j, k)}}}", real=True)

    def b(self, layer: int, j: int) -> sp.Symbol:
        return sp.Symbol(f"b^{{{layer}}}_{{{j}}}", real=True)

    def x(self, k: int) -> sp.Symbol:
        return sp.Symbol(f"x_{{{k}}}", real=True)

    def y(self, j: int) -> sp.Symbol:
        return sp.Symbol(f"y_{{{j}}}", real=True)

    def z(self, layer: int, j: int) -> sp.Symbol:
        return sp.Symbol(f"z^{{{layer}}}_{{{j}}}", real=True)

    def a(self, layer: int, j: int) -> sp.Symbol:
        return self.x(j) if layer == 0 else sp.Symbol(f"a^{{{layer}}}_{{{j}}}", real=True)

    def delta(self, layer: int, j: int) -> sp.Symbol:
        return sp.Symbol(f"delta^{{{layer}}}_{{{j}}}", real=True)

    def symbol(self, parameter: Parameter) -> sp.Symbol:
        if parameter.kind == "w":
            return self.w(parameter.layer, parameter.j, parameter.k)
        return self.b(parameter.layer, parameter.j)

    def width(self, layer: int) -> int:
        return self.spec.sizes[layer]

    def units(self, layer: int) -> range:
        return range(1, self.spec.sizes[layer] + 1)

    @cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        """All parameters, layer by layer, weights before biases, row-major."""
        found: list[Parameter] = []
        for layer in range(1, self.L + 1):
            found += [Parameter("w", layer, j, k) for j in self.units(layer) for k in self.units(layer - 1)]
            if self.spec.bias:
                found += [Parameter("b", layer, j) for j in self.units(layer)]
        return tuple(found)

    def has(self, parameter: Parameter) -> bool:
        """Whether ``parameter`` is one of :attr:`parameters`, without listing them all."""
        if not 1 <= parameter.layer <= self.L or not 1 <= parameter.j <= self.width(parameter.layer):
            return False
        if parameter.kind == "b":
            return self.spec.bias and parameter.k is None
        return parameter.kind == "w" and parameter.k is not None and 1 <= parameter.k <= self.width(parameter.layer - 1)

    @property
    def inputs(self) -> tuple[sp.Symbol, ...]:
        return tuple(self.x(k) for k in self.units(0))

    @property
    def targets(self) -> tuple[sp.Symbol, ...]:
        return tuple(self.y(j) for j in self.units(self.L))

    # -- local definitions ----------------------------------------------------------------
    def z_definition(self, layer: int, j: int) -> sp.Expr:
        """z^l_j = Σ_k w^l_jk a^{l−1}_k (+ b^l_j)."""
        total = sp.Add(*(self.w(layer, j, k) * self.a(layer - 1, k) for k in self.units(layer - 1)))
        return total + self.b(layer, j) if self.spec.bias else total

    def a_definition(self, layer: int, j: int) -> sp.Expr:
        """a^l_j in terms of the z's of layer l (softmax couples the whole layer)."""
        activation = self.spec.activations[layer - 1]
        if activation.elementwise:
            return activation.expr.xreplace({Z: self.z(layer, j)})
        exps = [sp.exp(self.z(layer, i)) for i in self.units(layer)]
        return exps[j - 1] / sp.Add(*exps)

    def cost_in_outputs(self) -> sp.Expr:
        """The per-sample cost Σ_j c(a^L_j, y_j)."""
        unit_cost = self.spec.cost.expr
        return sp.Add(*(unit_cost.xreplace({A: self.a(self.L, j), Y: self.y(j)})
                        for j in self.units(self.L)))

    def kink_switches(self) -> tuple[sp.Expr, ...]:
        """One expression per kink of every neuron (and output unit's cost), in z's and y's.

        Its sign says on which side of the kink a point is; a point where one vanishes sits on a
        kink, where a derivative takes the value of a convention (H(0) = 0 for relu).
        """
        found: list[sp.Expr] = []
        for layer, activation in enumerate(self.spec.activations, start=1):
            if activation.elementwise:
                found += [switch.xreplace({Z: self.z(layer, j)})
                          for j in self.units(layer) for switch in kinks(activation.expr, Z).switches]
        found += [switch.xreplace({A: self.a_definition(self.L, j), Y: self.y(j)})
                  for j in self.units(self.L) for switch in kinks(self.spec.cost.expr, A).switches]
        return tuple(found)

    # -- the whole network --------------------------------------------------------------
    @cached_property
    def node_values(self) -> dict[sp.Symbol, sp.Expr]:
        """Every z and a symbol as an expression of parameters and inputs, built bottom-up."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for layer in range(1, self.L + 1):
            for j in self.units(layer):
                values[self.z(layer, j)] = self.z_definition(layer, j).xreplace(values)
            for j in self.units(layer):
                values[self.a(layer, j)] = self.a_definition(layer, j).xreplace(values)
        return values

    @cached_property
    def cost(self) -> sp.Expr:
        """C as one expression of weights, biases, inputs and targets."""
        return self.cost_in_outputs().xreplace(self.node_values)

    @cached_property
    def _contraction(self) -> tuple[dict[sp.Expr, sp.Symbol], dict[sp.Symbol, sp.Expr]]:
        """Node values back to node symbols; softmax outputs stay written in their z's."""
        contract: dict[sp.Expr, sp.Symbol] = {}
        softmax: dict[sp.Symbol, sp.Expr] = {}
        for layer in range(1, self.L + 1):
            elementwise = self.spec.activations[layer - 1].elementwise
            for j in self.units(layer):
                contract[self.node_values[self.z(layer, j)]] = self.z(layer, j)
                if elementwise:
                    contract[self.node_values[self.a(layer, j)]] = self.a(layer, j)
                else:
                    softmax[self.a(layer, j)] = self.a_definition(layer, j)
        return contract, softmax

    def contract_nodes(self, expr: sp.Expr, thorough: bool = False) -> sp.Expr:
        """Rewrite an expression of parameters in node symbols where subtrees match node values.

        The inverse of :meth:`expand_nodes` (up to softmax outputs, which are written in z):
        expressions that agree after contraction agree after expansion, and the contracted
        ones are far smaller, so the proof compares those first.  The default matches whole
        subtrees only (fast); ``thorough`` then also replaces node definitions that SymPy has
        merged into a larger sum or product (``b + w·z·σ(z) − y`` for a swish layer feeding
        an identity output), layer by layer from the input, with ``subs``.
        """
        contracted = self._contract_subtrees(expr)
        if thorough:
            contracted = self._contract_merged(contracted)
        return contracted.xreplace(self._contraction[1])

    def _contract_merged(self, expr: sp.Expr) -> sp.Expr:
        for layer in range(1, self.L + 1):
            elementwise = self.spec.activations[layer - 1].elementwise
            for j in self.units(layer):
                expr = expr.subs(self.z_definition(layer, j), self.z(layer, j))
            if elementwise:
                for j in self.units(layer):
                    definition = self.a_definition(layer, j)
                    if definition != self.a(layer, j):
                        expr = expr.subs(definition, self.a(layer, j))
        return expr

    def _contract_subtrees(self, expr: sp.Expr) -> sp.Expr:
        return contract_subtrees(expr, self._contraction[0])

    def expand_nodes(self, expr: sp.Expr) -> sp.Expr:
        """Replace z and a symbols in ``expr`` by their values (parameters and inputs)."""
        return expr.xreplace(self.node_values)


def contract_subtrees(expr: sp.Expr, contract: dict[sp.Expr, sp.Symbol]) -> sp.Expr:
    """``expr`` with every subtree that is a key of ``contract`` replaced by its node symbol.

    Exponentials are matched inside a numeric multiple too: diff writes e^{-z}, e^{2z}.
    """
    def scaled(power: sp.Expr) -> sp.Expr:
        # Only the numeric content is split off (Add.primitive), which is cheap; factor_terms would
        # walk the whole argument and dominated the proof's running time.
        argument = power.args[0]
        coefficient, rest = argument.as_coeff_Mul()
        if rest.is_Add:
            content, rest = rest.primitive()
            coefficient *= content
        for sign in (1, -1):
            if sign * rest in contract:
                return sp.exp(sign * coefficient * contract[sign * rest])
        return power

    if expr.has(sp.exp):
        expr = expr.replace(lambda node: isinstance(node, sp.exp), scaled)
    return expr.xreplace(contract)
