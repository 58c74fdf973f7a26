"""Per-weight partials in their three forms, and the proof catching deliberately wrong forms."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp
from conftest import compile_function, derived, random_point

from symbackprop import driver
from symbackprop.derivation import E, derive_layers
from symbackprop.model import NetworkModel, Parameter
from symbackprop.partials import PerWeightPartials
from symbackprop.proof import FAILED, Deadline
from symbackprop.registry import A, Y
from symbackprop.spec import Spec


def _values(exprs, model, point):
    symbols = list(point)
    return [float(v) for v in compile_function(list(exprs), symbols)(*point.values())]


@pytest.mark.parametrize("options", [
    dict(activation="sigmoid", output_activation="sigmoid", cost="quadratic"),
    dict(activation="tanh", output_activation="softmax", cost="cross_entropy"),
    dict(activation="relu", output_activation="identity", cost="quadratic", bias=False),
])
def test_three_forms_agree_numerically(options):
    d = derived("2-2-2-2", **options)
    model, partials = d.model, d.per_weight
    point = random_point(model, seed=3)
    brute = _values([partials.brute(p) for p in model.parameters], model, point)
    factored = _values([partials.factored_expanded(p) for p in model.parameters], model, point)
    chain = _values([model.expand_nodes(sp.Add(*(term.product() for term in partials.chain(p))))
                     for p in model.parameters], model, point)
    assert brute == pytest.approx(factored, rel=1e-9, abs=1e-12)
    assert brute == pytest.approx(chain, rel=1e-9, abs=1e-12)


def test_factored_forms_are_bp3_and_bp4():
    d = derived("3-4-2")
    model = d.model
    assert d.per_weight.factored(Parameter("w", 2, 1, 3)) == model.a(1, 3) * model.delta(2, 1)
    assert d.per_weight.factored(Parameter("w", 1, 4, 2)) == model.x(2) * model.delta(1, 4)
    assert d.per_weight.factored(Parameter("b", 1, 2)) == model.delta(1, 2)


def test_deltas_instantiate_the_layer_equations():
    d = derived("3-4-2")
    model, deltas = d.model, d.per_weight.deltas
    a, y = model.a(2, 1), model.y(1)
    assert sp.expand(deltas[model.delta(2, 1)] - a * (1 - a) * (a - y)) == 0
    hidden = deltas[model.delta(1, 3)]
    error = model.w(2, 1, 3) * model.delta(2, 1) + model.w(2, 2, 3) * model.delta(2, 2)
    assert sp.expand(hidden - error * model.a(1, 3) * (1 - model.a(1, 3))) == 0


def test_chain_has_one_term_per_path():
    d = derived("2-3-3-2", activation="tanh")
    assert len(d.per_weight.chain(Parameter("w", 1, 1, 1))) == 3 * 2
    assert len(d.per_weight.chain(Parameter("w", 2, 1, 1))) == 2
    assert len(d.per_weight.chain(Parameter("b", 3, 1))) == 1


def _tampered(spec: Spec, layer: int, change) -> PerWeightPartials:
    layers = derive_layers(spec)
    equations = list(layers.layers)
    equations[layer - 1] = dataclasses.replace(equations[layer - 1], delta=change(equations[layer - 1].delta))
    return PerWeightPartials(NetworkModel(spec), dataclasses.replace(layers, layers=tuple(equations)))


@pytest.mark.parametrize(("widths", "options", "layer", "change", "failing"), [
    # sign flip of δ^L
    ("2-2", dict(activation="sigmoid"), 1, lambda delta: -delta, "BP1"),
    # the missing σ'(z) factor of δ^L = (a − y)·a(1 − a)
    ("2-2", dict(activation="sigmoid"), 1, lambda delta: sp.factor(delta / (A * (1 - A))), "BP1"),
    # softmax + cross-entropy with a − 2y
    ("2-2", dict(activation="softmax", cost="cross_entropy"), 1, lambda delta: delta - Y, "BP1"),
    # a hidden layer with the derivative dropped (δ = e)
    ("1-2-1", dict(activation="tanh", output_activation="identity"), 1, lambda delta: E, "BP2"),
])
@pytest.mark.parametrize("proof_budget", [None, 0.0], ids=["no-deadline", "deadline-spent"])
def test_wrong_factored_forms_are_caught(widths, options, layer, change, failing, proof_budget):
    """Also once the overall budget is spent: the cheaper numeric check must still catch them."""
    spec = Spec.parse(widths, **options)
    verdicts = driver.prove_per_weight(_tampered(spec, layer, change), budget=0.3, deadline=Deadline(proof_budget))
    failures = [v for v in verdicts if v.status == FAILED]
    assert failures
    summary = next(v for v in verdicts if v.equation == failing)
    assert summary.status == FAILED and summary.counterexample
    first = failures[0]
    assert "brute force" in first.how and "factored form" in first.how
    model = NetworkModel(spec)
    names = {str(model.symbol(p)) for p in model.parameters} | {str(x) for x in model.inputs}
    assert set(first.counterexample) >= names  # a real point of the network: every parameter and input
    other = "BP2" if failing == "BP1" else "BP1"
    untouched = [v for v in verdicts if v.equation == other]
    assert all(v.holds for v in untouched)


def test_correct_forms_pass_the_same_check():
    spec = Spec.parse("1-2-1", activation="tanh", output_activation="identity")
    verdicts = driver.prove_per_weight(_tampered(spec, 1, lambda delta: delta), budget=0.3)
    assert all(v.holds for v in verdicts)
