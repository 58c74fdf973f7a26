"""Reading symbols against a notation: profiles, conventions, --notation auto, scalar and component readings."""

from __future__ import annotations

import pytest

from symbackprop.checker import check_equations
from symbackprop.checker.infer import infer, other_readings
from symbackprop.checker.parser import parse_equation
from symbackprop.errors import UserError
from symbackprop.notation import PROFILES, Conventions, IndexOrder, Vectors, notation
from symbackprop.spec import Spec

QUAD_232 = Spec.parse("2-3-2", activation="sigmoid", cost="quadratic")


def _inferred(*texts: str):
    return infer([parse_equation(text, f"equation {n}") for n, text in enumerate(texts, start=1)])


def _one(spec: Spec, text: str, name: str = "auto"):
    (result,) = check_equations(spec, [text], notation=name).results
    return result


# -- profiles -----------------------------------------------------------------------------------------
def test_new_profiles_are_named_and_read_their_own_letters():
    assert notation("source-first").conventions.index_order is IndexOrder.SOURCE_FIRST
    assert notation("source-first").kind_of("t") == "y" and notation("source-first").kind_of("y") == "a"
    assert notation("bishop").kind_of("a") == "z" and notation("bishop").kind_of("z") == "a"
    assert notation("bishop").conventions.index_order is IndexOrder.DESTINATION_FIRST
    assert notation("nielsen").kind_of("y") is None


def test_unknown_profile_names_auto_among_the_choices():
    with pytest.raises(UserError, match="auto"):
        notation("bourbaki")


def test_with_conventions_overrides_one_profile():
    rows = PROFILES["ng"].with_conventions(Conventions(vectors=Vectors.ROW))
    assert rows.conventions.rows and rows.name == "ng" and not PROFILES["ng"].conventions.rows


# -- inference ----------------------------------------------------------------------------------------
def test_theta_infers_ng_and_says_from_which_equation():
    found = _inferred(r"\delta^L = a^L - y", r"\delta^{(2)} = (\Theta^{(2)})^T \delta^{(3)} \odot g'(z^{(2)})")
    assert found.profile == "ng"
    assert "equation 2" in found.reasons[0]


def test_brackets_infer_higham_and_plain_letters_nielsen():
    assert _inferred(r"\delta^{[L]} = a^{[L]} - y").profile == "higham"
    plain = _inferred(r"\delta^l = (w^{l+1})^T \delta^{l+1} \odot \sigma'(z^l)")
    assert plain.profile == "nielsen" and plain.conventions == Conventions()


def test_row_vectors_from_a_vector_left_of_a_matrix():
    found = _inferred(r"\delta^l = \delta^{l+1} w^{l+1} \odot \sigma'(z^l)")
    assert found.conventions.vectors is Vectors.ROW
    assert found.conventions.index_order is IndexOrder.DESTINATION_FIRST  # a gradient never sets the order


def test_index_order_from_a_forward_definition_sum():
    found = _inferred(r"z^{(l)}_j = \sum_i w^{(l)}_{ij} y^{(l-1)}_i + b^{(l)}_j", r"\delta^{(L)}_j = y^{(L)}_j - t_j")
    assert found.profile == "source-first"
    assert found.conventions.index_order is IndexOrder.SOURCE_FIRST


def test_input_layer_numbering_from_its_definition():
    found = _inferred(r"a^{(1)} = x", r"\delta^{(3)} = a^{(3)} - y")
    assert found.layer_offset == 1 and found.notation().layer_offset == 1
    assert any("input is layer 1" in reason for reason in found.reasons)


def test_weights_numbered_by_the_layer_they_leave_from_the_forward_definition():
    """UFLDL-style notes: W^{(l)} joins layer l to l+1 (as Ng's Θ^{(l)}), with the input layer 1."""
    forward = [r"a^{(1)} = x", r"z^{(l+1)} = W^{(l)} a^{(l)} + b^{(l)}", r"a^{(l+1)} = f(z^{(l+1)})"]
    found = _inferred(*forward)
    assert found.weights_by_source and found.notation().weight_offset == 0
    assert any("weights numbered by the layer they leave (equation 2)" in reason for reason in found.reasons)
    results = check_equations(Spec.parse("3-4-4-2", activation="sigmoid", cost="quadratic"), [*forward,
        r"\delta^{(l)} = ((W^{(l)})^T \delta^{(l+1)}) \odot f'(z^{(l)})",
        r"\nabla_{W^{(l)}} J = \delta^{(l+1)} (a^{(l)})^T", r"\nabla_{b^{(l)}} J = \delta^{(l+1)}",
        r"\nabla_{W^{(l)}} J = \delta^{(l)} (a^{(l)})^T",
        r"\delta^{(l)} = ((W^{(l+1)})^T \delta^{(l+1)}) \odot f'(z^{(l)})"],
        keep_going=True).results
    assert [result.verdict for result in results] == ["CONSISTENT"] * 3 + ["CORRECT"] * 3 + ["INCORRECT"] * 2


def test_weights_numbered_by_the_layer_they_enter_keep_the_profile():
    assert _inferred(r"z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}").weights_by_source is False
    higham = _inferred(r"z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}").notation()
    assert higham.weight_offset == PROFILES["higham"].weight_offset
    assert _inferred(r"z^{(l+1)} = \Theta^{(l)} a^{(l)}").notation().weight_offset == PROFILES["ng"].weight_offset


def test_other_readings_flip_one_convention_each():
    (order, _), (vectors, why) = other_readings(PROFILES["nielsen"])
    assert order.conventions.source_first and not order.conventions.rows
    assert vectors.conventions.rows and "row vectors" in why


# -- verdicts under conventions -------------------------------------------------------------------------
def test_a_chain_of_single_neurons_is_compared_as_a_scalar():
    spec = Spec.parse("1-1-1", activation="sigmoid", cost="quadratic")
    assert _one(spec, r"\frac{\partial C}{\partial w^2} = a^1\,\sigma'(z^2)\,(a^2 - y)").correct
    assert not _one(spec, r"\frac{\partial C}{\partial w^2} = a^2\,\sigma'(z^2)\,(a^2 - y)").correct


def test_row_vectors_are_inferred_and_named_when_the_profile_says_columns():
    text = r"\delta^l = \delta^{l+1} w^{l+1} \odot \sigma'(z^l)"
    assert _one(QUAD_232, text).correct
    under_columns = _one(QUAD_232, text, "nielsen")
    assert not under_columns.correct
    assert any("row vectors" in note for note in under_columns.notes)


def test_a_vector_written_for_its_component_is_a_named_slip():
    right = _one(QUAD_232, r"\delta^L_j = (a^L_j - y_j)\,\sigma'(z^L)")
    assert right.correct and "component" in right.notes[0] and "vector" in right.notes[0]
    wrong = _one(QUAD_232, r"\delta^L_j = (y_j - a^L_j)\,\sigma'(z^L)")
    assert not wrong.correct
    text = " ".join(wrong.failure.diagnoses)
    assert "component" in text and "sign" in text


def test_an_equation_true_in_the_other_index_order_says_so():
    spec = Spec.parse("2-2-2", activation="sigmoid", cost="quadratic")
    result = _one(spec, r"\frac{\partial C}{\partial w^l_{kj}} = a^{l-1}_k\,\delta^l_j", "nielsen")
    assert not result.correct
    assert any("source-first" in note for note in result.notes)


def test_source_first_letters_tell_layers_apart():
    spec = Spec.parse("3-2-2", activation="sigmoid", cost="quadratic")
    assert _one(spec, r"\delta_j = y_j(1 - y_j)\sum_k w_{jk}\,\delta_k", "source-first").correct
    assert not _one(spec, r"\delta_j = y_j(1 - y_j)\sum_k w_{kj}\,\delta_k", "source-first").correct


def test_the_report_states_what_it_inferred():
    report = check_equations(QUAD_232, [r"\delta^l = \delta^{l+1} w^{l+1} \odot \sigma'(z^l)"])
    assert "notation inferred: nielsen" in report.text() and "row vectors (the products of equation 1)" in report.text()


# -- vocabulary -----------------------------------------------------------------------------------------
HIDDEN = r"\delta^l_j = \sigma'(z^l_j)\sum_{k=1}^{%s} w^{l+1}_{kj}\,\delta^{l+1}_k"


@pytest.mark.parametrize("bound", ["n_{l+1}", "N", "K", "n"])
def test_sums_bounded_by_a_width(bound):
    assert _one(QUAD_232, HIDDEN % bound).correct


def test_a_bound_naming_the_wrong_layer_is_wrong():
    assert not _one(QUAD_232, HIDDEN % "n_l").correct


def test_a_sum_over_s_indexing_neurons_is_over_neurons():
    assert _one(QUAD_232, r"\delta^l_j = \sigma'(z^l_j)\sum_{s} w^{l+1}_{sj}\,\delta^{l+1}_s").correct


def test_t_is_the_target_where_y_is_one():
    assert _one(QUAD_232, r"\delta^L_j = (a^L_j - t_j)\,\sigma'(z^L_j)").correct
    assert not _one(QUAD_232, r"\delta^L_j = (t_j - a^L_j)\,\sigma'(z^L_j)").correct


def test_named_layers_of_a_source_first_text():
    spec = Spec.parse("3-2-2", activation="sigmoid", cost="quadratic")
    assert _one(spec, r"\delta_{\rm out} = (y_{\rm out} - t) \odot y_{\rm out} \odot (1 - y_{\rm out})",
                "source-first").correct


def test_bishop_reads_a_as_the_input_sum_and_z_as_the_output():
    spec = Spec.parse("3-2-2", activation="sigmoid", cost="quadratic")
    assert _one(spec, r"\delta_j = z_j(1 - z_j)\sum_k w_{kj}\,\delta_k", "bishop").correct
    assert not _one(spec, r"\delta_j = a_j(1 - a_j)\sum_k w_{kj}\,\delta_k", "bishop").correct


def test_a_layer_the_network_has_only_counted_from_one_numbers_the_input_one():
    found = infer([parse_equation(r"\delta^{(3)} = a^{(3)} - y", "equation 1")], depth=2)
    assert found.layer_offset == 1 and "equation 1 names layer 3" in found.reasons[-1]
    assert infer([parse_equation(r"\delta^{2} = a^{2} - y", "equation 1")], depth=2).layer_offset is None


def test_n_is_the_number_of_training_inputs_of_a_batch_mean():
    assert _one(QUAD_232, r"\frac{\partial C}{\partial b^l_j} = \frac{1}{n}\sum_x \delta^{x,l}_j").correct


def test_a_number_above_a_unit_named_by_its_letter_is_a_power():
    spec = Spec.parse("2-3-2", activation="tanh", cost="quadratic")
    assert _one(spec, r"\delta_j = (1 - z_j^2)\sum_{k=1}^{K} w_{kj}\,\delta_k", "bishop").correct


def test_an_order_inferred_from_a_definition_is_named_where_it_decides():
    spec = Spec.parse("2-2-2", activation="sigmoid", cost="quadratic")
    report = check_equations(spec, [r"z^l_j = \sum_k w^l_{kj} a^{l-1}_k + b^l_j",
                                    r"\frac{\partial C}{\partial w^l_{kj}} = a^{l-1}_k\,\delta^l_j"], keep_going=True)
    gradient = report.results[-1]
    assert gradient.correct
    assert any("as equation 1 defines" in note and "Nielsen's order" in note for note in gradient.notes)


def test_sigma_is_the_logistic_function_in_a_text_on_softplus_units():
    spec = Spec.parse("2-3-2", activation="softplus", cost="quadratic")
    assert _one(spec, r"\delta^L_j = (a^L_j - y_j)\,\sigma(z^L_j)").correct
    assert _one(spec, r"\delta^L_j = (a^L_j - y_j)\,\sigma'(z^L_j)").correct  # σ' stays the activation's derivative


def test_the_input_in_a_layer_script_of_a_per_input_equation():
    assert _one(QUAD_232, r"\frac{\partial C}{\partial b^l_j} = \delta^{x,l}_j").correct


def test_delta_defined_as_minus_the_gradient():
    spec = Spec.parse("3-2-2", activation="sigmoid", cost="quadratic")
    report = check_equations(spec, [r"\delta^{(l)}_j = -\frac{\partial C}{\partial z^{(l)}_j}",
                                    r"\delta^{(L)}_k = (t_k - y^{(L)}_k)\,y^{(L)}_k(1 - y^{(L)}_k)",
                                    r"\frac{\partial C}{\partial w^{(L)}_{jk}} = -\delta^{(L)}_k\,y^{(L-1)}_j"],
                             keep_going=True)
    assert report.notation.conventions.delta_sign == -1 and report.notation.name == "source-first"
    assert [result.correct for result in report.results[1:]] == [True, True]
