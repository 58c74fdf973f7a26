"""The generated module's gradient_check on kinked networks: no false alarm, and still loud on a wrong formula.

For relu, leaky_relu, abs(z) and max(z, 0.5) hidden layers, 1–3 of them, every output/cost pair
that is defined, zero biases (init_params) and several seeds: the correct module's check is far
below its tolerance, and with one parameter's gradient or the loss scaled by 1.5 it reports an
error of order one.  Each module is generated once per parametrisation.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import types
import warnings
from functools import cache

import numpy as np
import pytest
from test_generated_module import load_source

from symbackprop import Spec
from symbackprop.derivation import derive_layers
from symbackprop.training_module import generate_module

HIDDEN = ("relu", "leaky_relu", "a=abs(z)", "m=max(z, 0.5)")
OUTPUT_COSTS = [(output, "quadratic") for output in
                ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax")]
OUTPUT_COSTS += [("sigmoid", "binary_cross_entropy"), ("softmax", "binary_cross_entropy"),
                 ("sigmoid", "cross_entropy"), ("softmax", "cross_entropy"), ("softplus", "cross_entropy")]
SHAPES = {1: "2-3-2", 2: "2-3-3-2", 3: "2-3-3-3-2"}
SEEDS = (0, 1, 2)
WRONG = 0.1
# Two passes over the output/cost pairs, each pairing them with every (hidden activation, depth) once.
CASES = [(HIDDEN[(i + shift) % 4], output, cost, 1 + (i // 4 + shift) % 3)
         for shift in (0, 1) for i, (output, cost) in enumerate(OUTPUT_COSTS)]


@cache
def derivation(hidden: str, output: str, cost: str, depth: int):
    return derive_layers(Spec.parse(SHAPES[depth], activation=hidden, output_activation=output, cost=cost))


@cache
def module(hidden: str, output: str, cost: str, depth: int, dtype: str = "float64"):
    return load_source(generate_module(derivation(hidden, output, cost, depth), dtype=dtype))


def batch(net, seed: int, m: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and valid targets: probability rows for softmax, values in (0, 1) otherwise."""
    rng = np.random.default_rng(100 + seed)
    X = rng.uniform(-1.0, 1.0, (m, net.SIZES[0]))
    if net.ACTIVATIONS[-1] == "softmax":
        return X, rng.dirichlet(np.ones(net.SIZES[-1]), m)
    return X, rng.uniform(0.1, 0.9, (m, net.SIZES[-1]))


def wrong_gradient(net, key: str):
    right = net.gradients
    return lambda *args: {**right(*args), key: 1.5 * right(*args)[key]}


def assert_loud_on_wrong_formulas(net, params, X, Y, monkeypatch, keys=None) -> None:
    """The gradient of each of ``keys`` (default: every parameter) scaled by 1.5 where it is not
    zero, and the loss scaled by 1.5."""
    grads = net.gradients(params, X, Y)
    for key in (key for key in keys or grads if np.abs(grads[key]).max() > 1e-8):
        with monkeypatch.context() as patch:
            patch.setattr(net, "gradients", wrong_gradient(net, key))
            assert net.gradient_check(params, X, Y) > WRONG, key
    right = net.loss
    with monkeypatch.context() as patch:
        patch.setattr(net, "loss", lambda *args: 1.5 * right(*args))
        assert net.gradient_check(params, X, Y) > WRONG, "loss"


def one_parameter(net, seed: int) -> list[str]:
    """The parameter whose gradient a seed gets wrong: each seed another, the output layer's first."""
    keys = list(net.PARAMETER_SHAPES)[::-1]
    return [keys[seed % len(keys)]]


@pytest.mark.parametrize(("hidden", "output", "cost", "depth"), CASES)
def test_correct_module_passes_and_wrong_formulas_fail(hidden, output, cost, depth, monkeypatch):
    net = module(hidden, output, cost, depth)
    for seed in SEEDS:
        params = net.init_params(seed)
        X, Y = batch(net, seed)
        assert all(not params[key].any() for key in params if key.startswith("b"))
        assert net.gradient_check(params, X, Y) < 1e-6, seed
        assert_loud_on_wrong_formulas(net, params, X, Y, monkeypatch, one_parameter(net, seed))


@pytest.mark.parametrize(("hidden", "output", "cost", "depth"), CASES[::4])
def test_float32_module_passes_below_its_tolerance_and_wrong_formulas_fail(hidden, output, cost, depth, monkeypatch):
    net = module(hidden, output, cost, depth, "float32")
    for seed in SEEDS:
        params = net.init_params(seed)
        X, Y = batch(net, seed, m=16)
        assert net.gradient_check(params, X, Y) < net._GRADCHECK_TOLERANCE, seed
        assert_loud_on_wrong_formulas(net, params, X, Y, monkeypatch, one_parameter(net, seed))


def test_every_parameter_gets_a_wrong_gradient_on_each_hidden_activation(monkeypatch):
    for hidden, depth in zip(HIDDEN, (3, 2, 3, 1), strict=True):
        net = module(hidden, "softmax", "cross_entropy", depth)
        params = net.init_params(0)
        X, Y = batch(net, 0)
        assert_loud_on_wrong_formulas(net, params, X, Y, monkeypatch)


def dead_first_layer(net, params, X) -> dict:
    """params with W1's rows flipped so that sample 0 has every pre-activation of layer 1 at most 0."""
    params = {key: value.copy() for key, value in params.items()}
    signs = np.where(params["W1"] @ X[0] > 0, -1.0, 1.0)
    params["W1"] *= signs[:, None]
    return params


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
def test_a_dead_layer_is_no_false_alarm(hidden, monkeypatch):
    """The issue's case: layer 1 dead for a sample, so (relu) layer 2's pre-activations are its zero biases."""
    net = module(hidden, "sigmoid", "binary_cross_entropy", 3)
    X, Y = batch(net, 0)
    params = dead_first_layer(net, net.init_params(0), X)
    assert (X[0] @ params["W1"].T <= 0).all()
    result = net.gradient_check(params, X, Y)
    assert result < 1e-6 and result.skipped == 0, result.summary()
    if hidden == "relu":  # leaky_relu's layer 1 still passes a little on, so layer 2 is off its kink
        assert result.counts["fewer samples"] + result.counts["one-sided"] > 0, result.summary()
        assert naive_central_error(net, params, X, Y, "b2") > 0.1  # what a check blind to kinks reports
    assert_loud_on_wrong_formulas(net, params, X, Y, monkeypatch)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_a_difference_straddling_a_kink_is_no_false_alarm(hidden, monkeypatch):
    """Sample 0's layer-1 pre-activations a third of a step above the kink: central differences of
    the entries that move them mix the slopes of both sides; the check goes one-sided."""
    net = module(hidden, "identity", "quadratic", 1)
    X, Y = batch(net, 1)
    params = net.init_params(1)
    (kink,) = net.KINKS[0]
    params["b1"] = kink + net._GRADCHECK_STEP / 3 - params["W1"] @ X[0]
    assert naive_central_error(net, params, X, Y, "b1") > 0.01  # the premise
    result = net.gradient_check(params, X, Y)
    assert result < 1e-6 and result.counts["one-sided"] >= 3, result.summary()
    assert_loud_on_wrong_formulas(net, params, X, Y, monkeypatch)


def naive_central_error(net, params, X, Y, key: str, step: float = 1e-6) -> float:
    """The relative error of plain central differences of the loss for every entry of one parameter."""
    exact, work, worst = net.gradients(params, X, Y)[key], {k: v.copy() for k, v in params.items()}, 0.0
    for i in range(exact.size):
        flat, original = work[key].reshape(-1), work[key].reshape(-1)[i]
        flat[i] = original + step
        upper = net.loss(work, X, Y)
        flat[i] = original - step
        lower = net.loss(work, X, Y)
        flat[i] = original
        numeric = (upper - lower) / (2 * step)
        worst = max(worst, abs(numeric - exact.reshape(-1)[i]) / max(abs(numeric), np.abs(exact).max(), 1e-8))
    return worst


def test_the_result_is_a_float_with_counts():
    net = module("relu", "identity", "quadratic", 1)
    X, Y = batch(net, 0)
    result = net.gradient_check(net.init_params(0), X, Y)
    assert isinstance(result, float) and float(result) == result and result < 1e-6
    assert f"{result:.1e}".endswith(("e-07", "e-08", "e-09", "e-10", "e-11", "e-12"))
    assert result.compared == 17 and result.skipped == 0 and set(result.counts) >= {"two-sided", "one-sided"}
    assert result.summary().startswith("17 of 17 entries compared (")
    assert net.KINKS == ((0.0,), ())


def test_checking_nothing_raises_and_skipping_most_warns():
    """One relu unit sitting on its kink: every entry that moves it is skipped, and it says so."""
    net = load_source(generate_module(derive_layers(Spec.parse("2-1", activation="relu"))))
    params = {"W1": np.array([[0.5, -0.5]]), "b1": np.zeros(1)}
    with pytest.raises(net.GradientCheckError, match=r"compared no entry: 0 of 3 entries compared; skipped 3 with "
                                                     r"a pre-activation on a kink"):
        net.gradient_check(params, np.array([[1.0, 1.0]]), np.array([[0.5]]))
    params["W1"] = np.array([[0.0, 0.5]])  # with x = (1, 0), W1[0, 1] no longer moves the unit
    with pytest.warns(RuntimeWarning, match=r"skipped most entries: 1 of 3 entries compared \(1 two-sided\); "
                                            r"skipped 2 with a pre-activation on a kink"):
        result = net.gradient_check(params, np.array([[1.0, 0.0]]), np.array([[0.5]]))
    assert result.compared == 1 and result.skipped == 2


def test_kinks_of_custom_activations_and_costs_reach_the_module():
    spec = Spec.parse("2-3-1", activation="h=abs(z - 1)", output_activation="identity", cost="l1=abs(a - y)")
    source = generate_module(derive_layers(spec))
    assert "kinks (σ not differentiable): z = 1" in source
    assert "Kinks of the cost (not differentiable): a = y." in source
    assert "return [z1 - 1, -Y + z2]" in source
    net = load_source(source)
    assert net.KINKS == ((1.0,), ())
    X = np.random.default_rng(0).uniform(-1, 1, (9, 2))
    params = net.init_params(0)
    Y = net.forward(params, X)[:, :1] + np.where(np.arange(9) % 3 == 0, 0.0, 0.3)[:, None]  # three outputs on a = y
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = net.gradient_check(params, X, Y)
    assert result < 1e-6 and result.counts["fewer samples"] > 0, result.summary()


def test_unsolved_kinks_still_keep_the_check_clear():
    spec = Spec.parse("2-3-1", activation="s=abs(sin(3*z))", output_activation="identity")
    source = generate_module(derive_layers(spec))
    assert "kinks (σ not differentiable): where sin(3·z) = 0" in source and "np.sin(3*z1)" in source
    net = load_source(source)
    X, Y = batch(net, 0)
    params = net.init_params(0)
    params["b1"][:] = np.pi / 3 - params["W1"] @ X[0]  # sample 0 sits on a kink of every unit
    result = net.gradient_check(params, X, Y)
    assert result < 1e-6 and result.counts["fewer samples"] + result.counts["one-sided"] > 0, result.summary()


def test_command_line_prints_the_counts(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(generate_module(derive_layers(Spec.parse("2-3-3-2", activation="relu",
                                                             output_activation="softmax", cost="cross_entropy"))))
    done = subprocess.run([sys.executable, str(path), "gradcheck"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("largest relative error against central differences: ")
    assert second.startswith("29 of 29 entries compared (") and "two-sided" in second


def test_cases_cover_every_pair_hidden_activation_and_depth():
    for half in (CASES[:len(OUTPUT_COSTS)], CASES[len(OUTPUT_COSTS):]):
        assert [(output, cost) for _, output, cost, _ in half] == OUTPUT_COSTS
        assert sorted((hidden, depth) for hidden, _, _, depth in half) == sorted(itertools.product(HIDDEN, SHAPES))


def test_cupy_module_checks_the_same_way(monkeypatch):
    """The CuPy module's gradient_check, with NumPy standing in for CuPy (same array API)."""
    stand_in = types.ModuleType("cupy")
    stand_in.__dict__.update(np.__dict__)
    stand_in.asnumpy = np.asarray
    monkeypatch.setitem(sys.modules, "cupy", stand_in)
    case = ("relu", "sigmoid", "binary_cross_entropy", 3)
    gpu, cpu = load_source(generate_module(derivation(*case), backend="cupy")), module(*case)
    X, Y = batch(cpu, 1)
    params = dead_first_layer(cpu, cpu.init_params(0), X)
    on_gpu, on_cpu = gpu.gradient_check(params, X, Y), cpu.gradient_check(params, X, Y)
    assert on_gpu < 1e-6 and on_gpu.counts == on_cpu.counts, (on_gpu.summary(), on_cpu.summary())
