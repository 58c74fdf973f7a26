"""The proof that the factored backprop equations equal the brute-force partials.

For every weight and bias the difference brute − factored is reduced to zero symbolically
where SymPy can decide it within a time budget per step (expand, then cancel, then simplify);
otherwise both sides are evaluated at many random points in 50-digit arithmetic (mpmath
through ``evalf``).  Each :class:`Verdict` says which of the two it was, or gives the first
counterexample.  A :class:`Deadline` bounds the whole proof: once it has passed, no more
symbolic attempts are made and each remaining statement is checked at
:data:`POINTS_AFTER_DEADLINE` random points only, with verdicts that say so.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import sympy as sp

from .budget import time_budget
from .derivation import LayerDerivation
from .passes import random_real
from .rich_display import RichDisplay

PROVED = "proved symbolically"
VERIFIED = "verified numerically"
FAILED = "FAILED"

DIGITS = 50
TOLERANCE = sp.Float(10) ** -30
#: Random points per statement once the proof's overall time budget is spent (12 before).
POINTS_AFTER_DEADLINE = 4
#: The share of a symbolic step budget each step gets on its first try (see :func:`symbolically_zero`).
FIRST_TRY = 0.1
#: A point this close to a kink counts as on it (its coordinates have 6 decimals, so hits are exact).
KINK_MARGIN = sp.Float(10) ** -20
#: Draws a :class:`Sampler` tries before it keeps a point on a kink.
MAX_REDRAWS = 20
#: How a per-weight verdict's subject names the reduced network it was proved on (see driver._reduced).
_REDUCED = re.compile(r"\(reduced network ([0-9-]+)\)")


#: brute force and factored form of the whole network, or a function that builds them.
FullForms = tuple[sp.Expr, sp.Expr] | Callable[[], tuple[sp.Expr, sp.Expr]]


@dataclass(frozen=True)
class Verdict:
    """The outcome for one statement (one partial, or one layer-level form)."""

    subject: str
    equation: str  # "BP1".."BP4", "layer-level", "batched"
    status: str  # PROVED, VERIFIED or FAILED
    how: str = ""
    counterexample: dict[str, float] = field(default_factory=dict)
    #: True when no symbolic proof was attempted because the overall time budget had run out.
    budget_spent: bool = False

    @property
    def holds(self) -> bool:
        return self.status != FAILED

    def line(self) -> str:
        text = f"{self.subject}: {self.status}"
        return f"{text} ({self.how})" if self.how else text

    @property
    def reduced_network(self) -> str | None:
        """The shorthand of the reduced network the statement was proved on, None for the spec's own."""
        match = _REDUCED.search(self.subject)
        return match.group(1) if match else None


@dataclass(frozen=True)
class Proof(RichDisplay):
    """All verdicts of a derivation; ``equations`` are the layer-level equations they are about."""

    verdicts: tuple[Verdict, ...]
    notes: tuple[str, ...] = ()
    equations: LayerDerivation | None = field(default=None, compare=False, repr=False)
    notation: str = "nielsen"  # the profile its displays are written in

    @property
    def holds(self) -> bool:
        return all(verdict.holds for verdict in self.verdicts)

    def for_equation(self, equation: str) -> tuple[Verdict, ...]:
        return tuple(verdict for verdict in self.verdicts if verdict.equation == equation)

    def first_failure(self) -> Verdict | None:
        return next((verdict for verdict in self.verdicts if not verdict.holds), None)

    def summary(self, equation: str) -> str:
        """One verdict line for an equation across all its instances."""
        verdicts = self.for_equation(equation)
        if not verdicts:
            return "not checked"
        failure = next((verdict for verdict in verdicts if not verdict.holds), None)
        if failure is not None:
            return f"{FAILED} at {failure.subject} ({failure.how})"
        proved = sum(verdict.status == PROVED for verdict in verdicts)
        numeric = [verdict for verdict in verdicts if verdict.status == VERIFIED]
        every = f" for all {len(verdicts)}" if len(verdicts) > 1 else ""
        if not numeric:
            return PROVED + every
        how = _how_counts(numeric)
        if not proved:
            return f"{VERIFIED}{every}" + (f" ({how})" if how else "")
        return f"{PROVED} ({proved} of {len(verdicts)}); {VERIFIED} ({len(numeric)} of {len(verdicts)}" + (
            f": {how})" if how else ")")

    @property
    def budget_spent(self) -> tuple[Verdict, ...]:
        """The verdicts reached without a symbolic attempt because the time budget had run out."""
        return tuple(verdict for verdict in self.verdicts if verdict.budget_spent)


def _how_counts(verdicts: Sequence[Verdict]) -> str:
    """How numeric verdicts were reached: the one way, or each way with its count.

    Verdicts after the deadline use fewer points than those before it; one line must not
    report the first way as if it applied to all.
    """
    counts: dict[str, int] = {}
    for verdict in verdicts:
        counts[verdict.how] = counts.get(verdict.how, 0) + 1
    if len(counts) == 1:
        return verdicts[0].how
    return "; ".join(f"{count} with {how}" if how else f"{count} otherwise" for how, count in counts.items())


@dataclass(frozen=True)
class Deadline:
    """The overall time budget of one proof: ``seconds`` from ``start`` (None: no limit).

    Checked between statements, never by a signal, so it nests with :func:`time_budget`;
    :meth:`step` caps a per-step symbolic budget at what is left.
    """

    seconds: float | None
    start: float = field(default_factory=time.monotonic)

    def remaining(self) -> float | None:
        return None if self.seconds is None else self.seconds - (time.monotonic() - self.start)

    @property
    def spent(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def step(self, budget: float | None) -> float | None:
        """The per-step budget, shortened to what is left of the whole one."""
        remaining = self.remaining()
        if remaining is None:
            return budget
        return max(remaining, 1e-3) if budget is None else max(min(budget, remaining), 1e-3)

    def after(self) -> str:
        """Words for a verdict reached after the deadline."""
        return f"after the {self.seconds:g} s proof budget ran out"


NO_DEADLINE = Deadline(None)


def symbolically_zero(difference: sp.Expr, budget: float | None = 5.0, *, quick: bool = False) -> bool:
    """Whether SymPy reduces ``difference`` to 0 within the budget (False means undecided).

    ``quick`` tries only ``cancel`` and ``expand``, not ``simplify``.  The steps take turns in
    rounds, each round with twice the time slice of the one before (the first is
    :data:`FIRST_TRY` of the budget), so a step that is slow on an expression never uses up
    the time of another that decides it at once: on networks with abs(z) activations
    ``cancel`` takes seconds where ``expand`` takes a tenth of one.
    """
    # cheapest first: cancel alone decides almost every per-weight difference (rational in
    # exp(z), tanh(z), … as generators); expand first is slower there but helps elsewhere
    steps: tuple[Callable[[sp.Expr], sp.Expr], ...] = (
        sp.cancel, sp.expand, lambda expr: sp.cancel(sp.expand(expr)), sp.simplify)
    steps = steps[:2] if quick else steps
    if not budget:
        return any(_reduces(step, difference, None) for step in steps)
    deadline = Deadline(budget)
    unfinished, time_slice = list(steps), budget * FIRST_TRY
    while unfinished and not deadline.spent:
        for step in list(unfinished):
            outcome = _reduces(step, difference, min(time_slice, deadline.remaining()))
            if outcome:
                return True
            if outcome is False:
                unfinished.remove(step)
            if deadline.spent:
                break
        time_slice *= 2
    return False


def _reduces(step: Callable[[sp.Expr], sp.Expr], difference: sp.Expr, seconds: float | None) -> bool | None:
    """Whether ``step`` turns ``difference`` into 0; None when it ran out of time."""
    try:
        with time_budget(seconds):
            return step(difference) == 0
    except TimeoutError:
        return None
    except (RecursionError, NotImplementedError, TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Sampler:
    """Draws random values for the free symbols of a comparison, reproducibly.

    ``kinks`` are expressions in those symbols that vanish where a derivative switches (see
    :meth:`~symbackprop.model.NetworkModel.kink_switches`); a point on one, where both sides
    take the value of a convention rather than of a limit, is moved off it: drawn again.
    """

    symbols: Sequence[sp.Symbol]
    positive: Sequence[sp.Symbol] = ()
    seed: int = 0
    kinks: Sequence[sp.Expr] = ()

    def points(self, count: int) -> Iterator[dict[sp.Symbol, sp.Float]]:
        for point, _ in self._draws(count):
            yield point

    def moved_off_kinks(self, count: int) -> int:
        """How many of the first ``count`` points were moved off a kink."""
        return sum(moved for _, moved in self._draws(count))

    def _draws(self, count: int) -> Iterator[tuple[dict[sp.Symbol, sp.Float], bool]]:
        generator = random.Random(self.seed)
        for _ in range(count):
            point = self._draw(generator)
            moved = False
            for _ in range(MAX_REDRAWS):
                if not self._on_kink(point):
                    break
                point, moved = self._draw(generator), True
            yield point, moved

    def _draw(self, generator: random.Random) -> dict[sp.Symbol, sp.Float]:
        point = {symbol: random_real(generator) for symbol in self.symbols}
        point.update({symbol: random_real(generator, 0.05, 0.95) for symbol in self.positive})
        return point

    def _on_kink(self, point: dict[sp.Symbol, sp.Float]) -> bool:
        for switch in self.kinks:
            if not switch.free_symbols <= point.keys():
                continue  # a kink of a node the compared expressions do not hold
            value = switch.xreplace(point).evalf(DIGITS)
            if value.is_number and abs(value) <= KINK_MARGIN:
                return True
        return False


def difference_at(left: sp.Expr, right: sp.Expr, point: dict[sp.Symbol, sp.Float],
                  tolerance: sp.Float = TOLERANCE) -> tuple[bool, sp.Expr, sp.Expr, sp.Expr]:
    """(agree, left value, right value, |gap|) at one point, in ``DIGITS``-digit arithmetic.

    The point is substituted before ``evalf``: ``evalf(subs=...)`` re-walks large expressions at
    every step and is orders of magnitude slower for the same values.
    """
    value_left = left.xreplace(point).evalf(DIGITS)
    value_right = right.xreplace(point).evalf(DIGITS)
    gap = abs(value_left - value_right)
    agree = bool(gap.is_number) and not gap > tolerance * (1 + abs(value_right))
    return agree, value_left, value_right, gap


def numerically_equal(left: sp.Expr, right: sp.Expr, sampler: Sampler,
                      count: int = 12) -> tuple[bool, dict[sp.Symbol, sp.Float], sp.Float, sp.Float]:
    """Compare at ``count`` random points; returns (equal, point, left, right) of the worst point."""
    worst = (True, {}, sp.Float(0), sp.Float(0))
    worst_gap = sp.Float(-1)
    for point in sampler.points(count):
        agree, value_left, value_right, gap = difference_at(left, right, point)
        if not agree:
            return False, point, value_left, value_right
        if gap > worst_gap:
            worst, worst_gap = (True, point, value_left, value_right), gap
    return worst


def compare(subject: str, equation: str, in_nodes: sp.Expr, full: FullForms,
            node_sampler: Sampler, full_sampler: Sampler, *, budget: float | None = 2.0,
            points: int = 12, retry: Callable[[], sp.Expr] | None = None,
            deadline: Deadline = NO_DEADLINE) -> Verdict:
    """Prove brute == factored, or verify it numerically, or report a counterexample.

    ``in_nodes`` is brute − factored written in node symbols (z free, a = σ(z)): it is small,
    and its vanishing for *all* node values implies the identity on the network.  Only when
    it does not vanish are the full expressions ``full = (brute, factored)`` evaluated, so
    a counterexample is always a real point of the network (``full`` may be a function giving
    them, called only then: they can be costly to build).  ``retry`` gives a second,
    costlier node form (see ``NetworkModel.contract_nodes(thorough=True)``) tried when the
    first is not reduced to zero.  Once ``deadline`` has passed no symbolic step is tried and
    the numeric check uses :data:`POINTS_AFTER_DEADLINE` points; the verdict says so.
    """
    if deadline.spent:
        return numeric_verdict(subject, equation, in_nodes, full, node_sampler, full_sampler,
                                min(points, POINTS_AFTER_DEADLINE), deadline.after())
    if symbolically_zero(in_nodes, deadline.step(budget), quick=retry is not None):
        return Verdict(subject, equation, PROVED)
    if retry is not None and not deadline.spent:
        in_nodes = retry()
        node_sampler = replace(node_sampler, symbols=sorted(in_nodes.free_symbols - set(node_sampler.positive),
                                                            key=str))
        if symbolically_zero(in_nodes, deadline.step(budget)):
            return Verdict(subject, equation, PROVED)
    return numeric_verdict(subject, equation, in_nodes, full, node_sampler, full_sampler, points)


def numeric_verdict(subject: str, equation: str, in_nodes: sp.Expr, full: FullForms,
                     node_sampler: Sampler, full_sampler: Sampler, points: int, after: str = "") -> Verdict:
    """VERIFIED at ``points`` random points (node form, else the network), or FAILED with the point.

    ``after`` (non-empty once the deadline has passed) is added to the verdict's wording.
    """
    equal, *_ = numerically_equal(in_nodes, sp.Integer(0), node_sampler, points)
    if equal:
        return Verdict(subject, equation, VERIFIED, sampled(node_sampler, points, after=after),
                       budget_spent=bool(after))
    equal, point, left, right = numerically_equal(*(full() if callable(full) else full), full_sampler, points)
    if equal:
        return Verdict(subject, equation, VERIFIED, sampled(full_sampler, points, "random points of the network",
                                                            after), budget_spent=bool(after))
    example = {str(symbol): float(value) for symbol, value in point.items()}
    how = f"brute force {_short(left)} but factored form {_short(right)}"
    return Verdict(subject, equation, FAILED, how, example, budget_spent=bool(after))


def sampled(sampler: Sampler, points: int, what: str = "random points", after: str = "") -> str:
    """How a numeric verdict was reached: ``12 random points, 50-digit arithmetic``, saying how
    many of the points were moved off a kink, and ``after`` (the deadline's words) when given."""
    moved = sampler.moved_off_kinks(points) if sampler.kinks else 0
    off = f" ({moved} moved off a kink)" if moved else ""
    return f"{points} {what}{off}, {DIGITS}-digit arithmetic" + (f", {after}" if after else "")


def _short(value: sp.Expr) -> str:
    try:
        return f"{complex(value).real:.10g}" if sp.im(value) == 0 else f"{complex(value):.6g}"
    except TypeError:
        return sp.sstr(value)
