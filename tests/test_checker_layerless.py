"""Texts without layer scripts: index letters that name layers, read under ``--notation auto``."""

from __future__ import annotations

import pytest

from symbackprop.checker import check_equations
from symbackprop.checker import letters as lettering
from symbackprop.checker.infer import equation_notation, infer
from symbackprop.checker.parser import parse_equation
from symbackprop.errors import EquationError
from symbackprop.notation import PROFILES, notation
from symbackprop.spec import Spec

QUAD_232 = Spec.parse("2-3-2", activation="sigmoid", cost="quadratic")
QUAD_222 = Spec.parse("2-2-2", activation="sigmoid", cost="quadratic")
QUAD_2332 = Spec.parse("2-3-3-2", activation="sigmoid", cost="quadratic")
BISHOP = Spec.parse("2-3-2", activation="tanh", output_activation="identity", cost="quadratic")


def _parsed(*texts: str):
    return [parse_equation(text, f"equation {n}") for n, text in enumerate(texts, start=1)]


def _one(spec: Spec, text: str):
    (result,) = check_equations(spec, [text]).results
    return result


def _layers(profile: str, text: str, depth: int = 2, known=None) -> lettering.Layers:
    (equation,) = _parsed(text)
    return lettering.solve(lettering.facts(PROFILES[profile], equation, depth), depth, known)


# -- the letter solver -----------------------------------------------------------------------------
def test_a_target_names_the_output_layer_whatever_its_letter():
    layers = _layers("wikipedia", r"\delta_j = (o_j - t_j) o_j (1 - o_j)")
    assert layers.found == {"j": 2} and layers.why["j"].startswith("evidence")


def test_a_weight_joins_its_letters_one_layer_apart_in_the_profile_order():
    source_first = _layers("source-first", r"\frac{\partial E}{\partial w_{ij}} = \delta_j x_i")
    assert source_first.found == {"i": 0, "j": 1}
    destination_first = _layers("bishop", r"\frac{\partial E_n}{\partial w_{kj}} = (y_k - t_k) z_j")
    assert destination_first.found == {"k": 2, "j": 1}


def test_the_usual_letters_fill_in_only_where_the_weights_allow_them():
    assert _layers("bishop", r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k").found == {"j": 1, "k": 2}
    # w_{kj} from k to j: k is the layer below j, so the usual j, k cannot both hold
    layers = _layers("wikipedia", r"\text{net}_j = \sum_k w_{kj} o_k")
    assert not layers.found and set(layers.unread) == {"j", "k"}
    assert "could name layer 1 or 2" in layers.unread["j"]


def test_one_letter_naming_two_layers_is_unread():
    layers = _layers("handout", r"\delta_k = (y_k - t_k) h_k (1 - h_k)")
    assert "k" in layers.unread and "two layers" in layers.unread["k"]


def test_the_documents_letters_come_before_the_usual_ones():
    layers = _layers("wikipedia", r"\delta_m = \varphi'(\text{net}_m) \sum_k w_{mk} \delta_k", known={"m": 1})
    assert layers.found == {"m": 1, "k": 2} and layers.why["m"] == "document"


def test_beyond_one_hidden_layer_only_inputs_and_outputs_are_named():
    layers = _layers("handout", r"\delta_j = h_j (1 - h_j) \sum_k v_{jk} \delta_k", depth=3)
    assert not layers.found and "2 hidden layers" in layers.unread["j"]
    assert _layers("handout", r"\delta_k = (y_k - t_k) y_k (1 - y_k)", depth=3).found == {"k": 3}


def test_layerless_tells_a_power_from_a_layer():
    assert lettering.layerless(PROFILES["nielsen"], _parsed(r"\delta_j = (1 - z_j^2) \sum_k w_{kj} \delta_k"))
    assert not lettering.layerless(PROFILES["nielsen"], _parsed(r"\delta^2_j = (a^2_j - y_j) \sigma'(z^2_j)"))
    assert not lettering.layerless(PROFILES["nielsen"], _parsed(r"a^2_j = \sigma(z^2_j)"))


# -- the profile and the document's letters ----------------------------------------------------------
@pytest.mark.parametrize(("text", "profile"), [
    (r"o_j = \varphi(\text{net}_j)", "wikipedia"),
    (r"\delta_j = h_j (1 - h_j) \sum_k v_{jk} \delta_k", "handout"),
    (r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k", "bishop"),
    (r"\delta_k = y_k - t_k", "source-first"),
    (r"\delta_j = \sigma'(z_j) \sum_k w_{kj} \delta_k", "nielsen"),
])
def test_auto_picks_the_profile_of_the_letters(text, profile):
    inferred = infer(_parsed(text), 2)
    assert inferred.profile == profile and inferred.notation().infers_letters


def test_the_definitions_settle_letters_and_bind_two_weight_letters():
    inferred = infer(_parsed(r"h_j = \sigma(\sum_i w_{ij} x_i + b_j)", r"y_k = \sigma(\sum_j v_{jk} h_j + c_k)",
                             r"\delta_j = h_j (1 - h_j) \sum_k w_{jk} \delta_k"), 2)
    assert inferred.letter_roles == {"j": "hidden", "i": "input", "k": "output"}
    assert inferred.weight_letters == {"w": 1, "v": 2}
    assert any(reason.startswith("i: the input layer, from equation 1") for reason in inferred.reasons)


def test_one_weight_letter_for_every_layer_binds_nothing():
    inferred = infer(_parsed(r"a_j = \sum_i w_{ji} z_i + b_j", r"a_k = \sum_j w_{kj} z_j + b_k"), 2)
    assert inferred.weight_letters == {}


def test_an_explicit_profile_keeps_its_fixed_letters():
    profile = notation("bishop")
    reading = equation_notation(profile, r"\delta_j = (o_j - t_j)", 2)
    assert reading.notation is profile and reading.note is None and not reading.alternatives


# -- verdicts ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("spec", "text", "verdict"), [
    (QUAD_232, r"\delta_j = (o_j - t_j) o_j (1 - o_j)", "CORRECT"),
    (QUAD_232, r"\delta_j = (t_j - o_j) o_j (1 - o_j)", "INCORRECT"),
    (QUAD_232, r"\delta_k = (y_k - t_k)\,\sigma'(y_k)", "INCORRECT"),
    (QUAD_232, r"\delta_j = h_j (1 - h_j) \sum_k v_{jk} \delta_k", "CORRECT"),
    (QUAD_232, r"\frac{\partial E}{\partial v_{jk}} = \delta_k x_j", "INCORRECT"),
    (QUAD_232, r"\frac{\partial E}{\partial w_{ij}} = o_i \delta_j", "CORRECT"),
    (QUAD_232, r"\frac{\partial E}{\partial w_{ij}} = o_j \delta_j", "INCORRECT"),
    (BISHOP, r"\delta_k = y_k - t_k", "CORRECT"),
    (BISHOP, r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k", "CORRECT"),
    (BISHOP, r"\frac{\partial E_n}{\partial w_{ji}} = \delta_j z_i", "CORRECT"),
    (BISHOP, r"\frac{\partial E_n}{\partial w_{ji}} = \delta_i z_j", "INCORRECT"),
    (QUAD_2332, r"\delta_k = (y_k - t_k) y_k (1 - y_k)", "CORRECT"),
    (QUAD_232, r"\delta_j = \Big(\sum_{\ell \in L} w_{j\ell}\, \delta_\ell\Big) o_j (1 - o_j)", "CORRECT"),
    (QUAD_232, r"\delta_j = \Big(\sum_{\ell \in L} w_{j\ell}\, \delta_\ell\Big) (1 - o_j)", "INCORRECT"),
    (QUAD_232, r"\delta_j = o_j (1 - o_j) \sum_\ell w_{j \ell} \delta_\ell", "CORRECT"),
])
def test_verdicts_under_auto(spec, text, verdict):
    assert _one(spec, text).verdict == verdict


def test_the_report_states_each_letters_layer_and_why():
    result = _one(QUAD_232, r"\delta_j = (o_j - t_j) o_j (1 - o_j)")
    assert "index letters: j: the output layer (t_{j})" in result.notes


def test_a_summed_ell_is_a_neuron_index_and_the_report_names_it_as_written():
    result = _one(QUAD_232, r"\delta_j = \Big(\sum_{\ell \in L} w_{j\ell}\, \delta_\ell\Big) o_j (1 - o_j)")
    assert "the sum over ℓ ∈ L at column 17 read as over every unit ℓ runs over" in result.notes
    assert any(note.startswith("index letters: j: the hidden layer, ℓ: the output layer") for note in result.notes)


@pytest.mark.parametrize(("spec", "text", "reason"), [
    (QUAD_232, r"\delta_m = o_m \sum_n w_{nm} w_{mn} \delta_n", "no layer fits"),
    (QUAD_232, r"\delta_k = (y_k - t_k) h_k (1 - h_k)", "two layers"),
    (QUAD_2332, r"\delta_j = h_j (1 - h_j) \sum_k v_{jk} \delta_k", "hidden layers"),
    (BISHOP, r"\delta_j = (1 - z_j^2) \sum_k w_{kj} \delta_k", "input sum"),
])
def test_what_the_letters_leave_open_is_refused_with_the_reason(spec, text, reason):
    with pytest.raises(EquationError, match=reason):
        check_equations(spec, [text])


def test_a_document_with_a_bound_weight_letter_catches_the_wrong_letter():
    text = [r"h_j = \sigma(\sum_i w_{ij} x_i + b_j)", r"y_k = \sigma(\sum_j v_{jk} h_j + c_k)",
            r"\delta_j = h_j (1 - h_j) \sum_k w_{jk} \delta_k", r"\delta_j = h_j (1 - h_j) \sum_k v_{jk} \delta_k"]
    results = check_equations(QUAD_222, text, keep_going=True).results
    assert [result.verdict for result in results] == ["CONSISTENT", "CONSISTENT", "INCORRECT", "CORRECT"]


def test_a_definition_that_fits_every_layer_is_judged_for_all_of_them():
    right = _one(QUAD_232, r"\text{net}_j = \sum_k w_{kj} o_k + b_j")
    assert right.verdict == "CONSISTENT"
    assert any(note.startswith("holds alike whichever layers") and "j the output layer" in note for note in right.notes)
    wrong = _one(QUAD_232, r"\text{net}_j = \sum_k w_{kj} o_k")
    assert wrong.verdict == "INCONSISTENT" and any(note.startswith("fails whichever") for note in wrong.notes)


def test_a_pattern_index_is_no_layer():
    assert lettering.layerless(PROFILES["nielsen"], _parsed(r"\delta^p_k = (y^p_k - t^p_k) y^p_k (1 - y^p_k)"))
    assert _one(QUAD_232, r"\frac{\partial E^p}{\partial w_{jk}} = \delta^p_k\, y^p_j").verdict == "CORRECT"
    assert _one(QUAD_232, r"\delta^p_k = (t^p_k - y^p_k)\, y^p_k (1 - y^p_k)").verdict == "INCORRECT"
