"""symbackprop's own numeric checks keep clear of kinks: no verdict rests on a point on a kink."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp

from symbackprop import Spec, derive, driver
from symbackprop.derivation import derive_layers
from symbackprop.model import NetworkModel
from symbackprop.numeric import LayerLevelEvaluator, clear_of_kinks, kink_aware_difference, random_problem
from symbackprop.passes import random_real
from symbackprop.proof import FAILED, VERIFIED, Sampler
from symbackprop.registry import Z


def first_draw(seed: int) -> sp.Float:
    return random_real(random.Random(seed))


def test_sampler_moves_points_off_a_kink():
    kink = first_draw(3)  # the first point of seed 3 sits exactly on a kink at this value
    plain, guarded = Sampler([Z], seed=3), Sampler([Z], seed=3, kinks=(Z - kink,))
    before, after = list(plain.points(4)), list(guarded.points(4))
    assert before[0][Z] == kink and after[0][Z] != kink
    assert guarded.moved_off_kinks(4) == 1 and plain.moved_off_kinks(4) == 0
    assert list(Sampler([Z], seed=3, kinks=(Z - 7,)).points(4)) == before  # a kink no point hits changes nothing


def test_a_rewrite_that_differs_only_on_the_kink_is_not_failed_there():
    """H(z − c) with H(0) = 1 and with H(0) = 0 agree except at c: a point drawn at c must not decide."""
    kink = first_draw(0)
    composed, derivative = sp.Heaviside(Z - kink, 1), sp.Heaviside(Z - kink, 0)
    blind = driver._rewrite_verdict(composed, derivative, None, 0, 24, driver.NO_DEADLINE)
    assert blind.status == FAILED  # the premise: the first point of seed 0 lands on the kink
    verdict = driver._rewrite_verdict(composed, derivative, None, 0, 24, driver.NO_DEADLINE, (Z - kink,))
    assert verdict.status == VERIFIED and "24 random points (1 moved off a kink)" in verdict.how


def test_model_kink_switches_cover_every_neuron_and_the_cost():
    spec = Spec.parse("2-2-1", activation="m=max(z, 0.5)", output_activation="identity",
                      cost="l1=abs(a - y)")
    model = NetworkModel(spec)
    switches = model.kink_switches()
    assert switches == (model.z(1, 1) - sp.Rational(1, 2), model.z(1, 2) - sp.Rational(1, 2),
                        model.z(2, 1) - model.y(1))


def test_derive_of_kinked_networks_holds():
    for spec in (Spec.parse("2-3-2", activation="relu", output_activation="identity", cost="l1=abs(a - y)"),
                 Spec.parse("2-2-1", activation="m=max(z, 0.5)", output_activation="sigmoid",
                            cost="binary_cross_entropy")):
        assert derive(spec, proof_budget=0).proof.holds


def on_the_kink(spec: Spec, m: int, seed: int) -> tuple[dict, np.ndarray, np.ndarray]:
    """The random problem, but for seed 0 its first sample has every pre-activation of layer 1 at 0."""
    params, X, Y = random_problem(spec, m, seed)
    if seed == 0:
        params["b1"] = -(X[:1] @ params["W1"].T)[0]
    return params, X, Y


RELU = Spec.parse("3-4-2", activation="relu", output_activation="identity", cost="quadratic")


def test_kink_aware_difference_goes_one_sided_or_declines():
    evaluator = LayerLevelEvaluator(derive_layers(RELU))
    params, X, Y = on_the_kink(RELU, 1, 0)
    assert all((evaluator.forward(params, X)[1][0] == 0).ravel())
    grads = evaluator.gradients(params, X, Y)
    original = params["b1"][0]
    values = []
    for offset in (1, -1):
        params["b1"][0] = original + offset * 1e-6
        values.append(evaluator.cost(params, X, Y))
    params["b1"][0] = original
    central = (values[0] - values[1]) / 2e-6
    assert abs(central - grads["b1"][0]) > 1e-3  # the premise: a central difference straddles the kink
    assert kink_aware_difference(evaluator, params, X, Y, "b1", (0,)) == (None, "on a kink")
    numeric, kind = kink_aware_difference(evaluator, params, X, Y, "W2", (0, 0))
    assert kind == "central" and numeric == pytest.approx(grads["W2"][0, 0], abs=1e-8)


def test_clear_of_kinks_lets_values_that_do_not_move_sit_on_a_kink():
    still = [np.zeros((2, 3))] * 3
    assert clear_of_kinks([still, still, still])
    crossing = [[np.full((1, 1), -1e-7)], [np.full((1, 1), 0.0)], [np.full((1, 1), 1e-7)]]
    assert not clear_of_kinks(crossing)
    assert clear_of_kinks([[np.full((1, 1), v)] for v in (1.0, 1.1, 1.2)])


def test_layer_level_check_keeps_off_the_kink_and_still_fails_a_wrong_form(monkeypatch):
    layers = derive_layers(RELU)
    monkeypatch.setattr(driver, "random_problem", on_the_kink)
    verdicts = driver.verify_layer_level(layers)
    assert [v.status for v in verdicts] == [VERIFIED, VERIFIED]
    assert all("the random point moved off a kink once" in v.how for v in verdicts), [v.how for v in verdicts]
    right = LayerLevelEvaluator.gradients
    monkeypatch.setattr(LayerLevelEvaluator, "gradients",
                        lambda self, *args: {**right(self, *args), "W1": 1.5 * right(self, *args)["W1"]})
    failed = driver.verify_layer_level(layers)
    assert failed[-1].status == FAILED and "W1[" in failed[-1].how
