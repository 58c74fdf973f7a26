"""Generated training modules of convolutional networks, executed: PyTorch autograd, central differences,
max-pooling ties, the API contract, a wrong derived rule showing in the code, and training on the digits."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

sys.path.insert(0, str(Path(__file__).parent))

from test_conv_derivation import _torch_gradients  # noqa: E402

from symbackprop import Spec, api  # noqa: E402
from symbackprop.conv.derivation import IN, OFFSET, PAD, IndexMap, derive_conv_layers  # noqa: E402
from symbackprop.conv.numeric import random_problem  # noqa: E402
from symbackprop.spec import parse_toml  # noqa: E402
from symbackprop.training_module import generate_module, load_module  # noqa: E402

#: conv → relu → max pool → conv → tanh → average pool → dense softmax, cross-entropy.
POOLED = textwrap.dedent("""
    name = "pooled"
    cost = "cross_entropy"
    [[layers]]
    shape = [2, 10, 10]
    [[layers]]
    kind = "conv2d"
    channels = 4
    kernel = 3
    padding = 1
    activation = "relu"
    [[layers]]
    kind = "maxpool2d"
    kernel = 2
    [[layers]]
    kind = "conv2d"
    channels = 3
    kernel = 3
    activation = "tanh"
    [[layers]]
    kind = "avgpool2d"
    kernel = 3
    [[layers]]
    size = 5
    activation = "softmax"
""")
#: A stride-2, padding-1, non-square kernel, then dense layers and binary cross-entropy.
STRIDED = textwrap.dedent("""
    name = "strided"
    cost = "binary_cross_entropy"
    [[layers]]
    shape = [1, 9, 7]
    [[layers]]
    kind = "conv2d"
    channels = 3
    kernel = [3, 2]
    stride = 2
    padding = 1
    activation = "relu"
    [[layers]]
    size = 6
    activation = "tanh"
    [[layers]]
    size = 1
    activation = "sigmoid"
""")
SPECS = {"pooled": POOLED, "strided": STRIDED}


@cache
def module(name: str, dtype: str = "float64"):
    return load_module(api.codegen(parse_toml(SPECS[name]), dtype=dtype).source, f"{name}_{dtype}")


@pytest.mark.parametrize("name", SPECS)
def test_gradients_agree_with_pytorch_autograd(name):
    spec, mod = parse_toml(SPECS[name]), module(name)
    for seed in range(3):
        params, X, Y = random_problem(spec, 8, seed)
        ours = mod.gradients(params, X, Y)
        theirs = _torch_gradients(spec, params, X, Y)
        for key, value in theirs.items():
            error = np.max(np.abs(ours[key] - value)) / np.max(np.abs(value))
            assert error < 1e-10, (key, error)


@pytest.mark.parametrize("name", SPECS)
def test_gradients_agree_with_central_differences(name):
    spec, mod = parse_toml(SPECS[name]), module(name)
    params, X, Y = random_problem(spec, 4, 5)
    result = mod.gradient_check(params, X, Y, entries=12)
    assert result < 1e-6 and result.compared > 0, result.summary()


def test_images_or_flat_rows_and_the_api_contract(tmp_path):
    mod, spec = module("pooled"), parse_toml(POOLED)
    assert mod.INPUT_SHAPE == (2, 10, 10) and mod.SIZES[0] == 200
    assert mod.PARAMETER_SHAPES == {"W1": (4, 2, 3, 3), "b1": (4,), "W3": (3, 4, 3, 3), "b3": (3,), "W5": (5, 3),
                                    "b5": (5,)}
    params, X, Y = random_problem(spec, 6, 0)
    assert np.array_equal(mod.forward(params, X), mod.forward(params, X.reshape(6, -1)))
    assert mod.forward(params, X).shape == (6, 5) and np.allclose(mod.forward(params, X).sum(axis=1), 1)
    labels = Y.argmax(axis=1)
    assert mod.loss(params, X, labels) == pytest.approx(mod.loss(params, X, np.eye(5)[labels]))
    with pytest.raises(ValueError, match=r"X has shape \(6, 2, 9, 10\)"):
        mod.forward(params, X[:, :, :9])
    start = mod.init_params(0)
    assert {key: value.shape for key, value in start.items()} == mod.PARAMETER_SHAPES
    assert np.isclose(start["W1"].std(), np.sqrt(2 / 18), rtol=0.4) and not start["b1"].any()  # He, fan-in 2·3·3
    before = mod.loss(start, X, labels)
    for _ in range(20):
        mod.sgd_step(start, X, labels, 0.1)
    assert mod.loss(start, X, labels) < before
    mod.save(start, tmp_path / "p.npz")
    assert all(np.array_equal(mod.load(tmp_path / "p.npz")[key], start[key]) for key in start)


def test_no_python_loop_over_samples_channels_or_positions():
    source = api.codegen(parse_toml(POOLED)).source
    body = re.search(r"def _forward\(.*?\n\n\n(?=def _kink_switches)", source, re.S).group()
    assert not re.search(r"^\s+(for|while) ", body, re.M)
    for line in ('np.matmul(params["W1"].reshape(4, 18), col1.reshape(18, -1), out=z1.reshape(4, -1))',
                 "np.matmul(d3.reshape(3, -1), col3.reshape(36, -1).T, out=gW3.reshape(3, 36))",
                 'np.matmul(params["W3"].reshape(3, 36).T, d3.reshape(3, -1), out=prod3.reshape(36, -1))',
                 "np.copyto(col1, _windows(pad1, (3, 3), axis=(2, 3)).transpose(0, 4, 5, 1, 2, 3))"):
        assert line in body, line
    assert "# layer 3 back: the correlation of δ, dilated by 1×1 and padded by 2×2, with the kernel flipped" in body


def test_max_pool_ties_route_to_the_first_maximum():
    spec = Spec.parse("1x4x4-maxpool2-conv2k1-3", activation="identity")
    mod = load_module(api.codegen(spec).source, "ties")
    params, X, Y = random_problem(spec, 3, 0)
    X = np.round(X * 2) / 2  # many exact ties in every window
    ours, theirs = mod.gradients(params, X, Y), _torch_gradients(spec, params, X, Y)
    for key in theirs:
        assert np.allclose(ours[key], theirs[key], rtol=1e-12, atol=1e-14), key


def test_gradient_check_keeps_its_differences_clear_of_a_change_of_maximum():
    """Two entries of a window within a hair of each other, from different input channels: a step of
    the weight of either channel swaps them, so a central difference there would average two slopes."""
    spec = Spec.parse("2x2x2-conv1k1-maxpool2-2", activation="identity")
    mod = load_module(api.codegen(spec).source, "near_tie")
    X = -np.ones((1, 2, 2, 2))
    X[0, 0, 0, 0], X[0, 1, 0, 1] = 1.0, 1.0
    params = {"W1": np.array([[[[1.0]], [[1.0 + 1e-9]]]]), "b1": np.ones(1), "W3": np.array([[0.5], [-0.3]]),
              "b3": np.zeros(2)}
    result = mod.gradient_check(params, X, np.array([[0.3, 0.7]]))
    assert result < 1e-6 and result.counts["two-sided"] < result.compared, result.summary()


def test_the_backward_pass_is_printed_from_the_derived_rule():
    """Generated from a derivation whose convolution crossing is solved wrongly (kernel not flipped),
    the module's gradients are wrong: the correlation in the code comes from the derived index map."""
    spec = Spec.parse("1x6x6-conv2k1-conv2k3s2p1-3", activation="tanh")
    layers = derive_conv_layers(spec)
    equations = layers.layer(2)
    wrong = IndexMap(equations.crossing.index_map.forward, (IN + PAD - (sp.Symbol("k", integer=True, positive=True)
                                                                        - 1 - OFFSET)) / 2)
    crossing = dataclasses.replace(equations.crossing, index_map=wrong)
    broken = dataclasses.replace(layers, layers=(layers.layers[0], dataclasses.replace(equations, crossing=crossing),
                                                 *layers.layers[2:]))
    params, X, Y = random_problem(spec, 4, 0)
    right = load_module(generate_module(layers), "right").gradient_check(params, X, Y)
    assert right < 1e-6
    assert load_module(generate_module(broken), "broken").gradient_check(params, X, Y) > 1e-2


def test_generated_conv_modules_are_ruff_clean(tmp_path):
    for backend in ("numpy", "cupy", "jax"):
        path = tmp_path / f"net_{backend}.py"
        path.write_text(api.codegen(parse_toml(POOLED), backend=backend, dtype="float32").source)
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(tmp_path)], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stdout
    assert "cp.lib.stride_tricks.sliding_window_view" in (tmp_path / "net_cupy.py").read_text()


@pytest.mark.parametrize("name", SPECS)
def test_the_jax_module_agrees_with_pytorch_autograd(name):
    pytest.importorskip("jax")
    spec = parse_toml(SPECS[name])
    mod = load_module(api.codegen(spec, backend="jax").source, f"{name}_jax")
    params, X, Y = random_problem(spec, 8, 2)
    ours, theirs = mod.gradients(params, X, Y), _torch_gradients(spec, params, X, Y)
    for key, value in theirs.items():
        assert np.max(np.abs(np.asarray(ours[key]) - value)) / np.max(np.abs(value)) < 1e-10, key
    assert mod.gradient_check(params, X, Y) < 1e-6
    start = mod.init_params(0)
    labels = Y.argmax(axis=1)
    before = float(mod.loss(start, X, labels))
    for _ in range(10):
        mod.sgd_step(start, X, labels, 0.1)  # in place: the dict gets the new arrays
    assert float(mod.loss(start, X, labels)) < before


def test_digits_cnn_trained_by_its_own_cli_reaches_98_5_percent(tmp_path):
    """scikit-learn's digits (8×8, scaled to [0, 1]), a 75/25 split (train_test_split, random_state 0): conv(16, k3,
    padding 1) → relu → max pool 2 → dense 10 softmax, 20 epochs, batch 32, lr 0.1, momentum 0.9, float32."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    X, X_val, Y, Y_val = train_test_split(images, digits.target, test_size=0.25, random_state=0)
    np.savez(tmp_path / "digits.npz", X=X, Y=Y, X_val=X_val, Y_val=Y_val)
    spec = Spec.parse("1x8x8-conv16k3p1-maxpool2-10", activation="relu", output_activation="softmax",
                      cost="cross_entropy", name="digits")
    (tmp_path / "digits_cnn.py").write_text(api.codegen(spec, dtype="float32").source)
    done = subprocess.run([sys.executable, "digits_cnn.py", "train", "digits.npz", "--epochs", "20",
                           "--batch-size", "32", "--lr", "0.1", "--momentum", "0.9"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    accuracy = float(re.findall(r"val_accuracy ([0-9.]+)", done.stdout)[-1])
    assert accuracy >= 0.985, done.stdout.splitlines()[-1]
