"""The memory budget of a convolutional network's numeric check: full size where it fits, the same layers
at a reduced size otherwise, a wrong formula caught either way, and codegen allocating nothing that grows
with the network."""

from __future__ import annotations

import dataclasses
import importlib.util
import time
import tracemalloc

import numpy as np
import pytest

from symbackprop import Spec, cli, codegen, derive
from symbackprop.conv import driver
from symbackprop.conv.derivation import IN, KERNEL, OFFSET, PAD, STRIDE, IndexMap, derive_conv_layers
from symbackprop.conv.numeric import ConvEvaluator
from symbackprop.conv.sizing import MAX_CHECK_OPERATIONS, check_size, image_fits, network_within
from symbackprop.conv.spec import Conv2d, Pool2d
from symbackprop.numeric import DEFAULT_MEMORY_BUDGET_MIB
from symbackprop.proof import FAILED, VERIFIED

MiB = 2**20
#: A wide dense head after a large image: 146 GiB of dense weights.
WIDE = "3x512x512-conv3k3p1-maxpool2-100000-10"
#: Many channels: a 1.1 GiB kernel and 10^12 multiply-adds per check.
CHANNELS = "3900x16x16-conv3900k3p1-10"
#: A large kernel on a large image: few parameters, but 6·10^13 multiply-adds per check.
KERNEL_HEAVY = "1x1000x1000-conv1k500-10"
#: 9801 overlapping max-pooling windows of 400 entries each (their pairs alone: 7.8·10^8 floats per sample).
POOL_HEAVY = "1x1000x1000-conv1k1-maxpool20s10-10"
#: Stride 2, padding 1 and a non-square kernel, then dense layers with binary cross-entropy: small, and huge.
STRIDED = dict(activation="tanh", output_activation="sigmoid", cost="binary_cross_entropy")
#: 11 MiB to check at full size.
MODERATE = "4x32x32-conv4k3p1-maxpool2-100-10"
SMALL_STRIDED, HUGE_STRIDED = "2x7x6-conv3k3x2s2p1-4-3", "3x500x499-conv3k3x2s2p1-maxpool2-20000-3"


def _spec(shorthand: str) -> Spec:
    return Spec.parse(shorthand, **(STRIDED if shorthand in (SMALL_STRIDED, HUGE_STRIDED) else {}))


@pytest.mark.parametrize("shorthand", [
    "1x8x8-conv16k3p1-maxpool2-10",
    "1x28x28-conv6k5-maxpool2-conv16k5-maxpool2-120-84-10",
    SMALL_STRIDED,
    "3x40x40-conv4k5p2-avgpool2-conv4k3s2-maxpool3s1-64-10",
    "1x60x60-maxpool4s2-conv4k3-50-2",
])
def test_the_estimate_bounds_what_the_check_allocates(shorthand: str) -> None:
    spec = _spec(shorthand)
    layers = derive_conv_layers(spec)
    assert check_size(spec, 5).operations <= MAX_CHECK_OPERATIONS
    tracemalloc.start()
    try:
        verdicts = driver.verify_batched(layers, memory_budget=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [v.status for v in verdicts] == [VERIFIED] * 2
    assert all(f"at full size {spec.shorthand()}," in v.how for v in verdicts)
    assert peak <= check_size(spec, 5).bytes


@pytest.mark.parametrize("shorthand", [WIDE, CHANNELS, KERNEL_HEAVY, POOL_HEAVY, HUGE_STRIDED])
def test_a_huge_network_is_checked_on_the_same_layers_at_a_size_that_fits(shorthand: str) -> None:
    spec = _spec(shorthand)
    checked = network_within(spec, DEFAULT_MEMORY_BUDGET_MIB, 5)
    assert checked is not None and checked != spec
    assert check_size(checked, 5).within(DEFAULT_MEMORY_BUDGET_MIB)
    assert len(checked.layers) == len(spec.layers) and checked.cost == spec.cost
    for mine, theirs in zip(checked.layers, spec.layers, strict=True):
        assert mine.kind == theirs.kind and getattr(mine, "activation", None) == getattr(theirs, "activation", None)
        if isinstance(theirs, Conv2d | Pool2d):
            assert (mine.kernel, mine.stride, mine.padding) == (theirs.kernel, theirs.stride, theirs.padding)
    for axis in (0, 1):
        assert image_fits(checked.input_shape[axis + 1], spec, axis)
    small = _spec(SMALL_STRIDED)
    assert network_within(small, DEFAULT_MEMORY_BUDGET_MIB, 5) is small


def test_the_largest_network_that_fits_is_chosen() -> None:
    spec = Spec.parse(WIDE)
    checked = network_within(spec, DEFAULT_MEMORY_BUDGET_MIB, 5)
    assert checked.shorthand() == "2x64x64-conv2k3p1-maxpool2-128-10"
    wider = dataclasses.replace(checked, layers=(*checked.layers[:2], dataclasses.replace(checked.layers[2], size=256),
                                                 checked.layers[3]))
    assert not check_size(wider, 5).within(DEFAULT_MEMORY_BUDGET_MIB)
    larger = network_within(spec, 10 * 2**10, 5)  # memory to spare: the multiply-adds still bound it
    assert check_size(larger, 5).operations <= MAX_CHECK_OPERATIONS < check_size(spec, 5).operations


def test_a_huge_network_is_checked_within_the_budget_and_says_so() -> None:
    layers = derive_conv_layers(Spec.parse(WIDE))
    started = time.monotonic()
    tracemalloc.start()
    try:
        verdicts = driver.verify_batched(layers)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 120
    assert peak <= DEFAULT_MEMORY_BUDGET_MIB * MiB
    for verdict in verdicts:
        assert verdict.status == VERIFIED
        assert verdict.how.startswith("float64 at the reduced size 2x64x64-conv2k3p1-maxpool2-128-10 (the same "
                                      "kernels, strides, padding and pooling), since the full network needs 294 GiB "
                                      "and the memory budget is 256 MiB, and its check would take 2.9e13 "
                                      "operations (the limit is 4e9); 24 entries against central differences")


def test_the_verdict_names_the_operations_when_they_are_what_exceeds() -> None:
    (verdict, _) = driver.verify_batched(derive_conv_layers(Spec.parse("1x200x200-conv1k100-10")))
    assert verdict.status == VERIFIED
    assert "since its check would take 1.5e11 operations (the limit is 4e9);" in verdict.how


def _broken(layers, number: int, backward):
    equations = layers.layer(number)
    crossing = dataclasses.replace(equations.crossing, index_map=IndexMap(equations.crossing.index_map.forward,
                                                                          backward))
    changed = dataclasses.replace(equations, crossing=crossing)
    return dataclasses.replace(layers, layers=tuple(changed if eq.layer == number else eq for eq in layers.layers))


WRONG = {"kernel not flipped": (IN + PAD - (KERNEL - 1 - OFFSET)) / STRIDE, "stride ignored": IN + PAD - OFFSET}


@pytest.mark.parametrize("shorthand", ["1x9x9-conv2k3-conv2k3s2p1-3", "2x500x500-conv3k3-conv3k3s2p1-4000-3"])
@pytest.mark.parametrize("mistake", WRONG)
def test_a_wrong_crossing_is_caught_at_full_and_at_reduced_size(shorthand: str, mistake: str) -> None:
    layers = derive_conv_layers(Spec.parse(shorthand))
    (verdict,) = driver.verify_batched(_broken(layers, 2, WRONG[mistake]))
    assert verdict.status == FAILED and "difference" in verdict.how
    assert ("at full size" in verdict.how) == shorthand.startswith("1x9")
    assert ("at the reduced size" in verdict.how) == shorthand.startswith("2x500")


@pytest.mark.parametrize("shorthand", [SMALL_STRIDED, HUGE_STRIDED])
def test_a_wrong_output_delta_is_caught_at_full_and_at_reduced_size(shorthand: str) -> None:
    layers = derive_conv_layers(_spec(shorthand))
    output = layers.elementwise.layers[-1]
    elementwise = dataclasses.replace(layers.elementwise, layers=(*layers.elementwise.layers[:-1],
                                                                  dataclasses.replace(output, delta=output.delta * 2)))
    (verdict,) = driver.verify_batched(dataclasses.replace(layers, elementwise=elementwise))
    assert verdict.status == FAILED
    assert ("at the reduced size" in verdict.how) == (shorthand == HUGE_STRIDED)


@pytest.mark.parametrize("shorthand", [SMALL_STRIDED, HUGE_STRIDED])
def test_a_kernel_gradient_without_the_mean_is_caught_in_the_batch(shorthand: str, monkeypatch) -> None:
    right = ConvEvaluator._parameter_gradients

    def without_the_mean(self, number, delta, below, m):
        return {key: value * m if key.startswith("W") else value
                for key, value in right(self, number, delta, below, m).items()}

    monkeypatch.setattr(ConvEvaluator, "_parameter_gradients", without_the_mean)
    single, batched = driver.verify_batched(derive_conv_layers(_spec(shorthand)))
    assert single.status == VERIFIED
    assert batched.status == FAILED and batched.how.startswith("W")


def test_derive_states_the_reduced_size_in_the_verdicts_and_the_note() -> None:
    d = derive(Spec.parse(WIDE), proof_budget=0)
    assert d.proof.holds
    assert "at the reduced size 2x64x64-conv2k3p1-maxpool2-128-10" in d.proof.summary("batched")
    (note,) = [note for note in d.proof.notes if "per-weight partials are not listed" in note]
    assert note.endswith("the whole network's forms are verified numerically at the size "
                         "2x64x64-conv2k3p1-maxpool2-128-10 the limits allow.")


def test_a_larger_budget_checks_at_full_size() -> None:
    spec = Spec.parse(MODERATE)
    small = driver.derive_conv_layer_level(spec, memory_budget=8)
    assert "at the reduced size" in small.proof.summary("batched") and "memory budget is 8 MiB" in \
        small.proof.summary("batched")
    assert "at full size" in driver.derive_conv_layer_level(spec, memory_budget=64).proof.summary("batched")


def test_a_network_whose_smallest_version_does_not_fit_is_left_unchecked_and_says_so() -> None:
    spec = Spec.parse("2x200x200-conv2k200x199-3", output_activation="sigmoid", cost="binary_cross_entropy")
    assert network_within(spec, 1, 5) is None
    d = driver.derive_conv_layer_level(spec, memory_budget=1)
    assert d.proof.summary("batched") == "not checked" and d.proof.holds
    (note,) = [note for note in d.proof.notes if "not checked numerically" in note]
    assert "even the smallest network of these layers, 2x200x200-conv2k200x199-2," in note
    assert "and the memory budget is 1 MiB" in note


def test_cli_memory_budget_option_for_conv_specs(tmp_path, capsys) -> None:
    spec = MODERATE
    assert cli.main(["derive", spec, "--memory-budget", "8", "--proof-budget", "0"]) == 0
    out = capsys.readouterr().out
    assert "batched:     verified numerically (float64 at the reduced size " in out
    assert "the memory budget is 8 MiB; 24 entries" in out
    target = tmp_path / "net.py"
    assert cli.main(["codegen", spec, "--memory-budget", "inf", "-o", str(target)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"wrote {target}" and all(f"at full size {spec}," in line for line in lines[1:])
    for command in ("derive", "latex", "codegen", "html", "markdown"):
        with pytest.raises(SystemExit) as raised:
            cli.main([command, spec, "--memory-budget", "0"])
        assert raised.value.code == 2
        assert "--memory-budget" in capsys.readouterr().err


def test_codegen_of_a_huge_network_allocates_nothing_network_sized(tmp_path) -> None:
    tracemalloc.start()
    try:
        module = codegen(Spec.parse(WIDE))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= DEFAULT_MEMORY_BUDGET_MIB * MiB
    assert "at the reduced size" in module.proof.summary("batched")
    path = tmp_path / "wide.py"
    path.write_text(module.source)
    found = importlib.util.spec_from_file_location("wide", path)
    generated = importlib.util.module_from_spec(found)
    found.loader.exec_module(generated)
    with pytest.raises(MemoryError, match=r"^init_params: the 3x512x512-conv3k3p1-maxpool2-100000-10 network's "
                                          r"float64 parameters need "):
        generated.init_params(0)
    with pytest.raises(MemoryError, match=r"^load: "):
        generated.load(tmp_path / "never-read.npz")
    assert np.prod(generated.INPUT_SHAPE) == 3 * 512 * 512


@pytest.mark.parametrize(("side", "kernel", "stride"), [(14, 4, 10), (13, 3, 10), (30, 20, 10), (22, 12, 10)])
def test_a_pool_of_a_large_stride_routes_its_error_as_pytorch_does(side: int, kernel: int, stride: int) -> None:
    """The windows that read an input are found in whole numbers: (u − p)/s in floats is not exact (14/10 −
    4/10 ≠ 1), and the check of a reduced network with such a pool had reported a right formula FAILED."""
    torch = pytest.importorskip("torch")
    spec = Spec.parse(f"1x{side}x{side}-maxpool{kernel}s{stride}-3")
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 1, side, side))
    tensor = torch.tensor(a, requires_grad=True)
    out = torch.nn.functional.max_pool2d(tensor, kernel, stride)
    delta = rng.normal(size=tuple(out.shape))
    out.backward(torch.tensor(delta))
    error = ConvEvaluator.of(derive_conv_layers(spec)).cross(1, delta, {}, a)
    assert np.abs(error - tensor.grad.numpy()).max() < 1e-12
