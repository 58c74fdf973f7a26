"""Generated training modules, executed: gradients, a published example, training, validation.

Every module here is generated from a layer-level derivation (the same code ``symbackprop
codegen`` writes), imported from a temporary file and run.
"""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

sys.path.insert(0, str(Path(__file__).parent))

from gradcheck import max_relative_error, numeric_gradients  # noqa: E402

from symbackprop import Spec  # noqa: E402
from symbackprop.derivation import derive_layers  # noqa: E402
from symbackprop.model import NetworkModel, Parameter  # noqa: E402
from symbackprop.numeric import NUMPY_FUNCTIONS  # noqa: E402
from symbackprop.partials import PerWeightPartials  # noqa: E402
from symbackprop.training_module import generate_module  # noqa: E402

ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "softplus", "leaky_relu", "softmax")
COSTS = ("quadratic", "binary_cross_entropy", "cross_entropy")
WIDTHS = {1: "3-2", 2: "3-4-2", 3: "3-4-3-2"}
_FOLDER = Path(__import__("tempfile").mkdtemp(prefix="symbackprop-generated-"))


def spec_of(shorthand: str, activation: str = "sigmoid", output: str | None = None, cost: str = "quadratic",
            bias: bool = True) -> Spec:
    return Spec.parse(shorthand, activation=activation, output_activation=output or activation, cost=cost,
                      bias=bias)


_count = itertools.count()


def load_source(source: str, name: str | None = None):
    """Import generated source from a file (as a user would)."""
    name = name or f"generated_{next(_count)}"
    path = _FOLDER / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def module_for(shorthand: str, activation: str = "sigmoid", output: str | None = None, cost: str = "quadratic",
               bias: bool = True, dtype: str = "float64"):
    spec = spec_of(shorthand, activation, output, cost, bias)
    return load_source(generate_module(derive_layers(spec), dtype=dtype))


def problem(module, m: int = 5, seed: int = 0, positive_targets: bool = True):
    """Random parameters (not the initialisation: biases nonzero), inputs and valid targets."""
    rng = np.random.default_rng(seed)
    params = {key: rng.normal(0.0, 0.5, shape) for key, shape in module.PARAMETER_SHAPES.items()}
    X = rng.uniform(-1.0, 1.0, (m, module.SIZES[0]))
    Y = rng.uniform(0.05, 0.95, (m, module.SIZES[-1]))
    if module.ACTIVATIONS[-1] == "softmax":
        Y = Y / Y.sum(axis=1, keepdims=True)
    return params, X, Y


def _defined(output: str, cost: str) -> bool:
    """Whether the cost is finite for every output this activation can give."""
    if cost == "binary_cross_entropy":
        return output in ("sigmoid", "softmax")
    if cost == "cross_entropy":
        return output in ("sigmoid", "softmax", "softplus")
    return True


CASES = [(output, cost, depth) for output in ACTIVATIONS for cost in COSTS for depth in (1, 2, 3)]


@pytest.mark.parametrize(("output", "cost", "depth"), CASES)
def test_gradients_match_central_differences(output, cost, depth):
    hidden = ACTIVATIONS[(ACTIVATIONS.index(output) + depth) % 6]  # every elementwise activation appears hidden
    module = module_for(WIDTHS[depth], hidden, output, cost)
    params, X, Y = problem(module, seed=depth)
    if not _defined(output, cost):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module.gradients(params, X, Y)  # runs; the cost is undefined for some outputs
        pytest.skip(f"{cost} is undefined for part of the range of {output}")
    analytic = module.gradients(params, X, Y)
    numeric = numeric_gradients(lambda p: module.loss(p, X, Y), params)
    assert set(analytic) == set(module.PARAMETER_SHAPES)
    assert max_relative_error(analytic, numeric, floor=1e-2) < 1e-7


BRUTE_FORCE = [("2-3-2", "sigmoid", "softmax", "cross_entropy"), ("2-3-2", "tanh", "sigmoid", "binary_cross_entropy"),
               ("2-2-2-1", "relu", "identity", "quadratic"), ("2-3-2", "softplus", "softmax", "quadratic")]


@pytest.mark.parametrize(("shorthand", "hidden", "output", "cost"), BRUTE_FORCE)
def test_gradients_match_brute_force_symbolic_partials(shorthand, hidden, output, cost):
    """∂C/∂p of the module against d.per_weight.brute(p) (the chain rule never applied by hand)."""
    spec = spec_of(shorthand, hidden, output, cost)
    model = NetworkModel(spec)
    partials = PerWeightPartials(model, derive_layers(spec))
    module = module_for(shorthand, hidden, output, cost)
    params, X, Y = problem(module, m=1, seed=7)
    point = {model.x(k): X[0, k - 1] for k in range(1, spec.sizes[0] + 1)}
    point.update({model.y(j): Y[0, j - 1] for j in range(1, spec.sizes[-1] + 1)})
    for p in model.parameters:
        key = f"{'W' if p.kind == 'w' else 'b'}{p.layer}"
        point[model.symbol(p)] = params[key][(p.j - 1, p.k - 1) if p.kind == "w" else (p.j - 1,)]
    symbols = list(point)
    exprs = [partials.brute(p) for p in model.parameters]
    values = sp.lambdify(symbols, exprs, modules=[NUMPY_FUNCTIONS, "numpy"])(*point.values())
    analytic = module.gradients(params, X, Y)
    for p, value in zip(model.parameters, values, strict=True):
        key = f"{'W' if p.kind == 'w' else 'b'}{p.layer}"
        mine = analytic[key][(p.j - 1, p.k - 1) if p.kind == "w" else (p.j - 1,)]
        assert abs(mine - value) <= 1e-10 * max(1.0, abs(value)), (p, mine, value)
    assert Parameter("w", 1, 1, 1) in model.parameters


def test_mazur_worked_example():
    """Matt Mazur, "A Step by Step Backpropagation Example" (2015),
    https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/ — 2-2-2 sigmoid,
    quadratic cost ½Σ(target − out)², reproduced to the digits the post gives."""
    module = module_for("2-2-2", "sigmoid", "sigmoid", "quadratic")
    params = {"W1": np.array([[0.15, 0.20], [0.25, 0.30]]), "b1": np.array([0.35, 0.35]),
              "W2": np.array([[0.40, 0.45], [0.50, 0.55]]), "b2": np.array([0.60, 0.60])}
    X, Y = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])
    assert round(module.loss(params, X, Y), 9) == 0.298371109
    assert round(float(module.gradients(params, X, Y)["W2"][0, 0]), 9) == 0.082167041
    module.sgd_step(params, X, Y, 0.5)  # Mazur leaves the biases alone; only weights are compared
    expected = {("W2", 0, 0): "0.35891648", ("W2", 0, 1): "0.408666186", ("W2", 1, 0): "0.511301270",
                ("W2", 1, 1): "0.561370121", ("W1", 0, 0): "0.149780716", ("W1", 0, 1): "0.19956143",
                ("W1", 1, 0): "0.24975114", ("W1", 1, 1): "0.29950229"}
    for (key, j, k), text in expected.items():
        digits = len(text.split(".")[1])
        assert round(float(params[key][j, k]), digits) == float(text), (key, j, k, params[key][j, k])


@pytest.mark.parametrize("hidden", ["sigmoid", "relu"])
def test_trains_on_digits(hidden):
    """64-32-10 on scikit-learn's bundled digits: at least 96% test accuracy in a few seconds."""
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    X = digits.data / 16.0
    Y = np.eye(10)[digits.target]
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:1347], order[1347:]
    module = module_for("64-32-10", hidden, "softmax", "cross_entropy", dtype="float32")
    params = module.init_params(0)
    history = module.train(params, X[train], Y[train], epochs=30, batch_size=32, lr=0.5 if hidden == "sigmoid" else
                           0.1, seed=0, verbose=False)
    assert history[-1]["loss"] < history[0]["loss"]
    assert module.accuracy(params, X[test], Y[test]) >= 0.96
    assert params["W1"].dtype == np.float32


def test_float32_gradient_check_on_real_data_and_on_a_wrong_gradient(monkeypatch):
    """Digits gradients are ~1e-3, below what a float32 loss difference resolves entry by entry;
    the check measures such entries against their parameter's largest and still catches a factor 2."""
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    module = module_for("64-32-10", "sigmoid", "softmax", "cross_entropy", dtype="float32")
    params, X, labels = module.init_params(0), digits.data[:300] / 16.0, digits.target[:300]
    assert module.gradient_check(params, X, labels) < 5e-3
    right = module.gradients
    monkeypatch.setattr(module, "gradients", lambda *args: {**right(*args), "b2": 2 * right(*args)["b2"]})
    assert module.gradient_check(params, X, labels) > 0.3


def test_targets_may_be_class_labels_or_a_vector():
    classifier = module_for("3-4-3", "tanh", "softmax", "cross_entropy")
    params = classifier.init_params(0)
    X, labels = np.random.default_rng(0).normal(size=(6, 3)), np.array([0, 2, 1, 1, 0, 2])
    assert classifier.loss(params, X, labels) == classifier.loss(params, X, np.eye(3)[labels])
    from_labels, from_rows = classifier.gradients(params, X, labels), classifier.gradients(params, X, np.eye(3)[labels])
    assert all(np.array_equal(from_labels[key], from_rows[key]) for key in from_rows)
    with pytest.raises(ValueError, match=r"class labels outside 0\.\.2"):
        classifier.loss(params, X, labels + 1)
    regressor = module_for("3-4-3", "tanh", "identity", "quadratic")
    with pytest.raises(ValueError, match=r"Y has shape \(6,\); expected \(6, 3\)"):
        regressor.loss(regressor.init_params(0), X, labels)
    single = module_for("3-4-1", "tanh", "identity", "quadratic")
    column = X[:, :1] ** 2
    assert single.loss(single.init_params(0), X, column.ravel()) == single.loss(single.init_params(0), X, column)


def test_regression_loss_decreases_with_momentum_and_l2():
    module = module_for("3-16-1", "tanh", "identity", "quadratic")
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (256, 3))
    Y = np.sin(X.sum(axis=1, keepdims=True))
    params = module.init_params(1)
    history = module.train(params, X, Y, 20, 16, 0.05, momentum=0.9, l2=1e-4, verbose=False)
    assert history[-1]["loss"] < 0.2 * history[0]["loss"]
    assert "accuracy" not in history[-1]


def test_custom_activation_and_cost():
    spec = Spec.parse("3-4-2", activation="swish=z*sigmoid(z)", output_activation="sigmoid",
                      cost="sq4=(a - y)**4/4")
    module = load_source(generate_module(derive_layers(spec)))
    params, X, Y = problem(module, seed=3)
    numeric = numeric_gradients(lambda p: module.loss(p, X, Y), params)
    assert max_relative_error(module.gradients(params, X, Y), numeric, floor=1e-2) < 1e-7


@pytest.mark.parametrize("activation", ["g=erf(z)", "c=z/sqrt(1 + z**2)", "sq=z + 0.1*z**2*tanh(z)"])
def test_custom_activations_beyond_numpy_ufuncs(activation):
    """erf has no NumPy ufunc and constants such as 2/sqrt(pi) appear in σ'; both must print."""
    spec = Spec.parse("2-3-1", activation=activation, output_activation="identity", cost="quadratic")
    module = load_source(generate_module(derive_layers(spec)))
    params, X, Y = problem(module, seed=5)
    numeric = numeric_gradients(lambda p: module.loss(p, X, Y), params)
    assert max_relative_error(module.gradients(params, X, Y), numeric, floor=1e-2) < 1e-7


def test_no_bias_has_no_b_keys():
    module = module_for("3-4-2", "tanh", "sigmoid", "binary_cross_entropy", bias=False)
    params = module.init_params(0)
    assert sorted(params) == ["W1", "W2"]
    _, X, Y = problem(module)
    assert sorted(module.gradients(params, X, Y)) == ["W1", "W2"]


def test_stable_at_large_logits():
    for output, cost in (("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
                         ("sigmoid", "quadratic")):
        for dtype in ("float32", "float64"):
            module = module_for("2-3", output, output, cost, dtype=dtype)
            params = {"W1": np.array([[1000.0, 0], [-1000.0, 0], [0, 1000.0]]), "b1": np.zeros(3)}
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                value = module.loss(params, np.array([[1.0, -1.0]]), np.array([[0.0, 1.0, 0.0]]))
                grads = module.gradients(params, np.array([[1.0, -1.0]]), np.array([[0.0, 1.0, 0.0]]))
            assert np.isfinite(value) and all(np.isfinite(g).all() for g in grads.values())


def test_float32_stays_float32():
    module = module_for("4-5-3", "relu", "softmax", "cross_entropy", dtype="float32")
    params = module.init_params(0)
    X = np.random.default_rng(0).random((8, 4), dtype=np.float32)
    Y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2, 0, 1]]
    value = module.sgd_step(params, X, Y, 0.1)
    assert value.dtype == np.float32
    assert all(v.dtype == np.float32 for v in params.values())
    assert all(buf.dtype == np.float32 for buf in module._buffers(8).values())
    assert module.gradient_check(module.init_params(0), X, Y) < 5e-2


def test_nan_loss_is_a_clear_error():
    module = module_for("2-3-1", "identity", "identity", "quadratic")
    params = module.init_params(0)
    X = np.full((4, 2), 1e200)
    with pytest.raises(FloatingPointError, match="loss became"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module.train(params, X, np.ones((4, 1)), 1, 2, 1e10, verbose=False)


def test_input_validation_messages(tmp_path):
    module = module_for("3-4-2")
    params = module.init_params(0)
    with pytest.raises(ValueError, match=r"X has shape \(5, 4\); expected \(m, 3\)"):
        module.forward(params, np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"Y has shape \(5, 3\); expected \(5, 2\)"):
        module.loss(params, np.zeros((5, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        module.loss(params, np.full((1, 3), np.nan), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="X has dtype <U1"):
        module.forward(params, np.array([["a", "b", "c"]]))
    with pytest.raises(ValueError, match=r"W1 has shape \(3, 3\); expected \(4, 3\)"):
        module.forward({**params, "W1": np.zeros((3, 3))}, np.zeros((1, 3)))
    path = tmp_path / "p.npz"
    module.save(params, path)
    assert all(np.array_equal(module.load(path)[k], params[k]) for k in params)
    np.savez(path, W1=np.zeros((4, 4)), b1=np.zeros(4), W2=np.zeros((2, 4)), b2=np.zeros(2))
    with pytest.raises(ValueError, match=r"W1 has shape \(4, 4\)"):
        module.load(path)


def test_command_line(tmp_path):
    source = generate_module(derive_layers(spec_of("3-4-2", "sigmoid", "softmax", "cross_entropy")))
    path = tmp_path / "net.py"
    path.write_text(source)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = np.eye(2)[(X[:, 0] > 0).astype(int)]
    np.savez(tmp_path / "data.npz", X=X, Y=Y, X_val=X[:10], Y_val=(X[:10, 0] > 0).astype(int))
    np.savez(tmp_path / "bad.npz", X=X[:, :2], Y=Y)

    def run(*args):
        return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, cwd=tmp_path,
                              timeout=60)

    assert run("--help").returncode == 0
    done = run("train", "data.npz", "--epochs", "3", "--batch-size", "8", "--lr", "0.5", "--save", "out.npz")
    assert done.returncode == 0, done.stderr
    assert "val_accuracy" in done.stdout and (tmp_path / "out.npz").exists()
    bad = run("train", "bad.npz")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "X has shape (40, 2); expected (m, 3)" in bad.stderr
    assert run("train", "missing.npz").returncode == 2
    assert run("gradcheck").returncode == 0
