"""Statements about a batch: the gradient of the batch cost, checked on a batch of m samples.

An equation is about a batch (:func:`is_batch`) when its left side is the gradient of a cost
written with a batch subscript (``C_{\\text{batch}}``) or the batch matrix Δ^l, or when it
mentions ``m``, the batch matrices Δ^l, A^l, Z^l, X, Y, the column of ones ``\\mathbf{1}_m``
or a sum over the samples (``\\sum_{s=1}^{m}``, ``\\sum_x``, ``\\sum_s``).  ``m`` is the
number of samples in the batch, and the batch cost is the mean of the per-sample cost over
them (the derivation's C_batch, Ng's J, Nielsen's C = (1/n) Σ_x C_x), so the true ∂C/∂W^l
of a batch equation is (1/m) Σ_s ∂C_s/∂W^l: the 1/m belongs to every batch gradient.
Inside a sum over samples, one sample's quantity carries the sample variable in its
superscript or subscript: ``\\delta^{x,l}_j`` (Nielsen), ``\\delta^{l}_{(s)}`` (the
derivation), ``a^{(l)(i)}_j`` (Ng, with ``\\sum_{i=1}^{m}``).

In the ng notation a left side ``D^{(l)}`` (or ``D^{(l)}_{ij}``) is Ng's gradient of J,
∂J/∂Θ^{(l)} of the batch (:func:`ng_gradient`); in such an equation ``\\Delta^{(l)}`` is
Ng's accumulator Σ_s δ^{(l+1)}_{(s)} (a^{(l)}_{(s)})^T, the shape of Θ^{(l)}, and not the
derivation's batch matrix of errors.  (Ng's regularisation term λΘ is not modelled.)

:class:`BatchTruth` stands in for :class:`~.truth.Truth` in a batch equation: a batch of
:data:`SIZE` samples that share the parameters, one copy of every per-sample symbol (x, y,
a, z, δ) per sample, ``parameter`` the batch mean, and points, ``expand`` and ``canonical``
over the copies.  Everything else is the per-sample truth's.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from functools import cache, cached_property

import sympy as sp

from ..model import Parameter
from ..notation import Notation
from ..proof import Sampler
from .parser import Equation, Nabla, Node, Ones, Partial, Sum, Sym
from .truth import Truth

#: The batch the checker draws: m = SIZE samples (3, so that 1/m cannot pass for the ½ of a cost).
SIZE = 3
#: Summation letters that mean "over the samples" without an upper limit m.
SAMPLE_LETTERS = frozenset({"s", "x"})
#: Names that only a batch equation uses.
BATCH_NAMES = frozenset({"m", "Delta", "A", "Z", "X", "Y"})
#: The prefix of the key that binds a sample variable in an environment (``env["sample:s"] = 2``).
SAMPLE = "sample:"


def is_sample_sum(node: Sum) -> bool:
    """A sum over the samples: up to m, or over s or x unbounded unless the summand indexes neurons with
    that letter (Σ_s w_{sj} δ_s runs over the units of a layer, whatever its letter)."""
    upper = None if node.upper is None else node.upper.strip().strip("{}()").strip()
    return upper == "m" or (node.upper is None and node.var in SAMPLE_LETTERS and not _neuron_index(node))


def _neuron_index(node: Sum) -> bool:
    """Whether the sum's letter stands as a neuron index in a subscript of its body (w_{sj}, δ_s), not as a
    sample marker ((s), or x among the layer's superscript)."""
    for child in _subscripted(node.body):
        script = re.sub(r"\\[A-Za-z]+|\([^()]*\)", " ", child.sub or "")
        if node.var in re.findall(r"[A-Za-z]", script):
            return True
    return False


def _subscripted(node: Node):
    if isinstance(node, Sym):
        yield node
        return
    for item in fields(node):
        child = getattr(node, item.name)
        if isinstance(child, Node):
            yield from _subscripted(child)


def batch_cost(cost: str) -> bool:
    """Whether the cost as written on a left side is the batch cost (``C_{\\text{batch}}``)."""
    return "batch" in cost


def ng_gradient(lhs: Node, notation: Notation) -> bool:
    """Whether the left side is Ng's D^{(l)} = ∂J/∂Θ^{(l)}, whose Δ^{(l)} is Ng's accumulator."""
    return notation.name == "ng" and isinstance(lhs, Sym) and lhs.name == "D"


def is_batch(equation: Equation, notation: Notation) -> bool:
    lhs = equation.sides[0]
    if isinstance(lhs, Partial) and batch_cost(lhs.cost) or ng_gradient(lhs, notation):
        return True
    return any(_mentions_batch(side) for side in equation.sides)


def _mentions_batch(node: Node) -> bool:
    if isinstance(node, Sym):
        return re.sub(r"\d+$", "", node.name) in BATCH_NAMES
    if isinstance(node, Ones) or isinstance(node, Sum) and is_sample_sum(node):
        return True
    if isinstance(node, Nabla):
        return node.wrt.strip() == "A"
    return any(_mentions_batch(getattr(node, f.name)) for f in fields(node) if isinstance(getattr(node, f.name), Node))


def unmark(symbol: Sym, env: dict[str, int]) -> tuple[Sym, int | None]:
    """``symbol`` without its sample marker, and the sample the marker names (None: no marker)."""
    bound = {key[len(SAMPLE):]: value for key, value in env.items() if key.startswith(SAMPLE)}
    if not bound:
        return symbol, None
    found: set[int] = set()

    def strip(text: str | None) -> str | None:
        if text is None:
            return None
        parts = [part.strip() for part in re.split(r",|(?<=\))(?=\()", text.strip().strip("{}"))]  # x,l (l)(i)
        kept = [part for part in parts if part.strip("()[]{} ") not in bound]
        found.update(bound[part.strip("()[]{} ")] for part in parts if part.strip("()[]{} ") in bound)
        return ("" if all(part.startswith("(") for part in kept) else ",").join(kept) if kept else None

    unmarked = replace(symbol, sup=strip(symbol.sup), sub=strip(symbol.sub))
    if len(found) > 1:
        return symbol, None  # two samples on one symbol: left to resolve, which cannot read it
    return (unmarked, found.pop()) if found else (symbol, None)


class BatchTruth:
    """The true values of a batch of :data:`SIZE` samples (see the module docstring)."""

    def __init__(self, truth: Truth) -> None:
        self.truth = truth
        self.size = SIZE
        model = truth.model
        per_sample = [*model.inputs, *model.targets] + [
            symbol(layer, j) for layer in range(1, model.L + 1) for j in model.units(layer)
            for symbol in (model.a, model.z, model.delta)]
        self.copies = tuple({symbol: sp.Symbol(f"{symbol.name}|{n}", real=True) for symbol in per_sample}
                            for n in range(1, SIZE + 1))
        self.origin = {copy: (symbol, n) for n, copies in enumerate(self.copies, start=1)
                       for symbol, copy in copies.items()}

    def __getattr__(self, name: str):
        # model, spec, layers, activation, derivative, … are the same for every sample
        return getattr(self.truth, name)

    def sample(self, expr, n: int):
        """``expr`` (a per-sample expression or matrix) for sample ``n`` (1-based) of the batch."""
        return expr.xreplace(self.copies[n - 1])

    def mean(self, expr: sp.Expr) -> sp.Expr:
        return sp.Add(*(self.sample(expr, n) for n in range(1, SIZE + 1))) / SIZE

    @cache  # noqa: B019 - one BatchTruth per Truth, kept for the run
    def parameter(self, parameter: Parameter) -> sp.Expr:
        """∂C_batch/∂p: the mean over the batch of the per-sample ∂C/∂p."""
        return self.mean(self.truth.parameter(parameter))

    def delta_matrix(self, layer: int) -> sp.Matrix:
        """The true Δ^l: one row per sample, row n = (δ^l of sample n)^T."""
        units = self.truth.model.units(layer)
        return sp.Matrix([[self.sample(self.truth.delta(layer, j), n) for j in units] for n in range(1, SIZE + 1)])

    def accumulator(self, layer: int) -> sp.Matrix:
        """Ng's Δ for the weights of ``layer`` (core numbering): Σ_s δ^l_{(s)} (a^{l−1}_{(s)})^T."""
        model = self.truth.model
        return sp.Matrix([[sp.Add(*(self.sample(model.delta(layer, j) * model.a(layer - 1, k), n)
                                    for n in range(1, SIZE + 1)))
                           for k in model.units(layer - 1)] for j in model.units(layer)])

    def _merged(self, mapping: dict[sp.Symbol, sp.Expr]) -> dict[sp.Symbol, sp.Expr]:
        return {self.sample(key, n): self.sample(value, n) for key, value in mapping.items()
                for n in range(1, SIZE + 1)}

    @cached_property
    def deltas(self) -> dict[sp.Symbol, sp.Expr]:
        return self._merged(self.truth.deltas)

    def expand(self, expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(self.deltas)

    def canonical(self, expr: sp.Expr, base: tuple[str, int]) -> sp.Expr:
        kind, layer = base
        expr = expr.xreplace(self._merged(self.truth.above(kind, layer)))
        expr = expr.xreplace(self._merged(self.truth.below(layer)))
        return expr.xreplace(self._merged(self.truth.closing)) if self.truth.closing else expr

    def points(self, count: int, seed: int = 0) -> list[dict[sp.Symbol, sp.Float]]:
        """Random points of the batch: shared parameters, each sample's inputs, targets and nodes."""
        truth = self.truth
        parameters = {truth.model.symbol(p) for p in truth.model.parameters}
        draws = [list(Sampler(truth.sampler.symbols, truth.sampler.positive, seed * 101 + n).points(count))
                 for n in range(SIZE)]
        found = []
        for index in range(count):
            shared = {symbol: value for symbol, value in draws[0][index].items() if symbol in parameters}
            point = dict(shared)
            for n, copies in enumerate(self.copies):
                own = truth.complete({**draws[n][index], **shared})
                point.update({copies.get(symbol, symbol): value for symbol, value in own.items()})
            found.append(point)
        return found

    def point_names(self, show) -> dict[sp.Symbol, str]:
        names = {symbol: text for symbol, text in self.truth.point_names(show).items()
                 if symbol not in self.copies[0]}
        for n, copies in enumerate(self.copies, start=1):
            names.update({copies[symbol]: f"{show(symbol)} (sample {n})"
                          for symbol in (*self.truth.model.inputs, *self.truth.model.targets)})
        return names

    def base_symbol(self, symbol: sp.Symbol) -> sp.Symbol:
        """The per-sample symbol a copy stands for (a symbol that is no copy: itself)."""
        return self.origin.get(symbol, (symbol, None))[0]


@cache
def batch_for(truth: Truth) -> BatchTruth:
    return BatchTruth(truth)
