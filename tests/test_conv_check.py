"""`check` on equations of convolutional networks: the four factored forms, right and wrong."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from symbackprop import api
from symbackprop.checker.conv import ConvEvaluator, random_point
from symbackprop.cli import main
from symbackprop.conv.model import ConvModel
from symbackprop.conv.spec import from_layer_shorthand
from symbackprop.errors import EquationError

W_GRADIENT = r"\frac{\partial C}{\partial w^{l}_{c,d,p,q}} = \sum_{i,j} \delta^{l}_{c,i,j} a^{l-1}_{d,i+p,j+q}"
B_GRADIENT = r"\frac{\partial C}{\partial b^{l}_{c}} = \sum_{i,j} \delta^{l}_{c,i,j}"
CONV_DELTA = r"\delta^{l}_{d,u,v} = \sigma'(z^{l}_{d,u,v}) \sum_{c,p,q} w^{l+1}_{c,d,p,q} \delta^{l+1}_{c,u-p,v-q}"
POOL_DELTA = r"\delta^{2}_{d,u,v} = \sum_{c,p,q} w^{3}_{c,d,p,q} \delta^{3}_{c,u-p,v-q}"
OUTPUT_DELTA = r"\delta^{L}_{j} = a^{L}_{j} - y_{j}"

TWO_CONVS = from_layer_shorthand("1x5x5-conv2k2-conv2k2-3", activation="sigmoid")
POOLED = from_layer_shorthand("1x6x6-conv2k3-maxpool2-conv2k2-3", activation="relu")
STRIDED = from_layer_shorthand("1x6x6-conv2k3s2p1-conv2k2-3", activation="tanh")


def verdicts(spec, equations):
    return [item.verdict for item in api.check(spec, equations).items]


def diagnoses(spec, equation):
    (item,) = api.check(spec, [equation]).items
    assert item.verdict == "INCORRECT"
    return " ".join(item.diagnoses)


def test_the_truth_is_the_direct_partial_of_the_cost():
    """The chain rule the checker applies agrees with differentiating the whole cost, weight by weight."""
    spec = from_layer_shorthand("1x5x5-conv2k2-maxpool2-2", activation="sigmoid")
    model = ConvModel(spec)
    point = random_point(model, random.Random(3))
    for parameter in model.parameters:
        symbol = model.symbol(parameter)
        direct = sp.diff(model.cost, symbol).xreplace(point.values)
        assert abs(sp.N(direct, 25) - point.gradient[symbol]) < 1e-20, parameter


@pytest.mark.parametrize("spec", [TWO_CONVS, POOLED])
def test_the_four_factored_forms_are_correct(spec):
    equations = [W_GRADIENT, B_GRADIENT, OUTPUT_DELTA, CONV_DELTA if spec is TWO_CONVS else POOL_DELTA]
    report = api.check(spec, equations)
    assert [item.verdict for item in report.items] == ["CORRECT"] * 4
    assert report.all_correct


def test_stride_and_padding_are_read_in_the_indices():
    strided = r"\frac{\partial C}{\partial w^{1}_{c,d,p,q}} = \sum_{i,j} \delta^{1}_{c,i,j} a^{0}_{d,2i+p-1,2j+q-1}"
    assert verdicts(STRIDED, [strided]) == ["CORRECT"]
    # claimed for every layer, the same form is wrong at layer 2 (stride 1, no padding)
    every = strided.replace("{1}", "{l}").replace("{0}", "{l-1}")
    (item,) = api.check(STRIDED, [every]).items
    assert item.verdict == "INCORRECT" and item.instance.startswith("l = 2")


def test_a_missing_flip_is_named():
    unflipped = CONV_DELTA.replace("u-p,v-q", "u+p,v+q")
    assert "missing flip" in diagnoses(TWO_CONVS, unflipped)
    assert "missing flip" in diagnoses(POOLED, POOL_DELTA.replace("u-p,v-q", "u+p,v+q"))


def test_a_missing_sum_over_positions_is_named():
    found = diagnoses(TWO_CONVS, W_GRADIENT.replace(r"\sum_{i,j} ", ""))
    assert "missing sum over positions (i, j)" in found and "weight sharing" in found
    assert "missing sum over positions" in diagnoses(TWO_CONVS, B_GRADIENT.replace(r"\sum_{i,j} ", ""))


def test_other_mistakes_are_named():
    assert diagnoses(TWO_CONVS, B_GRADIENT.replace("= ", "= -")) == "off by a sign"
    assert "constant factor" in diagnoses(TWO_CONVS, W_GRADIENT.replace(r"\sum", r"2\sum"))
    assert "kernel offset flipped" in diagnoses(TWO_CONVS, W_GRADIENT.replace("i+p,j+q", "i+1-p,j+1-q"))
    assert "missing factor σ'(z)" in diagnoses(TWO_CONVS, CONV_DELTA.replace(r"\sigma'(z^{l}_{d,u,v}) ", ""))


def test_a_wrong_layer_is_caught():
    assert verdicts(TWO_CONVS, [W_GRADIENT.replace("a^{l-1}", "a^{l}")]) in (["INCORRECT"],)


def test_unreadable_conv_equations_say_where_and_why():
    with pytest.raises(EquationError, match="without bounds"):
        api.check(TWO_CONVS, [r"\frac{\partial C}{\partial b^{1}_{c}} = \sum_{i=0}^{3} \delta^{1}_{c,i,i}"])
    with pytest.raises(EquationError, match="not bound"):
        api.check(TWO_CONVS, [r"\delta^{1}_{c,i,j} = \delta^{1}_{c,i,k}"])
    with pytest.raises(EquationError, match="left side must be"):
        api.check(TWO_CONVS, [r"a^{1}_{c,i,j} = z^{1}_{c,i,j}"])


def test_the_evaluator_reads_entries_outside_an_array_as_zero_inside_sums_only():
    model = ConvModel(TWO_CONVS)
    evaluator = ConvEvaluator(model, random_point(model, random.Random(0)), "test")
    from symbackprop.checker.conv import _OutsideError
    from symbackprop.checker.parser import Sym

    with pytest.raises(_OutsideError):
        evaluator.symbol(Sym(0, "delta", "1", "0,9,9"), {})
    assert evaluator.symbol(Sym(0, "delta", "1", "0,0,0"), {}) != 0


def test_the_cli_checks_conv_equations_with_its_exit_codes(capsys):
    shorthand = TWO_CONVS.shorthand()
    assert main(["check", shorthand, "--activation", "sigmoid", "--equation", B_GRADIENT]) == 0
    assert "CORRECT" in capsys.readouterr().out
    wrong = CONV_DELTA.replace("u-p,v-q", "u+p,v+q")
    assert main(["check", shorthand, "--activation", "sigmoid", "--equation", wrong]) == 1
    assert "missing flip" in capsys.readouterr().out


def test_average_pooling_spreads_the_error_by_the_window_size():
    spec = from_layer_shorthand("1x6x6-conv2k3-avgpool2-3", activation="sigmoid")
    spread = (r"\delta^{1}_{c,u,v} = \frac{1}{4} \sigma'(z^{1}_{c,u,v}) "
              r"\delta^{2}_{c,\lfloor u/2 \rfloor,\lfloor v/2 \rfloor}")
    assert verdicts(spec, [spread]) == ["CORRECT"]
    assert "4 times" in diagnoses(spec, spread.replace(r"\frac{1}{4} ", ""))


def test_a_sign_is_named_where_a_dead_relu_unit_makes_the_error_zero():
    assert diagnoses(POOLED, B_GRADIENT.replace("= ", "= -")) == "off by a sign"


def test_the_report_displays_the_conv_conventions():
    report = api.check(POOLED, [B_GRADIENT])
    html = report._repr_html_()
    assert "a convolutional network" in html and r"w^{l}_{c,d,p,q}" in html and "1 of 1 correct" in html
    assert "every index starts at 0" in report.text()
