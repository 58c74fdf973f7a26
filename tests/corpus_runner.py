"""Run the checker over the published-style corpus (``tests/corpus``) and measure it.

For every single-equation case and every claim of every document this records the verdicts the
checker gave beside the ones a careful reader gives, and whether the mistakes the reader names
are among its diagnoses.  ``python -m tests.corpus_runner`` prints the tally (judged, agreeing,
false verdicts) per group and per document, then every disagreement; ``--only ID`` shows one
case's report.  The tests in ``test_checker_corpus.py`` hold the measured floor.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from symbackprop import api
from symbackprop.errors import UserError
from symbackprop.spec import Spec

CORPUS = Path(__file__).parent / "corpus"
JUDGED = ("CORRECT", "INCORRECT", "CONSISTENT", "INCONSISTENT", "SKIPPED")
WRONG = ("INCORRECT", "INCONSISTENT")

#: A phrase of the checker's diagnosis that names each mistake tag (lower case, any one suffices).
TAG_PHRASES = {
    "sign": ("off by a sign", "sign"),
    "factor": ("constant factor",),
    "sigma_prime_at_a": ("σ'(a) where σ'(z)", "at a where", "'(a)"),
    "missing_sigma_prime": ("missing factor σ'", "missing factor"),
    "extra_sigma_prime": ("extra factor", "does not belong"),
    "transpose": ("transpose",),
    "swapped_indices": ("swapped",),
    "missing_path": ("missing path", "missing term"),
    "wrong_layer": ("wrong layer",),
    "wrong_bound": ("bound",),
    "missing_mean": ("missing the 1/m",),
    "mean_in_one_sample": ("1/m",),
    "m_for_mean": ("multiplies by m",),
    "mean_twice": ("once too often",),
    "no_half": ("½", "1/2", "half"),
    "no_bias": ("bias",),
    "wrong_activation": ("activation",),
    "wrong_cost": ("cost",),
    "wrong_derivative": ("derivative",),
    "missing_factor": ("missing factor", "missing"),
    "vector_for_component": ("vector", "component"),
    "index_order": ("source-first", "from i to j", "index order", "reading"),
    "row_vector": ("row vector", "row-vector"),
}


@dataclass
class Outcome:
    """One case or document claim: what a careful reader says and what the checker said."""

    key: str
    group: str
    expected: list[str]
    got: list[str]
    mistakes: list[list[str]]
    diagnoses: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def judged(self) -> bool:
        """Every side has a verdict; a skip counts only where the reader skips too."""
        return (bool(self.got) and all(verdict in JUDGED for verdict in self.got)
                and ("SKIPPED" not in self.got or self.got == self.expected))

    @property
    def agrees(self) -> bool:
        return self.got == self.expected

    @property
    def false_verdict(self) -> bool:
        """A claim judged the opposite way: right called wrong, or wrong called right."""
        if len(self.got) != len(self.expected):
            return False
        return any((mine in WRONG) != (theirs in WRONG) and mine in JUDGED and theirs != "SKIPPED"
                   and mine != "SKIPPED" for mine, theirs in zip(self.got, self.expected, strict=True))

    @property
    def names_mistakes(self) -> bool:
        text = " ".join(self.diagnoses).lower()
        tags = [tag.split(":")[0] for side in self.mistakes for tag in side]
        return all(any(phrase.lower() in text for phrase in TAG_PHRASES.get(tag, (tag,))) for tag in tags)


def _toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def specs() -> dict[str, Spec]:
    found = {}
    for name, entry in _toml(CORPUS / "specs.toml").items():
        options = {key: value for key, value in entry.items() if key != "shorthand"}
        found[name] = Spec.parse(entry["shorthand"], **options)
    return found


def _expected(item: dict) -> tuple[list[str], list[list[str]]]:
    if "verdicts" in item:
        return list(item["verdicts"]), [list(side) for side in item["mistakes"]]
    return [item["verdict"]], [list(item["mistakes"])]


#: ``--auto-as guess``: until the checker infers conventions itself, "auto" is read as the profile
#: a case's own description names (a measuring aid only; the checker never sees this).
AUTO_AS: str | None = None


def _notation(item: dict, described: str = "") -> str:
    notation = item.get("notation", "auto")
    if notation != "auto" or AUTO_AS is None:
        return notation
    if AUTO_AS != "guess":
        return AUTO_AS
    words = (described or item.get("style", "") + " " + item.get("text", "")).lower()
    for profile, marks in (("ng", ("ng", "θ", "theta", "course")), ("higham", ("higham", "[l]")),
                           ("nielsen", ())):
        if any(mark in words for mark in marks) or not marks:
            return profile
    return "nielsen"


def _word(verdict: str) -> str:
    """The checker's verdict in the corpus's words (it prints a skip as ``skipped``)."""
    return "SKIPPED" if verdict == "skipped" else verdict


def _verdicts(report) -> tuple[list[str], list[str], str]:
    got, diagnoses, reasons = [], [], []
    for item in report.items:
        got.append(_word(item.verdict))
        diagnoses += list(item.diagnoses)
        if item.reason:
            reasons.append(item.reason)
    return got, diagnoses, "; ".join(reasons)


def run_case(case: dict, networks: dict[str, Spec]) -> Outcome:
    expected, mistakes = _expected(case)
    outcome = Outcome(case["id"], case["group"], expected, [], mistakes)
    try:
        report = api.check(networks[case["spec"]], [case["text"]], notation=_notation(case))
    except UserError as error:
        outcome.got, outcome.reason = ["ERROR"], str(error)
        return outcome
    except Exception as error:  # noqa: BLE001 - a traceback is a finding, not the end of the run
        outcome.got, outcome.reason = ["CRASH"], f"{type(error).__name__}: {error}"
        return outcome
    outcome.got, outcome.diagnoses, outcome.reason = _verdicts(report)
    return outcome


def cases() -> list[dict]:
    """The single-equation cases, each with the ``group`` its ``# ==`` header names."""
    path = CORPUS / "equations.toml"
    headers, header = {}, "?"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# =="):
            header = line.strip("# =").split(":")[0].strip()
        elif line.startswith("id = "):
            headers[tomllib.loads(line)["id"]] = header
    found = _toml(path)["case"]
    for case in found:
        case["group"] = headers[case["id"]]
    return found


def documents() -> list[tuple[Path, dict]]:
    found = []
    for sidecar in sorted((CORPUS / "documents").glob("*.expected.toml")):
        name = sidecar.name.removesuffix(".expected.toml")
        source = next(path for path in sidecar.parent.glob(name + ".*") if not path.name.endswith(".toml"))
        found.append((source, _toml(sidecar)))
    return found


def run_document(source: Path, sidecar: dict, networks: dict[str, Spec]) -> list[Outcome]:
    """Each claim matched to the checker's result for the equation at its line (and text)."""
    name = source.stem
    try:
        report = api.check(networks[sidecar["spec"]], source, notation=_notation(sidecar, source.name))
        items = list(report.items)
    except UserError as error:
        items, failure = [], str(error)
    except Exception as error:  # noqa: BLE001
        items, failure = [], f"CRASH {type(error).__name__}: {error}"
    else:
        failure = ""
    outcomes = []
    for claim in sidecar["claim"]:
        expected, mistakes = _expected(claim)
        outcome = Outcome(f"{name}:{claim['id']}", name, expected, [], mistakes, reason=failure)
        mine = [item for item in items if _same_claim(item, claim)]
        for item in mine:
            outcome.got.append(_word(item.verdict))
            outcome.diagnoses += list(item.diagnoses)
            outcome.reason = item.reason or outcome.reason
        outcomes.append(outcome)
    return outcomes


def _same_claim(item, claim: dict) -> bool:
    """The result for the claim's equation: at its line, the two texts agreeing on their start."""
    mine, theirs = _squash(item.equation), _squash(claim["text"])
    line = getattr(item, "line", None)
    if line is not None and line != claim["line"]:
        return False
    if line is None:
        return mine[:24] == theirs[:24]
    return theirs in mine or mine.startswith(theirs) or theirs.startswith(mine) or mine[:30] == theirs[:30]


def _squash(text: str) -> str:
    """The text without spaces, alignment marks and math delimiters, which the two may differ in."""
    for mark in ("&", "\\\\", "$", "\\[", "\\]", "\\(", "\\)"):
        text = text.replace(mark, "")
    return "".join(text.split())


def run_all(only: str | None = None, progress: bool = False) -> list[Outcome]:
    """Every case (or the one named ``only``) and every document; ``progress`` prints each one's time."""
    networks = specs()
    outcomes = []
    for case in cases():
        if only in (None, case["id"]):
            start = time.perf_counter()
            outcomes.append(run_case(case, networks))
            _progress(progress, case["id"], start)
    if only is None:
        for source, sidecar in documents():
            start = time.perf_counter()
            outcomes += run_document(source, sidecar, networks)
            _progress(progress, source.name, start)
    return outcomes


def _progress(shown: bool, name: str, start: float) -> None:
    if shown:
        print(f"  {time.perf_counter() - start:6.1f} s  {name}", file=sys.stderr, flush=True)


def tally(outcomes: list[Outcome]) -> str:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.group, []).append(outcome)
    lines = [f"{'group':28} {'n':>4} {'judged':>7} {'agree':>7} {'false':>6} {'named':>6}"]
    for name, members in sorted(groups.items()) + [("ALL", outcomes)]:
        judged = sum(o.judged for o in members)
        agree = sum(o.agrees for o in members)
        false = sum(o.false_verdict for o in members)
        named = sum(o.agrees and o.names_mistakes for o in members)
        lines.append(f"{name:28} {len(members):4} {judged / len(members):7.0%} {agree / len(members):7.0%} "
                     f"{false:6} {named:6}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="one case id: print its report")
    parser.add_argument("--quiet", action="store_true", help="the tally only")
    parser.add_argument("--progress", action="store_true", help="print each case's time as it finishes")
    parser.add_argument("--auto-as", help="read notation 'auto' as this profile, or 'guess' it from each case's style")
    args = parser.parse_args(argv)
    global AUTO_AS
    AUTO_AS = args.auto_as
    outcomes = run_all(args.only, args.progress)
    if not args.quiet:
        for outcome in outcomes:
            if not outcome.agrees or not outcome.names_mistakes:
                print(f"{outcome.key}: expected {outcome.expected} {outcome.mistakes}, got {outcome.got}"
                      f"{' FALSE VERDICT' if outcome.false_verdict else ''}"
                      f"\n    {outcome.reason[:300] or '; '.join(outcome.diagnoses)[:300]}")
    print(tally(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
