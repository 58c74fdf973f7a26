"""NumPy and CuPy printers for the generated training modules.

Provides:

* :class:`NumPyCodePrinter` — SymPy's NumPyPrinter with our functions (``sigmoid``, ``relu``,
  ``leaky_relu``, ``softplus``, ``Heaviside``) printed from a table, ``np.`` as the module
  alias, and strict: a node it cannot print raises :class:`PrintingError`, never ``str()``;
* :class:`CuPyCodePrinter` — the same with ``cp.`` (only the module name and tables differ);
* :func:`lower` — three-address code for one expression: every operation becomes a ufunc
  call with ``out=`` into a preallocated buffer, after common-subexpression elimination.

Start with ``NumPyCodePrinter().doprint(expr)`` for a readable line and ``lower(...)`` for the
allocation-free form used in the hot loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy as sp
from sympy.printing.numpy import CuPyPrinter, NumPyPrinter

from ..functions import leaky_relu, relu, sigmoid, softplus, step_at_zero


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


#: Reductions by backend: NumPy's ufunc ``reduce`` skips the Python wrapper of ``np.sum``/``np.max``
#: (about 1 µs a call, a tenth of a batch-10 step; same algorithm, same bits); CuPy keeps its own.
REDUCTIONS: dict[str, dict[str, str]] = {
    "numpy": {"sum": "np.add.reduce", "max": "np.maximum.reduce"},
    "cupy": {"sum": "cp.sum", "max": "cp.max"},
}


#: Our functions in an ordinary expression: class → format string over printed arguments.
EXPRESSION_TABLE: dict[type, str] = {
    sigmoid: "_sigmoid({0})",
    softplus: "{xp}.logaddexp(0.0, {0})",
    relu: "{xp}.maximum({0}, 0.0)",
    leaky_relu: "_leaky_relu({0}, {1})",
    sp.erf: "_erf({0})",
}

#: Functions in three-address code: class → (call format with ``{out}``, helper needed or None).
UFUNC_TABLE: dict[type, tuple[str, str | None]] = {
    sigmoid: ("_sigmoid({0}, out={out})", "_sigmoid"),
    softplus: ("{xp}.logaddexp(0.0, {0}, out={out})", None),
    relu: ("{xp}.maximum({0}, 0.0, out={out})", None),
    leaky_relu: ("_leaky_relu({0}, {1}, out={out})", "_leaky_relu"),
    sp.erf: ("_erf({0}, out={out})", "_erf"),
    sp.exp: ("{xp}.exp({0}, out={out})", None),
    sp.log: ("{xp}.log({0}, out={out})", None),
    sp.tanh: ("{xp}.tanh({0}, out={out})", None),
    sp.sinh: ("{xp}.sinh({0}, out={out})", None),
    sp.cosh: ("{xp}.cosh({0}, out={out})", None),
    sp.sin: ("{xp}.sin({0}, out={out})", None),
    sp.cos: ("{xp}.cos({0}, out={out})", None),
    sp.atan: ("{xp}.arctan({0}, out={out})", None),
    sp.Abs: ("{xp}.absolute({0}, out={out})", None),
    sp.sign: ("{xp}.sign({0}, out={out})", None),
}


def number(value: sp.Expr) -> str:
    """A Python float literal (weak-typed under NumPy 2: keeps float32 arrays float32)."""
    return repr(float(value))


class NumPyCodePrinter(NumPyPrinter):
    """NumPyPrinter for our functions, printing ``np.exp`` and recording the helpers used."""

    printmethod = "_symbackprop_numpy"
    alias = "np"
    table = EXPRESSION_TABLE

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__({"strict": True, **(settings or {})})
        self.helpers: set[str] = set()

    def _module_format(self, fqn: str, register: bool = True) -> str:
        head, _, rest = fqn.partition(".")
        if head != self._module or not rest:
            raise PrintingError(f"cannot print a reference to {fqn!r} for {self._module}")
        return f"{self.alias}.{rest}"

    def _print_table_function(self, expr: sp.Function) -> str:
        template = self.table[type(expr)]
        helper = template.partition("(")[0]
        if helper.startswith("_"):
            self.helpers.add(helper)
        return template.format(*(self._print(arg) for arg in expr.args), xp=self.alias)

    _print_sigmoid = _print_softplus = _print_relu = _print_leaky_relu = _print_erf = _print_table_function

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        x = self._print(expr.args[0])
        h0 = step_at_zero(expr)
        if h0 == 0:
            return f"{self.alias}.greater({x}, 0.0)"
        return f"{self.alias}.heaviside({x}, {number(h0)})"

    def _print_Rational(self, expr: sp.Rational) -> str:
        return number(expr)

    def _print_NumberSymbol(self, expr: sp.NumberSymbol) -> str:
        return number(expr)

    def _print_Function(self, expr: sp.Function) -> str:
        raise PrintingError(f"no {self._module} form for the function {expr.func.__name__}")

    def emptyPrinter(self, expr) -> str:  # noqa: N802 - SymPy's name
        raise PrintingError(f"cannot print {type(expr).__name__} {expr!r} for {self._module}")


class CuPyCodePrinter(NumPyCodePrinter):
    """The CuPy target: the same printer with the ``cupy`` module as ``cp``."""

    printmethod = "_symbackprop_cupy"
    _module = "cupy"
    _kf = CuPyPrinter._kf
    _kc = CuPyPrinter._kc
    alias = "cp"


PRINTERS: dict[str, type[NumPyCodePrinter]] = {"numpy": NumPyCodePrinter, "cupy": CuPyCodePrinter}


@dataclass
class Lowered:
    """Three-address code for one expression: ``lines`` compute it into ``result``."""

    lines: list[str] = field(default_factory=list)
    result: str = ""
    temporaries: list[tuple[str, str]] = field(default_factory=list)  # (name, "full" | "row")
    helpers: set[str] = field(default_factory=set)


class _Lowering:
    """Turns an expression into ufunc calls with ``out=``; one instance per expression."""

    def __init__(self, names: Mapping[sp.Symbol, str], rows: set[sp.Symbol], prefix: str, xp: str) -> None:
        self.names = dict(names)
        self.rows = set(rows)  # symbols of shape (m, 1)
        self.prefix, self.xp = prefix, xp
        self.out = Lowered()

    def temporary(self, expr: sp.Expr) -> str:
        name = f"{self.prefix}{len(self.out.temporaries)}"
        shape = "row" if expr.free_symbols <= self.rows else "full"
        self.out.temporaries.append((name, shape))
        return name

    def emit(self, line: str) -> None:
        self.out.lines.append(line)

    def operand(self, expr: sp.Expr) -> str:
        """A name or literal for ``expr``, computing it into a temporary when needed."""
        if expr.is_Number or (expr.is_number and expr.is_real):
            return number(expr)
        if expr in self.names:
            return self.names[expr]
        if isinstance(expr, sp.Symbol):
            raise PrintingError(f"unknown symbol {expr} in a generated expression")
        target = self.temporary(expr)
        self.into(expr, target)
        return target

    def into(self, expr: sp.Expr, out: str) -> None:
        """Lines computing ``expr`` into the buffer ``out``."""
        handler: Callable[[sp.Expr, str], None] | None = None
        for kind in type(expr).__mro__:
            handler = getattr(self, f"_lower_{kind.__name__}", None)
            if handler is not None:
                break
        if expr.is_Number or isinstance(expr, sp.Symbol):
            self.emit(f"{self.xp}.copyto({out}, {self.operand(expr)})")
        elif type(expr) in UFUNC_TABLE:
            call, helper = UFUNC_TABLE[type(expr)]
            if helper:
                self.out.helpers.add(helper)
            args = [self.operand(arg) for arg in expr.args]
            self.emit(call.format(*args, out=out, xp=self.xp))
        elif handler is not None:
            handler(expr, out)
        else:
            raise PrintingError(f"no {self.xp} form for {type(expr).__name__} {expr}")

    def _lower_Heaviside(self, expr: sp.Heaviside, out: str) -> None:
        h0 = step_at_zero(expr)
        x = self.operand(expr.args[0])
        if h0 == 0:
            self.emit(f"{self.xp}.greater({x}, 0.0, out={out})")
        else:
            self.emit(f"{self.xp}.heaviside({x}, {number(h0)}, out={out})")

    def _combine(self, ufunc: str, current: str | None, operand: str, out: str) -> str:
        """``ufunc(current, operand)`` into ``out``; the first operand just becomes current."""
        if current is None:
            return operand
        self.emit(f"{self.xp}.{ufunc}({current}, {operand}, out={out})")
        return out

    def _first(self, expr: sp.Expr, out: str) -> str:
        """A name for the first operand: the variable of a symbol, else ``out`` computed."""
        if expr in self.names:
            return self.names[expr]
        self.into(expr, out)
        return out

    def _finish(self, current: str, out: str) -> None:
        if current != out:
            self.emit(f"{self.xp}.copyto({out}, {current})")

    def _lower_Max(self, expr: sp.Expr, out: str, ufunc: str = "maximum") -> None:
        current = None
        for arg in sorted(expr.args, key=sp.default_sort_key):
            current = self._first(arg, out) if current is None else self._combine(ufunc, current,
                                                                                  self.operand(arg), out)
        self._finish(current, out)

    def _lower_Min(self, expr: sp.Expr, out: str) -> None:
        self._lower_Max(expr, out, "minimum")

    def _lower_Add(self, expr: sp.Add, out: str) -> None:
        constant, terms = expr.as_coeff_add()
        terms = sorted(terms, key=lambda term: (term.could_extract_minus_sign(), sp.default_sort_key(term)))
        current = None
        if constant != 0 and terms[0].could_extract_minus_sign():
            self.emit(f"{self.xp}.subtract({number(constant)}, {self.operand(-terms[0])}, out={out})")
            current, constant, terms = out, sp.S.Zero, terms[1:]
        for term in terms:
            if current is None:
                current = self._first(term, out)
            elif term.could_extract_minus_sign():
                current = self._combine("subtract", current, self.operand(-term), out)
            else:
                current = self._combine("add", current, self.operand(term), out)
        if constant != 0:
            current = self._combine("add", current, number(constant), out)
        self._finish(current, out)

    def _lower_Mul(self, expr: sp.Mul, out: str) -> None:
        coefficient, factors = expr.as_coeff_mul()
        numerator, denominator = [], []
        for factor in sorted(factors, key=sp.default_sort_key):
            if factor.is_Pow and factor.exp.is_Number and factor.exp < 0:
                denominator.append(sp.Pow(factor.base, -factor.exp))
            else:
                numerator.append(factor)
        current = None
        if not numerator:
            self.emit(f"{self.xp}.divide({number(coefficient)}, {self.operand(sp.Mul(*denominator))}, out={out})")
            return
        for factor in numerator:
            current = self._first(factor, out) if current is None else self._combine(
                "multiply", current, self.operand(factor), out)
        for factor in denominator:
            current = self._combine("divide", current, self.operand(factor), out)
        if coefficient == -1:
            self.emit(f"{self.xp}.negative({current}, out={out})")
            current = out
        elif coefficient != 1:
            current = self._combine("multiply", current, number(coefficient), out)
        self._finish(current, out)

    def _lower_Pow(self, expr: sp.Pow, out: str) -> None:
        base, exponent = expr.args
        x = self.operand(base)
        if exponent == 2:
            self.emit(f"{self.xp}.square({x}, out={out})")
        elif exponent == sp.S.Half:
            self.emit(f"{self.xp}.sqrt({x}, out={out})")
        elif exponent == -1:
            self.emit(f"{self.xp}.divide(1.0, {x}, out={out})")
        elif exponent.is_Number:
            self.emit(f"{self.xp}.power({x}, {number(exponent)}, out={out})")
        else:
            self.emit(f"{self.xp}.power({x}, {self.operand(exponent)}, out={out})")


def lower(expr: sp.Expr, out: str, names: Mapping[sp.Symbol, str], *, rows: set[sp.Symbol] = frozenset(),
          prefix: str = "t", backend: str = "numpy") -> Lowered:
    """Three-address code computing ``expr`` into the buffer ``out``.

    ``names`` maps every free symbol to a variable of the generated code; ``rows`` are the
    symbols of shape (m, 1) (row sums).  Common subexpressions are computed once, each into
    a temporary named ``prefix`` + number.  When ``expr`` is just a symbol, ``result`` is
    that symbol's variable and no line is emitted (the caller aliases it).
    """
    lowering = _Lowering(names, set(rows), prefix, PRINTERS[backend].alias)
    if isinstance(expr, sp.Symbol) and expr in lowering.names:
        lowering.out.result = lowering.names[expr]
        return lowering.out
    replacements, (reduced,) = sp.cse(expr, symbols=sp.numbered_symbols("_cse"), optimizations=None)
    for symbol, value in replacements:
        name = lowering.temporary(value)
        if value.free_symbols <= lowering.rows:
            lowering.rows.add(symbol)
        lowering.into(value, name)
        lowering.names[symbol] = name
    lowering.into(reduced, out)
    lowering.out.result = out
    return lowering.out
