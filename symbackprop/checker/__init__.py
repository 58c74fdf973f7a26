"""Check hand-derived backpropagation equations (``symbackprop check``).

Start with :func:`check_equations` (one spec, a list of equations in LaTeX or plain form)
and :func:`snippets_from_file`.  The stages, one module each: :mod:`.lexer` and
:mod:`.parser` (a recursive-descent grammar, nothing is evaluated as code), :mod:`.infer` (the
profile and conventions of ``--notation auto``, from the equations themselves), :mod:`.resolve`
(symbols of a notation profile → model symbols), :mod:`.claims` (what kind of claim an equation
makes: a gradient or δ, ∂C/∂a, a chain-rule step, a definition, or none), :mod:`.truth` (the true derivatives),
:mod:`.lhs` (the instances of a left side), :mod:`.compare` (symbolic, then numeric),
:mod:`.diagnose` and :mod:`.explain` (what is wrong, every mistake), :mod:`.definitions` (definitions
against the spec: which part differs), :mod:`.report` (the printed verdicts)
and :mod:`.check` (the loop over equations and instances); :mod:`.batch` makes equations about
a mini-batch (m, Δ^l, A^l, a sum over samples, Ng's D^{(l)}) checkable.  The first stage is
:mod:`.source` (documents and ``--equation`` text → :class:`Snippet` s, with :mod:`.extract` finding
the formulas of a .tex, .md or .txt file and :mod:`.furniture` taking tags, qualifiers and
punctuation off as metadata).
"""

from .check import check_equations
from .report import CheckReport, Result
from .source import Snippet, equations_from_file, equations_from_text, snippets_from_equation, snippets_from_file

__all__ = ["CheckReport", "Result", "Snippet", "check_equations", "equations_from_file", "equations_from_text",
           "snippets_from_equation", "snippets_from_file"]
