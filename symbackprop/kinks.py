"""Where an activation or a cost is not differentiable: its kinks, read from the expressions.

A kink is where a piece of the expression (or of its derivative) switches: the argument g of
``Abs``, ``sign``, ``Heaviside``, ``relu`` and ``leaky_relu`` crosses zero, two arguments of a
``Max``/``Min`` meet, a ``Piecewise`` condition flips.  relu and leaky_relu have one at z = 0,
``abs(z - 1)`` at 1, ``max(z, 0.5)`` at 1/2, ``z/(1 + abs(z))`` at 0 (its σ' holds sign(z)).

:func:`kinks` solves each such g = 0 for the variable with ``solveset`` over the reals and
returns a :class:`Kinks`: the located points, and the arguments whose zeros SymPy cannot list
(``abs(sin(z))``: infinitely many; ``abs(z + sin(z) - 1)``: no closed form; or not within
:data:`SOLVE_BUDGET` seconds).  For those the documented fallback is the argument itself: its
sign says which side of its kinks a value is on, which is all a gradient check needs
(:attr:`Kinks.switches`).  :func:`kink_points` is the
strict form (an error when a kink cannot be located), for tables that list the points.

Central differences and random sample points must keep clear of these points; see the numeric
checks in :mod:`symbackprop.numeric`, :mod:`symbackprop.proof` and the generated module's
``gradient_check``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .budget import time_budget
from .functions import elementary, leaky_relu, relu

#: Seconds ``solveset`` may take for one kink (a nested abs of a degree-16 polynomial takes a
#: minute); past it the kink is kept unsolved, as its argument.
SOLVE_BUDGET = 2.0

#: Functions that switch where their (first) argument crosses zero.
_SWITCHING = (sp.Abs, sp.sign, sp.Heaviside, relu, leaky_relu)
#: Non-smooth functions whose kinks are not zeros of one argument: refused, not guessed at.
_UNSUPPORTED = (sp.floor, sp.ceiling, sp.frac, sp.Mod, sp.DiracDelta)


class KinkError(ValueError):
    """The kinks of an expression cannot be located (see :func:`kink_points`)."""


@dataclass(frozen=True)
class Kinks:
    """The kinks of one expression in ``variable``.

    ``points`` are the located kinks, in increasing order (numbers for an activation; for a
    cost they may hold the target, as in a = y for abs(a − y)).  ``unsolved`` are the switch
    arguments whose zeros SymPy could not list; each is a kink wherever it crosses zero.
    """

    variable: sp.Symbol
    points: tuple[sp.Expr, ...] = ()
    unsolved: tuple[sp.Expr, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.points or self.unsolved)

    @property
    def located(self) -> bool:
        """Whether every kink is in ``points``."""
        return not self.unsolved

    @property
    def switches(self) -> tuple[sp.Expr, ...]:
        """One expression per kink whose sign tells the side a value is on (0: on the kink)."""
        return tuple(self.variable - point for point in self.points) + self.unsolved


def switch_arguments(expr: sp.Expr, variable: sp.Symbol) -> tuple[sp.Expr, ...]:
    """The arguments whose crossing of zero is a kink of ``expr`` or of its derivative in ``variable``."""
    found: set[sp.Expr] = set()
    for part in (expr, sp.diff(expr, variable)):
        unsupported = part.atoms(*_UNSUPPORTED)
        if unsupported:
            first = min(unsupported, key=sp.default_sort_key)
            raise KinkError(f"{sp.sstr(first)} in {sp.sstr(expr)}: its kinks are not located (no rule for "
                            f"{type(first).__name__})")
        found |= {_signless(g) for g in _arguments(part) if variable in g.free_symbols}
    return tuple(sorted(found, key=sp.default_sort_key))


def _signless(argument: sp.Expr) -> sp.Expr:
    """g and −g switch at the same points (Max(0, 1 − a·y) and its step H(a·y − 1)): keep one."""
    return min(sp.expand(argument), sp.expand(-argument),
               key=lambda g: (g.could_extract_minus_sign(), sp.default_sort_key(g)))


def _arguments(expr: sp.Expr) -> set[sp.Expr]:
    found: set[sp.Expr] = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, _SWITCHING):
            found.add(node.args[0])
        elif isinstance(node, sp.Max | sp.Min):
            found |= {left - right for left, right in itertools.combinations(node.args, 2)}
        elif isinstance(node, sp.Piecewise):
            for _, condition in node.args:
                found |= {rel.lhs - rel.rhs for rel in condition.atoms(sp.core.relational.Relational)}
    return found


@lru_cache(maxsize=256)
def kinks(expr: sp.Expr, variable: sp.Symbol) -> Kinks:
    """The kinks of ``expr`` (and of its derivative) in ``variable``, located where SymPy can.

    Raises :class:`KinkError` for non-smooth functions with no rule here (floor, Mod, …).
    Cached: every layer with the same activation asks again.
    """
    points: set[sp.Expr] = set()
    unsolved: list[sp.Expr] = []
    for argument in switch_arguments(expr, variable):
        located = _zeros(argument, variable)
        if located is None:
            unsolved.append(argument)
        else:
            points |= located
    return Kinks(variable, tuple(sorted(points, key=_order)), tuple(unsolved))


def kink_points(expr: sp.Expr, variable: sp.Symbol) -> tuple[sp.Expr, ...]:
    """The located kinks of ``expr`` in ``variable``, or :class:`KinkError` naming one it cannot locate."""
    found = kinks(expr, variable)
    if not found.located:
        argument = found.unsolved[0]
        raise KinkError(f"{sp.sstr(expr)} has kinks where {sp.sstr(argument)} = 0, and SymPy cannot list "
                        f"them ({_why_unsolved(argument, variable)})")
    return found.points


@lru_cache(maxsize=256)
def _solution_set(argument: sp.Expr, variable: sp.Symbol) -> sp.Set | None:
    """The real zeros of ``argument`` as SymPy gives them; None when it takes longer than SOLVE_BUDGET."""
    try:
        with time_budget(SOLVE_BUDGET):
            return sp.solveset(elementary(argument), variable, sp.S.Reals)
    except TimeoutError:
        return None
    except (NotImplementedError, ValueError, TypeError, RecursionError):
        return sp.ConditionSet(variable, sp.Eq(argument, 0), sp.S.Reals)


def _zeros(argument: sp.Expr, variable: sp.Symbol) -> set[sp.Expr] | None:
    """Where ``argument`` switches sign or starts to vanish, or None when SymPy cannot list it.

    A zero set that is a union of intervals (Max(0, z) vanishes on z ≤ 0) switches at its ends.
    """
    solutions = _solution_set(argument, variable)
    if solutions is None:
        return None
    pieces = solutions.args if isinstance(solutions, sp.Union) else (solutions,)
    if not all(isinstance(piece, sp.FiniteSet | sp.Interval) or piece.is_empty for piece in pieces):
        return None
    found = set()
    for piece in pieces:
        ends = (piece.start, piece.end) if isinstance(piece, sp.Interval) else piece.args
        found |= {point for point in ends if point.is_finite is not False}
    if any(variable in point.free_symbols or point.is_extended_real is False for point in found):
        return None
    return found


def _why_unsolved(argument: sp.Expr, variable: sp.Symbol) -> str:
    solutions = _solution_set(argument, variable)
    if solutions is None:
        return f"solveset took longer than {SOLVE_BUDGET:g} s"
    if solutions.has(sp.ImageSet):
        return "infinitely many"
    return "no closed form" if solutions.has(sp.ConditionSet) else f"solveset gives {sp.sstr(solutions)[:60]}"


def _order(point: sp.Expr) -> tuple:
    """Numbers by value, then anything else (a cost's kinks in y) in SymPy's canonical order."""
    return (0 if point.is_number else 1, float(point) if point.is_number else 0.0, sp.default_sort_key(point))
