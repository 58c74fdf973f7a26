"""Statements about a batch: costs and gradients over a training set, checked on a batch of m samples.

An equation is about a batch (:func:`batch_marks`) when its left side is the gradient of a cost
written with a batch subscript (``C_{\\text{batch}}``), the batch matrix Δ^l or Ng's D^{(l)}, or
when it mentions ``m``, the batch matrices Δ^l, A^l, Z^l, X, Y, the column of ones ``\\mathbf{1}_m``,
an entry D^{(l)}_{ij} of Ng's gradient, or a sum over the samples.  The batch cost is the mean of
the per-sample cost over the samples (the derivation's C_batch, Ng's J, Nielsen's C = (1/n) Σ_x C_x,
Higham's (1/N) Σ_i), so a definition of the cost in a batch equation is compared with that mean and
the true ∂C/∂W^l of a batch equation is (1/m) Σ_s ∂C_s/∂W^l: the 1/m belongs to every batch gradient.

Which sums run over the samples, and which letter counts them, is read from the equation itself
(:func:`is_sample_sum`, :func:`counts_of`): a sum whose letter marks the samples in its body and
indexes no neuron there, bounded by m, n or N (n − 1 from 0) or by nothing, or one up to m, or an
unbounded Σ_x / Σ_s.  A sample's quantity carries the sample in its scripts or as its input:
``\\delta^{x,l}_j`` and ``a^L(x)`` (Nielsen), ``\\delta^{l}_{(s)}`` (the derivation), ``a^{(l)(i)}_j``,
``y^{(i)}`` and ``h_\\Theta(x^{(i)})`` (Ng), ``a^{[L]}(x^{\\{i\\}})`` (Higham), ``dZ^{[l](i)}``; a cost
with the sample as subscript (``C_x``, ``C_k``, ``∂C_k/∂w``) is that sample's cost.  Bounds that
miss or repeat a sample, and two letters that could each count the samples, are refused with the
reason rather than guessed.  One sample's δ with m in it and no other batch quantity is checked
for one sample with m = SIZE and m = 1: the batch average does not belong there (a reader names it).

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
from enum import Enum
from functools import cache, cached_property

import sympy as sp

from ..errors import EquationError
from ..model import Parameter
from ..notation import Notation
from ..proof import Sampler
from .parser import Equation, Nabla, Node, Ones, Partial, Sum, Sym, children
from .truth import Truth

#: The batch the checker draws: m = SIZE samples (3, so that 1/m cannot pass for the ½ of a cost).
SIZE = 3
#: Summation letters that mean "over the samples" without an upper limit m.
SAMPLE_LETTERS = frozenset({"s", "x"})
#: Names that only a batch equation uses.
BATCH_NAMES = frozenset({"m", "Delta", "A", "Z", "X", "Y"})
#: Letters that count the samples (m, Nielsen's n training inputs, Higham's N training points).
COUNT_LETTERS = frozenset({"m", "n", "N"})
#: The letters of a cost symbol; with a sample's letter as subscript (C_x, C_k) one sample's cost.
COST_NAMES = frozenset({"C", "E", "J", "L", "ell"})
#: Where a superscript splits into its parts: x,l; (l)(i); [l](i) (the layer, then the sample).
PARTS = re.compile(r",|(?<=[)\]])(?=\()")
#: The prefix of the key that binds a sample variable in an environment (``env["sample:s"] = 2``).
SAMPLE = "sample:"


def is_sample_sum(node: Sum) -> bool:
    """A sum over the samples: one whose letter marks the samples in its body (y^{(i)}, a^{L,x}, C_k,
    δ^{[l]}(x^{\\{i\\}}), ∂C_k/∂w) and stands as no neuron index there, bounded by a count of samples
    (m, n, N; n − 1 from 0) or by nothing; else one up to m, or over s or x unbounded unless the summand
    indexes neurons with that letter (Σ_s w_{sj} δ_s runs over the units of a layer, whatever its letter)."""
    upper = None if node.upper is None else node.upper.strip().strip("{}()").strip()
    neuron = _neuron_index(node)
    if marks_sample(node.body, node.var) and not neuron and (upper is None or count_of(node) is not None):
        return True
    return upper == "m" or (node.upper is None and node.var in SAMPLE_LETTERS and not neuron)


def count_of(node: Sum) -> str | None:
    """The letter that counts the samples where a sum's bounds run over all of them: m, n or N for
    Σ_{i=1}^{N} (or Σ_i^N), n for Σ_{k=0}^{n−1}; None for other bounds (Σ_{i=1}^{n−1} misses a sample)."""
    upper = "".join((node.upper or "").split()).strip("{}")
    match = re.fullmatch(r"([A-Za-z])(-1)?", upper)
    if match is None or match.group(1) not in COUNT_LETTERS:
        return None
    from_zero = node.lower == "0"
    return match.group(1) if bool(match.group(2)) == from_zero else None


def sample_counts(node: Node) -> frozenset[str]:
    """The letters the sums over the samples in ``node`` are bounded by (what 1/N divides by)."""
    found = set()
    if isinstance(node, Sum) and is_sample_sum(node) and count_of(node):
        found.add(count_of(node))
    for child in children(node):
        found |= sample_counts(child)
    return frozenset(found)


def counts_of(equation: Equation, place: str) -> frozenset[str]:
    """The letters that count the samples in ``equation``: those its sums over the samples run to.

    A sum that marks the samples with its letter but runs over fewer or more of them than a count
    (Σ_{i=1}^{n−1}), and a count written beside sums bounded by another letter (1/m Σ_{i=1}^{N}), are
    refused with the reason: which letter counts the samples is then not clear."""
    counts = frozenset().union(*(sample_counts(side) for side in equation.sides))
    for side in equation.sides:
        for node in _sums(side):
            if marks_sample(node.body, node.var) and node.upper is not None and count_of(node) is None \
                    and not _neuron_index(node):
                raise EquationError(f"the sum over the samples {node.var} runs from {node.lower or 1} to "
                                    f"{node.upper}: not over every sample once (Σ_{{{node.var}=1}}^{{m}} or "
                                    f"Σ_{{{node.var}=0}}^{{m-1}})", f"{place}, column {node.column}")
    letters = {symbol.name for side in equation.sides for symbol in _symbols(side)} & COUNT_LETTERS
    if counts and letters - counts:
        raise EquationError(f"the sums over the samples run to {', '.join(sorted(counts))} but the equation also "
                            f"names {', '.join(sorted(letters - counts))}: which of them counts the samples is not "
                            "clear", place)
    return counts


def _sums(node: Node):
    if isinstance(node, Sum):
        yield node
    for child in children(node):
        yield from _sums(child)


def marks_sample(node: Node, var: str) -> bool:
    """Whether ``var`` stands in ``node`` as a sample marker: a superscript part ``(i)`` or one beside the
    layer (``x,l``), the superscript of a quantity without layers (``y^{(i)}``), a cost's subscript
    (``C_k``, ``∂C_x/∂w``), or ``(s)`` in a subscript (``δ^l_{(s)}``)."""
    if isinstance(node, Partial):
        return _cost_marker(node.cost, var) or marks_sample(node.wrt, var)
    if isinstance(node, Sym):
        if node.name in COST_NAMES and node.sup is None:
            return _bare(node.sub) == var
        parts = _parts(node.sup)
        if f"({var})" in parts or var in parts and (len(parts) > 1 or node.name in ("x", "y")):
            return True
        return f"({var})" in "".join((node.sub or "").split())
    return any(marks_sample(child, var) for child in children(node))


def _cost_marker(cost: str, var: str) -> bool:
    letter, _, sub = cost.partition("_")
    return letter in COST_NAMES and _bare(sub) == var


def _bare(text: str | None) -> str:
    return "".join((text or "").split()).strip("{}")


def _parts(sup: str | None) -> list[str]:
    """A superscript's parts: ``L,x`` → L, x; ``(l)(i)`` → (l), (i); ``\\{i\\}`` is written ``(i)``."""
    text = _bare(sup).replace("\\{", "(").replace("\\}", ")")
    return [part for part in PARTS.split(text) if part]


def _neuron_index(node: Sum) -> bool:
    """Whether the sum's letter stands as a neuron index in a subscript of its body (w_{sj}, δ_s), not as a
    sample marker ((s), or x among the layer's superscript, or a cost's C_x)."""
    for child in _subscripted(node.body):
        if child.name in COST_NAMES and child.sup is None:
            continue
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


class Mark(Enum):
    """What makes an equation one about a batch."""

    COUNT = "the number of samples m"
    SAMPLES = "a sum over the samples"
    MATRIX = "a batch matrix"
    BATCH_COST = "the gradient of the batch cost"


def batch_marks(equation: Equation, notation: Notation) -> frozenset[Mark]:
    """Everything in ``equation`` that belongs to a batch (empty: an equation about one sample)."""
    lhs = equation.sides[0]
    found = {Mark.BATCH_COST} if isinstance(lhs, Partial) and batch_cost(lhs.cost) or ng_gradient(lhs, notation) \
        else set()
    for side in equation.sides:
        found |= _marks(side)
        if any(ng_gradient_entry(symbol, notation) for symbol in _symbols(side)):  # Ng's D^{(l)}_{ij}
            found.add(Mark.BATCH_COST)
    return frozenset(found)


def _symbols(node: Node):
    if isinstance(node, Sym):
        yield node
    for child in children(node):
        yield from _symbols(child)


def ng_gradient_entry(symbol: Sym, notation: Notation) -> bool:
    """Whether ``symbol`` is an entry D^{(l)}_{ij} of Ng's gradient ∂J/∂Θ^{(l)} (in the ng notation a D
    without indices may be the diagonal matrix of σ'(z), as in the derivation's own document)."""
    return ng_gradient(symbol, notation) and symbol.sup is not None and symbol.sub is not None


def is_batch(equation: Equation, notation: Notation) -> bool:
    return bool(batch_marks(equation, notation))


def _marks(node: Node) -> set[Mark]:
    if isinstance(node, Sym):
        name = re.sub(r"\d+$", "", node.name)
        return {Mark.COUNT} if name == "m" else {Mark.MATRIX} if name in BATCH_NAMES else set()
    if isinstance(node, Ones) or isinstance(node, Nabla) and node.wrt.strip() == "A":
        return {Mark.MATRIX}
    found = {Mark.SAMPLES} if isinstance(node, Sum) and is_sample_sum(node) else set()
    for child in children(node):
        found |= _marks(child)
    return found


def unmark(symbol: Sym, env: dict[str, int]) -> tuple[Sym, int | None]:
    """``symbol`` without its sample marker, and the sample the marker names (None: no marker)."""
    bound = {key[len(SAMPLE):]: value for key, value in env.items() if key.startswith(SAMPLE)}
    if not bound:
        return symbol, None
    found: set[int] = set()

    def strip(text: str | None) -> str | None:
        if text is None:
            return None
        parts = [part.strip() for part in PARTS.split(text.strip().strip("{}"))]  # x,l (l)(i) [l](i)
        kept = [part for part in parts if _letter(part) not in bound]
        found.update(bound[_letter(part)] for part in parts if _letter(part) in bound)
        return ("" if all(part.startswith("(") for part in kept) else ",").join(kept) if kept else None

    unmarked = replace(symbol, sup=strip(symbol.sup), sub=strip(symbol.sub))
    if len(found) > 1:
        return symbol, None  # two samples on one symbol: left to resolve, which cannot read it
    return (unmarked, found.pop()) if found else (symbol, None)


def _letter(part: str) -> str:
    """A script part without its brackets: ``(i)``, ``\\{i\\}`` and ``i`` are the letter i."""
    return re.sub(r"\\[{}]", "", part).strip("()[]{} ")


def sample_cost(symbol: Sym) -> bool:
    """Whether ``symbol`` (its sample marker taken off) is the cost itself: C, E, J, L."""
    return symbol.name in COST_NAMES and symbol.bare


def cost_sample(cost: str, env: dict[str, int]) -> int | None:
    """The sample a cost written on a derivative names (∂C_k/∂w with k bound to a sample), or None."""
    letter, _, sub = cost.partition("_")
    return env.get(SAMPLE + _bare(sub)) if letter in COST_NAMES and sub else None


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
