"""The checker's batch reading: costs and gradients over a training set, and the 1/m in one sample's δ.

The verdicts are the mathematics': the batch cost is the mean of the samples' costs (Nielsen's
C = (1/n) Σ_x C_x, Ng's J(Θ), Higham's (1/N) Σ_i), so a sum without the 1/m is m times it, and one
sample's δ does not depend on the number of samples at all.
"""

from __future__ import annotations

import pytest

from symbackprop import Spec
from symbackprop.checker import check_equations
from symbackprop.checker.batch import Mark, batch_marks, count_of, counts_of, is_sample_sum, marks_sample
from symbackprop.checker.parser import Bin, Sum, Sym, parse_equation
from symbackprop.errors import EquationError
from symbackprop.notation import notation


@pytest.fixture(scope="module")
def quad() -> Spec:
    return Spec.parse("2-3-2", activation="sigmoid", cost="quadratic")


@pytest.fixture(scope="module")
def bce() -> Spec:
    return Spec.parse("2-3-3-2", activation="sigmoid", cost="binary_cross_entropy")


@pytest.fixture(scope="module")
def chain() -> Spec:
    return Spec.parse("1-1-1-1", activation="sigmoid", cost="sq=(a - y)**2")


def verdicts(spec: Spec, text: str, profile: str = "auto") -> tuple[list[str], str]:
    report = check_equations(spec, [text], profile)
    return [result.verdict for result in report.results], report.text()


def _sum(text: str) -> Sum:
    node = parse_equation(text, "e").sides[1]
    while not isinstance(node, Sum):
        node = node.right
    return node


# -- reading: the input a quantity belongs to, the cost's parameters, the sum's bounds --------------------
def test_a_quantity_of_an_input_carries_the_sample_marker():
    side = parse_equation(r"C = y(x) - a^L(x) + h_\Theta(x^{(i)}) + a^{[L]}(x^{\{i\}})", "e").sides[1]
    found = []
    while isinstance(side, Bin):
        found.append(side.right)
        side = side.left
    found.append(side)
    assert [(s.name, s.sup) for s in reversed(found)] == [("y", "x"), ("a", "L,x"), ("h", "(i)"), ("a", "[L],(i)")]


def test_a_weight_before_brackets_stays_a_product():
    side = parse_equation(r"z = w(x)", "e").sides[1]
    assert isinstance(side, Bin) and side.left == Sym(5, "w")


def test_the_cost_as_a_function_of_its_parameters_is_the_cost():
    for text in (r"J(\Theta) = 1", r"C(w, b) = 1", r"J(W^{[1]}, b^{[1]}) = 1"):
        assert parse_equation(text, "e").sides[0] == Sym(1, text[0])


def test_a_sum_keeps_its_lower_bound():
    assert _sum(r"C = \frac{1}{n}\sum_{k=0}^{n-1} C_k").lower == "0"
    assert _sum(r"C = \sum_{k=1}^{n} C_k").lower == "1"


# -- which sums run over the samples -------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    r"C = \sum_{i=1}^{N} \frac12\|y(x^{\{i\}}) - a^{[L]}(x^{\{i\}})\|^2",
    r"C = \sum_{k=0}^{n-1} C_k",
    r"C = \sum_x C_x",
    r"C = \sum_{i=1}^{m} y^{(i)}_1",
    r"g = \sum_{k=0}^{n-1} \frac{\partial C_k}{\partial w^{(L)}}",
])
def test_a_sum_whose_letter_marks_the_samples_is_over_the_samples(text):
    assert is_sample_sum(_sum(text))


@pytest.mark.parametrize("text", [
    r"g = \sum_{k=1}^{N} w^{l+1}_{kj} \delta^{l+1}_k",
    r"g = \sum_{k=1}^{K} y^{(i)}_k",
    r"g = \sum_s w_{sj} \delta_s",
])
def test_a_sum_over_the_units_of_a_layer_is_not(text):
    assert not is_sample_sum(_sum(text))


def test_the_count_letter_comes_from_the_bounds():
    assert count_of(_sum(r"C = \sum_{k=0}^{n-1} C_k")) == "n"
    assert count_of(_sum(r"C = \sum_{i=1}^{N} C_i")) == "N"
    assert count_of(_sum(r"C = \sum_{k=1}^{n-1} C_k")) is None
    assert counts_of(parse_equation(r"C = \frac1N\sum_{i=1}^{N} C_i", "e"), "e") == {"N"}


@pytest.mark.parametrize("text, phrase", [
    (r"C = \frac{1}{n}\sum_{k=1}^{n-1} C_k", "not over every sample once"),
    (r"C = \frac{1}{m}\sum_{i=1}^{N} C_i", "which of them counts the samples"),
])
def test_an_unclear_count_is_refused_with_the_reason(quad, text, phrase):
    with pytest.raises(EquationError) as caught:
        check_equations(quad, [text], "nielsen")
    assert phrase in caught.value.message


def test_marks_say_what_makes_an_equation_a_batch_one():
    ng = notation("ng")
    assert batch_marks(parse_equation(r"\delta^{(4)} = \frac1m (a^{(4)} - y)", "e"), ng) == {Mark.COUNT}
    assert Mark.SAMPLES in batch_marks(parse_equation(r"C = \frac1m\sum_x C_x", "e"), ng)
    assert Mark.BATCH_COST in batch_marks(parse_equation(r"g = D^{(1)}_{ij}", "e"), ng)
    assert not batch_marks(parse_equation(r"g = D^{(1)}", "e"), ng)  # diag(σ'(z)) in the derivation's own text
    assert marks_sample(parse_equation(r"C = a^{(l)(t)}_j", "e").sides[1], "t")


# -- batch costs against the spec ----------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    r"C = \frac{1}{2n}\sum_x \|y(x) - a^L(x)\|^2",
    r"C = \frac{1}{m}\sum_{x}\frac{1}{2}\|y(x) - a^L(x)\|^2",
    r"C = \frac{1}{n}\sum_x C_x",
    r"C = \frac{1}{N}\sum_{i=1}^{N}\frac12\left\|y(x^{\{i\}}) - a^{[L]}(x^{\{i\}})\right\|_2^2",
    r"C = \frac12\|y(x) - a^L(x)\|^2",
])
def test_a_mean_over_the_samples_is_consistent(quad, text):
    assert verdicts(quad, text)[0] == ["CONSISTENT"]


@pytest.mark.parametrize("text, phrases", [
    (r"C = \frac{1}{2}\sum_x\|y(x) - a^L(x)\|^2", ["missing the 1/m"]),
    (r"C = \frac{1}{m^2}\sum_x\frac12\|y(x) - a^L(x)\|^2", ["once too often"]),
    (r"C = \sum_x\|y(x) - a^L(x)\|^2", ["missing the 1/m", "no ½"]),
    (r"C = \sum_{k=0}^{n-1} C_k", ["missing the 1/m"]),
])
def test_a_batch_cost_that_differs_names_every_part(quad, text, phrases):
    found, report = verdicts(quad, text)
    assert found == ["INCONSISTENT"], report
    assert all(phrase in report for phrase in phrases), report


def test_ngs_cost_over_m_examples(bce):
    body = (r"\sum_{i=1}^{m}\sum_{k=1}^{K}\left[y^{(i)}_k\log\left(h_\Theta(x^{(i)})\right)_k + \left(1 - "
            r"y^{(i)}_k\right)\log\left(1 - \left(h_\Theta(x^{(i)})\right)_k\right)\right]")
    assert verdicts(bce, r"J(\Theta) = -\frac{1}{m}" + body, "ng")[0] == ["CONSISTENT"]
    found, report = verdicts(bce, r"J(\Theta) = -" + body, "ng")
    assert found == ["INCONSISTENT"] and "missing the 1/m" in report


# -- gradients of the batch cost -----------------------------------------------------------------------
def test_the_gradient_of_the_mean_is_the_mean_of_the_gradients(quad, chain):
    text = r"\frac{\partial C}{\partial w^l_{jk}} = \frac{1}{n}\sum_x \frac{\partial C_x}{\partial w^l_{jk}}"
    assert verdicts(quad, text)[0] == ["CORRECT"]
    found, report = verdicts(quad, text.replace(r"\frac{1}{n}", ""))
    assert found == ["INCORRECT"] and "missing the 1/m" in report
    scalar = r"\frac{\partial C}{\partial w^{(L)}} = \frac{1}{n}\sum_{k=0}^{n-1}\frac{\partial C_k}{\partial w^{(L)}}"
    assert verdicts(chain, scalar)[0] == ["CORRECT"]


def test_a_batch_bias_gradient_over_n_points(quad):
    text = r"\frac{\partial C}{\partial b^{[l]}} = \frac{1}{N} \sum_{i=1}^{N} \delta^{[l]}(x^{\{i\}})"
    assert verdicts(quad, text, "higham")[0] == ["CORRECT"]
    assert verdicts(quad, text.replace(r"\frac{1}{N}", r"\frac{1}{N^2}"), "higham")[0] == ["INCORRECT"]


def test_ngs_gradient_entry_on_a_right_side(bce):
    text = (r"\frac{\partial}{\partial \Theta^{(l)}_{ij}} J(\Theta) = D^{(l)}_{ij} = \frac{1}{m}\sum_{t=1}^{m} "
            r"a^{(l)(t)}_j\, \delta^{(l+1)(t)}_i")
    assert verdicts(bce, text, "ng")[0] == ["CORRECT", "CORRECT"]


# -- one sample's δ with a 1/m -------------------------------------------------------------------------
def test_a_mean_inside_one_samples_delta_is_named(quad, bce):
    found, report = verdicts(quad, r"\delta^L_j = \frac{1}{m}(a^L_j - y_j)\,\sigma'(z^L_j)")
    assert found == ["INCORRECT"] and "inside one sample's error" in report and "1/m" in report
    found, report = verdicts(bce, r"\delta^{(4)} = \frac{1}{m}\left(a^{(4)} - y\right)", "ng")
    assert found == ["INCORRECT"] and "inside one sample's error" in report


def test_every_mistake_beside_the_mean_is_named(quad):
    found, report = verdicts(quad, r"\delta^L_j = \frac{1}{m}(a^L_j - y_j)")
    assert found == ["INCORRECT"]
    assert "inside one sample's error" in report and "σ'" in report


def test_ngs_hypothesis_is_the_output(bce):
    assert verdicts(bce, r"h_\Theta(x) = a^{(4)} = g(z^{(4)})", "ng")[0] == ["CONSISTENT", "CONSISTENT"]
    assert verdicts(bce, r"\delta^{(4)} = a^{(4)} - y = h_\Theta(x) - y", "ng")[0] == ["CORRECT", "CORRECT"]
    assert verdicts(bce, r"\delta^{(4)} = h_\Theta(x) + y", "ng")[0] == ["INCORRECT"]
