"""``symbackprop derive`` and ``symbackprop demo``: the printed summary and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, derived

from symbackprop import cli
from symbackprop.report import derivation_summary, expression_text, plain_text


def test_derive_shorthand_in_a_subprocess():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "symbackprop", "derive", "3-4-2", "--activation", "sigmoid",
                             "--cost", "quadratic"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("Network 3-4-2 (activations sigmoid, sigmoid; cost quadratic; with biases)")
    assert "z^1 = W^1 a^0 + b^1" in out and "a^2 = σ_2(z^2)" in out
    assert "20 weights and 6 biases" in out
    assert "δ^2_j = a·(1 − a)·(a − y)" in out
    assert "δ^1_j = e·a·(1 − a)" in out
    for equation in ("BP1", "BP2", "BP3", "BP4", "layer-level", "batched"):
        assert f"    {equation + ':':<13}" in out
    assert "All equations hold for 3-4-2." in out


def test_derive_mnist_example(capsys, examples_dir):
    assert cli.main(["derive", str(examples_dir / "mnist.toml")]) == 0
    out = capsys.readouterr().out
    assert "Network mnist: 784-100-10" in out
    assert "softmax" in out and "cross_entropy" in out
    assert "δ^2_j = a_j − y_j" in out and "the output layer cancels to δ^L = a^L − y" in out
    assert "assumes: the targets of each sample sum to one" in out
    assert "on the reduced network 2-2-2" in out
    assert "exceed the per-weight limit of 120" in out
    assert "79400 weights and 110 biases" in out


def test_derive_xor_example_and_max_weights(capsys, examples_dir):
    assert cli.main(["derive", str(examples_dir / "xor.toml"), "--max-weights", "4"]) == 0
    out = capsys.readouterr().out
    assert "Network xor: 2-2-1" in out and "reduced network 2-2-1" in out
    assert "σ'(z) = 1 − a² (layer 1): proved symbolically" in out


def test_demo(capsys):
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("symbackprop demo: deriving the built-in example 3-4-2")
    assert "All equations hold for 3-4-2." in out


def test_derive_custom_activation_and_no_bias(capsys):
    assert cli.main(["derive", "2-2-1", "--activation", "swish=z*sigmoid(z)", "--output-activation", "identity",
                     "--cost", "logcosh=log(cosh(a-y))", "--no-bias"]) == 0
    out = capsys.readouterr().out
    assert "swish(z) = z*sigmoid(z)" in out and "logcosh = log(cosh(a-y))" in out
    assert "BP3  (no biases in this network)" in out and "0 biases" in out
    assert "b^1" not in out


def test_derive_usage_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["derive"])
    assert caught.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_summary_is_deterministic_and_reports_failures():
    d = derived("2-2-2", "tanh", "softmax", "cross_entropy")
    text = derivation_summary(d)
    assert text == derivation_summary(d)
    assert "FAILED" not in text and "σ'(z) = 1 − a² (layer 1): proved symbolically" in text
    assert "with s = Σ_i a_i ∂C/∂a_i = Σ_i (−y_i): δ^L_j = −a_j·s − y_j" in text
    assert "simplified: δ^2_j = a_j − y_j" in text


def test_summary_of_a_softmax_without_the_cancellation_keeps_the_row_sum():
    text = derivation_summary(derived("2-3", "sigmoid", "softmax", "quadratic"))
    assert "with s = Σ_i a_i ∂C/∂a_i = Σ_i (a_i² − a_i·y_i): δ^L_j = −a_j·s + a_j·(a_j − y_j)" in text
    assert "cancels to" not in text and "assumes:" not in text


def test_summary_shows_a_failure(monkeypatch):
    import dataclasses

    from symbackprop.proof import FAILED, Proof, Verdict

    d = derived("2-2", "sigmoid")
    bad = Verdict("∂C/∂w^1_11", "BP4", FAILED, "brute force 1 but factored form 2", {"x_{1}": 0.5})
    text = derivation_summary(dataclasses.replace(d, proof=Proof(d.proof.verdicts + (bad,))))
    assert "BP4:         FAILED at ∂C/∂w^1_11" in text
    assert "counterexample: x_{1} = 0.5" in text


def test_summary_is_stable_across_hash_seeds():
    code = ("from symbackprop import Spec, derive; from symbackprop.report import derivation_summary; "
            "print(derivation_summary(derive(Spec.parse('2-3-2', activation='tanh', output_activation='softmax', "
            "cost='cross_entropy'))))")
    outputs = set()
    for seed in ("0", "1"):
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_expression_text():
    import sympy as sp

    from symbackprop.registry import A, Y

    assert expression_text((A - Y) ** 2 / 2) == "(a − y)²/2"
    assert expression_text(A * (1 - A)) == "a·(1 − a)"
    assert expression_text(sp.exp(-A) - Y) == "−y + exp(−a)"
    assert plain_text("per-weight: δ^L = -(a**2 - 1) at 1e-5") == "per-weight: δ^L = −(a² − 1) at 1e-5"


def test_proof_budget_option(capsys):
    assert cli.main(["derive", "2-2-1", "--activation", "tanh", "--proof-budget", "0"]) == 0
    out = capsys.readouterr().out
    assert "BP4:         verified numerically for all 6 (4 random points, 50-digit arithmetic, after the 0 s " \
           "proof budget ran out)" in out
    assert "The proof's time budget of 0 s ran out: 0 of 9 per-weight partials were proved symbolically" in out
    assert cli.main(["derive", "2-2-1", "--activation", "tanh", "--proof-budget", "inf"]) == 0
    out = capsys.readouterr().out
    assert "BP4:         proved symbolically for all 6" in out and "time budget" not in out


def test_proof_budget_default_is_the_api_default():
    from symbackprop.driver import DEFAULT_PROOF_BUDGET

    assert cli.build_parser().parse_args(["derive", "2-1"]).proof_budget == DEFAULT_PROOF_BUDGET


def test_latex_takes_the_proof_budget_too(capsys):
    assert cli.main(["latex", "2-1", "--activation", "sigmoid", "--proof-budget", "0"]) == 0
    assert "after the 0 s proof budget ran out" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["-1", "nan", "soon"])
def test_bad_proof_budget_is_a_usage_error(capsys, value):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["derive", "2-1", "--proof-budget", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--proof-budget" in err


@pytest.mark.parametrize("argv", [["derive", "2-2", "--activation=--"], ["latex", "2-2", "--cost=--"],
                                  ["check", "2-2", "--equation=--"], ["check", "2-2", "--notation=--", "--equation",
                                                                      "x = 1"]])
def test_a_double_dash_as_an_option_value_is_a_bad_value_not_a_crash(capsys, argv):
    """argparse hands on [] for --option=--; every one of these used to end in a traceback."""
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and ("'--'" in err or "found '-'" in err)
