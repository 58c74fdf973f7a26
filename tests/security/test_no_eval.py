"""No user text is ever evaluated: the package source never calls eval, exec, sympify,
parse_expr or parse_latex outside a justified allow-list."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "symbackprop").rglob("*.py"), *(ROOT / "templates").rglob("*")])
# ``def eval(cls, x)`` is SymPy's hook for automatic simplification of our functions, not a call.
FORBIDDEN = re.compile(r"(?<![\w.])(?<!def )(?:eval|exec|sympify|parse_expr|parse_latex|__import__|compile)\s*\("
                       r"|\b(?:sp|sympy)\.(?:S|sympify|parse_expr|parse_latex)\s*\("
                       r"|\bS\s*\(\s*['\"]")

#: (relative path, exact stripped line) pairs that may match, each with its reason.
ALLOWED: dict[tuple[str, str], str] = {
    # SymPy's own lambdify (numeric.py) and re.compile are not in the pattern; nothing
    # of ours needs an evaluating call.  Generated code may exec nothing either.
}


def _code_lines(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, IsADirectoryError):
        return
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0] if path.suffix == ".py" else line
        yield number, line.strip(), code


def test_sources_were_found() -> None:
    assert any(path.name == "expr.py" for path in SOURCES)


def test_no_evaluating_calls_in_package_or_templates() -> None:
    offenders = []
    for path in SOURCES:
        if not path.is_file():
            continue
        relative = str(path.relative_to(ROOT))
        for number, stripped, code in _code_lines(path):
            if FORBIDDEN.search(code) and (relative, stripped) not in ALLOWED:
                offenders.append(f"{relative}:{number}: {stripped}")
    assert not offenders, "evaluating calls on text:\n" + "\n".join(offenders)


def test_pattern_catches_what_it_should() -> None:
    for bad in ("eval(text)", "x = exec(code)", "sp.sympify(s)", "sympify(s)", "parse_expr(s)",
                "parse_latex(s)", "__import__('os')", "sp.S('x')", "compile(src, 'f', 'exec')"):
        assert FORBIDDEN.search(bad), bad
    for fine in ("def eval(cls, x):", "re.compile(r'x')", "def _eval_evalf(self, prec):", "expr.evalf(50)",
                 "ast.literal"):
        assert not FORBIDDEN.search(fine), fine
