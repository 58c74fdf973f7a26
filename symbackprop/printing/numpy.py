"""Expression printers for the generated training modules: NumPy, CuPy and JAX.

Provides:

* :class:`NumPyCodePrinter` — SymPy's NumPyPrinter with every function of the function table
  (:data:`symbackprop.functions.FUNCTIONS`) printed from its row, ``np.`` as the module alias,
  and strict: a node it cannot print raises :class:`PrintingError`, never ``str()``;
* :class:`CuPyCodePrinter` and :class:`JaxCodePrinter` — the same with ``cp.`` / ``jnp.`` and
  the rows' CuPy / JAX forms (only the module name and the table column differ);
* :func:`helper_source` — the functions a NumPy or CuPy module defines for the rows that need
  one (``_sigmoid``, ``_leaky_relu``, ``_erf``).

Start with ``NumPyCodePrinter().doprint(expr)``.  The allocation-free form of the hot loop is a
pass over the training program (:mod:`symbackprop.lowering`), printed by
:mod:`symbackprop.printing.program`.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import CuPyPrinter, JaxPrinter, NumPyPrinter

from ..functions import FUNCTIONS, ROWS, FunctionRow, step_at_zero


class PrintingError(ValueError):
    """An expression contains a node the target cannot print."""


#: Helpers the generated module defines, by name: (signature line, body lines) in ``{xp}``.
HELPERS: dict[str, tuple[str, ...]] = {
    "_sigmoid": (
        "def _sigmoid(x, out=None):",
        '    """σ(x) = (1 + tanh(x/2))/2: no overflow at any |x|."""',
        "    out = {xp}.multiply(x, 0.5, out=out)",
        "    {xp}.tanh(out, out=out)",
        "    {xp}.multiply(out, 0.5, out=out)",
        "    return {xp}.add(out, 0.5, out=out)",
    ),
    "_leaky_relu": (
        "def _leaky_relu(x, slope, out=None):",
        '    """x where x > 0, slope·x elsewhere."""',
        "    out = {xp}.multiply(x, slope, out=out)",
        "    {xp}.copyto(out, x, where=x > 0)",
        "    return out",
    ),
    "_erf": (
        "def _erf(x, out=None):",
        '    """erf elementwise through math.erf (NumPy has no erf ufunc)."""',
        "    values = {xp}.vectorize(math.erf, otypes=[x.dtype])(x)",
        "    if out is None:",
        "        return values",
        "    {xp}.copyto(out, values)",
        "    return out",
    ),
}

#: Helpers that a backend writes differently, by (backend, name); others come from HELPERS.
BACKEND_HELPERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("cupy", "_erf"): (
        "def _erf(x, out=None):",
        '    """erf elementwise on the GPU (cupyx.scipy.special.erf is a CuPy ufunc)."""',
        "    from cupyx.scipy.special import erf",
        "",
        "    return erf(x, out=out)",
    ),
}


def helper_source(name: str, backend: str, xp: str) -> tuple[str, ...]:
    """The lines defining helper ``name`` in a ``backend`` module whose array module is ``xp``."""
    lines = BACKEND_HELPERS.get((backend, name), HELPERS[name])
    return tuple(line.format(xp=xp) for line in lines)


def number(value: sp.Expr) -> str:
    """A Python float literal (weak-typed under NumPy 2 and JAX: keeps float32 arrays float32)."""
    return repr(float(value))


class NumPyCodePrinter(NumPyPrinter):
    """NumPyPrinter for the function table, printing ``np.exp`` and recording the helpers used."""

    printmethod = "_symbackprop_numpy"
    backend = "numpy"
    alias = "np"

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__({"strict": True, **(settings or {})})
        self.helpers: set[str] = set()

    def form(self, row: FunctionRow) -> str:
        """The row's column for this target, over printed arguments ``{0}, {1}, ...``."""
        return row.array

    def _module_format(self, fqn: str, register: bool = True) -> str:
        if not fqn.startswith(self._module + "."):
            raise PrintingError(f"cannot print a reference to {fqn!r} for {self._module}")
        return f"{self.alias}.{fqn[len(self._module) + 1:]}"

    def _print_row(self, expr: sp.Function) -> str:
        row = ROWS[type(expr)]
        form = self.form(row)
        if row.helper and row.helper in form:
            self.helpers.add(row.helper)
        return form.format(*(self._print(arg) for arg in expr.args), xp=self.alias)

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        x = self._print(expr.args[0])
        h0 = step_at_zero(expr)
        if h0 == 0:
            return f"{self.alias}.greater({x}, 0.0)"
        return f"{self.alias}.heaviside({x}, {number(h0)})"

    def _print_Max(self, expr: sp.Expr, ufunc: str = "maximum") -> str:
        args = [self._print(arg) for arg in sorted(expr.args, key=sp.default_sort_key)]
        text = args[0]
        for arg in args[1:]:
            text = f"{self.alias}.{ufunc}({text}, {arg})"
        return text

    def _print_Min(self, expr: sp.Expr) -> str:
        return self._print_Max(expr, "minimum")

    def _print_Rational(self, expr: sp.Rational) -> str:
        return number(expr)

    def _print_NumberSymbol(self, expr: sp.NumberSymbol) -> str:
        return number(expr)

    def _print_Function(self, expr: sp.Function) -> str:
        raise PrintingError(f"no {self._module} form for the function {expr.func.__name__}")

    def emptyPrinter(self, expr) -> str:  # noqa: N802 - SymPy's name
        raise PrintingError(f"cannot print {type(expr).__name__} {expr!r} for {self._module}")


for _row in FUNCTIONS:  # SymPy dispatches on _print_<class name>: every row prints from the table
    setattr(NumPyCodePrinter, f"_print_{_row.function.__name__}", NumPyCodePrinter._print_row)


class CuPyCodePrinter(NumPyCodePrinter):
    """The CuPy target: the same printer with the ``cupy`` module as ``cp``."""

    printmethod = "_symbackprop_cupy"
    backend = "cupy"
    _module = "cupy"
    _kf = CuPyPrinter._kf
    _kc = CuPyPrinter._kc
    alias = "cp"


class JaxCodePrinter(NumPyCodePrinter):
    """The JAX target: ``jax.numpy`` as ``jnp`` and the rows' JAX column (no helpers needed)."""

    printmethod = "_symbackprop_jax"
    backend = "jax"
    _module = "jax.numpy"
    _kf = JaxPrinter._kf
    _kc = JaxPrinter._kc
    alias = "jnp"

    def form(self, row: FunctionRow) -> str:
        return row.jax

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        """A float step (a boolean would make sums of it integers)."""
        return f"jnp.heaviside({self._print(expr.args[0])}, {number(step_at_zero(expr))})"


PRINTERS: dict[str, type[NumPyCodePrinter]] = {"numpy": NumPyCodePrinter, "cupy": CuPyCodePrinter,
                                               "jax": JaxCodePrinter}
