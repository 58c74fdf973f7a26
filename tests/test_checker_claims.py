"""The checker's claims beyond gradients: chain-rule steps, ∂C/∂a, definitions against the spec,
what claims nothing (skipped, with the reason), and every mistake of an equation named."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from symbackprop import api
from symbackprop.checker import check_equations
from symbackprop.checker.claims import Kind, classify, no_claim
from symbackprop.checker.parser import Func, Node, Sym, parse_equation
from symbackprop.checker.resolve import Evaluator
from symbackprop.checker.truth import truth_for
from symbackprop.notation import notation
from symbackprop.spec import Spec


@pytest.fixture(scope="module")
def nets() -> dict[str, Spec]:
    return {
        "quad": Spec.parse("2-3-2", activation="sigmoid", cost="quadratic"),
        "square": Spec.parse("2-2-2", activation="sigmoid", cost="quadratic"),
        "nobias": Spec.parse("2-3-2", activation="sigmoid", cost="quadratic", bias=False),
        "bce": Spec.parse("2-3-2", activation="sigmoid", cost="binary_cross_entropy"),
        "softmax": Spec.parse("2-2-3", activation="sigmoid", output_activation="softmax", cost="cross_entropy"),
        "tanh": Spec.parse("2-3-2", activation="tanh", cost="quadratic"),
    }


def one(spec: Spec, text: str, profile: str = "nielsen"):
    report = check_equations(spec, [text], profile)
    assert len(report.results) == 1
    return report.results[0], report


def diagnoses(result) -> str:
    return " | ".join(result.failure.diagnoses) if result.failure else ""


# -- chain-rule steps and ∂C/∂a -----------------------------------------------------------------------
@pytest.mark.parametrize("key, text", [
    ("quad", r"\frac{\partial a^l_j}{\partial z^l_j} = \sigma'(z^l_j)"),
    ("quad", r"\frac{\partial a^l}{\partial z^l} = \sigma'(z^l)"),  # the diagonal of an elementwise Jacobian
    ("quad", r"\frac{\partial a^L_j}{\partial z^L_j} = a^L_j(1 - a^L_j)"),
    ("quad", r"\frac{\partial z^{l+1}_k}{\partial a^l_j} = w^{l+1}_{kj}"),
    ("quad", r"\frac{\partial z^l_j}{\partial w^l_{jk}} = a^{l-1}_k"),
    ("quad", r"\frac{\partial z^l_j}{\partial b^l_j} = 1"),
    ("quad", r"\frac{\partial z^{l+1}_k}{\partial z^l_j} = w^{l+1}_{kj}\,\sigma'(z^l_j)"),
    ("softmax", r"\frac{\partial a^L_k}{\partial z^L_j} = a^L_k([k = j] - a^L_j)"),
    ("quad", r"\frac{\partial C}{\partial a^L_j} = a^L_j - y_j"),
    ("bce", r"\frac{\partial C}{\partial a^L_j} = -\frac{y_j}{a^L_j} + \frac{1 - y_j}{1 - a^L_j}"),
    ("quad", r"\frac{\partial C}{\partial a^{L-1}_k} = \sum_j w^L_{jk}\,\delta^L_j"),
    ("quad", r"\nabla_a C = a^L - y"),
])
def test_right_steps_and_output_gradients_are_correct(nets, key, text):
    result, report = one(nets[key], text)
    assert result.verdict == "CORRECT", result.lines()
    assert report.exit_code == 0


@pytest.mark.parametrize("key, text, phrase", [
    ("quad", r"\frac{\partial a^l}{\partial z^l} = \sigma'(a^l)", "σ'(a) where σ'(z)"),
    ("square", r"\frac{\partial z^l_j}{\partial w^l_{jk}} = a^l_k", "the wrong layer"),
    ("square", r"\frac{\partial z^{l+1}_k}{\partial a^l_j} = w^{l+1}_{jk}", "swapped indices"),
    ("quad", r"\frac{\partial z^{l+1}_k}{\partial z^l_j} = w^{l+1}_{kj}", "missing factor σ'"),
    ("softmax", r"\frac{\partial a^L_k}{\partial z^L_j} = a^L_j(1 - a^L_j)", "wrong derivative"),
    ("quad", r"\frac{\partial C}{\partial a^L_j} = 2(a^L_j - y_j)", "2 times"),
    ("bce", r"\frac{\partial C}{\partial a^L_j} = -\frac{y_j}{a^L_j} - \frac{1 - y_j}{1 - a^L_j}", "sign"),
    ("quad", r"\nabla_{a^L} C = y - a^L", "off by a sign"),
])
def test_wrong_steps_are_incorrect_and_say_why(nets, key, text, phrase):
    result, report = one(nets[key], text)
    assert result.verdict == "INCORRECT" and report.exit_code == 1
    assert phrase in diagnoses(result), diagnoses(result)


# -- definitions against the spec -----------------------------------------------------------------------
@pytest.mark.parametrize("key, text", [
    ("quad", r"z^l = w^l a^{l-1} + b^l"),
    ("quad", r"z^l_j = \sum_k w^l_{jk} a^{l-1}_k + b^l_j"),
    ("quad", r"a^l = \sigma(z^l)"),
    ("quad", r"a^l_j = \sigma\left(\sum_k w^l_{jk}a^{l-1}_k + b^l_j\right)"),
    ("quad", r"a^0 = x"),
    ("nobias", r"z^l = w^l a^{l-1}"),
    ("softmax", r"a^1 = \sigma(z^1)"),
    ("tanh", r"a^l = \tanh(z^l)"),
    ("quad", r"C = \frac{1}{2}\sum_j (y_j - a^L_j)^2"),
    ("bce", r"C = -\sum_j \left[y_j \ln(a^L_j) + (1 - y_j)\ln(1 - a^L_j)\right]"),
    ("softmax", r"C = -\sum_j y_j \log(a^L_j)"),
    ("quad", r"\sigma(z) = \frac{1}{1+\exp(-z)}"),
])
def test_definitions_that_agree_with_the_spec_are_consistent(nets, key, text):
    result, report = one(nets[key], text)
    assert result.verdict == "CONSISTENT", result.lines()
    assert report.exit_code == 0 and "CONSISTENT (" in report.text()


@pytest.mark.parametrize("key, text, phrase", [
    ("quad", r"z^l = w^l a^{l-1}", "no bias"),
    ("nobias", r"z^l_j = \sum_k w^l_{jk}a^{l-1}_k + b^l_j", "a bias that this spec does not have"),
    ("quad", r"a^l = \tanh(z^l)", "the wrong activation: layer 1 of the spec applies sigmoid"),
    ("softmax", r"a^L = \sigma(z^L)", "softmax"),
    ("quad", r"C = \sum_j (y_j - a^L_j)^2", "this cost has no ½"),
    ("bce", r"C = -\sum_j y_j \ln(a^L_j)", "the wrong cost"),
    ("quad", r"\sigma(z) = \frac{1}{1+\exp(z)}", "the wrong activation: the spec's activations are sigmoid"),
])
def test_definitions_that_differ_are_inconsistent_and_name_the_part(nets, key, text, phrase):
    result, report = one(nets[key], text)
    assert result.verdict == "INCONSISTENT" and report.exit_code == 1
    assert phrase in diagnoses(result), diagnoses(result)
    assert "INCONSISTENT at" in report.text()


def test_the_activations_derivative_is_correct_or_incorrect(nets):
    right, _ = one(nets["quad"], r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))")
    wrong, report = one(nets["quad"], r"\sigma'(z) = \sigma(z)(1 + \sigma(z))")
    assert right.verdict == "CORRECT" and wrong.verdict == "INCORRECT" and report.exit_code == 1
    assert "a wrong derivative of the activation" in diagnoses(wrong)


def test_the_api_reports_consistent_and_inconsistent(nets):
    report = api.check(nets["quad"], [r"z^l = w^l a^{l-1} + b^l", r"C = \sum_j (y_j - a^L_j)^2"])
    assert [item.verdict for item in report] == [api.CONSISTENT, api.INCONSISTENT]
    assert report[0].correct and not report[1].correct and report.exit_code == 1
    assert "½" in report[1].diagnosis


# -- what claims nothing ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, reason", [
    (r"\delta^l_j = \frac{\partial C}{\partial z^l_j}", "defines the symbol δ"),
    (r"w^l_{jk} = w^l_{jk} - 3\frac{\partial C}{\partial w^l_{jk}}", "an update rule"),
    (r"W_{new} = W^2 - 3\frac{\partial C}{\partial W^2}", "an update rule"),
    (r"D^l = \operatorname{diag}(\sigma'(z^l))", "defines the symbol D^{l}"),
])
def test_what_claims_nothing_is_skipped_with_the_reason(nets, text, reason):
    result, report = one(nets["quad"], text)
    assert result.verdict == "skipped" and reason in result.skipped
    assert report.exit_code == 0


def test_an_accumulation_is_skipped(nets):
    result, _ = one(nets["bce"], r"\Delta^{(l)} = \Delta^{(l)} + \delta^{(l+1)}(a^{(l)})^T", "ng")
    assert "an accumulation step" in result.skipped


def test_a_chain_from_delta_is_checked_not_skipped(nets):
    chain = r"\delta^L_j = \frac{\partial C}{\partial z^L_j} = (a^L_j - y_j)\sigma'(z^L_j)"
    report = check_equations(nets["quad"], [chain])
    assert [result.verdict for result in report.results] == ["CORRECT", "CORRECT"]


@dataclass(frozen=True)
class Related:
    """An equation as the parser gives it with its relations (``:=``, ``≈``, ``→``) and ``= ?``."""

    text: str
    sides: tuple
    relations: tuple = ()
    question: bool = False


def test_relations_that_claim_nothing(nets):
    evaluator = Evaluator(truth_for(nets["quad"]), notation("nielsen"), "equation 1")
    sides = parse_equation(r"\frac{\partial C}{\partial w^2_{11}} = a^1_1 \delta^2_1", "equation 1").sides
    assert "approximation" in no_claim(Related("", sides, ("approx",)), evaluator)
    assert "question" in no_claim(Related("", sides[:1], question=True), evaluator)
    assert "update rule" in no_claim(Related("", sides, ("->",)), evaluator)
    assert no_claim(Related("", sides, (":=",)), evaluator) == ""
    assert classify(Related("", sides, ("=",)), evaluator).kind is Kind.GRADIENT
    assert Kind.FORWARD.definition and Kind.COST.definition and not Kind.STEP.definition


# -- every mistake named ------------------------------------------------------------------------------------
@pytest.mark.parametrize("key, text, phrases", [
    ("quad", r"\delta^L_j = (y_j - a^L_j)\,\sigma'(a^L_j)", ("off by a sign", "σ'(a) where σ'(z)")),
    ("square", r"\delta^l = (w^{l+1}\delta^{l+1}) \odot \sigma'(a^l)", ("transpose", "σ'(a) where σ'(z)")),
    ("square", r"\frac{\partial C}{\partial w^l_{jk}} = -a^{l-1}_j\delta^l_k", ("off by a sign", "swapped")),
])
def test_two_mistakes_in_one_equation_are_both_named(nets, key, text, phrases):
    result, _ = one(nets[key], text)
    assert result.verdict == "INCORRECT"
    for phrase in phrases:
        assert phrase in diagnoses(result), diagnoses(result)


@dataclass(frozen=True)
class Applied(Node):
    """A named function of several arguments, as the parser writes ReLU(z), max(0, z)."""

    name: str
    prime: bool
    args: tuple


@dataclass(frozen=True)
class Differentiated(Node):
    """An expression differentiated by a quantity, as the parser writes d/dz tanh z."""

    expr: Node
    wrt: Sym


def test_functions_and_derivatives_of_expressions_are_classified(nets):
    from symbackprop.checker.claims import kind_of
    from symbackprop.checker.definitions import dummy

    evaluator = Evaluator(truth_for(nets["quad"]), notation("nielsen"), "equation 1")
    z, layered = Sym(1, "z"), Sym(1, "z", "l", "j")
    relu, relu_prime = Applied(1, "ReLU", False, (z,)), Applied(1, "ReLU", True, (z,))
    assert kind_of(relu, evaluator) is Kind.ACTIVATION and dummy(relu) == "z"
    assert kind_of(relu_prime, evaluator) is Kind.DERIVATIVE
    assert kind_of(Differentiated(1, Func(1, "tanh", False, z), z), evaluator) is Kind.DERIVATIVE
    step = Differentiated(1, Func(1, "sigma", False, layered), layered)
    assert kind_of(step, evaluator) is Kind.STEP and dummy(step) is None


def test_an_elementwise_activation_on_the_softmax_layer_is_named_where_it_is(nets):
    # a free layer claims the layers σ applies to: texts define a softmax output apart
    free, _ = one(nets["softmax"], r"a^l = \sigma(z^l)")
    assert free.verdict == "CONSISTENT" and "2 instances" not in free.how
    named, _ = one(nets["softmax"], r"a^2 = \sigma(z^2)")
    assert named.verdict == "INCONSISTENT" and "softmax" in named.failure.diagnoses[0]
    below, _ = one(nets["softmax"], r"a^1 = \sigma(z^1)")
    assert below.verdict == "CONSISTENT"


def test_a_free_layer_runs_over_the_layers_the_claim_exists_for(nets):
    result, _ = one(nets["quad"], r"\frac{\partial C}{\partial a^l_j} = \sum_k w^{l+1}_{kj}\,\delta^{l+1}_k")
    assert result.verdict == "CORRECT" and "3 instances" in result.how  # l = 1 only: the input has no ∂C/∂a


def test_in_a_file_an_unknown_left_side_is_not_understood_and_a_definition_not_yet_read_is_passed_over(nets):
    report = check_equations(nets["quad"], [r"q_j = a^1_j", r"z^l = w^l a^{l-1} + b^l, \qquad a^l = \sigma(z^l)"],
                             keep_going=True)
    unknown, forward, activation = report.results  # two equations on one line are two
    assert unknown.verdict == "NOT UNDERSTOOD" and report.exit_code == 2
    assert forward.verdict == activation.verdict == "CONSISTENT"
