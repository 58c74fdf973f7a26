"""The generated training module: nothing from the spec is pasted into its code except
validated names and printed SymPy expressions, and it validates every input it is given."""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from symbackprop import Spec, derive

codegen = pytest.importorskip("symbackprop.training_module")

SPEC = Spec.parse("3-4-2", activation="swish=z*sigmoid(z)", output_activation="softmax",
                  cost="cross_entropy", name="my_net_1")
ALLOWED_IMPORTS = {"__future__", "argparse", "math", "sys", "warnings", "numpy"}


@cache
def _source() -> str:
    return codegen.generate_module(derive(SPEC, max_parameters=0, budget=0.5))


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("generated") / "my_net_1.py"
    path.write_text(_source())
    spec = importlib.util.spec_from_file_location("my_net_1_generated", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def test_generated_code_imports_and_calls_nothing_dangerous() -> None:
    tree = ast.parse(_source())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
            assert set(names) <= ALLOWED_IMPORTS, names
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec", "compile", "__import__", "open", "getattr"}, node.func.id
        if isinstance(node, ast.Attribute):
            assert not node.attr.startswith("__") or node.attr == "__name__", node.attr
    # The spec's text appears only inside the module docstring.
    docstring = ast.get_docstring(tree, clean=False)
    code_without_docstring = _source().replace(docstring, "", 1)
    assert "z*sigmoid(z)" not in code_without_docstring


def test_user_text_cannot_break_out_of_the_docstring() -> None:
    spec = Spec.parse("2-2", activation="sw=z*sigmoid(z) + 0*z", name="net")
    source = codegen.generate_module(derive(spec, max_parameters=0, budget=0.5))
    tree = ast.parse(source)
    assert isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant)
    strings = [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
               and "z*sigmoid(z)" in node.value]
    assert strings == [tree.body[0].value]


def _data(module, m: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (m, module.SIZES[0]))
    Y = rng.dirichlet(np.ones(module.SIZES[-1]), m)
    return X, Y


def test_valid_input_gradient_checks(module) -> None:
    params = module.init_params(0)
    X, Y = _data(module)
    assert module.gradient_check(params, X, Y) < 1e-5


@pytest.mark.parametrize(("X_shape", "name", "expected"), [((5, 2), "X", "(m, 3)"), ((5,), "X", "(m, 3)"),
                                                            ((5, 3, 1), "X", "(m, 3)")])
def test_wrong_input_shape_names_array_and_expected_shape(module, X_shape, name, expected) -> None:
    params = module.init_params(0)
    _, Y = _data(module)
    with pytest.raises(ValueError) as raised:
        module.loss(params, np.zeros(X_shape), Y)
    assert name in str(raised.value) and expected in str(raised.value)
    with pytest.raises(ValueError, match=r"X .*expected"):
        module.forward(params, np.zeros(X_shape))


def test_wrong_target_shape_and_rows(module) -> None:
    params = module.init_params(0)
    X, Y = _data(module)
    with pytest.raises(ValueError, match=r"Y .*expected \(5, 2\)"):
        module.gradients(params, X, Y[:3])
    with pytest.raises(ValueError, match=r"Y .*expected"):
        module.gradients(params, X, Y[:, :1])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_data_is_refused(module, bad) -> None:
    params = module.init_params(0)
    X, Y = _data(module)
    X[2, 1] = bad
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        module.gradients(params, X, Y)
    X, Y = _data(module)
    Y[0, 0] = bad
    with pytest.raises(ValueError, match="Y contains NaN or infinity"):
        module.loss(params, X, Y)


def test_non_numeric_dtypes_are_refused(module) -> None:
    params = module.init_params(0)
    with pytest.raises(ValueError, match="X has dtype"):
        module.forward(params, np.array([["a", "b", "c"]]))
    with pytest.raises(ValueError, match="X has dtype"):
        module.forward(params, np.zeros((2, 3), dtype=complex))


def test_wrong_parameter_shapes_are_refused(module) -> None:
    params = module.init_params(0)
    X, Y = _data(module)
    params["W1"] = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"W1 has shape \(3, 4\); expected \(4, 3\)"):
        module.gradients(params, X, Y)
    params = module.init_params(0)
    del params["b2"]
    with pytest.raises(ValueError, match="expected"):
        module.loss(params, X, Y)


def test_load_refuses_mismatched_npz(module, tmp_path: Path) -> None:
    params = module.init_params(0)
    good = tmp_path / "good.npz"
    module.save(params, good)
    loaded = module.load(good)
    assert all(np.array_equal(loaded[key], params[key]) for key in params)

    wrong_shape = dict(params, W2=np.zeros((3, 4)))
    np.savez(tmp_path / "shape.npz", **wrong_shape)
    with pytest.raises(ValueError, match=r"W2 has shape \(3, 4\).*expected \(2, 4\)"):
        module.load(tmp_path / "shape.npz")

    np.savez(tmp_path / "missing.npz", W1=params["W1"])
    with pytest.raises(ValueError, match="expected"):
        module.load(tmp_path / "missing.npz")

    np.savez(tmp_path / "nan.npz", **dict(params, W1=np.full((4, 3), np.nan)))
    with pytest.raises(ValueError, match="NaN"):
        module.load(tmp_path / "nan.npz")

    np.savez(tmp_path / "pickle.npz", **dict(params, W1=np.array([object()] * 12, dtype=object).reshape(4, 3)))
    with pytest.raises(ValueError):  # object arrays would need pickle, which load never allows
        module.load(tmp_path / "pickle.npz")


def test_module_command_line_reports_bad_data_in_one_line(module, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    X, Y = _data(module)
    X[0, 0] = np.nan
    np.savez(tmp_path / "data.npz", X=X, Y=Y)
    assert module.main(["train", str(tmp_path / "data.npz"), "--epochs", "1"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "NaN" in error[0]
