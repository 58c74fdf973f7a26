"""``check --explain``: how each equation was read, stage by stage (symbackprop.checker.reading)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from symbackprop import api
from symbackprop.checker.parser import parse_equation
from symbackprop.checker.reading import render_equation

SPEC = "2-3-2"


def _items(equations, **options):
    return list(api.check(SPEC, equations, explain=True, **options).items)


def test_the_tree_makes_every_product_and_sum_explicit():
    equation = parse_equation(r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)", "equation 1")
    assert render_equation(equation) == (r"\delta^{l}_{j} = Σ_k [((w^{l+1}_{kj} · \delta^{l+1}_{k}) · "
                                         r"\sigma′(z^{l}_{j}))]")


def test_transpose_hadamard_and_relation_are_shown_as_read():
    equation = parse_equation(r"z^l \equiv ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)", "equation 1")
    assert render_equation(equation) == r"z^{l} ≡ (((w^{l+1})ᵀ · \delta^{l+1}) ⊙ \sigma′(z^{l}))"


def test_each_symbol_is_named_with_its_quantity_layer_and_indices():
    (item,) = _items([r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j"])
    assert "claim: a gradient or an error δ" in item.reading
    assert "symbol w^{l}_{jk}: a weight; layer l; indices j, k" in item.reading
    assert "symbol a^{l-1}_{k}: an activation; layer l-1; index k" in item.reading
    assert "instances: 12, every value the spec allows of j, k, l" in item.reading


def test_a_file_equation_says_where_it_was_found_and_its_qualifier(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# BP2\n\n$$\\delta^l = ((w^{l+1})^T \\delta^{l+1}) \\odot \\sigma'(z^l) \\tag{BP2}, "
                    "\\qquad 1 \\le l \\le L-1$$\n", encoding="utf-8")
    (item,) = _items(path)
    assert item.verdict == "CORRECT"
    assert item.reading[0] == "found: notes.md:3 (BP2); qualifier '1 \\le l \\le L-1'"
    assert item.reading[-1].endswith("then those the qualifier keeps")


def test_an_equation_not_understood_says_which_stage_stopped(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("$$\\frac{\\partial C}{\\partial b^l_j} = \\delta^l_j$$\n\n$$\\delta^l_j = ((($$\n",
                    encoding="utf-8")
    first, second = _items(path)
    assert first.verdict == "CORRECT" and second.verdict == "NOT UNDERSTOOD"
    assert second.reading[-1].startswith("parsed: not read (")


def test_no_reading_without_explain():
    (item,) = api.check(SPEC, [r"\frac{\partial C}{\partial b^l_j} = \delta^l_j"]).items
    assert item.reading == ()


@pytest.mark.parametrize("flag, shown", [(["--explain"], True), ([], False)])
def test_the_command_line_prints_the_reading_under_each_equation(flag, shown):
    done = subprocess.run([sys.executable, "-m", "symbackprop", "check", SPEC, *flag, "--equation",
                           r"\delta^L = (a^L - y) \odot \sigma'(z^L)"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert ("    | parsed: \\delta^{L} = ((a^{L} − y) ⊙ \\sigma′(z^{L}))" in done.stdout) is shown
