"""Hostile expressions and specs are rejected with one clear line; nothing is executed.

Every payload tries to create a canary file; the tests check that it never appears.  The
CLI runs are separate processes under a wall-clock timeout and an address-space limit.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy as sp

from symbackprop.errors import ExpressionError, SpecError
from symbackprop.expr import parse_expression
from symbackprop.registry import Z
from symbackprop.spec import Spec, parse_toml

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 3 << 30  # bytes of address space for a CLI run
CLI_TIMEOUT = 60


def _payloads(canary: Path) -> list[str]:
    """Expression texts that would create ``canary`` if anything evaluated them."""
    c = str(canary)
    return [
        f"__import__('os').system('touch {c}')",
        f"__import__(\"os\").system(\"touch {c}\")",
        f"z + __import__('os').system('touch {c}')",
        "z.__class__.__mro__[1].__subclasses__()",
        "().__class__.__bases__[0].__subclasses__()",
        f"(lambda: __import__('os').system('touch {c}'))()",
        f"[__import__('os').system('touch {c}') for _ in (1,)]",
        f"open('{c}', 'w')",
        f"exec('open(\"{c}\", \"w\")')",
        f"eval('open(\"{c}\", \"w\")')",
        "getattr(z, '__class__')",
        "__builtins__",
        "__import__",
        "globals()",
        "z.real",
        "z[0]",
        "{z: 1}",
        "z if z else z",
        "(y := z)",
        "f'{z}'",
        f"z  # ''' ; __import__('os').system('touch {c}')",
        f'z  # """ ; open("{c}", "w")',
        r"z  # \input{/etc/passwd}",
        r"z  # \immediate\write18{touch canary}",
        "z**10**10",
        "z**(10**10)",
        "(z**16)**16",
        "2**16**16**16",
        "9**9**9**9",
        "exp(exp(exp(exp(100))))**2",
        "1e999*z",
        "1" * 400 + "*z",
        "(" * 240 + "z" + ")" * 240,
        "-(" * 120 + "z" + ")" * 120,
        "-" * 450 + "z",
        "+".join(["z"] * 240),
        "sigmoid(" * 30 + "z" + ")" * 30,
        "z" * 5000,
        "\uff5a",  # fullwidth z
        "\u0455igmoid(z)",  # Cyrillic dze, looks like s
        "z\u200b+1",  # zero-width space
        "z\n+1",
        "z\x00",
        "sqrt(-1)*z",
        "z/0",
        "log(0)+z",
        "z**nan",
        "True*z",
        "max(z, z)",
        "relu",
    ]


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    return tmp_path / "canary"


def test_hostile_expressions_are_rejected_quickly(canary: Path) -> None:
    for text in _payloads(canary):
        started = time.monotonic()
        with pytest.raises(ExpressionError) as raised:
            parse_expression(text, {"z": Z})
        assert time.monotonic() - started < 2.0, text
        message = raised.value.message
        assert message and "\n" not in message and len(message) < 400, text
    assert not canary.exists()


@pytest.mark.parametrize("text", ["z*sigmoid(z)", "log(cosh(z))", "max(0, z)", "z**0.5", "exp(-z**2/2)",
                                  "0.01*z + 0.99*relu(z)", "softplus(z) - log(2)"])
def test_ordinary_expressions_still_parse(text: str) -> None:
    assert isinstance(parse_expression(text, {"z": Z}), sp.Expr)


def _toml(name: str = '"net"', activation: str = '"sigmoid"', cost: str = '"quadratic"') -> str:
    return (f"name = {name}\ncost = {cost}\n[[layers]]\nsize = 2\n"
            f"[[layers]]\nsize = 2\nactivation = {activation}\n")


def test_hostile_spec_fields_are_rejected(canary: Path) -> None:
    hostile_names = ['"__import__"', '"__class__"', '"net\\nimport os"', '"net; import os"', '"a-b"',
                     '"net\\\\input{/etc/passwd}"', '"\uff4eet"', '"class"', '""', "1", '"x' + "y" * 80 + '"']
    for name in hostile_names:
        with pytest.raises(SpecError):
            parse_toml(_toml(name=name))
        with pytest.raises(SpecError):
            parse_toml(_toml(activation=f"{{ name = {name}, expr = \"z\" }}"))
    for text in _payloads(canary)[:12]:
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        with pytest.raises(SpecError):
            parse_toml(_toml(activation=f"{{ name = \"act\", expr = {quoted} }}"))
        with pytest.raises(SpecError):
            parse_toml(_toml(cost=f"{{ name = \"c\", expr = {quoted} }}"))
    assert not canary.exists()


@pytest.mark.parametrize("text", ["9" * 5000 + "-2", "x" * 5000, "3-4-2\nimport os", "\u0663-\u0664",
                                  "/dev/zero", "/etc"])
def test_hostile_spec_arguments_are_rejected(text: str) -> None:
    with pytest.raises(SpecError) as raised:
        Spec.parse(text)
    assert "\n" not in raised.value.message


def test_nested_toml_is_rejected() -> None:
    with pytest.raises(SpecError, match="nested too deeply"):
        parse_toml("a = " + "[" * 50_000 + "]" * 50_000)


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _cli(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "symbackprop", *arguments], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=CLI_TIMEOUT, preexec_fn=_limits,
                          check=False)


def test_hostile_cli_invocations_fail_cleanly(tmp_path: Path, canary: Path) -> None:
    payloads = _payloads(canary)
    spec = tmp_path / "evil.toml"
    quoted = '"' + payloads[0].replace('"', '\\"') + '"'
    spec.write_text(_toml(activation=f"{{ name = \"evil\", expr = {quoted} }}"))
    runs = [
        ["derive", "2-2", "--activation", f"evil={payloads[0]}"],
        ["derive", "2-2", "--cost", f"evil={payloads[5]}"],
        ["derive", "2-2", "--activation", "big=z**10**10"],
        ["derive", "2-2", "--activation", "tower=exp(exp(exp(exp(100))))**2*z"],
        ["derive", "2-2", "--name", "__import__"],
        ["derive", str(spec)],
        ["derive", "9" * 5000 + "-2"],
        ["derive", "2-2", "--activation=f=1if z else z"],  # SyntaxWarning must not add a stderr line
        ["derive", "2-2\nsecond line"],
    ]
    for arguments in runs:
        started = time.monotonic()
        result = _cli(arguments, tmp_path)
        assert result.returncode == 2, (arguments, result.stderr[-2000:])
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("symbackprop: error:"), result.stderr[-2000:]
        assert "Traceback" not in result.stderr
        assert time.monotonic() - started < CLI_TIMEOUT
    assert not canary.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["evil.toml"]
