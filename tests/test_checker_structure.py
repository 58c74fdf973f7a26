"""Tests of the checker's structural claims: what claims nothing about the network is skipped with
the reason (with ``--equation`` too, exit 0), the chain-rule steps and left sides of single-neuron
chains, ∂C/∂a of a hidden layer on a right side, derivatives of named functions, softmax outputs,
``\\forall`` qualifiers, and the index order a text's own forward pass settles."""

from __future__ import annotations

import pytest

from symbackprop import Spec
from symbackprop.checker import check_equations
from symbackprop.checker.check import settled_order
from symbackprop.checker.claims import Kind, classify
from symbackprop.checker.parser import Relation, parse_equation
from symbackprop.checker.resolve import Evaluator
from symbackprop.checker.truth import truth_for
from symbackprop.cli import main
from symbackprop.notation import notation


@pytest.fixture(scope="module")
def nets() -> dict[str, Spec]:
    return {
        "232": Spec.parse("2-3-2", activation="sigmoid", cost="quadratic"),
        "2332": Spec.parse("2-3-3-2", activation="sigmoid", cost="quadratic"),
        "chain": Spec.parse("1-1-1-1", activation="sigmoid", cost="sq=(a - y)**2"),
        "tanh_softmax": Spec.parse("3-4-3", activation="tanh", output_activation="softmax", cost="cross_entropy"),
        "softmax": Spec.parse("2-2-3", activation="sigmoid", output_activation="softmax", cost="cross_entropy"),
        "rows": Spec.parse("3-2-2", activation="sigmoid", cost="quadratic"),
    }


def verdicts(spec: Spec, text: str) -> list[str]:
    return [result.verdict for result in check_equations(spec, [text]).results]


def only_result(spec: Spec, text: str):
    report = check_equations(spec, [text])
    assert len(report.results) == 1, report.text()
    return report, report.results[0]


# -- what claims nothing ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, reason", [
    (r"b^l \rightarrow b^l - \frac{\eta}{m}\sum_x \delta^{x,l}", "update rule"),
    (r"W^{[l]} \to W^{[l]} - \eta\, \delta^{[l]} (a^{[l-1]})^T", "update rule"),
    (r"w^{(L)} \leftarrow w^{(L)} - \eta\,\frac{\partial C}{\partial w^{(L)}}", "update rule"),
    ("w_{jk} ← w_{jk} + η δ_k y_j", "update rule"),
    (r"\Delta w_{ij} = -\eta \frac{\partial E}{\partial w_{ij}}", "change of a parameter"),
    (r"\Delta w_{ij} = \eta\, \delta_j\, x_i", "change of a parameter"),
    (r"\Delta \theta_j = \eta \delta_j", "change of a parameter"),
    (r"w_{ij}(t+1) = w_{ij}(t) - \alpha \frac{\partial E}{\partial w_{ij}}", "update rule"),
    (r"w^{t+1} = w^t - \eta \nabla C", "update rule"),
    (r"\frac{\partial}{\partial \theta_i} J(\theta) \approx \frac{J(\theta + \epsilon e_i) - J(\theta - \epsilon e_i)}"
     r"{2\epsilon}", "approximation"),
    (r"\frac{\partial C}{\partial w^L_{jk}} = ?", "question"),
    (r"(u \circ v)_i = u_i v_i", "operation for any vectors (u, v)"),
    # right sides the parser cannot read: what stands before them says enough
    (r"w_{ij}^{(\ell)}(t+1) = w_{ij}^{(\ell)}(t) - \alpha \frac{\partial E}{\partial w_{ij}^{(\ell)}(t)}",
     "update rule"),
    (r"\mathbf{w} \leftarrow \mathbf{w} - \eta \nabla_{\mathbf{w}} E", "update rule"),
])
def test_what_claims_nothing_is_skipped_with_its_reason_and_exit_0(nets, text, reason):
    report, result = only_result(nets["232"], text)
    assert result.verdict == "skipped" and reason in result.skipped, report.text()
    assert report.exit_code == 0


def test_an_arrow_with_equation_is_a_skip_not_an_error(capsys):
    code = main(["check", "2-3-2", "--activation", "sigmoid", "--cost", "quadratic",
                 "--equation", r"w^l \rightarrow w^l - \frac{\eta}{m} \sum_x \delta^{x,l} (a^{x,l-1})^T"])
    out = capsys.readouterr().out
    assert code == 0 and "skipped: an update rule" in out and "1 skipped (no claim about the network)" in out


def test_an_unreadable_claim_is_still_an_error(nets):
    from symbackprop.errors import EquationError

    with pytest.raises(EquationError):
        check_equations(nets["232"], [r"\frac{\partial C}{\partial w^l_{jk}} = \eta \foo{"])


@pytest.mark.parametrize("text, holds", [
    (r"\begin{bmatrix} 1 \\ 2 \end{bmatrix} \odot \begin{bmatrix} 3 \\ 4 \end{bmatrix} = "
     r"\begin{bmatrix} 3 \\ 8 \end{bmatrix}", True),
    (r"\begin{bmatrix} 1 \\ 2 \end{bmatrix} \odot \begin{bmatrix} 3 \\ 4 \end{bmatrix} = "
     r"\begin{bmatrix} 3 \\ 7 \end{bmatrix}", False),
    (r"2 \cdot 3 = 6", True),
])
def test_arithmetic_is_skipped_and_says_whether_it_holds(nets, text, holds):
    report, result = only_result(nets["232"], text)
    assert result.verdict == "skipped" and "numbers only" in result.skipped
    assert ("the arithmetic holds" in result.skipped) is holds
    assert ("does not hold" in result.skipped) is not holds
    assert report.exit_code == 0  # arithmetic is no claim about the network: no INCORRECT, whatever it says


@pytest.mark.parametrize("text", [
    r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j",  # a gradient, not an update
    r"z^l = w^l a^{l-1} + b^l",  # a forward pass names weights but no learning rate
    r"\delta^L = (a^L - y) \odot \sigma'(z^L)",  # ⊙ of network quantities is a claim
])
def test_claims_are_not_taken_for_updates_or_notation(nets, text):
    _, result = only_result(nets["232"], text)
    assert result.verdict in ("CORRECT", "CONSISTENT"), result.lines()


def test_placeholders_that_name_network_quantities_are_no_definition_of_notation(nets):
    equation = parse_equation(r"(a \odot z)_j = a_j z_j", "equation 1", frozenset(Relation))
    evaluator = Evaluator(truth_for(nets["232"]), notation("nielsen"), "equation 1")
    assert classify(equation, evaluator).kind is not Kind.NO_CLAIM


# -- chains of single neurons and ∂C/∂a of hidden layers -----------------------------------------------
def test_dz_dw_of_a_chain_of_single_neurons(nets):
    assert verdicts(nets["chain"], r"\frac{\partial z^{(L)}}{\partial w^{(L)}} = a^{(L-1)}") == ["CORRECT"]
    assert verdicts(nets["chain"], r"\frac{\partial z^{(L-1)}}{\partial w^{(L-1)}} = a^{(L-2)}") == ["CORRECT"]
    assert verdicts(nets["chain"], r"\frac{\partial z^{(L)}}{\partial w^{(L)}} = a^{(L)}") == ["INCORRECT"]


def test_a_weight_matrix_of_many_entries_is_no_single_weight(nets):
    report = check_equations(nets["232"], [r"\frac{\partial z^{L}}{\partial w^{L}} = a^{L-1}"], keep_going=True)
    assert report.results[0].verdict != "CORRECT"


@pytest.mark.parametrize("spec, text, verdict", [
    ("chain", r"\frac{\partial C_0}{\partial w^{(L-1)}} = a^{(L-2)}\,\sigma'\left(z^{(L-1)}\right)\,"
              r"\frac{\partial C_0}{\partial a^{(L-1)}}", "CORRECT"),
    ("chain", r"\frac{\partial C_0}{\partial w^{(L-1)}} = a^{(L-1)}\,\sigma'\left(z^{(L-1)}\right)\,"
              r"\frac{\partial C_0}{\partial a^{(L-1)}}", "INCORRECT"),
    ("2332", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \sigma'(z^l_j) \frac{\partial C}{\partial a^l_j}",
     "CORRECT"),
    ("2332", r"\delta^l = \frac{\partial C}{\partial a^l} \odot \sigma'(z^l)", "CORRECT"),
    ("2332", r"\delta^l = \frac{\partial C}{\partial a^l} \odot \sigma'(a^l)", "INCORRECT"),
])
def test_the_gradient_in_a_hidden_layer_on_a_right_side_is_its_true_value(nets, spec, text, verdict):
    assert verdicts(nets[spec], text) == [verdict]


# -- named functions ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, verdict", [
    ("tanh′(z) = 1 − tanh²(z)", "CORRECT"),
    (r"\tanh'(z) = 1 - \tanh^2(z)", "CORRECT"),
    (r"\tanh'(z) = 1 + \tanh^2(z)", "INCORRECT"),
    (r"\tanh'(z^1_j) = 1 - (a^1_j)^2", "CORRECT"),
])
def test_the_derivative_of_tanh_by_its_name(nets, text, verdict):
    assert verdicts(nets["tanh_softmax"], text) == [verdict]


def test_the_derivative_of_a_function_no_unit_uses_is_no_claim(nets):
    report, result = only_result(nets["232"], r"\tanh'(z) = 1 + \tanh^2(z)")
    assert result.verdict == "skipped" and "tanh" in result.skipped and report.exit_code == 0


@pytest.mark.parametrize("text, verdict", [
    (r"a^L = \mathrm{softmax}(z^L)", "CONSISTENT"),
    (r"a^L_j = \mathrm{softmax}(z^L)_j", "CONSISTENT"),
    (r"a^L_j = \frac{e^{z^L_j}}{\sum_k e^{z^L_k}}", "CONSISTENT"),
    (r"a^1 = \mathrm{softmax}(z^1)", "INCONSISTENT"),
])
def test_softmax_output_definitions(nets, text, verdict):
    assert verdicts(nets["softmax"], text) == [verdict]


# -- qualifiers, conventions ----------------------------------------------------------------------------
def test_forall_over_several_letters(nets):
    report, result = only_result(nets["232"], r"\frac{\partial C}{\partial b^l_j} = \delta^l_j \quad \forall\, l, j")
    assert result.verdict == "CORRECT" and result.qualifier == "l, j" and "5 instances" in result.how


def test_a_row_vector_forward_pass_through_y_reads_source_first(nets):
    report, result = only_result(nets["rows"], r"z^{(l)} = y^{(l-1)}W^{(l)} + b^{(l)}")
    assert result.verdict == "CONSISTENT", report.text()
    assert report.notation.name == "source-first"


FORWARD = r"a^l_j = \sigma\Big( \sum_k w^l_{jk}\, a^{l-1}_k + b^l_j \Big)"
SOURCE_FIRST_BP2 = r"\delta^1_1 = \sigma'(z^1_1)\left( w^2_{11}\,\delta^2_1 + w^2_{12}\,\delta^2_2 \right)"


def test_a_forward_pass_settles_the_index_order(nets):
    truth, profile = truth_for(nets["232"]), notation("nielsen")
    assert settled_order(truth, profile, [SOURCE_FIRST_BP2, FORWARD], {}) == 2
    assert settled_order(truth, profile, [SOURCE_FIRST_BP2], {}) is None


def test_no_other_order_note_where_the_text_settled_it(nets):
    alone = check_equations(nets["232"], [SOURCE_FIRST_BP2], keep_going=True).results[0]
    assert alone.verdict == "INCORRECT" and any("runs from i to j" in note for note in alone.notes)
    settled = check_equations(nets["232"], [FORWARD, SOURCE_FIRST_BP2], keep_going=True).results
    assert [result.verdict for result in settled] == ["CONSISTENT", "INCORRECT"]
    assert not any("runs from i to j" in note for note in settled[1].notes)
