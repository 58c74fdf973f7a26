"""The proof machinery: verdicts, symbolic and numeric comparison, and the σ' rewrites."""

from __future__ import annotations

import dataclasses
import time

import pytest
import sympy as sp
from conftest import derived

from symbackprop import driver
from symbackprop.derivation import derive_layers
from symbackprop.model import NetworkModel, Parameter
from symbackprop.partials import PerWeightPartials
from symbackprop.proof import (
    DIGITS,
    FAILED,
    POINTS_AFTER_DEADLINE,
    PROVED,
    VERIFIED,
    Deadline,
    Proof,
    Sampler,
    Verdict,
    compare,
    numerically_equal,
    symbolically_zero,
    time_budget,
)
from symbackprop.registry import A, Z
from symbackprop.spec import Spec

x, y = sp.symbols("x y", real=True)


def test_symbolically_zero_decides_identities():
    assert symbolically_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)
    assert symbolically_zero((x**2 - 1) / (x - 1) - x - 1)
    assert symbolically_zero(sp.exp(x) / (sp.exp(x) + sp.exp(y)) - 1 / (1 + sp.exp(y - x)))
    assert not symbolically_zero(x - y)
    assert not symbolically_zero(sp.sin(x) - x)


def test_quick_mode_skips_simplify():
    assert not symbolically_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1, quick=True)
    assert symbolically_zero((x + 1) ** 2 - x**2 - 2 * x - 1, quick=True)


def test_time_budget_interrupts():
    start = time.monotonic()
    with pytest.raises(TimeoutError), time_budget(0.2):
        while True:
            pass
    assert time.monotonic() - start < 2
    with time_budget(None):
        pass


def test_time_budget_fires_again_when_its_timeout_error_is_swallowed():
    """As Python does with an exception raised in a gc callback or __del__."""
    with pytest.raises(TimeoutError), time_budget(0.05):
        try:
            while True:
                pass
        except TimeoutError:
            pass
        give_up = time.monotonic() + 5
        while time.monotonic() < give_up:
            pass
        pytest.fail("the budget did not fire a second time")


def test_numerically_equal_and_counterexample():
    sampler = Sampler([x, y], seed=1)
    assert numerically_equal(sp.sinh(x) * 2, sp.exp(x) - sp.exp(-x), sampler)[0]
    equal, point, left, right = numerically_equal(x * y, x * y + sp.Rational(1, 10**20), sampler)
    assert not equal and set(point) == {x, y} and abs(left - right) > 0


def test_sampler_is_reproducible_and_keeps_positive_symbols_in_range():
    sampler = Sampler([x], [y], seed=5)
    first, second = list(sampler.points(20)), list(sampler.points(20))
    assert first == second
    assert all(0.05 <= point[y] <= 0.95 and -1.5 <= point[x] <= 1.5 for point in first)


def test_proof_summary_lines():
    proof = Proof((Verdict("p1", "BP4", PROVED), Verdict("p2", "BP4", PROVED),
                   Verdict("p3", "BP3", VERIFIED, "12 random points"), Verdict("p4", "BP3", PROVED),
                   Verdict("p5", "BP1", FAILED, "brute force 1 but factored form 2", {"x": 1.0})))
    assert proof.summary("BP4") == "proved symbolically for all 2"
    assert proof.summary("BP3") == "proved symbolically (1 of 2); verified numerically (1 of 2: 12 random points)"
    assert proof.summary("BP1") == "FAILED at p5 (brute force 1 but factored form 2)"
    assert proof.summary("BP2") == "not checked"
    assert not proof.holds and proof.first_failure().subject == "p5"
    assert Verdict("s", "BP4", VERIFIED, "how").line() == "s: verified numerically (how)"


@pytest.mark.parametrize(("activation", "status"), [
    ("sigmoid", PROVED), ("tanh", PROVED), ("softplus", PROVED), ("relu", VERIFIED), ("leaky_relu", VERIFIED),
])
def test_each_derivative_rewrite_gets_a_verdict(activation, status):
    d = derived("2-2-2", activation, "identity", "quadratic")
    (verdict,) = d.proof.for_equation("rewrite")
    assert verdict.subject.startswith("σ'(z) = ") and verdict.subject.endswith("(layer 1)")
    assert verdict.status == status


def test_no_rewrite_verdict_without_rewrite():
    d = derived("2-2-2", "identity", "identity", "quadratic")
    assert d.proof.for_equation("rewrite") == ()
    assert d.proof.summary("rewrite") == "not checked"


def test_a_wrong_rewrite_fails_even_though_the_per_weight_proof_relies_on_it(monkeypatch):
    """The per-weight proof maps g(a) back to σ'(z); only the rewrite verdict can catch a wrong g."""
    spec = Spec.parse("1-2-1", activation="tanh", output_activation="identity")
    layers = derive_layers(spec)
    hidden = layers.layers[0]
    wrong = 1 + A**2
    tampered = dataclasses.replace(hidden, derivative=wrong, delta=hidden.delta.xreplace({1 - A**2: wrong}))
    assert tampered.delta != hidden.delta
    bad_layers = dataclasses.replace(layers, layers=(tampered,) + layers.layers[1:])
    monkeypatch.setattr(driver, "derive_layers", lambda _spec: bad_layers)
    d = driver.derive(spec, budget=0.5)
    (verdict,) = d.proof.for_equation("rewrite")
    assert verdict.status == FAILED and "z" in verdict.counterexample
    assert not d.proof.holds and d.proof.summary("rewrite").startswith(FAILED)


def test_layer_level_check_catches_a_wrong_delta():
    layers = derive_layers(Spec.parse("3-4-2", activation="sigmoid"))
    output = dataclasses.replace(layers.layers[-1], delta=layers.layers[-1].delta * 2)
    verdicts = driver.verify_layer_level(dataclasses.replace(layers, layers=layers.layers[:-1] + (output,)))
    assert verdicts[-1].status == FAILED and "central difference" in verdicts[-1].how


def test_verdicts_of_a_derivation_are_complete():
    d = derived("2-2-2", "tanh", "softmax", "cross_entropy")
    equations = [v.equation for v in d.proof.verdicts]
    assert equations.count("BP4") == 8 and equations.count("BP3") == 4
    assert {"BP1", "BP2", "rewrite", "layer-level", "batched"} <= set(equations)
    assert d.proof.summary("BP1") == PROVED and d.proof.summary("BP4") == "proved symbolically for all 8"
    assert d.proof.summary("layer-level").startswith(VERIFIED)


def test_rewrite_check_in_isolation():
    layers = derive_layers(Spec.parse("2-2-2", activation="softplus", output_activation="identity"))
    (verdict,) = driver.prove_rewrites(layers)
    assert verdict.holds and sp.expand(layers.layers[0].derivative - (1 - sp.exp(-A))) == 0
    assert Z not in layers.layers[0].derivative.free_symbols


# --- the overall time budget ------------------------------------------------------------


def test_deadline_caps_each_step_at_what_is_left():
    assert not Deadline(None).spent and Deadline(None).step(2.0) == 2.0 and Deadline(None).step(None) is None
    assert Deadline(0).spent and Deadline(0).step(2.0) == pytest.approx(1e-3)
    assert Deadline(100).step(2.0) == 2.0 and 99 < Deadline(100).step(None) <= 100
    assert Deadline(0.5).step(2.0) <= 0.5


def test_after_the_deadline_nothing_is_proved_and_the_verdict_says_why():
    sampler = Sampler([x, y])
    verdict = compare("easy", "BP4", sp.Integer(0), (x * y, y * x), sampler, sampler,
                      deadline=Deadline(0))
    assert verdict.status == VERIFIED and verdict.budget_spent
    assert verdict.how == (f"{POINTS_AFTER_DEADLINE} random points, {DIGITS}-digit arithmetic, "
                           "after the 0 s proof budget ran out")
    wrong = compare("wrong", "BP4", x - y, (x, y), sampler, sampler, deadline=Deadline(0))
    assert wrong.status == FAILED and wrong.counterexample
    assert compare("easy", "BP4", sp.Integer(0), (x, x), sampler, sampler).status == PROVED


def test_summary_counts_each_way_a_numeric_verdict_was_reached():
    late = "4 random points, after the 30 s proof budget ran out"
    proof = Proof((Verdict("p1", "BP4", PROVED), Verdict("p2", "BP4", VERIFIED, "12 random points"),
                   Verdict("p3", "BP4", VERIFIED, late, budget_spent=True),
                   Verdict("p4", "BP4", VERIFIED, late, budget_spent=True)))
    assert proof.summary("BP4") == (f"proved symbolically (1 of 4); verified numerically (3 of 4: "
                                    f"1 with 12 random points; 2 with {late})")
    assert [v.subject for v in proof.budget_spent] == ["p3", "p4"]


def test_derive_with_the_budget_spent_proves_nothing_and_says_so():
    d = driver.derive(Spec.parse("2-2-1", activation="tanh", output_activation="sigmoid"), proof_budget=0)
    checked = [v for v in d.proof.verdicts if v.equation in ("BP3", "BP4", "rewrite")]
    assert checked and all(v.status == VERIFIED and v.budget_spent for v in checked)
    assert d.proof.summary("BP4").startswith("verified numerically for all 6")
    assert "after the 0 s proof budget ran out" in d.proof.summary("BP4")
    (note,) = d.proof.notes
    assert note.startswith("The proof's time budget of 0 s ran out: 0 of 9 per-weight partials were proved "
                           "symbolically, and 9 were then checked numerically only")
    assert "2 of the σ' rewrites were likewise checked numerically only" in note


def test_derive_without_a_deadline_has_no_budget_note():
    d = driver.derive(Spec.parse("2-2-1", activation="tanh", output_activation="sigmoid"), proof_budget=None)
    assert d.proof.notes == () and d.proof.budget_spent == ()
    assert d.proof.summary("BP4") == "proved symbolically for all 6"


def test_a_step_that_runs_out_of_time_does_not_use_up_the_next_ones():
    """abs(z) networks: cancel takes seconds on this difference, expand decides it at once."""
    spec = Spec.parse("3-3-3-2", activation="soft=z/(1+abs(z))", output_activation="sigmoid")
    partials = PerWeightPartials(NetworkModel(spec), derive_layers(spec))
    brute, factored = partials.brute(Parameter("w", 1, 1, 1)), partials.factored_in_nodes(Parameter("w", 1, 1, 1))
    model = partials.model
    difference = partials.free_nodes(model.contract_nodes(brute) - model.contract_nodes(factored))
    assert symbolically_zero(difference, budget=4.0, quick=True)


@pytest.mark.parametrize("output, cost", [("sigmoid", "binary_cross_entropy"), ("softmax", "cross_entropy")])
def test_layer_level_check_of_a_saturated_output_uses_the_cost_through_the_logits(output, cost):
    """Cubic layers drive z^L past 30: σ(z) rounds to 1, and log(1 − a) from a would be noise."""
    spec = Spec.parse("3-2-1-3", activation="poly=z**3/3+z", output_activation=output, cost=cost, bias=False)
    layers = derive_layers(spec)
    verdicts = driver.verify_layer_level(layers)
    assert [v.status for v in verdicts] == [VERIFIED, VERIFIED], verdicts
