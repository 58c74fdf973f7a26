"""The JAX backend, executed: the printed backward pass against jax.grad and PyTorch autograd,
training on real data, donation, float32, validation without host copies, and data-parallel
training over two local devices and over two processes (gloo collectives on loopback).

Skipped as a whole when JAX is not installed (``pip install jax``).
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import socket
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="JAX is not installed (pip install jax): the JAX backend is not tested")

from test_generated_module import problem as numpy_module_problem  # noqa: E402

from symbackprop import Spec  # noqa: E402
from symbackprop.derivation import derive_layers  # noqa: E402
from symbackprop.training_module import generate_module  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_FOLDER = Path(__import__("tempfile").mkdtemp(prefix="symbackprop-jax-"))
_count = itertools.count()
#: Subprocesses: CPU only (no probing for accelerators), the checkout importable.
ENV = {**os.environ, "JAX_PLATFORMS": "cpu",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
ENV.pop("XLA_FLAGS", None)


def source_for(shorthand, hidden="sigmoid", output=None, cost="quadratic", dtype="float64", backend="jax"):
    spec = Spec.parse(shorthand, activation=hidden, output_activation=output or hidden, cost=cost)
    return generate_module(derive_layers(spec), dtype=dtype, backend=backend)


@cache
def module_for(shorthand, hidden="sigmoid", output=None, cost="quadratic", dtype="float64"):
    path = _FOLDER / f"jax_net_{next(_count)}.py"
    path.write_text(source_for(shorthand, hidden, output, cost, dtype))
    loader = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


def problem(module, m=7, seed=0):
    """Random parameters with nonzero biases, inputs, and valid targets (the NumPy module tests' problem)."""
    return numpy_module_problem(module, m=m, seed=seed)


def relative_error(mine, reference):
    return max(float(np.abs(np.asarray(mine[k]) - np.asarray(reference[k])).max())
               / max(float(np.abs(np.asarray(reference[k])).max()), 1e-300) for k in reference)


CASES = [("3-4-2", "sigmoid", "softmax", "cross_entropy"), ("3-5-4-2", "tanh", "sigmoid", "binary_cross_entropy"),
         ("2-4-3-1", "relu", "identity", "quadratic"), ("3-4-2", "softplus", "softmax", "quadratic"),
         ("3-4-2", "leaky_relu", "sigmoid", "cross_entropy"), ("3-4-2", "swish=z*sigmoid(z)", "tanh", "quadratic"),
         ("2-3-2", "g=erf(z)", "identity", "logcosh=log(cosh(a - y))")]


@pytest.mark.parametrize(("shorthand", "hidden", "output", "cost"), CASES)
def test_printed_backward_pass_equals_jax_grad_of_its_own_loss(shorthand, hidden, output, cost):
    module = module_for(shorthand, hidden, output, cost)
    params, X, Y = problem(module)
    autodiff = jax.grad(lambda p: module.loss(p, X, Y))(params)
    printed = module.gradients(params, X, Y)
    assert set(printed) == set(module.PARAMETER_SHAPES)
    assert relative_error(printed, autodiff) < 1e-10


def _torch_loss(torch, module, cost, params, X, Y):
    """The network of ``module`` written directly in PyTorch (float64): an independent forward pass."""
    functional = torch.nn.functional
    activations = {"identity": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
                   "softplus": functional.softplus, "leaky_relu": lambda z: functional.leaky_relu(z, 0.01),
                   "softmax": lambda z: torch.softmax(z, dim=1)}
    a = torch.from_numpy(X)
    for layer, name in enumerate(module.ACTIVATIONS, start=1):
        a = activations[name](a @ params[f"W{layer}"].T + params[f"b{layer}"])
    y = torch.from_numpy(Y)
    costs = {"quadratic": lambda: 0.5 * (a - y) ** 2, "cross_entropy": lambda: -y * torch.log(a),
             "binary_cross_entropy": lambda: -(y * torch.log(a) + (1 - y) * torch.log(1 - a))}
    return costs[cost]().sum() / X.shape[0]


@pytest.mark.parametrize(("shorthand", "hidden", "output", "cost"), CASES[:5])
def test_printed_backward_pass_equals_pytorch_autograd(shorthand, hidden, output, cost):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")
    module = module_for(shorthand, hidden, output, cost)
    params, X, Y = problem(module, seed=3)
    leaves = {key: torch.tensor(value, dtype=torch.float64, requires_grad=True) for key, value in params.items()}
    total = _torch_loss(torch, module, cost, leaves, X, Y)
    total.backward()
    assert abs(total.item() - float(module.loss(params, X, Y))) < 1e-12 * max(1.0, abs(total.item()))
    reference = {key: leaf.grad.numpy() for key, leaf in leaves.items()}
    assert relative_error(module.gradients(params, X, Y), reference) < 1e-10


def test_the_module_never_calls_jax_autodiff():
    source = source_for("3-4-4-2", "relu", "softmax", "cross_entropy")
    for name in ("grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "linearize"):
        assert f"jax.{name}(" not in source and f".{name}(" not in source
    assert "donate_argnums" in source and "jax.jit(" in source


def test_trains_on_digits_in_float32():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    X, labels = (digits.data / 16.0).astype(np.float32), digits.target
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:1347], order[1347:]
    module = module_for("64-32-10", "sigmoid", "softmax", "cross_entropy", dtype="float32")
    params = module.init_params(0)
    history = module.train(params, X[train], labels[train], epochs=30, batch_size=32, lr=0.5, verbose=False)
    assert history[-1]["loss"] < history[0]["loss"]
    assert module.accuracy(params, X[test], labels[test]) >= 0.96
    assert all(value.dtype == np.float32 for value in params.values())


def test_float32_end_to_end_even_with_x64_on():
    module_for("3-4-2")  # a float64 module turns jax_enable_x64 on for the whole process
    module = module_for("4-5-3", "relu", "softmax", "cross_entropy", dtype="float32")
    params = module.init_params(0)
    X = np.random.default_rng(0).random((8, 4))
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    value = module.sgd_step(params, X, labels, 0.1)
    assert value.dtype == np.float32 and all(v.dtype == np.float32 for v in params.values())
    assert all(g.dtype == np.float32 for g in module.gradients(params, X, labels).values())
    assert module.gradient_check(module.init_params(0), X, labels) < 5e-2


def test_sgd_step_donates_the_parameters_and_never_copies_to_the_host():
    module = module_for("3-4-2", "tanh", "softmax", "cross_entropy")
    params, X, Y = problem(module)
    params = {key: jax.numpy.asarray(value) for key, value in params.items()}
    grads = module.gradients(params, X, Y)
    expected = {key: np.asarray(value) - 0.1 * np.asarray(grads[key]) for key, value in params.items()}
    old = params["W1"]
    X, Y = jax.numpy.asarray(X), jax.numpy.asarray(Y)
    with jax.transfer_guard_device_to_host("disallow"):
        module.sgd_step(params, X, Y, 0.1)
    assert old.is_deleted()  # the update wrote into the donated buffer
    assert relative_error(params, expected) < 1e-12
    with pytest.raises(ValueError, match=r"X has shape \(7, 2\); expected \(m, 3\)"):
        module.sgd_step(params, X[:, :2], Y, 0.1)


def test_momentum_and_l2_match_the_numpy_module():
    jax_module = module_for("3-6-1", "tanh", "identity", "quadratic")
    path = _FOLDER / "numpy_twin.py"
    path.write_text(source_for("3-6-1", "tanh", "identity", "quadratic", backend="numpy"))
    loader = importlib.util.spec_from_file_location("numpy_twin", path)
    numpy_module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(numpy_module)
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (50, 3))
    Y = np.sin(X.sum(axis=1, keepdims=True))
    results = []
    for module in (numpy_module, jax_module):
        params = module.init_params(2)
        history = module.train(params, X, Y, 4, 8, 0.05, momentum=0.9, l2=1e-3, verbose=False)
        results.append(({key: np.asarray(value) for key, value in params.items()}, history[-1]["loss"]))
    assert relative_error(results[1][0], results[0][0]) < 1e-10
    assert abs(results[1][1] - results[0][1]) < 1e-10


@pytest.mark.parametrize("resident", [True, False], ids=["data-on-the-devices", "streamed"])
def test_train_takes_the_steps_of_sgd_step(monkeypatch, resident):
    """train() runs an epoch as scanned loops of steps; either way its parameters and losses are
    those of sgd_step on the same batches in the same order.

    45 samples in batches of 4 make 11 full batches and a last batch of 1.  On the devices: one
    loop over the 11 batches gathered there, one over the last.  Streamed with stacks of at most 4:
    3 stacks of 3, then 2 full batches one by one and the last.
    """
    module = module_for("4-5-3", "sigmoid", "softmax", "cross_entropy")
    monkeypatch.setattr(module, "STACK_BATCHES", 4)
    monkeypatch.setattr(module, "RESIDENT_BYTES", 1 << 30 if resident else 0)
    assert module._stack_size(11, 1) == 3
    rng = np.random.default_rng(3)
    X, labels = rng.normal(size=(45, 4)), rng.integers(0, 3, 45)
    trained, stepped = module.init_params(5), module.init_params(5)
    history = module.train(trained, X, labels, 2, 4, 0.4, seed=11, verbose=False)
    order, losses = np.random.default_rng(11), []
    for _ in range(2):
        index = order.permutation(45)
        losses.append([float(module.sgd_step(stepped, X[index[i:i + 4]], labels[index[i:i + 4]], 0.4))
                       for i in range(0, 45, 4)])
    assert relative_error(trained, stepped) < 1e-12
    sizes = np.minimum(4, 45 - np.arange(0, 45, 4))
    assert [record["loss"] for record in history] == pytest.approx([np.dot(value, sizes) / 45 for value in losses],
                                                                   rel=1e-12)
    assert history[-1]["accuracy"] == module.accuracy(stepped, X, labels)


@pytest.mark.parametrize("resident", [True, False], ids=["data-on-the-devices", "streamed"])
def test_train_reports_the_accuracy_of_a_single_output_classifier(monkeypatch, resident):
    """One sigmoid output: a sample is class 1 above 0.5, on the devices as on the host."""
    module = module_for("3-4-1", "tanh", "sigmoid", "binary_cross_entropy")
    monkeypatch.setattr(module, "RESIDENT_BYTES", 1 << 30 if resident else 0)
    X = np.random.default_rng(0).normal(size=(50, 3))
    labels = (X[:, 0] > 0).astype(int)
    params = module.init_params(0)
    history = module.train(params, X, labels, 1, 7, 0.3, verbose=False)
    assert 0.5 < history[0]["accuracy"] < 1 and history[0]["accuracy"] * 50 == round(history[0]["accuracy"] * 50)
    assert history[0]["accuracy"] == module.accuracy(params, X, labels)


def test_save_load_and_the_command_line(tmp_path):
    module = module_for("3-4-2", "sigmoid", "softmax", "cross_entropy")
    params = module.init_params(4)
    module.save(params, tmp_path / "p.npz")
    loaded = module.load(tmp_path / "p.npz")
    assert all(np.array_equal(np.asarray(loaded[k]), np.asarray(params[k])) for k in params)
    path = tmp_path / "net.py"
    path.write_text(source_for("3-4-2", "sigmoid", "softmax", "cross_entropy"))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    np.savez(tmp_path / "data.npz", X=X, Y=(X[:, 0] > 0).astype(int))

    def run(*args):
        return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, cwd=tmp_path,
                              env=ENV, timeout=120)

    done = run("train", "data.npz", "--epochs", "2", "--batch-size", "8", "--lr", "0.5", "--save", "out.npz")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("epoch ") == 2 and (tmp_path / "out.npz").exists()
    assert run("gradcheck").returncode == 0
    wrong = run("train", "data.npz", "--coordinator", "127.0.0.1:1")
    assert wrong.returncode == 2 and "need --distributed" in wrong.stderr


def test_the_numpy_module_never_imports_jax(tmp_path):
    (tmp_path / "plain.py").write_text(source_for("3-4-2", backend="numpy"))
    code = "import sys, plain; plain.gradients(plain.init_params(0), [[0.0, 1.0, 2.0]], [[0.5, 0.5]]); " \
           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib')))"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=ENV,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize("resident", [True, False], ids=["data-on-the-devices", "streamed"])
def test_one_process_two_devices_and_two_processes_train_the_same_parameters(tmp_path, resident):
    """Same seed, data and global batch size: 1 device, 2 local devices, 2 processes (float64, < 1e-9).

    45 samples in batches of 8 leave a last batch of 5 that two devices do not divide.
    """
    (tmp_path / "net.py").write_text(source_for("5-8-3", "tanh", "softmax", "cross_entropy"))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(45, 5))
    np.savez(tmp_path / "data.npz", X=X, Y=(X[:, :3].argmax(axis=1)))
    script = ["net.py"] if resident else ["-c", "import sys, net; net.RESIDENT_BYTES = 0; sys.exit(net.main())"]
    train = [sys.executable, *script, "train", "data.npz", "--epochs", "3", "--batch-size", "8", "--lr", "0.3",
             "--momentum", "0.5"]

    def start(out, *extra, env=ENV):
        return subprocess.Popen([*train, "--save", out, *extra], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    port = _free_port()
    runs = [start("one.npz"),
            start("two_devices.npz", env={**ENV, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}),
            *(start("two_processes.npz", "--distributed", "--coordinator", f"127.0.0.1:{port}",
                    "--num-processes", "2", "--process-id", str(rank)) for rank in (0, 1))]
    outputs = []
    try:
        outputs = [run.communicate(timeout=240) for run in runs]
    finally:
        for run in runs:
            run.kill()
    assert all(run.returncode == 0 for run in runs), [err[-2000:] for _, err in outputs]
    assert outputs[0][0].count("epoch ") == 3
    assert outputs[2][0].count("epoch ") == 3 and "epoch" not in outputs[3][0]  # process 0 alone prints
    reference = dict(np.load(tmp_path / "one.npz"))
    for name in ("two_devices.npz", "two_processes.npz"):
        other = dict(np.load(tmp_path / name))
        assert relative_error(other, reference) < 1e-9, name


SHARDED_BATCHES = textwrap.dedent("""
    import jax, numpy as np, net
    seen, shapes = [], []
    place = net._place
    net._place = lambda array, sharding: seen.append(place(array, sharding)) or seen[-1]

    def spy(params, X, Y, lr):  # the compiler's sharding of each batch inside the scanned loop
        jax.debug.inspect_array_sharding(X, callback=lambda found: shapes.append(found.shard_shape(X.shape)))
        return net._sgd(params, X, Y, lr)

    net._sgd_gathered = jax.jit(net._gathered(spy), donate_argnums=(0,), static_argnums=(4,))
    net.RESIDENT_BYTES = {resident}
    X = np.random.default_rng(0).normal(size=(16, 3))
    net.train(net.init_params(0), X, (X[:, 0] > 0).astype(int), 1, 8, 0.1, verbose=False)
    print(len(jax.devices()), "placed", sorted(shard.data.shape[-2] for shard in seen[-1].addressable_shards))
    print("gathered", shapes)
""")


@pytest.mark.parametrize("resident", [True, False], ids=["data-on-the-devices", "streamed"])
def test_two_local_devices_shard_the_batch(tmp_path, resident):
    """In a process with two devices train() really puts half of each batch on each device.

    With the data on the devices the compiler splits each gathered batch (4 of its 8 samples per
    device); streamed, each stack of batches is placed split along its samples axis.
    """
    (tmp_path / "net.py").write_text(source_for("3-4-2", "sigmoid", "softmax", "cross_entropy"))
    code = SHARDED_BATCHES.format(resident=1 << 30 if resident else 0)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**ENV, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    assert done.returncode == 0, done.stderr
    devices, placed = done.stdout.splitlines()[0].split(" placed ")
    assert devices == "2"
    gathered = done.stdout.splitlines()[1]
    if resident:
        assert gathered == "gathered [(4, 3)]", done.stdout
    else:
        assert placed == "[4, 4]" and gathered == "gathered []", done.stdout


def test_gradient_check_steps_around_kinks_and_still_catches_a_wrong_gradient(monkeypatch):
    """relu layers with zero biases and a dead unit: the shared gradient_check (kink-aware) in the JAX module."""
    module = module_for("2-3-3-2", "relu", "sigmoid", "binary_cross_entropy")
    params = {key: np.array(value) for key, value in module.init_params(0).items()}
    params["W2"][0] = -np.abs(params["W2"][0])  # unit 1 of layer 2 is dead for inputs ≥ 0 ...
    X = np.abs(np.random.default_rng(1).normal(size=(7, 2)))
    Y = np.random.default_rng(2).uniform(0.1, 0.9, (7, 2))
    result = module.gradient_check(params, X, Y)
    assert result < 1e-6 and result.compared > 0, result.summary()
    right = module.gradients
    monkeypatch.setattr(module, "gradients", lambda *args: {**right(*args), "W3": 1.5 * right(*args)["W3"]})
    assert module.gradient_check(module.init_params(0), X, Y) > 0.1
