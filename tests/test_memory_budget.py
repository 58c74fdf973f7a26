"""The memory budget of the layer-level numeric checks: full width where it fits, capped widths
otherwise, a wrong formula caught either way, and nothing else that grows with the widths."""

from __future__ import annotations

import dataclasses
import time
import tracemalloc

import pytest

from symbackprop import Spec, cli, derive, driver
from symbackprop.derivation import derive_layers
from symbackprop.document import build_document
from symbackprop.model import NetworkModel, Parameter
from symbackprop.numeric import DEFAULT_MEMORY_BUDGET_MIB, LayerLevelEvaluator, check_bytes, size_text, widths_within
from symbackprop.proof import FAILED, VERIFIED
from symbackprop.registry import A

HUGE = "100000-100000-10"
MiB = 2**20


@pytest.mark.parametrize(("shorthand", "options"), [
    ("1500-1500-10", {}),
    ("300000-10", {"output_activation": "softmax", "cost": "cross_entropy"}),
    ("10-100000-10", {"activation": "tanh"}),
    ("100-20000-10", {"activation": "swish=z*sigmoid(z)"}),
    ("20000-3-20000", {"activation": "leaky_relu:0.2", "output_activation": "sigmoid",
                       "cost": "binary_cross_entropy"}),
])
def test_the_estimate_bounds_what_the_check_allocates(shorthand: str, options: dict) -> None:
    spec = Spec.parse(shorthand, **options)
    layers = derive_layers(spec)
    tracemalloc.start()
    try:
        verdicts = driver.verify_layer_level(layers, memory_budget=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert all(v.status == VERIFIED for v in verdicts)
    assert peak <= check_bytes(spec, driver.CHECK_SAMPLES)
    assert "at full width" in verdicts[0].how


def test_widths_are_capped_at_the_largest_power_of_two_that_fits() -> None:
    spec = Spec.parse(HUGE)
    checked = widths_within(spec, DEFAULT_MEMORY_BUDGET_MIB, 5)
    assert checked.sizes == (2048, 2048, 10)
    assert check_bytes(checked, 5) <= DEFAULT_MEMORY_BUDGET_MIB * MiB
    assert check_bytes(dataclasses.replace(spec, sizes=(4096, 4096, 10)), 5) > DEFAULT_MEMORY_BUDGET_MIB * MiB
    assert checked.activations == spec.activations and checked.cost == spec.cost
    small = Spec.parse("784-100-10")
    assert widths_within(small, DEFAULT_MEMORY_BUDGET_MIB, 5) is small
    assert widths_within(spec, None, 5) is spec
    assert widths_within(spec, 1e-6, 5).sizes == (2, 2, 2)  # never below 2: softmax needs two outputs


def test_size_text() -> None:
    assert size_text(80_000_000_000) == "74.5 GiB"
    assert size_text(256 * MiB) == "256 MiB"
    assert size_text(1000 * MiB) == "1000 MiB"
    assert size_text(1536) == "1.5 KiB"
    assert size_text(8 * MiB) == "8 MiB"
    assert size_text(12) == "12 bytes"


def test_a_huge_network_is_checked_at_capped_widths_within_the_budget() -> None:
    layers = derive_layers(Spec.parse(HUGE))
    started = time.monotonic()
    tracemalloc.start()
    try:
        verdicts = driver.verify_layer_level(layers)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 60
    assert peak <= DEFAULT_MEMORY_BUDGET_MIB * MiB
    for verdict in verdicts:
        assert verdict.status == VERIFIED
        assert verdict.how.startswith("float64 at widths capped to 2048-2048-10, since the full network needs "
                                      "149 GiB and the memory budget is 256 MiB; 24 entries against central "
                                      "differences")


def _wrong_output_delta(shorthand: str, **options):
    layers = derive_layers(Spec.parse(shorthand, **options))
    output = dataclasses.replace(layers.layers[-1], delta=layers.layers[-1].delta * 2)
    return dataclasses.replace(layers, layers=layers.layers[:-1] + (output,))


def _wrong_hidden_derivative(shorthand: str):
    """BP2 with σ'(z) = a(1 + a) instead of a(1 − a) in the first hidden layer."""
    layers = derive_layers(Spec.parse(shorthand, activation="sigmoid"))
    hidden = layers.layers[0]
    wrong = hidden.delta.subs(1 - A, 1 + A)
    assert wrong != hidden.delta
    return dataclasses.replace(layers, layers=(dataclasses.replace(hidden, delta=wrong),) + layers.layers[1:])


@pytest.mark.parametrize("shorthand", ["30-20-4", HUGE])
@pytest.mark.parametrize("wrong", [_wrong_output_delta, _wrong_hidden_derivative])
def test_a_wrong_delta_is_caught_at_full_and_at_capped_width(shorthand: str, wrong) -> None:
    (verdict,) = driver.verify_layer_level(wrong(shorthand))
    assert verdict.status == FAILED and "central difference" in verdict.how
    assert ("at full width" in verdict.how) == (shorthand != HUGE)
    assert ("capped to 2048-2048-10" in verdict.how) == (shorthand == HUGE)


@pytest.mark.parametrize("shorthand", ["30-20-4", HUGE])
def test_a_wrong_bp4_is_caught_at_full_and_at_capped_width(shorthand: str, monkeypatch) -> None:
    """A weight gradient without the batch's 1/m: right for one sample, wrong for the batch."""
    right = LayerLevelEvaluator.gradients

    def without_the_mean(self, params, X, Y_):
        grads = right(self, params, X, Y_)
        return {key: value * X.shape[0] if key.startswith("W") else value for key, value in grads.items()}

    monkeypatch.setattr(LayerLevelEvaluator, "gradients", without_the_mean)
    single, batched = driver.verify_layer_level(derive_layers(Spec.parse(shorthand)))
    assert single.status == VERIFIED
    assert batched.status == FAILED and batched.how.startswith("W")


def test_derive_states_the_capped_widths_in_the_verdicts_and_the_note() -> None:
    d = derive(Spec.parse(HUGE), proof_budget=0)
    assert d.proof.holds
    assert "capped to 2048-2048-10" in d.proof.summary("layer-level")
    (note,) = [note for note in d.proof.notes if "reduced network" in note]
    assert note.endswith("verified numerically at the widths 2048-2048-10 the memory budget allows.")


def test_a_larger_budget_checks_at_full_width() -> None:
    spec = Spec.parse("1000-1000-10")
    assert "capped to 512-512-10" in driver.derive_layer_level(spec, memory_budget=10).proof.summary("batched")
    assert "at full width 1000-1000-10" in driver.derive_layer_level(spec, memory_budget=20).proof.summary("batched")


def test_cli_memory_budget_option(capsys) -> None:
    assert cli.main(["derive", "1000-1000-10", "--memory-budget", "10", "--proof-budget", "0"]) == 0
    out = capsys.readouterr().out
    assert "layer-level: verified numerically (float64 at widths capped to 512-512-10, since the full network " \
           "needs 20 MiB and the memory budget is 10 MiB; 24 entries" in out
    assert cli.main(["derive", "1000-1000-10", "--memory-budget", "inf", "--proof-budget", "0"]) == 0
    assert "at full width 1000-1000-10" in capsys.readouterr().out
    for bad in ("0", "-1", "nan", "lots"):
        with pytest.raises(SystemExit) as raised:
            cli.main(["codegen", "3-2", "--memory-budget", bad])
        assert raised.value.code == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and "--memory-budget" in error[0]
    parser = cli.build_parser()
    for command in ("derive", "latex", "codegen"):
        assert parser.parse_args([command, "2-1"]).memory_budget == DEFAULT_MEMORY_BUDGET_MIB


def test_codegen_says_what_its_check_covered(tmp_path, capsys) -> None:
    target = tmp_path / "big.py"
    assert cli.main(["codegen", HUGE, "-o", str(target)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"wrote {target}"
    assert all("capped to 2048-2048-10" in line for line in lines[1:]) and len(lines) == 3
    assert "SIZES = (100000, 100000, 10)" in target.read_text()


def test_parameters_are_looked_up_without_listing_them() -> None:
    model = NetworkModel(Spec.parse("1000000-1000000-10"))
    assert model.has(Parameter("w", 2, 10, 1000000)) and model.has(Parameter("b", 1, 1000000))
    for missing in (Parameter("w", 2, 11, 1), Parameter("w", 1, 1, 1000001), Parameter("b", 3, 1),
                    Parameter("w", 0, 1, 1), Parameter("b", 1, 0), Parameter("w", 1, 1)):
        assert not model.has(missing)
    assert not NetworkModel(Spec.parse("2-2", bias=False)).has(Parameter("b", 1, 1))
    assert "parameters" not in vars(model)  # the cached list of every parameter was never built


def test_the_diagram_of_a_very_wide_network_stays_small() -> None:
    spec = Spec.parse("10-1000000-1000000-10", activation="relu")
    d = derive(spec, proof_budget=0, memory_budget=16)
    started = time.monotonic()
    text = build_document(spec, highlight="w^1_{11}", derivation=d)
    assert time.monotonic() - started < 20
    assert "1000000" in text and len(text) < 200_000
