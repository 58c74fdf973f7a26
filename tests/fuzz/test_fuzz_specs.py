"""Fuzzing whole specs: random valid specs derive, generate and gradient-check; random
malformed specs and equations end in exit code 2 with one line on stderr, never a traceback."""

from __future__ import annotations

import importlib.util
import itertools
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symbackprop import Spec, derive
from symbackprop.cli import main
from symbackprop.errors import UserError
from symbackprop.proof import PROVED
from symbackprop.spec import parse_toml

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = ["sigmoid", "tanh", "softplus", "identity", "leaky_relu:0.1", "swish=z*sigmoid(z)",
          "gauss=exp(-z**2/2)", "mix=0.5*tanh(z)+0.5*z", "poly=z**3/3+z", "softsign=z/(1+abs(z))"]
#: (output activation, cost) pairs that are well defined everywhere the data can go.
OUTPUT_COST = [("sigmoid", "quadratic"), ("sigmoid", "binary_cross_entropy"), ("identity", "quadratic"),
               ("tanh", "quadratic"), ("softmax", "cross_entropy"), ("softmax", "quadratic"),
               ("identity", "logcosh=log(cosh(a-y))"), ("sigmoid", "quartic=(a-y)**4/4"),
               ("softplus", "huberish=sqrt(1+(a-y)**2)-1")]
#: Seconds for each spec's whole proof: past them the rest is checked numerically (the slowest
#: families here, abs(z) with softmax + quadratic cost, took about 10 s each without a limit).
PROOF_BUDGET = 2.0
ONE_LINE_CLI = settings(max_examples=60, deadline=None,
                        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def valid_specs(draw) -> Spec:
    output, cost = draw(st.sampled_from(OUTPUT_COST))
    hidden = draw(st.sampled_from(HIDDEN))
    depth = draw(st.integers(min_value=1, max_value=3))
    sizes = [draw(st.integers(min_value=1, max_value=4)) for _ in range(depth + 1)]
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    options = {"activation": hidden, "output_activation": output, "cost": cost,
               "bias": draw(st.booleans())}
    return Spec.parse("-".join(map(str, sizes)), **options)


def _targets(spec: Spec, m: int, rng: np.random.Generator) -> np.ndarray:
    if spec.output.name == "softmax":
        return rng.dirichlet(np.ones(spec.sizes[-1]), m)
    return rng.uniform(0.1, 0.9, (m, spec.sizes[-1]))


def _load(source: str, directory: str, number: int):
    path = Path(directory) / f"fuzz_module_{number}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_counter = itertools.count()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs(), st.integers(min_value=0, max_value=2**16))
def test_random_valid_specs_derive_generate_and_gradient_check(spec: Spec, seed: int) -> None:
    derivation = derive(spec, max_parameters=0, budget=0.2, proof_budget=PROOF_BUDGET)
    assert derivation.proof.holds, derivation.proof.first_failure()
    assert all(verdict.status != PROVED for verdict in derivation.proof.budget_spent)
    codegen = pytest.importorskip("symbackprop.training_module")
    source = codegen.generate_module(derivation)
    with tempfile.TemporaryDirectory() as directory:
        module = _load(source, directory, next(_counter))
        rng = np.random.default_rng(seed)
        X = rng.uniform(-1.0, 1.0, (3, spec.sizes[0]))
        Y = _targets(spec, 3, rng)
        params = module.init_params(seed)
        assert np.isfinite(module.loss(params, X, Y))
        assert module.gradient_check(params, X, Y) < 1e-4


# --- malformed input through the command line ----------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], arguments: list[str]) -> tuple[int, str]:
    capsys.readouterr()
    try:
        code = main(arguments)
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code
    return code, capsys.readouterr().err


def _assert_clean_failure(code: int, err: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("symbackprop: error:"), err
    assert "Traceback" not in err


def _is_valid(text: str, **options) -> bool:
    try:
        Spec.parse(text, **options)
    except UserError:
        return False
    return True


@ONE_LINE_CLI
@given(st.text(max_size=40))
def test_malformed_shorthand(capsys: pytest.CaptureFixture[str], text: str) -> None:
    assume(text.strip() and not text.startswith("-") and not _is_valid(text))
    _assert_clean_failure(*_run(capsys, ["derive", text]))


OPTION_TEXT = st.text(max_size=40) | st.text(alphabet="zay0123456789.+-*/()=:_ sigmoidtanhexplogrelu", max_size=40)


@ONE_LINE_CLI
@given(st.sampled_from(["--activation", "--output-activation", "--cost", "--name"]), OPTION_TEXT)
def test_malformed_options(capsys: pytest.CaptureFixture[str], option: str, text: str) -> None:
    key = option[2:].replace("-", "_")
    assume(not _is_valid("2-2", **{key: text}))
    _assert_clean_failure(*_run(capsys, ["derive", "2-2", f"{option}={text}"]))


VALID_TOML = (ROOT / "examples" / "xor.toml").read_text()


@st.composite
def toml_mutations(draw) -> str:
    text = VALID_TOML
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["delete", "insert", "replace_line", "duplicate_line", "replace_value"]))
        lines = text.splitlines()
        if kind == "delete" and text:
            start = draw(st.integers(0, len(text) - 1))
            text = text[:start] + text[start + draw(st.integers(1, 20)):]
        elif kind == "insert":
            start = draw(st.integers(0, len(text)))
            text = text[:start] + draw(st.text(max_size=12)) + text[start:]
        elif kind == "replace_line" and lines:
            index = draw(st.integers(0, len(lines) - 1))
            lines[index] = draw(st.text(max_size=30))
            text = "\n".join(lines)
        elif kind == "duplicate_line" and lines:
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
            text = "\n".join(lines)
        elif kind == "replace_value":
            value = draw(st.sampled_from(['-1', '0', '1e9', '"x"', 'true', '[1]', '{}', '{ name = "q", expr = "z." }',
                                          '"__import__"', '9999999999999999999', '"z**99"', '{ expr = 1 }']))
            key = draw(st.sampled_from(["size", "activation", "cost", "name", "bias"]))
            text = "\n".join(f"{key} = {value}" if line.startswith(f"{key} =") else line for line in lines)
    return text


def _toml_is_valid(text: str) -> bool:
    try:
        parse_toml(text)
    except UserError:
        return False
    return True


@ONE_LINE_CLI
@given(toml_mutations())
def test_mutated_toml(capsys: pytest.CaptureFixture[str], text: str) -> None:
    assume(not _toml_is_valid(text))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "spec.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _assert_clean_failure(*_run(capsys, ["derive", str(path)]))


# --- malformed equations ------------------------------------------------------------------


def _checker():
    checker = pytest.importorskip("symbackprop.checker")
    if not hasattr(checker, "check_equations"):
        pytest.skip("symbackprop.checker is not complete yet")
    return checker


EQUATION_TEXT = st.text(max_size=60) | st.text(alphabet="\\{}^_()=+-*/ adeltazysigmwbL123jk'", max_size=60)


@ONE_LINE_CLI
@given(EQUATION_TEXT.filter(lambda text: "=" not in text))
def test_equation_without_equals_sign_is_a_user_error(capsys: pytest.CaptureFixture[str], text: str) -> None:
    _checker()
    _assert_clean_failure(*_run(capsys, ["check", "2-2", f"--equation={text}"]))


@ONE_LINE_CLI
@given(EQUATION_TEXT)
def test_random_equations_never_crash(capsys: pytest.CaptureFixture[str], text: str) -> None:
    _checker()
    code, err = _run(capsys, ["check", "2-2", f"--equation={text}"])
    assert code in (0, 1, 2), err
    if code == 2:
        _assert_clean_failure(code, err)
