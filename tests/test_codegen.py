"""Code generation: printer strings, lowering, the IR, the CLI, determinism, ruff, CuPy."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symbackprop import Spec
from symbackprop.cli import main
from symbackprop.derivation import E, derive_layers
from symbackprop.functions import leaky_relu, relu, sigmoid, softplus
from symbackprop.ir import Apply, Array, Call, MatMul, Reduce
from symbackprop.lowering import allocate, fold_scale, lower_in_place, lower_statement
from symbackprop.printing.numpy import (
    CuPyCodePrinter,
    JaxCodePrinter,
    NumPyCodePrinter,
    PrintingError,
    helper_source,
)
from symbackprop.printing.program import InPlacePrinter, PurePrinter
from symbackprop.program import build_program
from symbackprop.registry import A, Y, Z
from symbackprop.training_module import build_module, check_module, generate_module

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def layers(shorthand="3-4-2", activation="sigmoid", output="softmax", cost="cross_entropy", bias=True):
    return derive_layers(Spec.parse(shorthand, activation=activation, output_activation=output, cost=cost,
                                    bias=bias))


@pytest.mark.parametrize(("expr", "text"), [
    (sigmoid(Z), "_sigmoid(z)"),
    (relu(Z), "np.maximum(z, 0.0)"),
    (softplus(Z), "np.logaddexp(0.0, z)"),
    (leaky_relu(Z, sp.Rational(1, 100)), "_leaky_relu(z, 0.01)"),
    (sp.Heaviside(A, 0), "np.greater(a, 0.0)"),
    (sp.Heaviside(A), "np.heaviside(a, 0.5)"),
    (-Y * sp.log(A), "-y*np.log(a)"),
    (sp.tanh(Z), "np.tanh(z)"),
])
def test_numpy_printer(expr, text):
    assert NumPyCodePrinter().doprint(expr) == text


def test_cupy_printer_differs_only_in_module():
    assert CuPyCodePrinter().doprint(softplus(Z) + sp.exp(A)) == "cp.exp(a) + cp.logaddexp(0.0, z)"
    printer = CuPyCodePrinter()
    printer.doprint(sigmoid(Z))
    assert printer.helpers == {"_sigmoid"}


def lower(expr, out, names, rows=frozenset(), prefix="t", printer=InPlacePrinter):
    """``expr`` lowered into the array ``out`` (names: symbol → array name): printed lines, temporaries."""
    bindings = tuple((symbol, Array(name, ("m", 3 if symbol not in rows else 1))) for symbol, name in names.items())
    calls, temporaries = lower_statement(Apply(Array(out, ("m", 3)), expr, bindings, prefix, frozenset(rows)))
    print_ = printer()
    return [line for call in calls for line in print_.statement(call)], temporaries, print_.helpers


def test_printer_is_strict():
    with pytest.raises(PrintingError, match="besselj"):
        NumPyCodePrinter().doprint(sp.besselj(0, Z))
    with pytest.raises(PrintingError, match="besselj"):
        JaxCodePrinter().doprint(sp.besselj(0, Z))
    with pytest.raises(PrintingError):
        lower(sp.besselj(0, Z), "out", {Z: "z"})
    with pytest.raises(PrintingError, match="unknown symbol"):
        lower(Z * sp.Symbol("q"), "out", {Z: "z"})
    with pytest.raises(PrintingError, match="cannot print a Call"):
        PurePrinter().statement(Call("multiply", (), Array("d", ("m", 1))))


def test_lowering_is_three_address_code():
    lines, _, _ = lower(E * A * (1 - A), "d1", {A: "a1", E: "e1"}, prefix="t1_")
    assert lines == ["np.multiply(a1, e1, out=d1)", "np.subtract(1.0, a1, out=t1_0)",
                     "np.multiply(d1, t1_0, out=d1)"]
    assert lower(A - Y, "d", {A: "a", Y: "Y"})[0] == ["np.subtract(a, Y, out=d)"]


def test_lowering_cse_and_row_sums():
    s = sp.Symbol("s")
    lines, temporaries, _ = lower(-A * s + A * (A - Y) + sp.exp(Z) * A * (A - Y), "d",
                                  {A: "a", Y: "y", Z: "z", s: "s"}, rows={s})
    assert sum("np.subtract(a, y" in line for line in lines) == 1  # computed once
    f = sp.lambdify((A, Y, Z, s), -A * s + A * (A - Y) + sp.exp(Z) * A * (A - Y))
    rng = np.random.default_rng(0)
    a, y, z, srow = rng.random((4, 3)), rng.random((4, 3)), rng.random((4, 3)), rng.random((4, 1))
    env = {"np": np, "a": a, "y": y, "z": z, "s": srow, "d": np.empty((4, 3))}
    env.update({array.name: np.empty((4, array.width)) for array in temporaries})
    exec("\n".join(lines), env)
    assert np.allclose(env["d"], f(a, y, z, srow))


def test_program_is_pure_until_lowered():
    """The pure program scales each gradient; fold_scale moves the scale onto δ^L; lowering writes in place."""
    program = build_program(layers())
    assert all(s.scale is not None for s in program.backward if isinstance(s, MatMul) and s.out.name[0] == "g")
    assert not any(isinstance(s, Call) for s in program.statements())
    folded = fold_scale(program)
    assert not any(s.scale for s in folded.backward if isinstance(s, MatMul | Reduce))
    lowered = lower_in_place(folded)
    assert all(isinstance(s, Call) for s in lowered.statements() if hasattr(s, "out"))
    assert [a.name for a in allocate(lowered)][:4] == ["z1", "e1", "a1", "z2"]
    with pytest.raises(ValueError, match="fold_scale"):
        lower_in_place(program)


def test_program_uses_cancellation_and_derivative_in_a():
    module = build_module(layers(), dtype="float32")
    backward, forward = module.view["backward"], module.view["forward"]
    assert "np.subtract(a2, Y, out=d2)" in backward
    assert not any("_sigmoid" in line for line in backward)  # σ' from a, not σ(z) again
    assert not any(".copy()" in line or "np.transpose" in line for line in forward + backward)
    assert module.view["parameter_keys"] == ("W1", "b1", "W2", "b2")
    assert build_module(layers(bias=False)).view["parameter_keys"] == ("W1", "W2")


def test_output_delta_that_is_another_array_is_scaled_as_a_copy():
    """δ^L = y for the cost a·y with an identity output: scaling it in place would scale the targets."""
    spec = Spec.parse("2-3-2", activation="identity", cost="lin=a*y")
    backward = build_module(derive_layers(spec)).view["backward"]
    assert "np.multiply(Y, scale, out=d2)" in backward
    assert not any("out=Y" in line for line in backward)


def test_pure_printer_prints_expressions_whole():
    program, printer = build_program(layers()), PurePrinter()
    backward = printer.block(program, "backward")
    assert "d2 = -Y + a2" in backward and "gW2 = (d2.T @ a1) * scale" in backward
    assert "gb2 = jnp.sum(d2, axis=0) * scale" in backward and "e1 = d2 @ params[\"W2\"]" in backward
    assert backward[-1] == 'return {"W1": gW1, "b1": gb1, "W2": gW2, "b2": gb2}'
    forward = printer.block(program, "forward")
    assert forward[0] == 'z1 = X @ params["W1"].T + params["b1"]' and "a1 = jax.nn.sigmoid(z1)" in forward
    assert forward[-1] == 'return a2, {"a1": a1, "z2": z2, "a2": a2, "ssum2": ssum2}'
    assert printer.block(program, "loss")[:2] == ['z2 = values["z2"]', 'ssum2 = values["ssum2"]']


def test_header_spec_and_marker():
    source = generate_module(layers())
    head = source[:400]
    assert "generated by symbackprop" in head
    assert 'cost = "cross_entropy"' in source
    assert "import numpy as np" in source and "cupy" not in source
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["from __future__ import annotations", "import argparse", "import math", "import sys",
                       "import warnings", "import numpy as np"]


def test_docstring_names_the_network_once_and_writes_steps_as_brackets():
    unnamed = generate_module(layers("3-4-2", "relu", "identity", "quadratic"))
    assert unnamed.startswith('"""Training module for the network 3-4-2, generated by symbackprop')
    named = generate_module(derive_layers(Spec.parse("3-4-2", activation="relu", name="tiny")))
    assert named.startswith('"""Training module for the network tiny (3-4-2), generated by symbackprop')
    docstring = unnamed[:unnamed.index('"""', 3)]
    assert "σ'(z) = [a > 0]" in docstring and "δ = e·[a > 0]" in docstring and "Heaviside" not in docstring
    assert "kinks (σ not differentiable): z = 0" in docstring and "Cost: (a − y)²/2 per output unit" in docstring
    leaky = generate_module(layers("3-4-2", "leaky_relu:0.2", "identity", "quadratic"))
    assert "σ'(z) = 4·[a > 0]/5 + 1/5" in leaky


def test_deterministic_across_hash_seeds():
    code = textwrap.dedent("""
        import sys
        from symbackprop import Spec
        from symbackprop.training_module import generate_module
        from symbackprop.derivation import derive_layers
        spec = Spec.parse("3-4-3-2", activation="swish=z*sigmoid(z)", output_activation="softmax", cost="quadratic")
        sys.stdout.write(generate_module(derive_layers(spec), dtype="float32"))
    """)
    outputs = {subprocess.run([sys.executable, "-c", code], env={**ENV, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True, timeout=120).stdout
               for seed in ("0", "1", "12345")}
    assert len(outputs) == 1


def test_cli_codegen_and_check(tmp_path, capsys):
    path = tmp_path / "net.py"
    args = ["codegen", "3-4-2", "--activation", "tanh", "--output-activation", "sigmoid", "--cost",
            "binary_cross_entropy", "-o", str(path)]
    assert main(args) == 0
    assert main([*args, "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main([*args[:-2], "--dtype", "float32", "-o", str(path), "--check"]) == 1
    path.write_text("# not generated\n")
    assert main(args) == 2
    assert check_module(tmp_path / "missing.py", "x") is False


def test_cli_codegen_writes_nothing_when_a_check_fails(tmp_path, capsys, monkeypatch):
    from symbackprop import driver
    from symbackprop.proof import FAILED, Verdict

    broken = Verdict("∂C/∂W^l = δ^l (a^{l−1})^T", "layer-level", FAILED, "W2[0, 1]: form 0.5, central difference 0.25")
    monkeypatch.setattr(driver, "verify_layer_level", lambda layers, **_: (broken,))
    path = tmp_path / "net.py"
    assert main(["codegen", "3-4-2", "-o", str(path)]) == 1
    assert not path.exists()
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no module written" in error and "central difference 0.25" in error


def test_codegen_checks_are_the_layer_level_ones():
    from symbackprop.driver import derive_layer_level

    derivation = derive_layer_level(Spec.parse("784-30-10", activation="tanh"))
    assert derivation.per_weight is None and derivation.proof.holds
    assert {v.equation for v in derivation.proof.verdicts} == {"rewrite", "layer-level", "batched"}


@pytest.mark.skipif(shutil.which("ruff") is None and subprocess.run(
    [sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode != 0, reason="ruff not installed")
def test_generated_modules_pass_ruff(tmp_path):
    cases = [("3-4-2", "sigmoid", "softmax", "cross_entropy"), ("3-4-4-1", "relu", "identity", "quadratic"),
             ("2-3-1", "leaky_relu", "sigmoid", "binary_cross_entropy"),
             ("3-4-2", "swish=z*sigmoid(z)", "softplus", "quadratic")]
    for i, case in enumerate(cases):
        for backend in ("numpy", "cupy", "jax"):
            (tmp_path / f"m{i}_{backend}.py").write_text(generate_module(layers(*case), backend=backend))
    command = ["ruff"] if shutil.which("ruff") else [sys.executable, "-m", "ruff"]
    done = subprocess.run([*command, "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("hidden", "rtol"), [("relu", 0.0), ("gelu=z*(1 + erf(z/sqrt(2)))/2", 1e-12)])
def test_cupy_module_with_numpy_standing_in(tmp_path, hidden, rtol):
    """The CuPy module imported with ``cupy`` aliased to NumPy gives the NumPy module's gradients.

    SciPy's erf ufunc stands in for cupyx.scipy.special.erf, which has the same signature; the
    NumPy module computes erf through math.erf, so the two agree to rounding only.
    """
    pytest.importorskip("scipy.special")
    spec_layers = layers("3-5-2", hidden, "softmax", "cross_entropy")
    (tmp_path / "gpu.py").write_text(generate_module(spec_layers, backend="cupy"))
    (tmp_path / "cpu.py").write_text(generate_module(spec_layers))
    source = generate_module(spec_layers, backend="cupy")
    assert "import cupy as cp" in source and "cp.matmul(" in source and "np.matmul(" not in source
    assert ("cupyx.scipy.special" in source) == ("erf" in hidden) and "math.erf" not in source
    code = textwrap.dedent(f"""
        import sys, types
        import numpy, scipy.special
        numpy.asnumpy = numpy.asarray
        sys.modules["cupy"] = numpy
        for name in ("cupyx", "cupyx.scipy"):
            sys.modules[name] = types.ModuleType(name)
        sys.modules["cupyx.scipy.special"] = scipy.special
        import cpu, gpu
        rng = numpy.random.default_rng(0)
        X, Y = rng.normal(size=(6, 3)), numpy.eye(2)[[0, 1, 0, 1, 1, 0]]
        a, b = cpu.gradients(cpu.init_params(0), X, Y), gpu.gradients(gpu.init_params(0), X, Y)
        assert all(numpy.allclose(a[k], b[k], rtol={rtol}, atol=0) for k in a), "different gradients"
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


@pytest.mark.parametrize("hidden", ["relu", "gelu=z*(1 + erf(z/sqrt(2)))/2"])
def test_cupy_on_a_gpu(tmp_path, hidden):
    cupy = pytest.importorskip("cupy")
    try:
        cupy.ones(1).sum()
    except Exception as error:  # noqa: BLE001 - no usable device
        pytest.skip(f"no usable GPU: {error}")
    path = tmp_path / "gpu_net.py"
    path.write_text(generate_module(layers("3-5-2", hidden), backend="cupy"))
    loader = importlib.util.spec_from_file_location(f"gpu_net_{hidden.split('=')[0]}", path)
    gpu_net = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(gpu_net)
    params = gpu_net.init_params(0)
    X, Y = cupy.random.random((4, 3)), cupy.eye(2)[cupy.array([0, 1, 1, 0])]
    assert gpu_net.gradient_check(params, X, Y) < 1e-5


@pytest.mark.parametrize("expr", [
    sp.Max(A, Y, Z), sp.Min(A, 2 * Y), 1 - A**2, (-A + Y) / (A**2 - A), sp.sqrt(A) * Y**3, -Y / A,
    A * (1 - A) * (A - Y) + sp.exp(-Z) / (1 + sp.exp(-Z)), softplus(-Z) * Y + (1 - Y) * softplus(Z),
    leaky_relu(Z, sp.Rational(1, 10)) + sp.Heaviside(Z, 0) * sigmoid(Z), sp.Abs(Z) + sp.sign(Z) + 3,
])
def test_lowered_code_computes_the_expression(expr):
    rng = np.random.default_rng(1)
    values = {"a": rng.uniform(0.1, 0.9, (3, 4)), "y": rng.uniform(0.1, 0.9, (3, 4)), "z": rng.normal(size=(3, 4))}
    lines, temporaries, helpers = lower(expr, "out", {A: "a", Y: "y", Z: "z"})
    env = {"np": np, **values, "out": np.empty((3, 4))}
    env.update({array.name: np.empty((3, 4)) for array in temporaries})
    source = "\n".join(line for name in helpers for line in helper_source(name, "numpy", "np"))
    exec(source + "\n" + "\n".join(lines), env)
    from symbackprop.numeric import NUMPY_FUNCTIONS

    expected = sp.lambdify((A, Y, Z), expr, modules=[NUMPY_FUNCTIONS, "numpy"])(values["a"], values["y"], values["z"])
    assert np.allclose(env["out"], expected, rtol=1e-12, atol=1e-12)


def test_user_text_cannot_break_out_of_the_docstring():
    import ast
    from dataclasses import replace

    from symbackprop.registry import Activation

    spec = Spec.parse("2-3-2", activation="sigmoid", output_activation="sigmoid", cost="quadratic")
    odd = Activation("sw", sigmoid(Z), source='z"""\nimport os\n"""\\x')
    spec = replace(spec, activations=(odd, spec.activations[1]))
    source = generate_module(derive_layers(spec))
    tree = ast.parse(source)
    assert not any(isinstance(node, ast.Import) and node.names[0].name == "os" for node in tree.body)
    assert 'z"""' in ast.get_docstring(tree)
