"""Say what is wrong with an incorrect right-hand side, when one of the usual mistakes fits.

Each diagnosis is tested, not guessed: the right side is compared with the truth at a few
random points after undoing one candidate mistake, and the diagnosis is given only when
that makes the two agree.

* off by a sign, or by a constant factor (the ratio is the same at every point); in a batch
  equation a ratio of m, m² or 1/m is the 1/m of the batch average missing, inverted or doubled;
* the sign of one term (a '+' for a '−', or a minus that does not belong);
* σ'(a) where σ'(z) is meant (the variant with the argument's a replaced by z agrees);
* a transpose on the wrong side or swapped weight indices (dropping/adding one transpose,
  or swapping the two indices of one weight, agrees); swapped free indices (the right side
  at (k, j) agrees with the truth at (j, k));
* the wrong layer on one symbol (a^l where a^{l−1} is meant);
* a missing or doubled factor σ'(z) of the neuron on the left, and ∂C/∂w_{kj} given for
  ∂C/∂w_{jk} (both computed in :mod:`.explain` and passed in as ``extras``);
* a missing path or term: the right side equals the one-step chain rule
  Σ_i ∂C/∂z^{l+1}_i · ∂z^{l+1}_i/∂z^l_j (for softmax Σ_i ∂C/∂a_i · ∂a_i/∂z_j) with some of
  the terms left out;
* two of these at once, when no single one fits: one undone mistake of the tree (or one of the
  ``extras``) together with a sign or a constant factor, or two undone mistakes of the tree
  of two kinds (a flipped sign and σ'(a) for σ'(z); a missing transpose and σ'(a)).  Both are
  named.  Two of one kind are not tried: moving two symbols one layer down can turn a wrong
  step into the left side itself, which explains nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from fractions import Fraction

import sympy as sp

from .compare import close, values
from .parser import Bin, Func, Neg, Node, NodePartial, Partial, Sym, Transpose

MAX_SUBSET_WIDTH = 4
_WEIGHT_NAMES = {"w", "theta"}
_MATRIX_NAMES = {"W", "Theta", "Delta", "A", "Z", "X", "Y"}
_LAYERED = {"a", "z", "delta", "w", "W", "theta", "Theta", "b", "D"}


def _children(node: Node) -> list[str]:
    return [f.name for f in fields(node) if isinstance(getattr(node, f.name), Node)]


def variants(node: Node) -> Iterator[tuple[str, Node]]:
    """Every tree with one candidate mistake undone, with the diagnosis it would confirm."""
    if isinstance(node, Func) and node.prime and any(_is(s, "a") for s in _symbols(node.arg)):
        yield ("uses σ'(a) where σ'(z) is meant: the activation's derivative must be evaluated at z, "
               "not at a = σ(z)"), replace(node, arg=_a_to_z(node.arg))
    if isinstance(node, Transpose):
        yield "a transpose on the wrong side: this transpose should not be there", node.arg
    if isinstance(node, NodePartial) and node.of.sub and node.wrt.sub \
            and node.of.sub.strip() != node.wrt.sub.strip():
        swapped = replace(node, of=replace(node.of, sub=node.wrt.sub), wrt=replace(node.wrt, sub=node.of.sub))
        yield (f"swapped indices: ∂{node.of.latex()}/∂{node.wrt.latex()} should be "
               f"∂{swapped.of.latex()}/∂{swapped.wrt.latex()}"), swapped
    if isinstance(node, Bin) and node.op in "+-":
        other = "+" if node.op == "-" else "-"
        yield (f"the sign of one term: the '{node.op}' at column {node.column} should be '{other}'",
               replace(node, op=other))
    if isinstance(node, Neg):
        yield f"the sign of one term: the '-' at column {node.column} should not be there", node.arg
    if isinstance(node, Sym) and (_base(node) in _MATRIX_NAMES or _base(node) in _WEIGHT_NAMES and not node.sub):
        yield (f"a transpose on the wrong side: {_shown(node)}^{{{node.sup}}} should be transposed",
               Transpose(node.column, node))
    if isinstance(node, Sym) and _base(node) in _WEIGHT_NAMES and node.sub:
        swapped = _swap(node.sub)
        if swapped:
            weight = _shown(node) + (f"^{{{node.sup}}}" if node.sup else "")
            yield (f"swapped indices: {weight}_{{{node.sub}}} should be {weight}_{{{swapped}}} (the first index "
                   "of a weight is the destination neuron)"), replace(node, sub=swapped)
    if isinstance(node, Sym) and node.sup and _base(node) == node.name and node.name in _LAYERED:
        text = node.sup.strip()
        open_, close = (text[0], text[-1]) if text[:1] in "([" else ("", "")
        inner = text.strip("()[]")
        for shift in ("-1", "+1"):
            layer = str(int(inner) + int(shift)) if inner.isdigit() else inner + shift  # [1], not [2-1]
            sup = f"{open_}{layer}{close}"
            yield (f"the wrong layer: {_shown(node)}^{{{node.sup}}} should be {_shown(node)}^{{{sup}}}",
                   replace(node, sup=sup))
    for name in _children(node):
        for text, child in variants(getattr(node, name)):
            if isinstance(node, Partial | NodePartial) and not isinstance(child, Sym):
                continue  # what a derivative is taken by stays a quantity (∂C/∂Z, not ∂C/∂Zᵀ)
            yield text, replace(node, **{name: child})


def _shown(node: Sym) -> str:
    return node.letter


def _base(node: Sym) -> str:
    return node.name.rstrip("0123456789")


def _is(node: Sym, base: str) -> bool:
    return _base(node) == base


def _symbols(node: Node) -> Iterator[Sym]:
    if isinstance(node, Sym):
        yield node
    for name in _children(node):
        yield from _symbols(getattr(node, name))


def _a_to_z(node: Node) -> Node:
    if isinstance(node, Sym) and _is(node, "a"):
        return replace(node, name="z" + node.name[1:])
    return replace(node, **{name: _a_to_z(getattr(node, name)) for name in _children(node)})


def _swap(sub: str) -> str | None:
    text = sub.strip().strip("{}")
    if "," in text:
        first, _, second = text.partition(",")
        return f"{second.strip()},{first.strip()}" if first.strip() != second.strip() else None
    if len(text) == 2 and text[0] != text[1]:
        return text[::-1]
    return None


BATCH_FACTORS = {
    1: "missing the 1/m of the batch average: the right side is m times the gradient of the batch cost (the "
       "batch cost is the mean of the per-sample cost over the m samples)",
    2: "multiplies by m where the batch average divides by m: the right side is m² times the gradient of the "
       "batch cost",
    -1: "divides by m once too often: the batch average divides by m once",
}


def batch_factor(ratio: float, size: int) -> str | None:
    """The diagnosis of a ratio m^k (k = 1, 2, −1) in a batch equation checked with m = ``size``."""
    for power, text in BATCH_FACTORS.items():
        if abs(ratio - size ** power) < 1e-9 * size ** power:
            return text
    return None


def constant_factor(person: list[complex], true: list[complex], batch_size: int | None = None) -> str | None:
    if any(abs(t) < 1e-12 for t in true):
        return None
    ratios = [p / t for p, t in zip(person, true, strict=True)]
    if not close(ratios, [ratios[0]] * len(ratios), 1e-9) or abs(ratios[0].imag) > 1e-9:
        return None
    ratio = ratios[0].real
    if abs(ratio + 1) < 1e-9:
        return "off by a sign"
    batch = batch_factor(ratio, batch_size) if batch_size else None
    if batch:
        return batch
    if abs(ratio) < 1e-12:
        return None
    fraction = Fraction(ratio).limit_denominator(1000)
    shown = str(fraction) if abs(float(fraction) - ratio) < 1e-9 else f"{ratio:.6g}"
    hint = ""
    if abs(abs(ratio) - 2) < 1e-9 or abs(abs(ratio) - 0.5) < 1e-9:
        hint = " (a factor 2 or ½, e.g. from the ½ in the quadratic cost)"
    elif fraction.numerator == 1 or fraction.denominator == 1:
        hint = " (e.g. a 1/m or a sum over samples where the cost is per sample)"
    return f"off by a constant factor: the right side is {shown} times the true value{hint}"


def missing_terms(person: list[complex], terms: list[tuple[int, list[complex]]], layer_name: str) -> str | None:
    """Which terms of Σ_i are missing, when the right side is a proper part of the sum."""
    if not 1 < len(terms) <= MAX_SUBSET_WIDTH:
        return None
    for size in range(len(terms) - 1, 0, -1):
        for subset in itertools.combinations(terms, size):
            total = [sum(column) for column in zip(*(v for _, v in subset), strict=True)]
            if close(person, total, 1e-9):
                missing = [str(i) for i, _ in terms if all(i != j for j, _ in subset)]
                return (f"a missing path: the term(s) through neuron(s) {', '.join(missing)} of {layer_name} "
                        "are left out of the sum (every neuron that z feeds must be summed over)")
    return None


def diagnose(person: list[complex], true: list[complex], points, variant_values: Callable[[Node], list | None],
             rhs: Node, extras: list[tuple[str, list[complex] | None]],
             terms: list[tuple[int, sp.Expr]], layer_name: str, batch_size: int | None = None) -> list[str]:
    """The diagnoses that fit (usually one); ``variant_values`` evaluates a changed right side.

    ``batch_size`` is the m of a batch equation (None for one sample's equation).
    """
    found = []
    factor = constant_factor(person, true, batch_size)
    if factor:
        found.append(factor)
    for text, candidate in extras:
        if candidate is not None and close(candidate, true, 1e-9):
            found.append(text)
    for text, variant in variants(rhs):
        candidate = variant_values(variant)
        if candidate is not None and close(candidate, true, 1e-9) and text not in found:
            found.append(text)
    if not found and terms:
        term_values = [(i, values(term, points)) for i, term in terms]
        if all(v is not None for _, v in term_values):
            missing = missing_terms(person, term_values, layer_name)
            if missing:
                found.append(missing)
    if not found:
        found = two_mistakes(true, variant_values, rhs, extras, batch_size)
    return found


#: At most this many changed right sides are evaluated in the search for two mistakes at once.
MAX_PAIR_EVALUATIONS = 160


def _category(diagnosis: str) -> str:
    """The kind of a diagnosis: its words before the colon ("the wrong layer", "swapped indices")."""
    return diagnosis.partition(":")[0]


def two_mistakes(true: list[complex], variant_values: Callable[[Node], list | None], rhs: Node,
                 extras: list[tuple[str, list[complex] | None]], batch_size: int | None = None) -> list[str]:
    """Two mistakes that, both undone, make the right side agree with the truth ([] when none do)."""
    budget = MAX_PAIR_EVALUATIONS
    singles: list[tuple[str, Node, list[complex] | None]] = []
    for text, variant in variants(rhs):
        if budget <= 0:
            break
        budget -= 1
        singles.append((text, variant, variant_values(variant)))
    for text, candidate in [(text, candidate) for text, _, candidate in singles] + list(extras):
        factor = constant_factor(candidate, true, batch_size) if candidate is not None else None
        if factor:
            return [factor, text]
    for first, variant, _ in singles:
        for second, both in variants(variant):
            if budget <= 0:
                return []
            if _category(second) == _category(first):  # two of a kind can undo each other's meaning
                continue
            budget -= 1
            candidate = variant_values(both)
            if candidate is not None and close(candidate, true, 1e-9):
                return [first, second]
    return []
