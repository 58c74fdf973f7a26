"""Compare a person's right-hand side with the true value: symbolically first, then numerically.

Both sides arrive in parameters, inputs and targets.  A short numeric screen at a few random
points comes first only to avoid asking SymPy to simplify a difference that is plainly not
zero; when the screen finds no difference, SymPy tries to reduce the difference to zero
within a time budget (the verdict is then "proved symbolically"), and only when it cannot
decide are both sides compared at many random points in 50-digit arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from ..proof import DIGITS, FAILED, PROVED, VERIFIED, difference_at, symbolically_zero

SCREEN_POINTS = 4
POINTS = 20
BUDGET = 4.0
TOLERANCE = 1e-25


@dataclass(frozen=True)
class Outcome:
    status: str  # PROVED, VERIFIED or FAILED
    how: str = ""
    point: dict[sp.Symbol, sp.Float] = field(default_factory=dict)
    person: sp.Expr | None = None
    true: sp.Expr | None = None

    @property
    def holds(self) -> bool:
        return self.status != FAILED


def evaluate(expr: sp.Expr, point: dict[sp.Symbol, sp.Float]) -> sp.Expr:
    return sp.N(expr.xreplace(point), DIGITS)


def _first_difference(true: sp.Expr, person: sp.Expr, points) -> Outcome | None:
    for point in points:
        agree, left, right, _ = difference_at(person, true, point, TOLERANCE)
        if not agree:
            return Outcome(FAILED, point=point, person=left, true=right)
    return None


def compare(true: sp.Expr, person: sp.Expr, points: list[dict], canonical: Callable[[sp.Expr], sp.Expr], *,
            budget: float | None = BUDGET, symbolic: bool = True) -> Outcome:
    """``points`` are network points (the first few screen); ``canonical`` writes a side for SymPy."""
    failure = _first_difference(true, person, points[:SCREEN_POINTS])
    if failure:
        return failure
    if symbolic and symbolically_zero(canonical(true) - canonical(person), budget):
        return Outcome(PROVED)
    failure = _first_difference(true, person, points[SCREEN_POINTS:])
    if failure:
        return failure
    return Outcome(VERIFIED, f"{len(points)} random points, {DIGITS}-digit arithmetic")


def values(expr: sp.Expr, points: list[dict[sp.Symbol, sp.Float]]) -> list[complex] | None:
    """``expr`` at each point as complex numbers (None where it cannot be evaluated)."""
    found = []
    for point in points:
        try:
            found.append(complex(evaluate(expr, point)))
        except (TypeError, ValueError):
            return None
    return found


def close(left: list[complex], right: list[complex], tolerance: float = 1e-12) -> bool:
    return all(abs(a - b) <= tolerance * (1 + abs(b)) for a, b in zip(left, right, strict=True))
