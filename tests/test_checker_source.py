"""The checker's source stage: documents and --equation text → snippets, furniture off as metadata."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest

from symbackprop import api
from symbackprop.checker import check_equations
from symbackprop.checker.extract import MAX_EQUATIONS, MAX_FILE_BYTES, is_math_word, math_span
from symbackprop.checker.furniture import parse_qualifier, strip_furniture
from symbackprop.checker.source import Snippet, snippets_from_equation, snippets_from_file, snippets_from_text
from symbackprop.errors import EquationError
from symbackprop.spec import Spec

DOCUMENTS = Path(__file__).parent / "corpus" / "documents"
BP1 = r"\delta^L_j = (a^L_j - y_j)\,\sigma'(z^L_j)"


# -- furniture: tags -----------------------------------------------------------------------------------
@pytest.mark.parametrize("written, tag", [
    (BP1 + r" \tag{BP1}", "BP1"),
    (BP1 + r", \tag*{BP1}", "BP1"),
    (BP1 + r" \label{eq:bp1}", "eq:bp1"),
    (BP1 + r" \label{eq:bp1} \tag{3}", "3"),  # the displayed number wins over the label
    (BP1 + r", (22)", "22"),
    (BP1 + r" (23)", "23"),  # without a comma: once read as a factor 23
    (BP1 + r"\qquad (BP1)", "BP1"),
    (BP1 + r" (2.1)", "2.1"),
    (BP1 + r" \quad (a)", "a"),
    (BP1 + r", && \text{(b)}", "b"),
    (BP1 + r" \rightarrow (A)", "A"),
    (BP1 + r" \rightarrow (\mathbf{1.1})", "1.1"),
    (BP1 + r" \eqno(4)", "4"),
    ("δ^L_j = (a^L_j − y_j) σ′(z^L_j)                   (15)", "15"),
])
def test_tags_come_off_as_metadata(written, tag):
    furnished = strip_furniture(written)
    assert furnished.tag == tag
    assert furnished.text.rstrip(" ,") in (BP1, "δ^L_j = (a^L_j − y_j) σ′(z^L_j)")


@pytest.mark.parametrize("mathematics", [
    r"\delta^L = (a - y)",                # a parenthesised factor
    r"\delta^L = \sigma'(z^L)",           # an argument
    r"a^l = f (z)",                       # a letter in parentheses is a tag only after \quad or &
    r"\delta = a^{(2)}",                  # a layer in parentheses
    r"z^l = W^l a^(l−1)",                 # a superscript in parentheses
    r"a = b (a)",
    r"\mathbf{x} = W a",                  # \mathbf of one symbol, not of the whole equation
    r"\delta = (1 - \sigma)(2)",           # a factor glued to the one before
])
def test_mathematics_is_not_taken_for_furniture(mathematics):
    furnished = strip_furniture(mathematics)
    assert furnished.text == mathematics and furnished.tag == "" and furnished.qualifier is None


@pytest.mark.parametrize("written", [
    BP1 + ",", BP1 + ".", BP1 + ";", BP1 + r"\,,", BP1 + r"\;.", BP1 + r" \qquad", BP1 + r" \quad ,",
    r"\qquad " + BP1, BP1 + r" \nonumber", BP1 + r" \in \mathbb{R}^{n_l},",
    BP1 + r" \in \mathbb{R}^{n_l \times n_{l-1}}",
    r"\mathbf{" + BP1 + "}", r"\mathbb{" + BP1 + "}.", r"\boxed{" + BP1 + r"} \tag{1}",
    BP1.replace(" =", " &="), BP1.replace(" =", " &=&"),
])
def test_punctuation_spacing_and_wrappers_come_off(written):
    assert strip_furniture(written).text == BP1


def test_removal_keeps_every_position():
    written = "\\mathbf{a = b\n  + c},\\tag{7}"
    furnished = strip_furniture(written)
    assert len(furnished.layout) == len(written) and furnished.layout.index("+") == written.index("+")
    assert furnished.layout.count("\n") == 1 and furnished.text == "a = b + c"


def test_a_matrix_keeps_its_cells():
    written = r"\frac{\partial C}{\partial w^2} = \begin{bmatrix} a & b \\ c & d \end{bmatrix}."
    assert strip_furniture(written).text == written[:-1]


# -- furniture: qualifiers -------------------------------------------------------------------------------
@pytest.mark.parametrize("written, source, variable, bounds", [
    (r", \quad \text{for } 2 \le l \le L-1", r"2 \le l \le L-1", "l", (2, 3)),
    (r" \quad \text{for $2 \leq l \leq L$}", r"2 \leq l \leq L", "l", (2, 4)),
    (r" \quad (2\le l\le L)", r"2\le l\le L", "l", (2, 4)),
    (r", \qquad l = L-1, \ldots, 1", r"l = L-1, \ldots, 1", "l", (1, 3)),
    (r", \quad l = 2, 3, \ldots, L", r"l = 2, 3, \ldots, L", "l", (2, 4)),
    (r" \quad \text{for } 1 < l < L", r"1 < l < L", "l", (2, 3)),
    (r" \quad \forall l", "l", "l", (None, None)),
    (r" \quad \text{for all } l", "l", "l", (None, None)),
    (" for 2 ≤ l ≤ L−1", "2 ≤ l ≤ L−1", "l", (2, 3)),
    (r", \; j = 1, \dots, n_l", r"j = 1, \dots, n_l", "j", (1, None)),
])
def test_qualifiers_come_off_with_their_bounds(written, source, variable, bounds):
    furnished = strip_furniture(BP1 + written)
    assert furnished.text == BP1
    qualifier = furnished.qualifier
    assert (qualifier.text, qualifier.variable, qualifier.bounds(4)) == (source, variable, bounds)


def test_a_qualifier_admits_its_range_only():
    qualifier = parse_qualifier(r"\text{for } 2 \le l \le L-1")
    assert [value for value in range(6) if qualifier.admits(value, 4)] == [2, 3]
    assert parse_qualifier("l") is None and parse_qualifier(r"a^l = \sigma(z^l)") is None
    assert strip_furniture(r"l = L-1, \ldots, 1").qualifier is None  # never the equation itself


# -- documents ---------------------------------------------------------------------------------------------
def _squash(text: str) -> str:
    for mark in ("$", "&", "\\[", "\\]"):
        text = text.replace(mark, "")
    return "".join(text.split())


def _claims(name: str) -> tuple[Path, list[dict]]:
    sidecar = DOCUMENTS / f"{name}.expected.toml"
    source = next(path for path in DOCUMENTS.glob(name + ".*") if not path.name.endswith(".toml"))
    return source, tomllib.loads(sidecar.read_text(encoding="utf-8"))["claim"]


def _match(snippets: list[Snippet], claim: dict) -> list[Snippet]:
    here = [snippet for snippet in snippets if snippet.line == claim["line"]]
    theirs = _squash(claim["text"])
    found = [snippet for snippet in here if _squash(snippet.text) in theirs or theirs in _squash(snippet.text)]
    return found or (here if len(here) == 1 else [])  # a claim text that names the middle of its line


@pytest.mark.parametrize("name", sorted(path.name.removesuffix(".expected.toml")
                                        for path in DOCUMENTS.glob("*.expected.toml")))
def test_every_claim_of_a_document_is_found_at_its_line_and_nothing_else(name):
    source, claims = _claims(name)
    snippets = snippets_from_file(source)
    assert len(snippets) == len(claims)
    for claim in claims:
        found = _match(snippets, claim)
        assert len(found) == 1, claim["id"]
        snippet = found[0]
        if "lines" in claim:  # a chain: where each later side stands
            assert list(snippet.lines) == claim["lines"], claim["id"]
        assert snippet.tag == claim["tag"].strip("()"), claim["id"]
        if snippet.qualifier is not None:  # never invented
            assert claim["qualifier"], claim["id"]
        assert snippet.origin == source.name


def test_qualifiers_written_in_the_equation_are_kept():
    snippets = {snippet.line: snippet for snippet in snippets_from_file(DOCUMENTS / "higham_notes.md")}
    assert snippets[20].qualifier.bounds(4) == (2, 4)
    assert [snippets[line].qualifier.bounds(4) for line in (52, 53, 54)] == [(2, 3), (2, 4), (2, 4)]
    assert [snippets[line].tag for line in (51, 52, 53, 54)] == ["a", "b", "c", "d"]
    nielsen = {snippet.tag: snippet for snippet in snippets_from_file(DOCUMENTS / "nielsen_lecture.tex")}
    assert nielsen["BP2"].qualifier.bounds(3) == (1, 2) and nielsen["BP1"].qualifier is None


def test_tex_structure():
    text = "\n".join([
        r"\begin{align}",
        r"  a &= b, \qquad c = d \\",              # two equations on one row
        r"  e &= f \nonumber \\",
        r"    &= g \label{eq:e}",                   # a chain over two rows
        r"\end{align}",
        r"% $x = y$ in a comment",
        r"Inline $u = v$, a range $2 \le l \le L$, a binding $x = 1$, a symbol $w^l_{jk}$, $i = 1, \ldots, N$.",
        r"\begin{verbatim} p = q \end{verbatim}",
        r"\begin{equation}\begin{split} h &= i \\ &= j \end{split}\end{equation}",
        r"\[ \begin{array}{rcl} k &=& m \\ n &=& o \end{array} \]",
    ])
    found = [(snippet.text, snippet.line, snippet.lines, snippet.tag, snippet.inline)
             for snippet in snippets_from_text(text)]
    assert found == [("a = b", 2, (2,), "", False), ("c = d", 2, (2,), "", False),
                     ("e = f = g", 3, (3, 4), "eq:e", False), ("u = v", 7, (7,), "", True),
                     ("h = i = j", 9, (9, 9), "", False), ("k = m", 10, (10,), "", False),
                     ("n = o", 10, (10,), "", False)]


def test_markdown_structure():
    text = "\n".join([
        "---", "title: $a = b$", "---",                      # front matter
        "Prose with $c = d$ and $$e = f$$ inline.",          # 4
        "", "```python", "g = h", "```",                       # code, not mathematics
        "", "```math", r"i = j \tag{7}", "```",                # 11: a fenced math block
        "", "$$", r"\begin{aligned} k &= l \\ &= m \end{aligned}", "$$",  # 15
        "", r"\[ n = o \]", "", "`$p = q$` in code", "",        # 18
        r"\begin{equation} r = s \end{equation}",              # 22: amsmath
    ])
    found = [(snippet.text, snippet.line, snippet.tag) for snippet in snippets_from_text(text, ".md", "n.md")]
    assert found == [("c = d", 4, ""), ("e = f", 4, ""), ("i = j", 11, "7"), ("k = l = m", 15, ""),
                     ("n = o", 18, ""), ("r = s", 22, "")]


def test_plain_text_keeps_the_mathematics_and_leaves_the_prose():
    text = "\n".join([
        "Notes", "=====", "",
        "    a^0 = x                         (1)",
        "so because a^1 = tanh(z^1) is stored, we can",
        "    δ^L_j = Σ_k y_k ([k = j] − a^L_j)   (8)",
        "          = a^L_j − y_j                 (9)",
        "the Iverson bracket [k = j], is one",
        "# a = b is a comment",
        "    W ← W − η ∂C/∂W",
    ])
    found = [(snippet.text, snippet.line, snippet.lines, snippet.tag) for snippet in snippets_from_text(text, ".txt")]
    assert found == [("a^0 = x", 4, (4,), "1"), ("a^1 = tanh(z^1)", 5, (5,), ""),
                     ("δ^L_j = Σ_k y_k ([k = j] − a^L_j) = a^L_j − y_j", 6, (6, 7), "8"),
                     ("W ← W − η ∂C/∂W", 10, (), "")]
    assert math_span("=====") is None and not is_math_word("because") and is_math_word("tanh(z)")


def test_an_equation_given_as_text_goes_through_the_furniture():
    assert snippets_from_equation(BP1 + r" \tag{BP1}") == [Snippet(BP1, tag="BP1", lines=(1,))]
    assert [snippet.text for snippet in snippets_from_equation(r"a = b, \qquad c = d.")] == ["a = b", "c = d"]
    assert [snippet.text for snippet in snippets_from_equation(f"$${BP1}$$")] == [BP1]
    assert snippets_from_equation("nonsense")[0].text == "nonsense"  # the parser says why


# -- wiring: verdicts, qualifiers, places --------------------------------------------------------------
@pytest.fixture(scope="module")
def quad() -> Spec:
    return Spec.parse("2-2-2", activation="sigmoid", cost="quadratic")


def test_an_equation_number_without_a_comma_is_no_factor(quad):
    report = check_equations(quad, [BP1 + " (23)"])
    assert report.exit_code == 0, report.text()
    assert report.results[0].tag == "23" and "(23)" in report.text()


def test_a_qualifier_restricts_the_instances_checked():
    spec = Spec.parse("2-2-2-2", activation="sigmoid", cost="quadratic")
    # true for the last hidden layer only: δ^{l+1} is the output error there
    text = r"\delta^l_j = \sum_k w^{l+1}_{kj} (a^{l+1}_k - y_k) \sigma'(z^{l+1}_k) \sigma'(z^l_j)"
    assert check_equations(spec, [text]).exit_code == 1
    report = check_equations(spec, [text + r", \quad \text{for } l = L-1"])
    assert report.exit_code == 0 and "2 instances" in report.results[0].how
    assert "(for l = L-1)" in report.results[0].lines()[0]
    with pytest.raises(EquationError, match="leaves no instance"):
        check_equations(spec, [text + r", \quad \text{for } l = 7"])


def test_results_name_their_place(quad, tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nThe output error\n\n$$" + BP1 + r" \tag{BP1}$$" + "\n")
    report = api.check(quad, path)
    item = report[0]
    assert (item.line, item.tag, item.origin, item.verdict) == (5, "BP1", "notes.md", "CORRECT")
    assert "[1] notes.md:5 (BP1) " + BP1 in report.text()


# -- limits -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix, hostile", [
    (".md", "$$ x " * 40_000), (".md", "$ x " * 60_000), (".md", "```math\n" * 40_000), (".md", r"\[ x " * 40_000),
    (".md", "[" * 100_000), (".tex", r"\begin{equation} x " * 40_000), (".tex", "$ x " * 60_000),
    (".txt", "a = b " * 100_000), (".txt", "= " * 200_000), (".tex", r"\[ a = b \\ " * 30_000 + r"\]"),
])
def test_hostile_documents_are_read_in_bounded_time(tmp_path, suffix, hostile):
    path = tmp_path / f"hostile{suffix}"
    path.write_text(hostile[:MAX_FILE_BYTES])
    started = time.monotonic()
    try:
        snippets_from_file(path)
    except EquationError as error:
        assert "no equations found" in error.message or str(MAX_EQUATIONS) in error.message
    assert time.monotonic() - started < 20


def test_unreadable_and_oversized_files_are_refused_in_one_line(tmp_path):
    with pytest.raises(EquationError, match="cannot read the file"):
        snippets_from_file(tmp_path / "missing.md")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe a = b")
    with pytest.raises(EquationError, match="cannot read the file"):
        snippets_from_file(binary)
    big = tmp_path / "big.txt"
    big.write_text("x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(EquationError, match="larger than"):
        snippets_from_file(big)
    many = tmp_path / "many.txt"
    many.write_text("a = b\n" * (MAX_EQUATIONS + 1))
    with pytest.raises(EquationError, match="split it"):
        snippets_from_file(many)


def test_inline_sizes_and_counts_are_no_equations():
    text = r"With $n_0 = 2$ inputs, $n_{l+1} = 3$ units and $m = 10$ samples, $a^0 = x$ and $L = 3$."
    assert [snippet.text for snippet in snippets_from_text(text)] == ["a^0 = x"]
