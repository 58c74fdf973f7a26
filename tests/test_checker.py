"""Tests of ``symbackprop check``: the corpus, the parser, file extraction, errors and the CLI."""

from __future__ import annotations

import math
import re

import pytest
from checker_corpus import CORPUS, MALFORMED, SPECS, SPELLINGS

from symbackprop import Spec
from symbackprop.checker import check_equations, equations_from_file, equations_from_text
from symbackprop.checker.parser import Bin, Func, Partial, Sum, Sym, Transpose, parse_equation
from symbackprop.checker.source import snippets_from_text
from symbackprop.cli import main
from symbackprop.document import build_document
from symbackprop.errors import EquationError


@pytest.fixture(scope="module")
def specs() -> dict[str, Spec]:
    return {key: Spec.parse(text, **options) for key, (text, options) in SPECS.items()}


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 30
    for notation in ("nielsen", "ng", "higham"):
        assert sum(1 for entry in CORPUS if entry[1] == notation and entry[3]) >= 4
    kinds = {entry[4] for entry in CORPUS if not entry[3]}
    assert len(kinds) >= 6


@pytest.mark.parametrize("spec_key, notation, equation, correct, diagnosis", CORPUS,
                         ids=[f"{i}-{entry[1]}" for i, entry in enumerate(CORPUS)])
def test_corpus(specs, spec_key, notation, equation, correct, diagnosis):
    report = check_equations(specs[spec_key], [equation], notation)
    text = report.text()
    assert report.exit_code == (0 if correct else 1), text
    if correct:
        assert "CORRECT (" in text and "INCORRECT" not in text
    else:
        assert "INCORRECT at" in text and "true right-hand side:" in text
    if diagnosis:
        assert diagnosis in text, text


@pytest.mark.parametrize("equation, phrases", MALFORMED)
def test_malformed_input_names_the_place(specs, equation, phrases):
    with pytest.raises(EquationError) as caught:
        check_equations(specs["quad"], [equation])
    message = caught.value.message
    assert message.startswith("equation 1"), message
    for phrase in phrases:
        assert phrase in message, message


def test_error_names_the_equation_number(specs):
    with pytest.raises(EquationError, match="^equation 2, column"):
        check_equations(specs["quad"], [r"\delta^L_j = (a^L_j - y_j) \sigma'(z^L_j)", r"\delta^L_j = (a"])


def test_incorrect_report_gives_point_values_and_truth(specs):
    text = check_equations(specs["quad"], [r"\delta^L_j = (y_j - a^L_j) \sigma'(z^L_j)"]).text()
    assert "INCORRECT at \\delta^{2}_{1} (j=1)" in text
    assert "true right-hand side: a^{2}_{1} (1 - a^{2}_{1}) (a^{2}_{1} - y_{1})" in text
    assert "the left side (true value) is" in text and "but the right side is" in text
    assert "      at b^{1}_{1} = " in text and "w^{1}_{11} = " in text and "x_{1} = " in text
    # and then the values there of what the two sides are written in
    where = next(line for line in text.splitlines() if line.startswith("      where "))
    number = r"(-?[0-9.]+(?:e-?[0-9]+)?)"
    a, y, z = (float(re.search(re.escape(before) + number, where)[1])
               for before in ("a^{2}_{1} = ", "y_{1} = ", "z^{2}_{1} = "))
    true, mine = (float(re.search(re.escape(before) + number, text)[1])
                  for before in ("true value) is ", "right side is "))
    assert "w^{" not in where and "x_{" not in where
    assert a == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-8)
    assert true == pytest.approx(a * (1 - a) * (a - y), rel=1e-6) and mine == pytest.approx(-true, rel=1e-9)


def test_a_swapped_weight_gets_one_diagnosis_naming_the_weight(specs):
    text = check_equations(specs["quad"], [r"\frac{\partial C}{\partial w^2_{jk}} = a^1_j \delta^2_k"]).text()
    diagnoses = [line.strip() for line in text.splitlines() if "diagnosis:" in line]
    assert diagnoses[0] == (r"diagnosis: swapped indices: the right side is \partial C/\partial w^{2}_{21}, not "
                            r"\partial C/\partial w^{2}_{12} (the first index of a weight is the destination neuron)")
    assert len(diagnoses) == 1
    # the reading under which it holds is a note beside the diagnosis
    assert "note: correct if w_{ij} runs from i to j (the source-first index order)" in text
    where = next(line for line in text.splitlines() if line.startswith("      where "))
    assert r"\delta^{2}_{2} = " in where and "a^{1}_{1} = " in where and "a^{1}_{2} = " in where


def test_report_states_conventions_in_the_chosen_notation(specs):
    text = check_equations(specs["bce"], [r"\delta^{(L)} = a^{(L)} - y"], "ng").text()
    assert "Layers are numbered 1 (the input) to 3 (the output)" in text
    assert "destination neuron" in text and "L is the output layer (3)" in text
    softmax = check_equations(specs["softmax"], [r"\delta^L_j = a^L_j - y_j"]).text()
    assert "Σ_j y_j = 1" in softmax


@pytest.mark.parametrize("equation, label", [
    (r"\frac{\partial J}{\partial b^{(1)}_{1}} = 2\delta^{(2)}_1", r"INCORRECT at \partial J/\partial b^{(1)}_{1}"),
    (r"\frac{\partial}{\partial \Theta^{(l)}_{ij}} J(\Theta) = 2 a^{(l)}_j \delta^{(l+1)}_i",
     r"INCORRECT at \partial J/\partial \theta^{(1)}_{11} (i=1, j=1, l=1)"),
    (r"\nabla_{\Theta^{(1)}} J = 2\delta^{(2)} (a^{(1)})^T",
     r"INCORRECT at \partial J/\partial \Theta^{(1)}, entry (1,1)"),
])
def test_labels_name_the_cost_as_written(specs, equation, label):
    text = check_equations(specs["bce"], [equation], "ng").text()
    assert label in text, text
    assert r"\partial C" not in text, text


def test_batch_verdict_names_the_batch_and_the_mean(specs):
    text = check_equations(specs["quad"], [r"\frac{\partial C}{\partial b^l_j} = \frac{1}{m}\sum_x \delta^{x,l}_j",
                                           r"\frac{\partial C}{\partial b^2} = (\Delta^{2})^T \mathbf{1}_m"]).text()
    assert "on a batch of m = 3 samples, the batch cost being their mean" in text
    assert r"INCORRECT at \partial C/\partial b^{2}, component 1" in text
    assert r"true right-hand side: \frac{1}{m} \sum_{s=1}^{m} \left[" in text
    assert "x_{1} (sample 1) = " in text and "x_{1} (sample 3) = " in text
    assert "the right side is 3 times" not in text  # the internal m is not shown as a bare number


@pytest.mark.parametrize("notation", ["nielsen", "ng", "higham"])
def test_the_documents_batched_forms_are_correct(specs, notation):
    """Every batched equation the derivation document prints (eq:bp1-batched … eq:bp4-batched) checks."""
    for key in ("quad", "bce"):
        document = build_document(specs[key], notation=notation, weights="none")
        found = re.findall(r"\\begin\{equation\}\n\s*([^\n]*)\n\s*\\label\{eq:bp\d-batched\}", document)
        assert len(found) == 4, found
        report = check_equations(specs[key], found, notation)
        assert report.exit_code == 0, report.text()


def test_verdict_says_symbolic_or_numeric(specs):
    text = check_equations(specs["quad"], [r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j"]).text()
    assert "proved symbolically" in text and "12 instances" in text


def test_chained_equalities_are_checked_one_by_one(specs):
    report = check_equations(specs["quad"], [r"\frac{\partial C}{\partial b^2_1} = \delta^2_1 = (a^2_1 + y_1)"])
    assert [result.correct for result in report.results] == [True, False]
    assert report.exit_code == 1


# -- the parser -----------------------------------------------------------------------------------------
def test_parse_partial_and_products():
    equation = parse_equation(r"\frac{\partial C}{\partial w^{l}_{jk}} = a^{l-1}_k \cdot \delta^l_j", "e")
    left, right = equation.sides
    assert left == Partial(1, "C", Sym(28, "w", "l", "jk"))
    assert isinstance(right, Bin) and right.op == "*"
    assert right.left == Sym(42, "a", "l-1", "k")


def test_parse_transpose_hadamard_prime_and_sum():
    right = parse_equation(r"\delta^l = \left((W^{l+1})^{\top}\delta^{l+1}\right)\circ\sigma^{\prime}(z^l)",
                           "e").sides[1]
    assert isinstance(right, Bin) and right.op == "hadamard"
    assert isinstance(right.left.left, Transpose)
    assert isinstance(right.right, Func) and right.right.prime
    summed = parse_equation(r"\delta^l_j = \sum_{k=1}^{3} w^{l+1}_{kj}\delta^{l+1}_k", "e").sides[1]
    assert isinstance(summed, Sum) and summed.var == "k" and summed.upper == "3"


def test_parse_plain_form():
    left, right = parse_equation("dC/dw2_11 = a1_1 * delta2_1", "e").sides
    assert left == Partial(1, "C", Sym(5, "w2", None, "11"))
    assert right.right == Sym(20, "delta2", None, "1")


def test_plain_and_latex_agree(specs):
    report = check_equations(specs["quad"], ["dC/db1_2 = (w2_12*delta2_1 + w2_22*delta2_2)*sigma'(z1_2)",
                                             r"\frac{\partial C}{\partial b^1_2} = \delta^1_2"])
    assert report.exit_code == 0


# -- files ----------------------------------------------------------------------------------------------
TEX = r"""
\documentclass{article}
\begin{document}
Output error:
\begin{equation}\label{eq:bp1}
  \delta^L_j = (a^L_j - y_j)\,\sigma'(z^L_j).
\end{equation}
Inline $x = 1$ is not an equation. Display:
\[ \frac{\partial C}{\partial b^l_j} = \delta^l_j \]
$$\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)$$
\begin{align*}
  \frac{\partial C}{\partial w^l_{jk}} &= a^{l-1}_k \delta^l_j \\
  &= \delta^l_j a^{l-1}_k \nonumber \\
  \delta^L_j &= (y_j - a^L_j)\sigma'(z^L_j)
\end{align*}
\end{document}
"""


def test_equations_from_tex(tmp_path):
    path = tmp_path / "derivation.tex"
    path.write_text(TEX)
    found = equations_from_file(path)
    assert found == [r"\delta^L_j = (a^L_j - y_j)\,\sigma'(z^L_j)",
                     r"\frac{\partial C}{\partial b^l_j} = \delta^l_j",
                     r"\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)",
                     r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j = \delta^l_j a^{l-1}_k",  # one chain
                     r"\delta^L_j = (y_j - a^L_j)\sigma'(z^L_j)"]


def test_equations_from_txt(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("# my derivation\ndC/dw2_11 = a1_1*delta2_1\nno equation here\ndelta2_1 = a2_1 - y1\n")
    assert equations_from_file(path) == ["dC/dw2_11 = a1_1*delta2_1", "delta2_1 = a2_1 - y1"]
    assert equations_from_text("no math at all") == []


def test_file_without_equations_is_an_error(tmp_path):
    path = tmp_path / "empty.tex"
    path.write_text("nothing")
    with pytest.raises(EquationError, match="no equations found"):
        equations_from_file(path)


# -- the command line -----------------------------------------------------------------------------------
ISSUE_EXAMPLE = (r"\frac{\partial C}{\partial w^{2}_{11}} = (a^{2}_{1} - y_{1})\,\sigma(z^{2}_{1})"
                 r"(1-\sigma(z^{2}_{1}))\,a^{1}_{1}")
SPEC_ARGS = ["2-2-2", "--activation", "sigmoid", "--cost", "quadratic"]


def test_cli_exit_codes(capsys, tmp_path):
    assert main(["check", *SPEC_ARGS, "--equation", ISSUE_EXAMPLE]) == 0
    assert "CORRECT" in capsys.readouterr().out
    assert main(["check", *SPEC_ARGS, "--equation", ISSUE_EXAMPLE.replace("a^{2}_{1} - y_{1}",
                                                                          "y_{1} - a^{2}_{1}")]) == 1
    assert "off by a sign" in capsys.readouterr().out
    assert main(["check", *SPEC_ARGS, "--equation", r"\delta^{L}_{1} = (a^L_1"]) == 2
    error = capsys.readouterr().err
    assert "equation 1, column" in error and "expected ')'" in error
    path = tmp_path / "d.tex"
    path.write_text(TEX)
    assert main(["check", *SPEC_ARGS, "--file", str(path)]) == 1
    out = capsys.readouterr().out
    assert "5 of 6 correct" in out


@pytest.mark.parametrize("equation", SPELLINGS)
def test_other_spellings(specs, equation):
    report = check_equations(specs["quad"], [equation])
    assert report.exit_code == 0, report.text()


def test_layer_numbering_follows_the_profile(specs):
    with pytest.raises(EquationError, match=r"layer 1 of 'delta' does not exist .*expected \(2\) to \(3\) in the ng"):
        check_equations(specs["bce"], [r"\delta^{(1)}_1 = a^{(1)}_1"], "ng")


@pytest.mark.parametrize("text", ["__import__('os').system('true') = 1", "delta2_1 = exec('1')",
                                  r"\delta^L_j = \input{/etc/passwd}"])
def test_user_text_is_never_run(specs, text):
    with pytest.raises(EquationError):
        check_equations(specs["quad"], [text])


@pytest.mark.parametrize("text, phrase", [
    ("delta2_1 = " + "(" * 500 + "a2_1" + ")" * 500, "nested brackets"),
    ("delta2_1 = a2_1 + " * 400 + "y1", "characters long"),
    (r"\delta^L_j = (a^L_j)^{100000}", "whole-number power"),
    (r"\delta^1_1 = \sum_{k=1}^{10000000} w^2_{k1} \delta^2_k", "upper limit"),
])
def test_hostile_sizes_are_refused(specs, text, phrase):
    with pytest.raises(EquationError, match=phrase):
        check_equations(specs["quad"], [text])


# -- whole files: definitions, chain-rule steps and forward-pass lines among the claims ---------------
MIXED = r"""
\begin{equation} z^l = W^l a^{l-1} + b^l, \qquad a^l = \sigma(z^l) \end{equation}
\begin{equation} C = \frac{1}{2} \sum_j (y_j - a^L_j)^2 \end{equation}
\begin{equation}
  \delta^L_j = \sum_k \frac{\partial C}{\partial a^L_k} \frac{\partial a^L_k}{\partial z^L_j}
\end{equation}
\begin{equation} \delta^L_j = (a^L_j - y_j) \sigma'(z^L_j \end{equation}
\begin{equation} \delta^l_j = \bigl((W^{l+1})^T \delta^{l+1}\bigr)_j \sigma'(z^l_j) \end{equation}
\begin{equation} \frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j \delta^l_k \end{equation}
"""


def test_a_file_is_checked_past_what_is_not_a_claim_and_what_cannot_be_read(specs, tmp_path, capsys):
    report = check_equations(specs["quad"], equations_from_text(MIXED), keep_going=True)
    verdicts = [(result.number, result.correct, bool(result.skipped), bool(result.unreadable))
                for result in report.results]
    # the first line holds two equations (z = …, \qquad a = …): two snippets, both definitions
    assert verdicts == [("1", True, False, False), ("2", True, False, False), ("3", True, False, False),
                        ("4", True, False, False), ("5", False, False, True), ("6", True, False, False),
                        ("7", False, False, False)]
    assert report.exit_code == 2 and "NOT UNDERSTOOD: equation 5, column" in report.text()
    assert "CONSISTENT (proved symbolically)" in report.text()
    assert report.text().endswith("5 of 7 correct, 1 of them not understood")
    path = tmp_path / "mine.tex"
    path.write_text(MIXED)
    assert main(["check", "2-3-2", "--file", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "1 of 7 equations not understood" in captured.err
    assert "swapped indices" in captured.out
    with pytest.raises(EquationError, match="equation 5"):  # given one by one: the first unreadable one stops it
        check_equations(specs["quad"], equations_from_text(MIXED))


def test_chain_rule_steps_and_vector_entries_have_their_true_values(specs):
    good = [r"\delta^l_j = \sum_k \frac{\partial C}{\partial z^{l+1}_k} \frac{\partial z^{l+1}_k}{\partial z^l_j}",
            r"\frac{\partial C}{\partial w^l_{jk}} = \delta^l_j \frac{\partial z^l_j}{\partial w^l_{jk}}",
            r"\frac{\partial C}{\partial b^l_j} = \delta^l_j \frac{\partial z^l_j}{\partial b^l_j}",
            r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \frac{\partial a^L_j}{\partial z^L_j}",
            r"\delta^L_j = \sum_k \frac{\partial C}{\partial a^L_k} \sigma'(z^L_j) [k = j]",
            r"\delta^l_j = \bigl((W^{l+1})^T \delta^{l+1}\bigr)_j a^l_j (1 - a^l_j)"]
    assert check_equations(specs["quad"], good).exit_code == 0
    tanh = Spec.parse("2-3-2", activation="tanh", output_activation="identity")
    powers = [r"\delta^1_j = \sum_k w^2_{kj} \delta^2_k (1 - \tanh^2(z^1_j))",
              r"\delta^1_j = \sum_k w^2_{kj} \delta^2_k (1 - \tanh^{2}{(z^{1}_{j})})"]  # SymPy's way
    assert check_equations(tanh, powers).exit_code == 0
    wrong = check_equations(specs["quad"], [r"\delta^l_j = \sum_k \delta^{l+1}_k \frac{\partial z^{l+1}_j}"
                                            r"{\partial z^l_k}"])
    assert wrong.exit_code == 1 and "swapped indices" in wrong.text()
    with pytest.raises(EquationError, match="out of range for a vector of 3"):
        check_equations(specs["quad"], [r"\delta^1_1 = ((W^{2})^T \delta^{2})_{4} \sigma'(z^1_1)"])


@pytest.mark.parametrize("notation", ["nielsen", "ng", "higham"])
def test_every_equation_of_our_own_document_checks(notation):
    """The derivation document, read back by the checker: no displayed equation incorrect or unreadable
    (softmax, so the Jacobian steps, the row sum s it defines and its cancellation are all in it).
    Its inline steps (∂z/∂b = 1 written with a slash, sup |σ'|) wait for the checker's claims stage."""
    spec = Spec.parse("2-2-2", activation="tanh", output_activation="softmax", cost="cross_entropy")
    displayed = [snippet for snippet in snippets_from_text(build_document(spec, notation=notation, weights="none"))
                 if not snippet.inline]
    report = check_equations(spec, displayed, notation, keep_going=True)
    assert report.exit_code == 0, "\n".join(line for result in report.results if not result.correct
                                            for line in result.lines())
    checked = [result for result in report.results if not result.skipped]
    assert len(checked) >= 30 and any("defines s" in result.skipped for result in report.results)
