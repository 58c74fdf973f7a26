"""Check hand-derived backpropagation equations (``symbackprop check``).

Start with :func:`check_equations` (one spec, a list of equations in LaTeX or plain form)
and :func:`equations_from_file`.  The stages, one module each: :mod:`.lexer` and
:mod:`.parser` (a recursive-descent grammar, nothing is evaluated as code), :mod:`.infer` (the
profile and conventions of ``--notation auto``, from the equations themselves), :mod:`.resolve`
(symbols of a notation profile → model symbols), :mod:`.truth` (the true derivatives),
:mod:`.lhs` (the instances of a left side), :mod:`.compare` (symbolic, then numeric),
:mod:`.diagnose` and :mod:`.explain` (what is wrong), :mod:`.report` (the printed verdicts)
and :mod:`.check` (the loop over equations and instances); :mod:`.batch` makes equations about
a mini-batch (m, Δ^l, A^l, a sum over samples, Ng's D^{(l)}) checkable.  :mod:`.extract` finds the
equations in a .tex or .txt file.
"""

from .check import check_equations
from .extract import equations_from_file, equations_from_text
from .report import CheckReport, Result

__all__ = ["CheckReport", "Result", "check_equations", "equations_from_file", "equations_from_text"]
