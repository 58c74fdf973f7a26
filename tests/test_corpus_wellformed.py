"""The published-style corpus (tests/corpus/) is well-formed and its verdicts agree with the numbers.

Nothing here calls the checker: this tests the test material itself, so a mistake in the corpus
shows as a failure here rather than as a wrong verdict blamed on the checker.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from symbackprop import Spec

CORPUS = Path(__file__).parent / "corpus"
VERDICTS = {"CORRECT", "INCORRECT", "CONSISTENT", "INCONSISTENT", "SKIPPED"}
NOTATIONS = {"auto", "nielsen", "ng", "higham", "source-first", "bishop"}
CASE_KEYS = {"id", "spec", "notation", "style", "text", "verdict", "verdicts", "mistakes", "note", "qualifier",
             "skip_reason", "conventions"}
CLAIM_KEYS = {"id", "line", "lines", "text", "verdict", "verdicts", "mistakes", "tag", "qualifier", "skip_reason",
              "note"}
CONVENTION_KEYS = {"activation_letter", "cost_letter", "index_order", "layer_numbering", "vectors", "samples",
                   "preactivation_letter", "delta", "index_letters", "layer_names", "targets", "outputs"}
SUFFIXES = (".tex", ".md", ".txt")
SLIPS = {"vector_for_component"}  # named on an equation that still holds


def _toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


SPECS = _toml(CORPUS / "specs.toml")
CASES = _toml(CORPUS / "equations.toml")["case"]
SIDECARS = sorted((CORPUS / "documents").glob("*.expected.toml"))


def defined_tags() -> set[str]:
    """The tags of README.md's 'Mistake tags' table."""
    text = (CORPUS / "README.md").read_text(encoding="utf-8")
    section = text.split("## Mistake tags", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


TAGS = defined_tags()


def _tag_ok(tag: str) -> bool:
    return tag in TAGS or (tag.startswith("factor:") and re.fullmatch(r"factor:-?\d+(/\d+)?", tag) is not None)


def _check_verdicts(item: dict, where: str) -> None:
    """One verdict with a flat list of mistakes, or a chain's verdicts with one list per side."""
    assert ("verdict" in item) != ("verdicts" in item), f"{where}: exactly one of verdict / verdicts"
    mistakes = item["mistakes"]
    if "verdict" in item:
        verdicts, per_side = [item["verdict"]], [mistakes]
        assert all(isinstance(tag, str) for tag in mistakes), f"{where}: mistakes must be a list of tags"
    else:
        verdicts, per_side = item["verdicts"], mistakes
        assert len(verdicts) >= 1 and len(per_side) == len(verdicts), f"{where}: one mistakes list per side"
    for verdict, tags in zip(verdicts, per_side, strict=True):
        assert verdict in VERDICTS, f"{where}: unknown verdict {verdict}"
        assert all(_tag_ok(tag) for tag in tags), f"{where}: undefined tag in {tags}"
        if verdict in {"INCORRECT", "INCONSISTENT"}:
            assert tags, f"{where}: a wrong side names its mistakes"
        if verdict in {"CORRECT", "CONSISTENT"}:
            assert set(tags) <= SLIPS, f"{where}: a right side names only notation slips"
        if verdict == "SKIPPED":
            assert not tags and "skip_reason" in item, f"{where}: SKIPPED needs a skip_reason and no mistakes"


def test_specs_parse():
    for name, entry in SPECS.items():
        options = {key: value for key, value in entry.items() if key != "shorthand"}
        assert Spec.parse(entry["shorthand"], **options).sizes, name


def test_tags_are_defined():
    assert {"sign", "factor", "sigma_prime_at_a", "transpose", "index_order", "row_vector"} <= TAGS


def test_cases_are_well_formed():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert len(CASES) >= 150
    for case in CASES:
        where = case["id"]
        assert set(case) <= CASE_KEYS, f"{where}: unknown keys {set(case) - CASE_KEYS}"
        assert {"spec", "notation", "style", "text", "mistakes"} <= set(case), where
        assert case["spec"] in SPECS, f"{where}: no spec {case['spec']}"
        assert case["notation"] in NOTATIONS, where
        assert case["text"].strip() and "\n" not in case["text"], where
        assert set(case.get("conventions", {})) <= CONVENTION_KEYS, where
        _check_verdicts(case, where)


def test_every_case_text_is_distinct_per_spec_and_notation():
    seen = {}
    for case in CASES:
        key = (case["spec"], case["notation"], case["text"])
        assert key not in seen, f"{case['id']} repeats {seen.get(key)}"
        seen[key] = case["id"]


def _document(sidecar: Path) -> Path:
    stem = sidecar.name.removesuffix(".expected.toml")
    found = [sidecar.with_name(stem + suffix) for suffix in SUFFIXES if sidecar.with_name(stem + suffix).exists()]
    assert len(found) == 1, f"{sidecar.name}: one document {stem}.tex/.md/.txt"
    return found[0]


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda path: path.name)
def test_document_claims_are_found_at_their_lines(sidecar):
    expected = _toml(sidecar)
    lines = _document(sidecar).read_text(encoding="utf-8").splitlines()
    assert expected["spec"] in SPECS
    assert expected["notation"] in NOTATIONS
    assert set(expected.get("conventions", {})) <= CONVENTION_KEYS
    claims = expected["claim"]
    assert 20 <= len(claims) <= 60, f"{sidecar.name}: {len(claims)} claims"
    ids = [claim["id"] for claim in claims]
    assert len(ids) == len(set(ids)), f"{sidecar.name}: duplicate claim ids"
    for claim in claims:
        where = f"{sidecar.name}#{claim['id']}"
        assert set(claim) <= CLAIM_KEYS, f"{where}: unknown keys {set(claim) - CLAIM_KEYS}"
        _check_verdicts(claim, where)
        line = claim["line"]
        assert 1 <= line <= len(lines), f"{where}: no line {line}"
        assert claim["text"] in lines[line - 1], f"{where}: {claim['text']!r} is not on line {line}"
        if "lines" in claim:
            assert "verdicts" in claim and len(claim["lines"]) == len(claim["verdicts"]), where
            assert all(line <= later <= len(lines) for later in claim["lines"]), where
    assert [claim["line"] for claim in claims] == sorted(claim["line"] for claim in claims), \
        f"{sidecar.name}: claims in reading order"


def test_required_documents_exist():
    names = {_document(sidecar).suffix for sidecar in SIDECARS}
    assert {".tex", ".md", ".txt"} <= names


def test_numbers_confirm_every_verdict():
    sys.path.insert(0, str(CORPUS / "verify"))
    import verify

    problems, unverified, verified = verify.check()
    assert not problems, "\n".join(problems)
    assert not unverified, f"no numeric check for {unverified}"
    assert verified >= 150
