"""Spec parsing: the TOML contract, the CLI shorthand, and one readable SpecError per mistake."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import sympy as sp

from symbackprop import cli
from symbackprop.errors import SpecError, UserError
from symbackprop.functions import leaky_relu, sigmoid
from symbackprop.registry import Z
from symbackprop.spec import Spec, load_toml, parse_toml

MINIMAL = """
name = "tiny"
cost = "quadratic"
[[layers]]
size = 3
[[layers]]
size = 4
activation = "sigmoid"
[[layers]]
size = 2
activation = "tanh"
"""


def test_toml_keys_give_the_spec():
    spec = parse_toml(MINIMAL)
    assert spec.sizes == (3, 4, 2)
    assert [a.name for a in spec.activations] == ["sigmoid", "tanh"]
    assert spec.cost.name == "quadratic" and spec.bias is True and spec.name == "tiny"
    assert (spec.depth, spec.weight_count, spec.bias_count, spec.parameter_count) == (2, 20, 6, 26)


def test_toml_custom_activation_cost_slope_and_no_bias():
    spec = parse_toml(textwrap.dedent("""
        cost = { name = "logcosh", expr = "log(cosh(a - y))" }
        bias = false
        [[layers]]
        size = 2
        [[layers]]
        size = 3
        activation = { name = "swish", expr = "z*sigmoid(z)" }
        [[layers]]
        size = 2
        activation = { name = "leaky_relu", slope = 0.2 }
    """))
    swish, leaky = spec.activations
    assert swish.is_custom and swish.expr == Z * sigmoid(Z) and swish.label() == "swish = z*sigmoid(z)"
    assert leaky.expr == leaky_relu(Z, sp.Rational(1, 5)) and leaky.parameters == (("slope", sp.Rational(1, 5)),)
    assert spec.cost.is_custom and spec.cost.name == "logcosh"
    assert spec.bias is False and spec.bias_count == 0 and spec.name == "network"


def test_shorthand_defaults_and_options():
    spec = Spec.parse("3-4-2")
    assert spec.sizes == (3, 4, 2) and [a.name for a in spec.activations] == ["sigmoid", "sigmoid"]
    assert spec.cost.name == "quadratic" and spec.bias
    spec = Spec.parse("784-100-10", activation="relu", output_activation="softmax", cost="cross_entropy",
                      bias=False, name="mnist")
    assert [a.name for a in spec.activations] == ["relu", "softmax"]
    assert (spec.cost.name, spec.bias, spec.name) == ("cross_entropy", False, "mnist")


def test_shorthand_custom_forms():
    spec = Spec.parse("2-3-1", activation="leaky_relu:0.1", output_activation="swish=z*sigmoid(z)",
                      cost="logcosh=log(cosh(a-y))")
    assert spec.activations[0].expr == leaky_relu(Z, sp.Rational(1, 10))
    assert spec.activations[1].source == "z*sigmoid(z)" and spec.cost.source == "log(cosh(a-y))"


@pytest.mark.parametrize("text", [MINIMAL, MINIMAL.replace('cost = "quadratic"', 'cost = { name = "lc", '
                                                           'expr = "log(cosh(a - y))" }\nbias = false')])
def test_to_toml_round_trips(text):
    spec = parse_toml(text)
    assert parse_toml(spec.to_toml()) == spec


def test_example_files(examples_dir):
    mnist = load_toml(examples_dir / "mnist.toml")
    assert mnist.sizes == (784, 100, 10) and mnist.name == "mnist"
    assert [a.name for a in mnist.activations] == ["sigmoid", "softmax"] and mnist.cost.name == "cross_entropy"
    xor = Spec.parse(str(examples_dir / "xor.toml"))
    assert xor.sizes == (2, 2, 1) and xor.name == "xor"


LAYERS = '[[layers]]\nsize = 2\n[[layers]]\nsize = 2\nactivation = "sigmoid"\n'

# (TOML text, the key the message must name, words of the reason)
BAD_TOML = [
    ('cost = "quadratic"\n' + LAYERS.replace('"sigmoid"', '"sigmoidd"'), "layers[1].activation",
     "unknown activation 'sigmoidd'"),
    ('cost = "quadratic"\n[[layers]]\nsize = 2\n[[layers]]\nsize = 3\nactivation = "softmax"\n'
     '[[layers]]\nsize = 2\nactivation = "sigmoid"\n', "layer 1 activation", "output layer only"),
    ('cost = "quadratic"\n' + LAYERS.replace("size = 2\nactivation", "size = 0\nactivation"), "layers[1].size",
     "width must be positive"),
    ('cost = "quadratic"\n' + LAYERS.replace("size = 2\nactivation", "size = -3\nactivation"), "layers[1].size",
     "width must be positive"),
    ('cost = "quadratic"\n' + LAYERS.replace("size = 2\nactivation", "size = 2.5\nactivation"), "layers[1].size",
     "whole number"),
    ('cost = "quadratic"\n[[layers]]\nsize = 2\n', "layers", "at least one more layer"),
    ('cost = "quadratic"\nlearning_rate = 0.1\n' + LAYERS, "learning_rate", "unknown key"),
    ('cost = "quadratic"\n' + LAYERS + "dropout = 0.5\n", "layers[1].dropout", "unknown key"),
    ('cost = "quadratic"\n[[layers]]\nsize = 2\nactivation = "relu"\n[[layers]]\nsize = 2\n'
     'activation = "relu"\n', "layers[0].activation", "input layer takes only size"),
    ('cost = "quadratic\n' + LAYERS, "<spec>", "malformed TOML"),
    ('cost = { name = "bad", expr = "y**2" }\n' + LAYERS, "cost", "does not depend on the output a"),
    ('cost = "hinge"\n' + LAYERS, "cost", "unknown cost 'hinge'"),
    ('name = "my net"\ncost = "quadratic"\n' + LAYERS, "name", "valid identifier"),
    ('name = "class"\ncost = "quadratic"\n' + LAYERS, "name", "valid identifier"),
    ('cost = "quadratic"\n' + LAYERS.replace('"sigmoid"', '{ name = "leaky_relu", slope = 1.5 }'),
     "layers[1].activation", "slope must be in [0, 1)"),
    ('cost = "quadratic"\n' + LAYERS.replace('"sigmoid"', '{ name = "leaky_relu", slope = "steep" }'),
     "layers[1].activation", "slope must be a number"),
    ('cost = "quadratic"\n' + LAYERS.replace('"sigmoid"', '{ name = "tanh", slope = 0.1 }'),
     "layers[1].activation", "takes no slope"),
    ('cost = "quadratic"\n' + LAYERS.replace('"sigmoid"', '{ name = "f", expr = "z +* 2" }'),
     "layers[1].activation", "syntax error"),
    ('cost = "quadratic"\n' + LAYERS.replace('"sigmoid"', '{ name = "f", expr = "gamma(z)" }'),
     "layers[1].activation", "function 'gamma' is not allowed"),
    ('cost = "quadratic"\n' + LAYERS.replace('"sigmoid"', '{ name = "f", expr = "2*x" }'),
     "layers[1].activation", "unknown name 'x'"),
    ('cost = "quadratic"\n' + LAYERS.replace('"sigmoid"', '{ name = "f", expr = "3" }'),
     "layers[1].activation", "does not depend on z"),
    ('cost = { name = "c", expr = "(a - y) ^ 2" }\n' + LAYERS, "cost", "use ** for powers"),
    ('cost = "quadratic"\nbias = "yes"\n' + LAYERS, "bias", "true or false"),
    ('bias = true\n' + LAYERS, "cost", "missing"),
    ('cost = "quadratic"\n[[layers]]\nsize = 3\n[[layers]]\nsize = 1\nactivation = "softmax"\n', "output layer",
     "at least 2 output units"),
    ('cost = "quadratic"\nlayers = 3\n', "layers", "[[layers]]"),
]


@pytest.mark.parametrize(("text", "key", "reason"), BAD_TOML, ids=[case[2][:30] for case in BAD_TOML])
def test_invalid_toml_raises_one_readable_line(text, key, reason):
    with pytest.raises(SpecError) as caught:
        parse_toml(text, "net.toml")
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith("net.toml: ") or key == "<spec>" and message.startswith("net.toml")
    if key != "<spec>":
        assert key in message, message
    assert reason in message, message


BAD_SHORTHAND = [
    (("3",), {}, "at least one more layer"),
    (("3-0-2",), {}, "width must be positive"),
    (("3-x-2",), {}, "expected widths"),
    (("3-4-2",), {"activation": "softmax", "output_activation": "sigmoid"}, "output layer only"),
    (("3-4-2",), {"activation": "gelu"}, "--activation: unknown activation 'gelu'"),
    (("3-4-2",), {"output_activation": "leaky_relu:2"}, "slope must be in [0, 1), got 2"),
    (("3-4-2",), {"cost": "hinge"}, "--cost: unknown cost"),
    (("3-4-2",), {"cost": "c=__import__('os')"}, "--cost"),
    (("3-4-2",), {"name": "1abc"}, "--name"),
    (("3-4-2",), {"activation": "f=exp(z"}, "syntax error"),
]


@pytest.mark.parametrize(("args", "options", "reason"), BAD_SHORTHAND, ids=[c[2][:30] for c in BAD_SHORTHAND])
def test_invalid_shorthand(args, options, reason):
    with pytest.raises(SpecError) as caught:
        Spec.parse(*args, **options)
    assert reason in caught.value.message and "\n" not in caught.value.message


def test_toml_file_errors_name_the_file(tmp_path):
    with pytest.raises(SpecError, match=r"missing\.toml: no such file"):
        Spec.parse(str(tmp_path / "missing.toml"))
    path = tmp_path / "net.toml"
    path.write_text("cost = 'quadratic'\n" + LAYERS)
    with pytest.raises(SpecError, match="apply to the shorthand only"):
        Spec.parse(str(path), activation="tanh")
    path.write_bytes(b"\xff\xfe bad")
    with pytest.raises(SpecError, match="net.toml: cannot read"):
        load_toml(path)


def test_spec_error_is_a_user_error_with_place():
    error = SpecError("reason", "key").at("file.toml")
    assert isinstance(error, UserError) and error.message == "file.toml: key: reason"


@pytest.mark.parametrize(("text", "fragment"), [
    ('cost = "quadratic"\n' + LAYERS.replace('"sigmoid"', '"sigmoidd"'), "layers[1].activation"),
    ("cost = [\n", "malformed TOML"),
    ('cost = "quadratic"\n[[layers]]\nsize = 2\n', "at least one more layer"),
])
def test_cli_reports_spec_errors_in_one_line(tmp_path, capsys, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert cli.main(["derive", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and fragment in lines[0]
    assert "Traceback" not in captured.err


def test_cli_spec_error_in_a_subprocess(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('cost = "quadratic"\n' + LAYERS.replace("size = 2\nactivation", "size = 0\nactivation"))
    result = subprocess.run([sys.executable, "-m", "symbackprop", "derive", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"{path}: layers[1].size: width must be positive" in result.stderr
    result = subprocess.run([sys.executable, "-m", "symbackprop", "derive", "3-4-2", "--activation", "gelu"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "--activation: unknown activation 'gelu'" in result.stderr
