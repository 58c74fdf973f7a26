"""The checker's lexer and parser: the spellings of published derivations, each read into the
right tree (with its columns) and, through the checker, to the right value."""

from __future__ import annotations

import pytest

from symbackprop import Spec
from symbackprop.checker import check_equations
from symbackprop.checker.lexer import tokenize
from symbackprop.checker.parser import (
    Apply,
    Bin,
    Derivative,
    Dots,
    Func,
    FunctionPower,
    Indicator,
    Iverson,
    Matrix,
    Nabla,
    Neg,
    NodePartial,
    Norm,
    Num,
    Partial,
    Power,
    Question,
    Relation,
    Sym,
    Transpose,
    Unknown,
    parse_equation,
)
from symbackprop.errors import EquationError


def rhs(text: str, index: int = 1):
    return parse_equation(text, "equation 1").sides[index]


def texts(text: str) -> list[str]:
    return [token.text for token in tokenize(text, "equation 1")][:-1]


@pytest.fixture(scope="module")
def specs() -> dict[str, Spec]:
    return {"quad": Spec.parse("2-3-2", activation="sigmoid", cost="quadratic"),
            "deep": Spec.parse("2-3-3-2", activation="sigmoid", cost="quadratic"),
            "relu": Spec.parse("2-3-2", activation="relu", output_activation="identity", cost="quadratic"),
            "relu2": Spec.parse("2-3-3-2", activation="relu", output_activation="identity", cost="quadratic"),
            "tanh": Spec.parse("2-3-2", activation="tanh", cost="quadratic")}


def exit_code(spec: Spec, text: str, notation: str = "nielsen") -> int:
    try:
        return check_equations(spec, [text], notation).exit_code
    except EquationError:
        return 2


# -- the lexer ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("a – b − c", ["a", "-", "b", "-", "c"]),  # en dash and U+2212 are minus signs
    ("a² ᵀ", ["a", "2", "T"]),  # Unicode superscripts: no more ValueError from Fraction
    (r"{\rm b}", ["{", "b", "}"]),
    (r"\left\{ a \right\} \left. b \right|", [r"\{", "a", r"\}", "left.", "b", "|"]),  # left.: an evaluation bar
    (r"\bigl( a \Bigr)", ["(", "a", ")"]),
    (r"\|a\|_2 \lVert b \rVert", ["‖", "a", "‖", "2", "‖", "b", "‖"]),
    (r"a \cdot b . c * d \times e .* f", ["a", "cdot", "b", "cdot", "c", "*", "d", "cdot", "e", "hadamard", "f"]),
    (r"a := b \equiv c \approx d", ["a", ":=", "b", "equiv", "c", "approx", "d"]),
    (r"\frac12 \frac1m", ["frac", "{", "1", "}", "{", "2", "}", "frac", "{", "1", "}", "{", "m", "}"]),
    (r"\hat{y} \hat y ŷ \mathcal{L} \varphi φ", [r"\hat{y}", r"\hat{y}", r"\hat{y}", r"\mathcal{L}", "varphi",
                                                "varphi"]),
    (r"\mathbf{\delta = a}", ["delta", "=", "a"]),  # a font wrapped round the whole equation
    (r"a = b \tag{BP1} \label{eq:1}", ["a", "=", "b"]),
    (r"a = b \qquad (30)", ["a", "=", "b"]),
    (r"a = b \rightarrow (\mathbf{1.3})", ["a", "=", "b"]),
    (r"a = b. \qquad (BP1)", ["a", "=", "b"]),
    (r"a = b \quad (a + b)", ["a", "=", "b", "(", "a", "+", "b", ")"]),  # not a tag: a factor
    ("z^l = W^l a^(l−1) + b^l        (2)", ["z", "l", "=", "W", "l", "a", "(l-1)", "+", "b", "l"]),
    ("a = b(2)", ["a", "=", "b", "(", "2", ")"]),  # no space: a factor
    ("a = (2)", ["a", "=", "(", "2", ")"]),
    (r"\begin{aligned} a &= b \\ &= c \end{aligned}", ["a", "=", "b", "=", "c"]),
    (r"\cdots \ldots ⋯", ["dots", "dots", "dots"]),
    (r"z \le 0 \geq \ne", ["z", "<=", "0", ">=", "!="]),
])
def test_lexer_spellings(text, expected):
    assert texts(text) == expected


def test_script_tokens_know_where_their_text_starts():
    sup = next(token for token in tokenize(r"e^{-z^L_j}", "equation 1") if token.kind == "SUP")
    assert (sup.column, sup.start, sup.text) == (2, 4, "-z^L_j")


def test_unknown_commands_are_tokens_with_their_arguments_dropped():
    tokens = tokenize(r"a = \input{/etc/passwd} b", "equation 1")
    assert [(t.kind, t.text) for t in tokens[2:4]] == [("UNKNOWN", "input"), ("NAME", "b")]


def test_a_row_break_that_starts_a_new_equation_is_kept():
    assert r"\\" in texts(r"\begin{aligned} a &= b \\ c &= d \end{aligned}")
    with pytest.raises(EquationError, match="one equation at a time"):
        parse_equation(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", "equation 1")


# -- the parser: trees ------------------------------------------------------------------------------
def test_fonts_and_groups_read_the_symbol_underneath():
    expected = Partial(1, "C", Sym(0, "b", "l", "j"))
    for text in (r"\frac{\partial C}{\partial {\rm b}^l_j} = 1", r"\frac{\partial C}{\partial {\rm{b}}^l_j} = 1",
                 r"\frac{\partial C}{\partial \mathrm{b}^l_j} = 1", r"\frac{{\partial C}}{{\partial b^l_j}} = 1"):
        side = rhs(text, 0)
        assert (side.cost, side.wrt.name, side.wrt.sup, side.wrt.sub) == (expected.cost, "b", "l", "j"), text
    product = rhs(r"x = {{a_k^{l - 1}}}{{\delta _j^l}}")
    assert isinstance(product, Bin) and product.left == Sym(7, "a", "l - 1", "k") and product.right.name == "delta"
    assert rhs(r"x = \boldsymbol{\delta}^l").sup == "l"
    assert rhs(r"x = \mathbf{1}_m").size == "m"


def test_transposes_in_every_spelling():
    for text in (r"x = (W^{l+1})^{\mathsf T}", r"x = (W^{l+1})^\top", r"x = (W^{l+1})^{\rm T}", "x = (W^{l+1})ᵀ",
                 r"x = (W^{l+1})^{\intercal}", "x = W2'"):
        assert isinstance(rhs(text), Transpose), text
    for text in (r"x = a^{[l-1]^T}", r"x = a^{[l-1]T}"):
        side = rhs(text)
        assert isinstance(side, Transpose) and side.arg.sup == "[l-1]", text


def test_functions_written_without_parentheses_and_with_powers():
    assert rhs(r"x = \exp -z") == Func(5, "exp", False, Neg(10, Sym(11, "z")))
    assert rhs(r"x = e^{-z}") == Func(5, "exp", False, Neg(8, Sym(9, "z")))
    assert rhs(r"x = \tanh^2 z") == FunctionPower(10, Func(5, "tanh", False, Sym(13, "z")), 2)
    assert rhs(r"x = \sigma^2(z)") == FunctionPower(11, Func(5, "sigma", False, Sym(14, "z")), 2)
    assert rhs(r"x = \operatorname{sech}^2 z") == FunctionPower(24, Apply(19, "sech", False, (Sym(27, "z"),)), 2)
    assert rhs(r"x = \dot\sigma(z)") == Func(9, "sigma", True, Sym(16, "z"))
    assert rhs(r"x = \max(0, z)") == Apply(5, "max", False, (Num(10, "0"), Sym(13, "z")))
    assert rhs(r"x = f'(z)").prime and rhs(r"x = \varphi'(z)").name == "varphi"


def test_iverson_brackets_and_kronecker():
    assert isinstance(rhs(r"x = [z > 0]"), Iverson)
    assert rhs(r"x = [k = j]") == Indicator(5, "k", "j")
    assert rhs(r"x = \delta_{kj}") == Indicator(5, "k", "j")
    assert isinstance(rhs(r"x = \delta^l_{j}"), Sym)  # with a layer: the error δ
    for text in (r"x = \mathbb{1}(z > 0)", r"x = \mathbb{1}_{z>0}", r"x = \mathbf{1}\{z > 0\}", r"x = 𝟙[z \le 0]"):
        assert isinstance(rhs(text), Iverson), text
    assert rhs(r"x = 𝟙[z \le 0]").condition.op == "<="


def test_norms_matrices_and_dots():
    assert rhs(r"x = \|y - a\|_2^2") == Power(16, Norm(5, Bin(9, "-", Sym(7, "y"), Sym(11, "a")), "2"), 2)
    assert isinstance(rhs(r"x = \left\| y \right\|^2").arg, Norm)
    matrix = rhs(r"x = \begin{bmatrix} a & b \\ c & d \end{bmatrix}")
    assert isinstance(matrix, Matrix) and [[s.name for s in row] for row in matrix.rows] == [["a", "b"], ["c", "d"]]
    assert len(rhs(r"x = \left(\begin{array}{c} a \\ b \end{array}\right)").rows) == 2
    dots = rhs(r"x = D^{[l]} (W^{[l+1]})^T \cdots D^{[L]} (a - y)")
    assert isinstance(dots, Dots) and dots.op == "*" and len(dots.before) == 2 and len(dots.after) == 2
    total = rhs(r"x = a_1 + a_2 + \cdots + a_n")
    assert isinstance(total, Dots) and total.op == "+" and [t.sub for t in total.before + total.after] == \
        ["1", "2", "n"]


def test_derivatives_of_expressions():
    side = rhs(r"x = \frac{\partial \sigma(z^l)}{\partial z^l}")
    assert isinstance(side, Derivative) and isinstance(side.expr, Func) and side.wrt.name == "z"
    side = rhs(r"x = \frac{\partial}{\partial a_j}\frac12\sum_k (a_k - y_k)^2")
    assert isinstance(side, Derivative) and side.wrt.sub == "j"
    assert isinstance(rhs(r"x = \frac{\partial (a - y)^2}{\partial a}"), Derivative)
    assert isinstance(rhs(r"x = \partial(a - y)^2/\partial a"), Derivative)
    assert isinstance(rhs(r"x = \frac{d}{dz} \tanh z"), Derivative)
    assert isinstance(rhs(r"x = \frac{\partial a^l_k}{\partial z^l_j}"), NodePartial)
    for cost in ("C", "E", "L", r"\mathcal{L}", "C_x", "E_n", r"J(\theta)"):
        assert isinstance(rhs(rf"\frac{{\partial {cost}}}{{\partial w}} = 1", 0), Partial), cost
    assert rhs(r"\frac{\partial}{\partial w} C = 1", 0) == Partial(1, "C", Sym(26, "w"))


def test_the_gradient_without_a_subscript_is_a_node_the_evaluator_refuses(specs):
    assert rhs(r"\nabla C = x", 0) == Nabla(1, "")
    with pytest.raises(EquationError, match="expected \\\\nabla_a C"):
        check_equations(specs["quad"], [r"\delta^L = \nabla C \odot \sigma'(z^L)"], "nielsen")


def test_relations_are_recorded():
    assert parse_equation(r"a := b \equiv c = d", "e").relations == (Relation.DEFINES, Relation.EQUIVALENT,
                                                                       Relation.EQUALS)
    with pytest.raises(EquationError, match="approximation"):
        parse_equation(r"a \approx 0.3", "e")
    with pytest.raises(EquationError, match="asks a question"):
        parse_equation(r"a = ?", "e")
    asked = parse_equation(r"a = ?", "e", claims=frozenset(Relation))
    assert asked.question and isinstance(asked.sides[1], Question)
    assert parse_equation(r"a \approx b", "e", claims=frozenset(Relation)).relations == (Relation.APPROXIMATELY,)


def test_unknown_commands_become_nodes_with_their_place():
    assert rhs(r"x = \foo{a} b") == Bin(13, "*", Unknown(5, "foo"), Sym(13, "b"))


@pytest.mark.parametrize("text, phrase", [
    (r"\delta = (a", "expected ')'"),
    (r"\delta = \begin{bmatrix} a & b \\ c \end{bmatrix}", "different numbers of entries"),
    (r"\delta = \begin{bmatrix} a", r"\begin{bmatrix} without its \end"),
    (r"\delta = a \cdots", "factors on both sides"),
    (r"\delta = \|a", "'‖' to close the norm"),
    ("\\delta = " + "\\|" * 300 + "a" + "\\|" * 300, "nested brackets"),
    (r"\delta = e^{" + "e^{" * 150 + "z" + "}" * 151, "nested brackets"),
])
def test_malformed_structures_name_the_place(text, phrase):
    with pytest.raises(EquationError, match="^equation 1") as caught:
        parse_equation(text, "equation 1")
    assert phrase in caught.value.message


# -- through the checker: values ------------------------------------------------------------------
RIGHT = [
    ("quad", r"\delta^L_j = (a^L_j – y_j)\,\sigma'(z^L_j)"),
    ("quad", "δ^L_j = (a^L_j − y_j) σ′(z^L_j)"),
    ("quad", r"\delta^L_j = (a^L_j - y_j) . \sigma'(z^L_j)"),
    ("quad", r"\delta^L_j = (a^L_j - y_j) \times \sigma'(z^L_j)"),
    ("quad", r"\delta^L_j = (a^L_j - y_j)\,\dot\sigma(z^L_j)"),
    ("quad", r"\mathbf{\delta^L = (a^L - y) \odot \sigma'(z^L)}"),
    ("quad", r"\frac{{\partial C}}{{\partial w_{jk}^l}} = {{a_k^{l - 1}}}{{\delta _j^l}}"),
    ("quad", r"\delta^L = (a^L - y) \odot \sigma'(z^L). \qquad (BP1)"),
    ("quad", r"\delta^L_j = (a^L_j - y_j)\, a^L_j(1 - a^L_j) \qquad (30)"),
    ("quad", r"\delta^L_j = (a^L_j - y_j)\frac{e^{-z^L_j}}{(1+e^{-z^L_j})^2}"),
    ("quad", r"\delta^L_j = (a^L_j - y_j)\frac{1}{1+\exp -z^L_j}\left(1-\frac{1}{1+\exp -z^L_j}\right)"),
    ("tanh", r"\delta^1_j = \sum_k w^2_{kj} \delta^2_k (1 - \tanh^2 z^1_j)"),
    ("tanh", r"\delta^1_j = \sum_k w^2_{kj} \delta^2_k \operatorname{sech}^2 z^1_j"),
    ("tanh", "δ^1 = ((W^2)ᵀ δ^2) ⊙ (1 − tanh²(z^1))                     (13)"),
    ("tanh", "∂C/∂W^1 = δ^1 (a^(0))ᵀ"),
    ("quad", r"\delta^L_j = \frac{\partial}{\partial a^L_j}\frac12\sum_k (a^L_k - y_k)^2 \sigma'(z^L_j)"),
    ("quad", r"\delta^L_j = \frac{1}{2}\frac{\partial (a^L_j - y_j)^2}{\partial a^L_j}"
             r"\frac{\partial \sigma(z^L_j)}{\partial z^L_j}"),
    ("quad", r"\delta^L_j = \frac{1}{2}\partial (a^L_j - y_j)^2/\partial a^L_j \cdot \sigma'(z^L_j)"),
    ("quad", r"\delta^L = (a^L - y) \odot \frac{\partial \sigma(z^L)}{\partial z^L}"),
    ("quad", r"\delta^L = \frac{\partial}{\partial a^L} \frac12 \|a^L - y\|_2^2 \odot \sigma'(z^L)"),
    ("quad", r"\delta^L = \frac{\partial}{\partial a^L} \frac12 \lVert a^L - y\rVert^2 \odot \sigma'(z^L)"),
    ("quad", r"\frac{\partial C}{\partial b^1} = \left(\begin{array}{c} \delta^1_1 \\ \delta^1_2 \\ \delta^1_3"
             r" \end{array}\right)"),
    ("quad", r"\frac{\partial C}{\partial w^2} = \begin{bmatrix} \delta^2_1 a^1_1 & \delta^2_1 a^1_2 & "
             r"\delta^2_1 a^1_3 \\ \delta^2_2 a^1_1 & \delta^2_2 a^1_2 & \delta^2_2 a^1_3 \end{bmatrix}"),
    ("relu", r"\delta^1_j = [z^1_j > 0]\sum_k w^2_{kj}\,\delta^2_k"),
    ("relu", r"\delta^1_j = \mathbb{1}(z^1_j > 0)\sum_k w^2_{kj}\,\delta^2_k"),
    ("relu", r"\delta^1 = \left((w^2)^T\delta^2\right) \odot \mathbb{1}_{z^1 > 0}"),
    ("relu", r"\delta^1 = \left((w^2)^T\delta^2\right) \odot \mathbf{1}\{z^1 > 0\}"),
    ("relu2", r"\delta^1 = \mathbb{1}[z^1 > 0] \odot (W^2)^T\left(\mathbb{1}[z^2 > 0] \odot (W^3)^T (a^3 - y)\right)"),
    ("relu", r"\delta^1_j = \mathrm{ReLU}'(z^1_j) \sum_k w^2_{kj}\,\delta^2_k"),
    ("quad", r"\delta^L_j = \sum_k (a^L_k - y_k) \sigma'(z^L_j) \delta_{kj}"),
    ("quad", r"\delta^L_j := (a^L_j - y_j) \sigma'(z^L_j)"),
    ("quad", r"\delta^L_j \equiv (a^L_j - y_j) \sigma'(z^L_j)"),
    ("quad", r"\delta^L_j = (a^L_j - y_j)\,{\raise0.7ex\hbox{$1$} \!\mathord{\left/ {\vphantom {1 2}}\right."
             r"\kern-\nulldelimiterspace}\!\lower0.7ex\hbox{$2$}} \cdot 2 \sigma'(z^L_j)"),
    ("deep", r"\delta^l = \Sigma'(z^l)(w^{l+1})^T\Sigma'(z^{l+1})(w^{l+2})^T\cdots\Sigma'(z^L)\nabla_a C"),
    ("deep", r"\delta^1_j = w^2_{1j}\delta^2_1\sigma'(z^1_j) + w^2_{2j}\delta^2_2\sigma'(z^1_j) + \cdots"
             r" + w^2_{3j}\delta^2_3\sigma'(z^1_j)"),
]
WRONG = [
    ("quad", r"\delta^L_j = \frac{\partial (a^L_j - y_j)^2}{\partial a^L_j} \sigma'(z^L_j)"),  # factor 2
    ("quad", r"\frac{\partial C}{\partial w^2} = \begin{bmatrix} \delta^2_1 a^1_1 & \delta^2_1 a^1_2 & "
             r"\delta^2_1 a^1_3 \\ \delta^2_2 a^1_1 & \delta^2_2 a^1_3 & \delta^2_2 a^1_2 \end{bmatrix}"),
    ("relu", r"\delta^1_j = [z^1_j < 0]\sum_k w^2_{kj}\,\delta^2_k"),
    ("deep", r"\delta^l = \Sigma'(z^l)(w^{l+1})^T\cdots\Sigma'(z^{L-1})(w^L)^T\Sigma'(z^L)(y - a^L)"),
    ("deep", r"\delta^l = \Sigma'(z^l)(w^{l+1})^T\cdots\Sigma'(z^{L-1})(w^L)\Sigma'(z^L)(a^L - y)"),
    ("deep", r"\delta^1_1 = w^2_{11}\delta^2_1\sigma'(z^1_1) + \cdots + w^2_{21}\delta^2_2\sigma'(z^1_1)"),
    ("quad", r"\delta^L_j = (a^L_j - y_j)²"),
]


@pytest.mark.parametrize("spec, text", RIGHT)
def test_spellings_of_right_equations_are_correct(specs, spec, text):
    report = check_equations(specs[spec], [text], "nielsen")
    assert report.exit_code == 0, report.text()


@pytest.mark.parametrize("spec, text", WRONG)
def test_spellings_of_wrong_equations_are_incorrect(specs, spec, text):
    report = check_equations(specs[spec], [text], "nielsen")
    assert report.exit_code == 1, report.text()


@pytest.mark.parametrize("text", [
    r"\delta^{[l]} = D^{[l]}(W^{[l+1]})^T D^{[l+1]}(W^{[l+2]})^T \cdots D^{[L-1]}(W^{[L]})^T D^{[L]}(a^{[L]} - y)",
    r"\delta^{[l]} = D^{[l]}(W^{[l+1]})^T \cdots D^{[L-1]}(W^{[L]})^T D^{[L]}(a^{[L]} - y)",
])
def test_an_expansion_with_dots_is_instantiated_for_the_spec(specs, text):
    assert check_equations(specs["deep"], [text], "higham").exit_code == 0
    assert check_equations(specs["deep"], [text.replace("(a^{[L]} - y)", "(y - a^{[L]})")], "higham").exit_code == 1


@pytest.mark.parametrize("text, phrase", [
    (r"\delta^L_j = (a^L_j - y_j) \foo{x} \sigma'(z^L_j)", r"column 28: unknown command '\foo'"),
    (r"\delta^L_j = (a^L_j - y_j) \begin{cases} 1 \end{cases}", r"unknown command '\begin{cases}'"),
    (r"\delta^1_1 = w^2_{11}\delta^2_1 + \cdots + w^2_{31}\delta^2_2", "cannot tell what the dots stand for"),
    (r"\delta^L_j = \|a^L\|_1", "only the Euclidean norm"),
])
def test_what_cannot_be_read_is_refused_with_the_place(specs, text, phrase):
    with pytest.raises(EquationError, match="^equation 1") as caught:
        check_equations(specs["quad"], [text], "nielsen")
    assert phrase in caught.value.message
