"""Products as texts write them: ``*`` and ``·`` between two vectors of one shape are the elementwise
product (NumPy's ``*``), juxtaposition stays a matrix product, and a wrong equation stays wrong."""

from __future__ import annotations

import pytest

from symbackprop import api

SPEC = "2-3-2"


def _only(equation: str, spec: str = SPEC):
    (item,) = api.check(spec, [equation]).items
    return item


@pytest.mark.parametrize("sign", ["*", r"\cdot", r"\ast", r"\times"])
def test_an_explicit_product_of_two_vectors_of_one_size_is_elementwise(sign):
    item = _only(rf"\delta^l = (W^{{l+1}})^T \delta^{{l+1}} {sign} \sigma'(z^l)")
    assert item.verdict == "CORRECT"
    assert any("read as the elementwise product" in note for note in item.diagnoses)


def test_the_elementwise_reading_still_finds_a_wrong_sign():
    item = _only(r"\delta^L = (y - a^L) * \sigma'(z^L)")
    assert item.verdict == "INCORRECT"
    assert any("sign" in diagnosis for diagnosis in item.diagnoses)


def test_juxtaposed_vectors_are_still_an_undefined_matrix_product():
    item = _only(r"\delta^l = (W^{l+1})^T \delta^{l+1} \sigma'(z^l)")
    assert item.verdict == "INCORRECT"
    assert any("the product at column" in diagnosis and "undefined" in diagnosis for diagnosis in item.diagnoses)


def test_a_star_between_a_matrix_and_a_vector_is_the_matrix_product():
    assert _only(r"z^l = W^l * a^{l-1} + b^l").verdict == "CONSISTENT"


def test_a_star_between_vectors_of_different_sizes_is_not_read_elementwise():
    item = _only(r"\delta^1 = \delta^2 * \sigma'(z^1)")
    assert item.verdict == "INCORRECT"
    assert any("undefined" in diagnosis for diagnosis in item.diagnoses)
