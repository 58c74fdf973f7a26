"""What the derivation says about learning, read off the derived expressions.

Provides :func:`learning_facts` (a :class:`~symbackprop.driver.Derivation` → :class:`LearningFacts`):

* :class:`OutputFacts` -- whether σ'_L(z^L) survives in δ^L (the output learns slowly when it
  saturates) or cancels against ∂C/∂a, and which factor does which;
* :class:`ActivationFacts` -- for each distinct activation, the supremum of |σ'| (exact where
  SymPy finds the critical points and limits and a numeric scan agrees, numeric otherwise), the
  region where |σ'| is below 1% of it (saturation), where σ' is exactly zero (dead units) and
  where σ itself is zero (BP4's a^{l−1} factor then stops the weights out of the neuron).

Nothing here knows an activation or a cost by name: a custom expression gets the same analysis.
:func:`curve` evaluates an expression of z on a grid, for the plots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .derivation import LayerEquations
from .driver import Derivation
from .functions import CUSTOM_FUNCTIONS
from .numeric import NUMPY_FUNCTIONS
from .proof import time_budget
from .registry import A, Activation, Z

#: |σ'| below this fraction of its supremum counts as saturated.
SATURATION = sp.Rational(1, 100)
#: The numeric scan covers |z| ≤ SPAN in steps of STEP.
SPAN, STEP = 30.0, 0.01
#: Seconds for the symbolic supremum of one activation before the numeric scan stands alone.
SYMBOLIC_SECONDS = 10.0
_AGREEMENT = 1e-3
_FAR = (100.0, 1000.0)


@dataclass(frozen=True)
class Region:
    """A union of intervals of z (open or closed ends alike), ends as floats, ±inf allowed."""

    intervals: tuple[tuple[float, float], ...] = ()
    more: int = 0  # intervals left out of ``intervals`` (a periodic σ' has one per period)

    @property
    def empty(self) -> bool:
        return not self.intervals

    def latex(self, z: str = "z") -> str:
        """``z < -5.99 \\text{ or } z > 5.99`` as ``|z| > 5.99``, ``z < 0``, … ; '' when empty."""
        text = r" \text{ or } ".join(self._parts(z, r"\text{all } "))
        return text + (rf" \text{{ (and {self.more} more intervals)}}" if self.more else "")

    def plain(self) -> str:
        """The same in plain text: ``|z| > 5.99``, ``z < −6.14 or −1.33 < z < −1.23``."""
        text = " or ".join(self._parts("z", "all ")).replace("-", "−")
        return text + (f" (and {self.more} more intervals)" if self.more else "")

    def _parts(self, z: str, everywhere: str) -> list[str]:
        if len(self.intervals) == 2 and self.intervals[0][0] == -math.inf and self.intervals[1][1] == math.inf \
                and _number(-self.intervals[0][1]) == _number(self.intervals[1][0]):
            return [rf"|{z}| > {_number(self.intervals[1][0])}"]
        parts = []
        for low, high in self.intervals:
            if low == -math.inf and high == math.inf:
                parts.append(everywhere + z)
            elif low == -math.inf:
                parts.append(f"{z} < {_number(high)}")
            elif high == math.inf:
                parts.append(f"{z} > {_number(low)}")
            else:
                digits = next(d for d in range(3, 9) if _number(low, d) != _number(high, d) or d == 8)
                parts.append(f"{_number(low, digits)} < {z} < {_number(high, digits)}")
        return parts


def _number(value: float, digits: int = 3) -> str:
    """``digits`` significant digits, and no '-0'."""
    text = f"{value:.{digits}g}"
    return "0" if text in ("-0", "0") else text


@dataclass(frozen=True)
class ActivationFacts:
    """σ and σ' of one activation, and the facts about learning that they imply."""

    activation: Activation
    derivative: sp.Expr  # σ'(z)
    supremum: sp.Expr | None  # sup |σ'| over the reals: exact (a SymPy number), a Float, or None (unbounded)
    exact: bool  # the supremum was found symbolically and the scan agrees
    saturated: Region  # |σ'| < 1% of the supremum
    dead: Region  # σ' exactly 0
    zero_output: Region  # σ exactly 0
    output_zeros: tuple[sp.Expr, ...]  # isolated zeros of σ
    output_vanishes_at: tuple[str, ...]  # "-oo" / "oo" where σ → 0

    @property
    def name(self) -> str:
        return self.activation.name


@dataclass(frozen=True)
class OutputFacts:
    """How σ'_L enters δ^L: ``kept`` survives as a factor, ``cancelled`` meets 1/``cancelled`` in ∂C/∂a."""

    equations: LayerEquations
    cost_gradient: sp.Expr
    derivative: sp.Expr | None  # σ'_L as derived (in a where possible); None for softmax
    kept: sp.Expr | None  # None: undecided
    cancelled: sp.Expr | None

    @property
    def elementwise(self) -> bool:
        return self.derivative is not None

    @property
    def constant(self) -> bool:
        """σ'_L is a constant (identity output): nothing saturates."""
        return self.derivative is not None and not self.derivative.free_symbols

    @property
    def survives(self) -> bool:
        return self.kept is not None and bool(self.kept.free_symbols)

    @property
    def cancels(self) -> bool:
        return self.cancelled is not None and bool(self.cancelled.free_symbols)


@dataclass(frozen=True)
class LearningFacts:
    """Everything the learning section and the derive summary say, for one derivation."""

    output: OutputFacts
    activations: tuple[ActivationFacts, ...]  # each distinct elementwise activation, in layer order
    hidden: tuple[tuple[int, ActivationFacts], ...]  # (layer, facts) for every hidden layer

    def of(self, activation: Activation) -> ActivationFacts | None:
        return next((facts for facts in self.activations if facts.activation == activation), None)


def learning_facts(d: Derivation) -> LearningFacts:
    spec = d.spec
    distinct = tuple(dict.fromkeys(a for a in spec.activations if a.elementwise))
    facts = tuple(activation_facts(activation) for activation in distinct)
    by_activation = dict(zip(distinct, facts, strict=True))
    hidden = tuple((layer, by_activation[activation]) for layer, activation in enumerate(spec.activations[:-1], 1))
    return LearningFacts(output_facts(d), facts, hidden)


# -- the output layer -------------------------------------------------------------------


def output_facts(d: Derivation) -> OutputFacts:
    """Split σ'_L into the part δ^L keeps and the part ∂C/∂a cancels (δ^L = ∂C/∂a · σ'_L)."""
    eq = d.layers.layers[-1]
    gradient = d.layers.cost_gradient
    if not eq.activation.elementwise:
        return _softmax_output(eq, gradient)
    derivative = eq.derivative
    if not derivative.free_symbols:
        return OutputFacts(eq, gradient, derivative, sp.S.One, sp.S.One)
    try:
        remainder = sp.cancel(sp.together(eq.delta / derivative))
        cancelled = sp.gcd(sp.fraction(remainder)[1], sp.fraction(sp.together(derivative))[0])
        kept = sp.factor(sp.cancel(derivative / cancelled))
    except (sp.PolynomialError, NotImplementedError, TypeError):
        return OutputFacts(eq, gradient, derivative, None, None)
    if not cancelled.free_symbols:  # nothing cancelled: keep σ' as derived, not refactored
        kept, cancelled = derivative, sp.S.One
    elif not kept.free_symbols:
        kept, cancelled = sp.S.One, derivative
    elif kept.could_extract_minus_sign():
        kept, cancelled = -kept, sp.factor(-cancelled)
    return OutputFacts(eq, gradient, derivative, kept, cancelled)


def _softmax_output(eq: LayerEquations, gradient: sp.Expr) -> OutputFacts:
    """Softmax: its Jacobian a_i(1[i=j] − a_j) survives unless δ^L came out free of it (a − y)."""
    if eq.cancels_to_error:
        return OutputFacts(eq, gradient, None, sp.S.One, A * (1 - A))
    keeps_a = sp.cancel(eq.delta / A).as_numer_denom()[1].free_symbols.isdisjoint({A})
    return OutputFacts(eq, gradient, None, A if keeps_a else None, sp.S.One if keeps_a else None)


# -- one activation ---------------------------------------------------------------------


def activation_facts(activation: Activation) -> ActivationFacts:
    derivative = sp.diff(activation.expr, Z)
    grid = np.arange(-SPAN, SPAN + STEP / 2, STEP)
    values = np.abs(curve(derivative, grid))
    exact = _exact_supremum(derivative)
    supremum, is_exact = _checked_supremum(exact, values, derivative)
    saturated = Region()
    if supremum is not None and supremum != 0:
        saturated = _below(derivative, grid, values, float(supremum) * float(SATURATION))
    dead = _zero_region(derivative)
    zeros, vanishes = _output_zeros(activation.expr)
    return ActivationFacts(activation, derivative, supremum, is_exact, saturated, dead,
                           _zero_region(activation.expr), zeros, vanishes)


def curve(expr: sp.Expr, zs: np.ndarray) -> np.ndarray:
    """``expr`` (in z) at ``zs`` in float64; NaN where it is not a finite real."""
    function = sp.lambdify((Z,), expr, modules=[NUMPY_FUNCTIONS, np])
    with np.errstate(all="ignore"):
        values = np.asarray(function(zs), dtype=complex) * np.ones_like(zs)
    real = np.where(np.abs(values.imag) <= 1e-12 * (1 + np.abs(values.real)), values.real, np.nan)
    return np.where(np.isfinite(real), real, np.nan)


def _elementary(expr: sp.Expr) -> sp.Expr:
    """Our functions in elementary form (σ as 1/(1+e^{-z}), relu as Max, …) for solve and limit."""
    return expr.replace(lambda node: isinstance(node, CUSTOM_FUNCTIONS), lambda node: node._elementary())


def _pieces(expr: sp.Expr) -> list[tuple[sp.Expr, sp.Set]]:
    """``expr`` as smooth pieces, each with the set of reals where it holds (steps, max, abs split)."""
    folded = sp.piecewise_fold(_elementary(expr).rewrite(sp.Piecewise))
    if not isinstance(folded, sp.Piecewise):
        return [(folded, sp.S.Reals)]
    pieces, taken = [], sp.S.EmptySet
    for piece in folded.args:
        where = sp.Intersection(piece.cond.as_set(), sp.S.Reals) - taken
        taken = sp.Union(taken, where)
        if where != sp.S.EmptySet:
            pieces.append((piece.expr, where))
    return pieces


def _exact_supremum(derivative: sp.Expr) -> sp.Expr | None:
    """sup |σ'| from the critical points and the ends of each piece; None when SymPy cannot say."""
    try:
        with time_budget(SYMBOLIC_SECONDS):
            candidates = []
            for piece, where in _pieces(derivative):
                for interval in sp.Union.make_args(where):
                    candidates += _candidates(piece, interval)
            if any(value in (sp.oo, -sp.oo, sp.zoo) for value in candidates):
                return sp.oo
            return max((sp.Abs(value) for value in candidates), key=lambda value: float(value))
    except (TimeoutError, NotImplementedError, ValueError, TypeError, AttributeError):
        return None


def _candidates(piece: sp.Expr, interval: sp.Set) -> list[sp.Expr]:
    """Values of a smooth piece at its critical points in ``interval`` and its limits at the ends."""
    if not isinstance(interval, sp.Interval):
        if isinstance(interval, sp.FiniteSet):
            return [piece.subs(Z, point) for point in interval]
        raise ValueError(f"cannot search {interval}")
    slope = sp.simplify(sp.diff(piece, Z))
    critical = sp.S.EmptySet if slope == 0 else sp.solveset(slope, Z, interval)
    if critical != sp.S.EmptySet and not isinstance(critical, sp.FiniteSet):
        raise ValueError(f"critical points {critical}")
    values = [sp.simplify(piece.subs(Z, point)) for point in critical]
    for end, direction in ((interval.start, "+"), (interval.end, "-")):
        limit = sp.limit(piece, Z, end, direction)
        if not (limit.is_number and (limit.is_real or limit in (sp.oo, -sp.oo))):
            raise ValueError(f"limit {limit}")
        values.append(limit)
    return values


def _checked_supremum(exact: sp.Expr | None, values: np.ndarray,
                      derivative: sp.Expr) -> tuple[sp.Expr | None, bool]:
    """The exact supremum when the scan agrees with it; else the scan's (None: unbounded)."""
    finite = values[np.isfinite(values)]
    scanned = float(finite.max()) if finite.size else math.nan
    if exact == sp.oo:  # a limit at an end is infinite: SymPy's limits are exact, and the scan may overflow
        return None, True
    far = np.abs(curve(derivative, np.array([-_FAR[1], -_FAR[0], _FAR[0], _FAR[1]])))
    grows = bool(np.any(far[np.isfinite(far)] > 10 * max(scanned, 1.0)))
    if exact is not None and math.isfinite(scanned):
        bound = float(exact)
        if scanned <= bound * (1 + 1e-9) + 1e-12 and scanned >= bound * (1 - _AGREEMENT):
            return exact, True
    if grows or not finite.size:
        return None, False
    return sp.Float(scanned, 4), False


def _below(expr: sp.Expr, grid: np.ndarray, values: np.ndarray, threshold: float) -> Region:
    """Where |expr| < threshold: runs of the scan, ends refined by bisection, open towards ±∞."""
    low = values < threshold
    edges = np.flatnonzero(np.diff(low.astype(np.int8)))
    starts = [0] + list(edges + 1) if low[0] else list(edges[~low[edges]] + 1)
    intervals = []
    for start in (s for s in starts if low[s]):
        stop = start
        while stop + 1 < len(low) and low[stop + 1]:
            stop += 1
        left = -math.inf if start == 0 and _stays_below(expr, -1, threshold) else \
            _crossing(expr, grid[start - 1] if start else grid[0], grid[start], threshold)
        right = math.inf if stop == len(low) - 1 and _stays_below(expr, 1, threshold) else \
            _crossing(expr, grid[stop + 1] if stop + 1 < len(low) else grid[-1], grid[stop], threshold)
        intervals.append((left, right))
    ends = _piece_ends(expr)
    intervals = [tuple(next((end for end in ends if abs(end - x) < 1e-6), x) for x in pair) for pair in intervals]
    shown = 4
    return Region(tuple(intervals[:shown]), max(0, len(intervals) - shown))


def _piece_ends(expr: sp.Expr) -> list[float]:
    """The finite points where a piecewise σ' changes piece (0 for relu): crossings snap to them."""
    try:
        return [float(end) for _, where in _pieces(expr) for interval in sp.Union.make_args(where)
                if isinstance(interval, sp.Interval) for end in interval.boundary if end.is_finite]
    except (TypeError, ValueError, NotImplementedError):
        return []


def _stays_below(expr: sp.Expr, sign: int, threshold: float) -> bool:
    far = np.abs(curve(expr, sign * np.array(_FAR)))
    return bool(np.all(far < threshold))


def _crossing(expr: sp.Expr, outside: float, inside: float, threshold: float) -> float:
    """Where |expr| crosses ``threshold`` between a point above it and one below, by bisection."""
    for _ in range(40):
        middle = (outside + inside) / 2
        if abs(curve(expr, np.array([middle]))[0]) < threshold:
            inside = middle
        else:
            outside = middle
    return (outside + inside) / 2


def _zero_region(expr: sp.Expr) -> Region:
    """Where ``expr`` is exactly zero on an interval: the pieces that simplify to 0."""
    intervals = []
    try:
        with time_budget(SYMBOLIC_SECONDS):
            for piece, where in _pieces(expr):
                if sp.simplify(piece) != 0:
                    continue
                for interval in sp.Union.make_args(where):
                    if isinstance(interval, sp.Interval) and interval.measure > 0:
                        intervals.append((float(interval.start), float(interval.end)))
    except (TimeoutError, NotImplementedError, ValueError, TypeError):
        return Region()
    return Region(tuple(sorted(intervals)))


def _output_zeros(expr: sp.Expr) -> tuple[tuple[sp.Expr, ...], tuple[str, ...]]:
    """Isolated real zeros of σ (tanh: 0) and the infinite ends where σ → 0 (sigmoid: −∞)."""
    zeros: tuple[sp.Expr, ...] = ()
    ends = []
    try:
        with time_budget(SYMBOLIC_SECONDS):
            found = sp.solveset(_elementary(expr), Z, sp.S.Reals)
            if isinstance(found, sp.FiniteSet):
                zeros = tuple(sorted(found, key=float))
            for end, name in ((-sp.oo, "-oo"), (sp.oo, "oo")):
                if sp.limit(_elementary(expr), Z, end) == 0:
                    ends.append(name)
    except (TimeoutError, NotImplementedError, ValueError, TypeError):
        pass
    return zeros, tuple(ends)


__all__ = ["ActivationFacts", "LearningFacts", "OutputFacts", "Region", "activation_facts", "curve",
           "learning_facts", "output_facts"]
