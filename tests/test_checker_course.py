"""A deep-learning course's notation: dW^{[l]}, db^{[l]}, dz^{[l]}, dZ^{[l]} for the cost's derivatives,
g^{[l]}(z^{[l]}) for a layer's activation, the input a^{[0]} = x, a batch's samples as columns, and
NumPy's ``*`` for the elementwise product."""

from __future__ import annotations

import pytest

from symbackprop import Spec, api

SPEC = Spec.parse("2-3-2", activation="sigmoid", output_activation="sigmoid", cost="binary_cross_entropy")


def _verdicts(*equations: str) -> list[str]:
    return [item.verdict for item in api.check(SPEC, list(equations)).items]


@pytest.mark.parametrize("equation", [
    r"dz^{[2]} = a^{[2]} - y",
    r"dW^{[2]} = dz^{[2]} a^{[1]T}",
    r"db^{[2]} = dz^{[2]}",
    r"dz^{[1]} = W^{[2]T} dz^{[2]} * g^{[1]\prime}(z^{[1]})",
])
def test_one_sample_in_the_course_notation(equation):
    assert _verdicts(equation) == ["CORRECT"]


@pytest.mark.parametrize("equation, mistake", [
    (r"dz^{[2]} = a^{[2]} + y", "sign"),
    (r"dz^{[1]} = W^{[2]T} dz^{[2]} * g^{[1]\prime}(a^{[1]})", "σ'(a)"),
])
def test_a_slip_in_the_course_notation_is_named(equation, mistake):
    (item,) = api.check(SPEC, [equation]).items
    assert item.verdict == "INCORRECT"
    assert any(mistake in diagnosis for diagnosis in item.diagnoses)


def test_the_course_names_number_the_input_layer_zero():
    report = api.check(SPEC, [r"dz^{[2]} = a^{[2]} - y"])
    assert "input is layer 0" in report.text()
    assert _verdicts(r"a^{[1]} = g^{[1]}(z^{[1]})") == ["CONSISTENT"]


@pytest.mark.parametrize("equation, verdict", [
    (r"dZ^{[2]} = A^{[2]} - Y", "CORRECT"),
    (r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}", "CORRECT"),
    (r"dW^{[1]} = \frac{1}{m} dZ^{[1]} X^T", "CORRECT"),
    (r"dZ^{[1]} = W^{[2]T}dZ^{[2]} * g^{[1]\prime}(Z^{[1]})", "CORRECT"),
    (r"dW^{[2]} = dZ^{[2]} A^{[1]T}", "INCORRECT"),
    (r"dW^{[2]} = \frac{1}{m} A^{[1]} dZ^{[2]T}", "INCORRECT"),
])
def test_a_batch_holds_one_sample_per_column(equation, verdict):
    assert _verdicts(equation) == [verdict]


def test_a_missing_mean_is_named():
    (item,) = api.check(SPEC, [r"dW^{[2]} = dZ^{[2]} A^{[1]T}"]).items
    assert any("1/m" in diagnosis for diagnosis in item.diagnoses)
