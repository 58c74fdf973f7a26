"""The layer-level backpropagation equations of a spec, at a generic width.

BP1–BP4 are derived here once per layer from the scalar definitions in the registry, so the
cost of deriving does not depend on the widths (784-100-10 takes as long as 3-4-2):

* BP1  δ^L_j = ∂C/∂a^L_j · σ'(z^L_j), or for softmax the full Jacobian
  δ^L_j = Σ_i ∂C/∂a^L_i · a^L_i (δ_ij − a^L_j);
* BP2  δ^l_j = (Σ_k w^{l+1}_kj δ^{l+1}_k) · σ'(z^l_j), written ``e · σ'(z)`` here with
  :data:`E` standing for the back-propagated error ((W^{l+1})^T δ^{l+1})_j;
* BP3  ∂C/∂b^l_j = δ^l_j;   BP4  ∂C/∂w^l_jk = a^{l−1}_k δ^l_j.

Every expression is in the prototype symbols A, Y, Z (and E, and one symbol per sum over the
output layer, see :class:`RowSum`); later stages substitute concrete neurons (the per-weight
proof), print them for NumPy, or typeset them.  Each layer also carries where its σ is not
differentiable, and the derivation where the cost is not (:mod:`symbackprop.kinks`), so that
numeric checks keep clear of those points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from .kinks import Kinks, kinks
from .passes import derivative_in_terms_of_output, simplest, sum_of_targets, trigonometric_forms
from .registry import A, Activation, Y, Z
from .spec import Spec

#: The back-propagated error ((W^{l+1})^T δ^{l+1})_j of a hidden neuron.
E = sp.Symbol("e", real=True)
#: The width of the output layer, for sums over it.
N_OUT = sp.Symbol("n_L", positive=True, integer=True)


@dataclass(frozen=True)
class RowSum:
    """``symbol`` stands for Σ_i summand(a_i, y_i, z_i), a sum over the output layer."""

    symbol: sp.Symbol
    summand: sp.Expr


@dataclass(frozen=True)
class Assumption:
    """A condition the simplified equations rely on, stated in the derivation."""

    text: str
    latex: str


TARGETS_SUM_TO_ONE = Assumption("the targets of each sample sum to one (one-hot or probabilities)",
                                r"\sum_j y_j = 1")


@dataclass(frozen=True)
class Note:
    """What a pass found, as a sentence whose formulas stay expressions until a reader prints them.

    ``text`` holds ``{0}``, ``{1}``, … for ``formulas``; ``str()`` prints them with SymPy's
    ``sstr``, the derive summary with its own typography.
    """

    text: str
    formulas: tuple[sp.Expr, ...] = ()

    def format(self, printer: Callable[[sp.Expr], str] = sp.sstr) -> str:
        return self.text.format(*(printer(formula) for formula in self.formulas))

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class LayerEquations:
    """δ for one layer: the general statement and the simplified, spec-specific form."""

    layer: int
    activation: Activation
    is_output: bool
    derivative_z: sp.Expr | None  # σ'(z) in Z; None for softmax
    derivative: sp.Expr | None  # σ'(z) in A where possible, else in Z
    general: sp.Expr  # δ before simplification (chain-rule product)
    delta: sp.Expr  # δ simplified, in A, Y, Z, E and row-sum symbols
    row_sums: tuple[RowSum, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    notes: tuple[Note, ...] = ()
    #: Where σ is not differentiable, in z (none for softmax).
    kinks: Kinks = Kinks(Z)

    @property
    def derivative_in_a(self) -> bool:
        return self.derivative is not None and Z not in self.derivative.free_symbols

    @property
    def rewritten_in_a(self) -> bool:
        """Whether σ'(z) was rewritten in terms of a = σ(z) (a rewrite the proof must establish)."""
        return self.derivative_in_a and self.derivative != self.derivative_z

    @property
    def cancels_to_error(self) -> bool:
        """Whether δ^L came out as a − y (the output-layer cancellation)."""
        return self.is_output and sp.expand(self.delta - (A - Y)) == 0


@dataclass(frozen=True)
class LayerDerivation:
    """The layer-level derivation of a whole spec (all layers, output first in ``layers[-1]``)."""

    spec: Spec
    cost_gradient: sp.Expr  # ∂c/∂a per output unit, in A and Y
    layers: tuple[LayerEquations, ...]
    #: Where the per-unit cost is not differentiable, in a (the output) and y.
    cost_kinks: Kinks = Kinks(A)

    @property
    def assumptions(self) -> tuple[Assumption, ...]:
        seen: dict[str, Assumption] = {}
        for equations in self.layers:
            seen.update((assumption.text, assumption) for assumption in equations.assumptions)
        return tuple(seen.values())

    def layer(self, number: int) -> LayerEquations:
        return self.layers[number - 1]


def derive_layers(spec: Spec) -> LayerDerivation:
    """BP1 for the output layer and BP2 for every hidden layer, simplified."""
    cost_gradient = sp.diff(spec.cost.expr, A)
    hidden = tuple(_hidden_layer(layer, activation)
                   for layer, activation in enumerate(spec.activations[:-1], start=1))
    return LayerDerivation(spec, cost_gradient, hidden + (_output_layer(spec, cost_gradient),),
                           kinks(spec.cost.expr, A))


def _derivatives(activation: Activation) -> tuple[sp.Expr, sp.Expr, tuple[Note, ...]]:
    """σ'(z), its simplest form (in a when one exists) and a note saying what was found."""
    derivative_z = sp.diff(activation.expr, Z)
    in_a = derivative_in_terms_of_output(activation.expr)
    if in_a is None or in_a == derivative_z:
        return derivative_z, derivative_z, ()
    note = Note(f"{activation.name}: σ'(z) = {{0}} with a = σ(z)", (in_a,))
    return derivative_z, in_a, (note,)


def _hidden_layer(layer: int, activation: Activation) -> LayerEquations:
    derivative_z, derivative, notes = _derivatives(activation)
    return LayerEquations(layer, activation, False, derivative_z, derivative,
                          general=E * derivative_z, delta=E * derivative, notes=notes,
                          kinks=kinks(activation.expr, Z))


def _output_layer(spec: Spec, cost_gradient: sp.Expr) -> LayerEquations:
    activation = spec.output
    if not activation.elementwise:
        return _softmax_output(spec.depth, activation, cost_gradient)
    derivative_z, derivative, notes = _derivatives(activation)
    general = cost_gradient * derivative_z
    product = cost_gradient * derivative
    cancelled = simplest(product, sp.cancel(product), sp.factor(product))
    delta = simplest(cancelled, *trigonometric_forms(cancelled))
    if cancelled != product:
        notes += (Note("output layer: δ^L = {0} after cancelling ∂C/∂a against σ'(z)", (cancelled,)),)
    if delta != cancelled:
        notes += (Note("output layer: δ^L = {0} with the hyperbolic and trigonometric functions simplified", (delta,)),)
    return LayerEquations(spec.depth, activation, True, derivative_z, derivative, general, delta,
                          notes=notes, kinks=kinks(activation.expr, Z))


def softmax_jacobian() -> tuple[sp.Expr, sp.Expr]:
    """∂a_i/∂z_j of softmax in terms of a, found from its definition.

    Differentiates a_1 = e^{z_1}/Σ_k e^{z_k} of a three-unit softmax by z_1 and by z_2,
    replaces e^{z_k} by a_k·S and uses Σ_k a_k = 1.  Returns (∂a_j/∂z_j, ∂a_i/∂z_j) in
    :data:`A` (= a_j) and ``a_i``; by symmetry they hold at every width.
    """
    zs = sp.symbols("z1:4", real=True)
    outs = sp.symbols("a1:4", positive=True)
    total = sp.Symbol("S", positive=True)
    first = sp.exp(zs[0]) / sp.Add(*map(sp.exp, zs))
    back = {sp.exp(z): a * total for z, a in zip(zs, outs, strict=True)}
    closing = {outs[2]: 1 - outs[0] - outs[1]}

    def entry(by: sp.Symbol) -> sp.Expr:
        return sp.factor(sp.simplify(sp.diff(first, by).subs(back)).subs(closing))

    other = sp.Symbol("a_i", real=True)
    return entry(zs[0]).xreplace({outs[0]: A}), entry(zs[1]).xreplace({outs[0]: other, outs[1]: A})


def _softmax_output(layer: int, activation: Activation, cost_gradient: sp.Expr) -> LayerEquations:
    """δ_j = Σ_i g_i ∂a_i/∂z_j with g = ∂C/∂a, which the Jacobian turns into a_j g_j − a_j Σ_i a_i g_i."""
    diagonal, off_diagonal = softmax_jacobian()
    other = sp.Symbol("a_i", real=True)
    if sp.expand(off_diagonal + other * A) != 0 or sp.expand(diagonal - A + A**2) != 0:
        raise ArithmeticError(f"unexpected softmax Jacobian {diagonal}, {off_diagonal}")
    total = sp.Symbol("s", real=True)
    weighted = sp.cancel(A * cost_gradient)
    general = A * cost_gradient - A * total
    closed = sum_of_targets(weighted, N_OUT)
    if closed is None:
        row_sums = (RowSum(total, weighted),)
        delta = simplest(weighted - A * total, general)
        return LayerEquations(layer, activation, True, None, None, general, delta, row_sums=row_sums)
    delta = simplest(sp.expand(weighted - A * closed), sp.factor(weighted - A * closed))
    note = Note("output layer: Σ_i a_i ∂C/∂a_i = {0} because Σ_i y_i = 1, so δ^L = {1}", (closed, delta))
    return LayerEquations(layer, activation, True, None, None, general, delta,
                          row_sums=(RowSum(total, weighted),), assumptions=(TARGETS_SUM_TO_ONE,),
                          notes=(note,))
