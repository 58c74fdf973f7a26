"""The checker on the published-style corpus (tests/corpus): never the opposite of a careful reader.

Each single-equation case and each document is run through ``api.check`` as a user would run
``symbackprop check``; a verdict that says wrong about a right equation (or the reverse) fails
its test.  A case the checker cannot judge yet is not a failure here (it says so, with the
reason); what share is judged is measured by ``python -m tests.corpus_runner``.
"""

from __future__ import annotations

import pytest
from corpus_runner import cases, documents, run_case, run_document, specs

NETWORKS = specs()
#: False verdicts known at the time of writing, each with why: strict, so fixing one shows.
KNOWN_FALSE: dict[str, str] = {}


def _case_id(case: dict) -> str:
    return case["id"]


@pytest.mark.slow
@pytest.mark.parametrize("case", cases(), ids=_case_id)
def test_no_case_gets_the_opposite_verdict(case):
    if case["id"] in KNOWN_FALSE:
        pytest.xfail(KNOWN_FALSE[case["id"]])
    outcome = run_case(case, NETWORKS)
    assert "CRASH" not in outcome.got, outcome.reason
    assert not outcome.false_verdict, f"expected {outcome.expected}, got {outcome.got}: {outcome.reason}"


@pytest.mark.slow
@pytest.mark.parametrize("source, sidecar", documents(), ids=lambda value: getattr(value, "name", ""))
def test_no_document_claim_gets_the_opposite_verdict(source, sidecar):
    outcomes = run_document(source, sidecar, NETWORKS)
    crashed = [outcome.reason for outcome in outcomes if outcome.reason.startswith("CRASH")]
    assert not crashed, crashed[0]
    wrong = [f"{o.key}: expected {o.expected}, got {o.got}" for o in outcomes
             if o.false_verdict and o.key not in KNOWN_FALSE]
    assert not wrong, "\n".join(wrong)
