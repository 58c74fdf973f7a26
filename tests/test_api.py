"""The Python API promised in the package docstring."""

from __future__ import annotations

import dataclasses
import importlib.util

import pytest
import sympy as sp
from conftest import derived

import symbackprop
from symbackprop import Derivation, Spec, UserError, derive, driver
from symbackprop.driver import DEFAULT_MAX_PARAMETERS, PartialDerivative
from symbackprop.model import Parameter
from symbackprop.proof import PROVED
from symbackprop.registry import A, Y, builtin_activation


def test_package_docstring_example():
    d = derive(Spec.parse("3-4-2", activation="sigmoid", cost="quadratic"))
    assert isinstance(d, Derivation) and d.proof.holds
    assert sp.expand(d.delta(2).delta - A * (1 - A) * (A - Y)) == 0
    assert d.partial("w", 2, 1, 1).factored == d.model.a(1, 1) * d.model.delta(2, 1)
    assert set(symbackprop.__all__) == {"Derivation", "Document", "MarkdownDocument", "Module", "ModuleCheckError",
                                        "Report", "ReportItem", "Spec", "UserError", "WebPage", "check", "codegen",
                                        "derive", "html", "latex", "markdown", "regenerate", "register_activation",
                                        "register_cost"}


def test_partial_derivative_fields():
    d = derived("3-4-2")
    partial = d.partial("b", 1, 2)
    assert isinstance(partial, PartialDerivative)
    assert partial.parameter == Parameter("b", 1, 2)
    assert partial.parameter_symbol == d.model.b(1, 2)
    assert d.partial("w", 1, 4, 3).parameter_symbol == d.model.w(1, 4, 3)
    assert partial.brute == sp.diff(d.model.cost, d.model.b(1, 2))
    assert partial.verdict.subject == "∂C/∂b^1_2" and partial.verdict.status == PROVED
    assert len(partial.chain) == 2


def test_delta_and_partial_errors():
    d = derived("3-4-2")
    with pytest.raises(UserError, match=r"layer 3 does not exist \(weight layers are 1..2\)"):
        d.delta(3)
    with pytest.raises(UserError, match=r"layer 0 does not exist"):
        d.delta(0)
    with pytest.raises(UserError, match=r"no parameter w\^2_35 in 3-4-2"):
        d.partial("w", 2, 3, 5)


def test_max_parameters_reduces_the_per_weight_proof():
    assert DEFAULT_MAX_PARAMETERS == 120
    d = derived("3-4-2", max_parameters=10)
    assert d.per_weight is None and d.proof.holds
    (note,) = d.proof.notes
    assert "26 parameters exceed the per-weight limit of 10" in note and "reduced network 2-2-2" in note
    bp4 = d.proof.for_equation("BP4")
    assert len(bp4) == 8 and all("(reduced network 2-2-2)" in v.subject for v in bp4)
    assert d.proof.summary("layer-level").count("full width 3-4-2") == 1
    with pytest.raises(UserError, match="26 parameters exceed the per-weight limit of 10; raise --max-weights"):
        d.partial("w", 1, 1, 1)


def test_deep_networks_are_proved_on_a_shallower_reduced_network():
    d = derive(Spec.parse("2-2-2-2-2-2-2", activation="tanh", output_activation="sigmoid",
                          cost="binary_cross_entropy"))
    assert d.per_weight is None and d.proof.holds
    (note,) = d.proof.notes
    assert "6 weight layers exceed the per-weight depth limit of 4" in note
    assert "reduced network 2-2-2-2 (its hidden layers: tanh, tanh)" in note
    with pytest.raises(UserError, match="depth limit"):
        d.partial("w", 1, 1, 1)


def test_mixed_deep_network_keeps_each_hidden_activation():
    spec = Spec.parse("2-2-2-2-2-2", activation="relu")
    spec = dataclasses.replace(spec, activations=(spec.activations[0], builtin_activation("tanh"),
                                                  spec.activations[0], builtin_activation("tanh"),
                                                  builtin_activation("sigmoid")))
    reduced = driver._reduced(spec)
    assert [a.name for a in reduced.activations] == ["relu", "tanh", "sigmoid"] and reduced.sizes == (2, 2, 2, 2)


def test_wide_networks_within_the_parameter_limit_are_reduced_by_path_count():
    spec = Spec.parse("4-6-6-4", activation="tanh", output_activation="softmax", cost="cross_entropy")
    assert spec.parameter_count <= DEFAULT_MAX_PARAMETERS and driver.path_terms(spec) > driver.MAX_PATH_TERMS
    d = derive(spec)
    assert d.per_weight is None and "path terms" in d.proof.notes[0] and d.proof.holds
    assert driver.path_terms(Spec.parse("3-4-2")) == 16 * 2 + 10
    with pytest.raises(UserError, match="path terms.*raise --max-weights"):
        d.partial("w", 1, 1, 1)
    assert driver._too_large(spec, 2000) is None  # --max-weights raises the path limit too


def test_reduced_network_keeps_softmax_outputs_and_depth():
    d = derive(Spec.parse("5-7-6-3", activation="tanh", output_activation="softmax", cost="cross_entropy"),
               max_parameters=0)
    assert "reduced network 2-2-2-2" in d.proof.notes[0] and d.proof.holds
    assert d.model.spec.sizes == (5, 7, 6, 3)


def test_a_large_network_gets_the_layer_level_derivation_and_a_reduced_proof():
    """784-1024-1024-10 (1.86 M parameters); its time is a benchmark (bench/derivation_scaling.py), not a test."""
    d = derive(Spec.parse("784-1024-1024-10", activation="relu", output_activation="softmax",
                          cost="cross_entropy"))
    assert d.proof.holds and d.per_weight is None
    assert any("reduced network 2-2-2-2" in v.subject for v in d.proof.for_equation("BP4"))
    assert "784-1024-1024-10" in d.proof.for_equation("batched")[0].how


def test_seed_changes_numeric_points_but_not_verdicts():
    first = derive(Spec.parse("2-2-2", activation="relu"), seed=0)
    second = derive(Spec.parse("2-2-2", activation="relu"), seed=7)
    assert [v.status for v in first.proof.verdicts] == [v.status for v in second.proof.verdicts]


@pytest.mark.skipif(importlib.util.find_spec("symbackprop.printing.latex") is None,
                    reason="symbackprop.printing.latex not written yet")
def test_repr_latex():
    d = derived("3-4-2")
    text = d._repr_latex_()
    assert text.startswith("$$") and "\\delta^{2}_{j}" in text
    assert d.partial("w", 2, 1, 1)._repr_latex_().startswith("$$\\begin{aligned}\\frac{\\partial C}")
