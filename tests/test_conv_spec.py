"""Specs with convolution and pooling layers: the TOML contract, the shorthand, shapes, and one error per misfit."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from symbackprop import Spec
from symbackprop.conv.spec import Conv2d, ConvSpec, Dense, Pool2d
from symbackprop.errors import SpecError
from symbackprop.spec import parse_toml

DIGITS = textwrap.dedent("""
    name = "digits"
    cost = "cross_entropy"
    [[layers]]
    shape = [1, 8, 8]
    [[layers]]
    kind = "conv2d"
    channels = 16
    kernel = 3
    padding = 1
    activation = "relu"
    [[layers]]
    kind = "maxpool2d"
    kernel = 2
    [[layers]]
    size = 10
    activation = "softmax"
""")


def test_toml_gives_layers_shapes_and_parameter_keys():
    spec = parse_toml(DIGITS)
    assert isinstance(spec, ConvSpec) and spec.name == "digits"
    conv, pool, dense = spec.layers
    assert conv == Conv2d(16, (3, 3), (1, 1), (1, 1), conv.activation) and conv.activation.name == "relu"
    assert pool == Pool2d("max", (2, 2), (2, 2)) and dense.size == 10
    assert spec.shapes == ((1, 8, 8), (16, 8, 8), (16, 4, 4), (10,))
    # W{l}, b{l} only for layers with parameters, numbered as they stand (the pool is layer 2)
    assert spec.parameter_shapes() == {"W1": (16, 1, 3, 3), "b1": (16,), "W3": (10, 256), "b3": (10,)}
    assert spec.parameter_count == 16 * 9 + 16 + 2560 + 10


def test_pairs_strides_and_the_shorthand_read_the_same_network():
    text = DIGITS.replace("kernel = 3\npadding = 1", "kernel = [3, 2]\nstride = 2\npadding = [1, 0]")
    spec = parse_toml(text)
    assert spec.layers[0].kernel == (3, 2) and spec.layers[0].stride == (2, 2) and spec.layers[0].padding == (1, 0)
    assert spec.shapes[1] == (16, 4, 4)
    again = Spec.parse(spec.shorthand(), activation="relu", output_activation="softmax", cost="cross_entropy",
                       name="digits")
    assert spec.shorthand() == "1x8x8-conv16k3x2s2p1x0-maxpool2-10" and again == spec


def test_to_toml_round_trips_and_dense_specs_are_unchanged():
    spec = parse_toml(DIGITS)
    assert parse_toml(spec.to_toml()) == spec
    lenet = Spec.parse("1x28x28-conv6k5-maxpool2-conv16k5-maxpool2-120-84-10")
    assert lenet.shapes[1:5] == ((6, 24, 24), (6, 12, 12), (16, 8, 8), (16, 4, 4))
    assert parse_toml(lenet.to_toml()) == lenet
    dense = parse_toml('cost = "quadratic"\n[[layers]]\nsize = 3\n[[layers]]\nkind = "dense"\nsize = 2\n'
                       'activation = "sigmoid"\n')
    assert isinstance(dense, Spec) and dense.sizes == (3, 2)


def test_average_pooling_and_overlapping_windows():
    spec = Spec.parse("2x6x6-avgpool3s1-maxpool2s2-3")
    assert spec.layers[0] == Pool2d("avg", (3, 3), (1, 1)) and spec.shapes[1:3] == ((2, 4, 4), (2, 2, 2))
    assert isinstance(spec.layers[-1], Dense) and spec.parameter_shapes() == {"W3": (3, 8), "b3": (3,)}


BAD = [
    ("kernel = 3\npadding = 1", "kernel = 11", "layers[1].kernel", ["kernel 11", "8×8", "height 11", "8"]),
    ("kernel = 3\npadding = 1", "kernel = 11\npadding = 1", "layers[1].kernel", ["padded by 1", "to 10", "height 11"]),
    ("kind = \"maxpool2d\"\nkernel = 2", "kind = \"maxpool2d\"\nkernel = 3", "layers[2].kernel",
     ["does not divide", "8×8", "8 − 3", "multiple of 3", "2 rows"]),
    ("activation = \"relu\"", "activation = \"softmax\"", "layers[1].activation", ["softmax", "conv2d"]),
    ("size = 10\n", "shape = [1, 2, 2]\nsize = 10\n", "layers[3].shape", ["only the input layer"]),
    ("shape = [1, 8, 8]", "size = 64", "layers[0].size", ["image input", "shape"]),
    ("shape = [1, 8, 8]", "shape = [8, 8]", "layers[0].shape", ["[channels, height, width]", "[8, 8]"]),
    ("kind = \"maxpool2d\"", "kind = \"maxpool3d\"", "layers[2].kind", ["unknown kind 'maxpool3d'"]),
    ("kind = \"maxpool2d\"\nkernel = 2", "kind = \"maxpool2d\"\nkernel = 2\nactivation = \"relu\"",
     "layers[2].activation", ["no activation"]),
    ("kernel = 3\npadding = 1", "kernel = 3\npadding = 3", "layers[1].padding", ["padding 3", "kernel 3"]),
    ("channels = 16\n", "", "layers[1].channels", ["missing"]),
    ("channels = 16", "channels = 0", "layers[1].channels", ["between 1"]),
    ("kernel = 3\npadding = 1", "kernel = [3, 3, 3]", "layers[1].kernel", ["[height, width]"]),
    ("size = 10\nactivation = \"softmax\"", "kind = \"avgpool2d\"\nkernel = 2", "layers[3].kind",
     ["output layer must be dense"]),
]


@pytest.mark.parametrize(("old", "new", "key", "words"), BAD, ids=[case[2] + ":" + case[3][0] for case in BAD])
def test_every_misfit_names_the_layer_the_key_and_the_sizes(old, new, key, words):
    assert old in DIGITS
    with pytest.raises(SpecError) as caught:
        parse_toml(DIGITS.replace(old, new, 1), "net.toml")
    message = caught.value.message
    assert message.startswith(f"net.toml: {key}: "), message
    for word in words:
        assert word in message, (word, message)


def test_a_conv_after_a_dense_layer_is_refused_in_the_shorthand_too():
    with pytest.raises(SpecError, match=r"layer 2 \('conv2k3'\) kind: conv2d needs an image"):
        Spec.parse("1x8x8-10-conv2k3-10")
    with pytest.raises(SpecError, match=r"conv\{C\}k\{K\}"):
        Spec.parse("1x8x8-conv2x3-10")


def test_cli_misfit_is_one_line_exit_2(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(DIGITS.replace("kernel = 3\npadding = 1", "kernel = 11"))
    done = subprocess.run([sys.executable, "-m", "symbackprop", "derive", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"symbackprop: error: {path}: layers[1].kernel: kernel 11")
