"""Convolutional networks: the derived index maps, the per-weight proof, wrong recurrences caught, and the
batched forms against independent gradients (central differences, PyTorch autograd)."""

from __future__ import annotations

import dataclasses
import random
import textwrap
from functools import cache

import numpy as np
import pytest
import sympy as sp

from symbackprop import Spec, derive
from symbackprop.conv.derivation import (
    IN,
    KERNEL,
    OFFSET,
    PAD,
    STRIDE,
    Axis,
    Correlation,
    IndexMap,
    derive_conv_layers,
    derive_index_map,
    pool_derivative,
)
from symbackprop.conv.driver import path_terms, proof_networks, prove_per_weight, reduced, verify_batched
from symbackprop.conv.model import ConvModel, window_max
from symbackprop.conv.numeric import ConvEvaluator, random_problem
from symbackprop.conv.partials import ConvPartials
from symbackprop.proof import FAILED
from symbackprop.spec import parse_toml

#: conv → relu → max pool → conv → tanh → average pool → dense softmax, small enough to prove per weight.
MIXED = textwrap.dedent("""
    cost = "cross_entropy"
    [[layers]]
    shape = [1, 5, 5]
    [[layers]]
    kind = "conv2d"
    channels = 1
    kernel = 2
    activation = "relu"
    [[layers]]
    kind = "maxpool2d"
    kernel = 2
    [[layers]]
    kind = "conv2d"
    channels = 2
    kernel = 1
    activation = "tanh"
    [[layers]]
    kind = "avgpool2d"
    kernel = 2
    [[layers]]
    size = 2
    activation = "softmax"
""")
#: A stride-2, padding-1, non-square kernel, then dense layers and binary cross-entropy.
STRIDED = ("1x4x3-conv2k3x2s2p1-2-1", {"activation": "tanh", "output_activation": "sigmoid",
                                       "cost": "binary_cross_entropy"})
#: A probe conv below a stride-2, padding-1 conv, so that the strided conv's crossing is used.
CROSSED = ("1x3x3-conv1k1-conv2k2s2p1-2", {"activation": "tanh", "output_activation": "softmax"})


@cache
def spec_of(name: str):
    if name == "mixed":
        return parse_toml(MIXED)
    text, options = {"strided": STRIDED, "crossed": CROSSED}[name]
    return Spec.parse(text, **options)


def test_index_map_is_solved_and_read_as_a_flipped_correlation():
    index_map = derive_index_map()
    assert sp.simplify(index_map.backward - (IN + PAD - OFFSET) / STRIDE) == 0
    # kernel 3, stride 2, padding 1: δ dilated by 2, padded by k − 1 − P = 1, the kernel flipped
    assert index_map.correlation(Axis(3, 2, 1, 4)) == Correlation(2, 1, True)
    assert index_map.correlation(Axis(5, 1, 0, 4)) == Correlation(1, 4, True)
    axis = Axis(3, 2, 1, 2)  # i = (u + 1 − p)/2 must be a whole position below 2
    assert [index_map.source(u, 0, axis) for u in range(4)] == [None, 1, None, None]
    assert [index_map.source(u, 1, axis) for u in range(4)] == [0, None, 1, None]
    assert derive_index_map(padded=False).forward == STRIDE * sp.Symbol("i", integer=True, nonnegative=True) + OFFSET


def test_pool_derivatives_come_from_differentiating_the_window():
    local, (x0, x1) = pool_derivative("max", 2)
    assert local == sp.Heaviside(x0 - x1)
    assert pool_derivative("avg", 4)[0] == sp.Rational(1, 4)


def test_forward_differentiation_equals_sympy_diff_of_the_whole_cost():
    spec = Spec.parse("1x3x3-conv1k2-maxpool2s1-2", activation="tanh")
    model = ConvModel(spec)
    partials = ConvPartials(model, derive_conv_layers(spec))
    rng = random.Random(1)
    point = {symbol: sp.Float(rng.uniform(-1, 1), 30) for symbol in
             [model.symbol(p) for p in model.parameters] + list(model.inputs) + list(model.targets)}
    for parameter in model.parameters[:3] + model.parameters[-2:]:
        whole = sp.diff(model.cost, model.symbol(parameter)).xreplace(point).evalf(30)
        forward = model.expand_nodes(partials.brute(parameter)).xreplace(point).evalf(30)
        assert abs(whole - forward) < 1e-25


def test_weight_sharing_makes_a_conv_partial_a_sum_over_positions():
    d = derive(spec_of("strided"), proof_budget=10)
    model = d.model
    partial = d.partial("w", 1, 0, 0, 1, 1)
    # kernel offset (1, 1) with padding 1 and stride 2 reads input (2i, 2j): rows 0, 2 and columns 0, 2
    assert partial.positions == [(model.delta(1, (0, i, j)), model.x((0, 2 * i, 2 * j))) for i in (0, 1)
                                 for j in (0, 1)]
    assert partial.verdict.holds and d.partial("b", 1, 1).factored == sp.Add(
        *(model.delta(1, (1, i, j)) for i in (0, 1) for j in (0, 1)))


@pytest.mark.parametrize("name", ["strided", "mixed"])
def test_the_per_weight_proof_holds_for_every_parameter(name):
    spec = spec_of(name)
    d = derive(spec, proof_budget=240)
    assert d.per_weight is not None and d.proof.holds, d.proof.first_failure()
    partials = [v for v in d.proof.verdicts if v.equation in ("BP3", "BP4", "BP3-conv", "BP4-conv")]
    assert len(partials) == spec.parameter_count
    equations = {v.equation for v in d.proof.verdicts}
    assert {"BP1", "BP4-conv", "layer-level", "batched"} <= equations
    if name == "mixed":
        assert {"BP2-conv", "BP2-maxpool", "BP2-avgpool", "BP2-flatten"} <= equations
    else:
        assert d.proof.summary("BP4-conv").startswith("proved symbolically")  # how many depends on the machine


def _broken(layers, number: int, backward: sp.Expr):
    """The derivation with the crossing of layer ``number`` solved wrongly."""
    equations = layers.layer(number)
    crossing = dataclasses.replace(equations.crossing,
                                   index_map=IndexMap(equations.crossing.index_map.forward, backward))
    changed = dataclasses.replace(equations, crossing=crossing)
    return dataclasses.replace(layers, layers=tuple(changed if eq.layer == number else eq for eq in layers.layers))


WRONG = {"kernel not flipped": (IN + PAD - (KERNEL - 1 - OFFSET)) / STRIDE, "stride ignored": IN + PAD - OFFSET}


@pytest.mark.parametrize("mistake", WRONG)
def test_a_wrong_delta_recurrence_is_caught(mistake):
    spec = spec_of("crossed")
    wrong = _broken(derive_conv_layers(spec), 2, WRONG[mistake])
    verdicts = prove_per_weight(ConvPartials(ConvModel(spec), wrong), budget=0.5)
    failed = [v for v in verdicts if v.status == FAILED]
    assert failed and {v.equation for v in failed} >= {"BP2-conv"}
    assert all(v.subject.startswith(("∂C/∂w^1", "∂C/∂b^1", "δ")) for v in failed)
    assert verify_batched(wrong)[0].status == FAILED


def test_the_right_recurrence_of_the_same_network_is_proved():
    spec = spec_of("crossed")
    verdicts = prove_per_weight(ConvPartials(ConvModel(spec), derive_conv_layers(spec)), budget=2.0)
    assert all(v.holds for v in verdicts) and any(v.equation == "BP2-conv" for v in verdicts)


def test_max_pool_ties_follow_the_first_maximum():
    spec = Spec.parse("1x2x2-maxpool2-2", output_activation="identity", cost="quadratic")
    model = ConvModel(spec)
    window = [model.x((0, 0, 0)), model.x((0, 0, 1)), model.x((0, 1, 0)), model.x((0, 1, 1))]
    rule = model.tie_rule
    tied = {symbol: 1 for symbol in window}
    routes = [rule[sp.Heaviside(x - window_max(*(window[:r] + window[r + 1:])))].xreplace(tied) for r, x in
              enumerate(window)]
    assert routes == [1, 0, 0, 0]


def test_large_networks_prove_on_small_networks_that_cover_every_crossing():
    lenet = Spec.parse("1x28x28-conv6k5-maxpool2-conv16k5-maxpool2-120-84-10")
    networks = proof_networks(lenet, 6000)
    assert len(networks) == 6 and all(path_terms(n) <= 6000 for n in networks)
    assert {n.layers[-2].kind for n in networks if len(n.layers) > 1} >= {"conv2d", "maxpool2d", "dense"}
    digits = Spec.parse("1x8x8-conv16k3p1-maxpool2-10")
    assert reduced(digits).shorthand() == "1x4x4-conv1k3p1-maxpool2-2"


@pytest.mark.parametrize("name", ["strided", "mixed"])
def test_batched_forms_agree_with_central_differences(name):
    assert [v.status for v in verify_batched(derive_conv_layers(spec_of(name)))] == ["verified numerically"] * 2


def _torch_gradients(spec, params, X, Y):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    tensors = {key: torch.tensor(value, dtype=torch.float64, requires_grad=True) for key, value in params.items()}
    a = torch.tensor(X, dtype=torch.float64)
    for number, layer in enumerate(spec.layers, start=1):
        if layer.kind == "conv2d":
            a = F.conv2d(a, tensors[f"W{number}"], tensors.get(f"b{number}"), stride=layer.stride,
                         padding=layer.padding)
        elif layer.kind == "maxpool2d":
            a = F.max_pool2d(a, layer.kernel, layer.stride)
            continue
        elif layer.kind == "avgpool2d":
            a = F.avg_pool2d(a, layer.kernel, layer.stride)
            continue
        else:
            a = F.linear(a.reshape(a.shape[0], -1), tensors[f"W{number}"], tensors.get(f"b{number}"))
        name = layer.activation.name
        a = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda t: t,
             "softmax": lambda t: torch.softmax(t, dim=1)}[name](a)
    target = torch.tensor(Y, dtype=torch.float64)
    if spec.cost.name == "cross_entropy":
        loss = -(target * torch.log(a)).sum(dim=1).mean()
    else:
        loss = -(target * torch.log(a) + (1 - target) * torch.log(1 - a)).sum(dim=1).mean()
    loss.backward()
    return {key: tensor.grad.numpy() for key, tensor in tensors.items()}


@pytest.mark.parametrize("name", ["strided", "mixed"])
def test_batched_forms_agree_with_pytorch_autograd(name):
    spec = spec_of(name)
    params, X, Y = random_problem(spec, 7, seed=3)
    ours = ConvEvaluator.of(derive_conv_layers(spec)).gradients(params, X, Y)
    theirs = _torch_gradients(spec, params, X, Y)
    for key in params:
        error = np.max(np.abs(ours[key] - theirs[key])) / max(np.max(np.abs(theirs[key])), 1e-300)
        assert error < 1e-10, (key, error)
