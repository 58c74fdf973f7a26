"""Confirm every verdict of the corpus by numbers: ``python tests/corpus/verify/verify.py``.

For each case (equations.toml) and each document claim (documents/*.expected.toml) the two sides
are written by hand in ``cases_*.py`` as NumPy code over one random draw of the case's spec
(netlib.Net); the left side's true value comes from central differences of the cost. A side is
CORRECT (a definition CONSISTENT) when it agrees with the truth at every draw, INCORRECT when it
differs clearly at some draw; anything in between is reported as unclear. Nothing of symbackprop
is imported: this is the independent computation the corpus is judged by.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import import_module
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import netlib  # noqa: E402

MODULES = [
    "cases_nielsen",
    "cases_vocabulary",
    "cases_claims",
    "cases_structure",
    "cases_conventions",
    "cases_ng",
    "cases_higham",
    "cases_source_first",
    "cases_layerless",
    "cases_documents",
    "cases_realdocs",
]
SEEDS = (1, 2, 3, 4, 5)
AGREE, DIFFER = 1e-6, 1e-3  # relative max-norm difference: below AGREE equal, above DIFFER different
POSITIVE = {"CORRECT", "CONSISTENT"}


def load_registry() -> dict:
    for name in MODULES:
        if (HERE / f"{name}.py").exists():
            import_module(name)
    return netlib.REGISTRY


def pieces(value) -> list[np.ndarray]:
    return [np.asarray(v, float) for v in value] if isinstance(value, netlib.Instances) else [np.asarray(value, float)]


def relative_difference(truth, side) -> float:
    truth, side = pieces(truth), pieces(side)
    if len(truth) != len(side) or any(t.shape != s.shape for t, s in zip(truth, side, strict=True)):
        return np.inf  # a product of the wrong shape: the equation cannot hold
    if not all(np.all(np.isfinite(s)) for s in side):
        return np.inf
    scale = max(max(np.max(np.abs(v), initial=0.0) for v in truth + side), 1e-8)
    return max(float(np.max(np.abs(t - s), initial=0.0)) for t, s in zip(truth, side, strict=True)) / scale


_DRAWS: dict[tuple[str, int], netlib.Net] = {}


def draw(spec: str, entry: dict, seed: int) -> netlib.Net:
    """One draw per spec and seed, shared by the cases (a Net is never changed by them)."""
    if (spec, seed) not in _DRAWS:
        _DRAWS[spec, seed] = netlib.Net(entry, seed)
    return _DRAWS[spec, seed]


def numeric_verdicts(fn, spec: str, entry: dict) -> list[float]:
    """The largest relative difference of each side over the draws."""
    worst = None
    for seed in SEEDS:
        truth, sides = fn(draw(spec, entry, seed))
        sides = sides if isinstance(sides, list) else [sides]
        diffs = [relative_difference(truth, side) for side in sides]
        worst = diffs if worst is None else [max(a, b) for a, b in zip(worst, diffs, strict=True)]
    return worst


def expected_sides(item: dict) -> list[str]:
    return list(item["verdicts"]) if "verdicts" in item else [item["verdict"]]


def items():
    """(key, spec name, expected verdicts per side) of every case and document claim."""
    corpus = netlib.CORPUS
    for case in tomllib.loads((corpus / "equations.toml").read_text(encoding="utf-8"))["case"]:
        yield case["id"], case["spec"], expected_sides(case)
    for sidecar in sorted((corpus / "documents").glob("*.expected.toml")):
        doc = tomllib.loads(sidecar.read_text(encoding="utf-8"))
        name = sidecar.name.removesuffix(".expected.toml")
        for claim in doc["claim"]:
            yield f"{name}#{claim['id']}", doc["spec"], expected_sides(claim)


def check(verbose: bool = False) -> tuple[list[str], list[str], int]:
    specs = netlib.load_specs()
    registry = load_registry()
    problems, unverified, verified = [], [], 0
    seen = set()
    for key, spec, expected in items():
        seen.add(key)
        if expected == ["SKIPPED"]:
            if key in registry:
                problems.append(f"{key}: SKIPPED but has a numeric verification")
            continue
        if key not in registry:
            unverified.append(key)
            continue
        diffs = numeric_verdicts(registry[key], spec, specs[spec])
        if verbose:
            print(f"{key:60s} {' '.join(expected):24s} {' '.join(f'{d:.1e}' for d in diffs)}")
        if len(diffs) != len(expected):
            problems.append(f"{key}: {len(expected)} expected verdicts, {len(diffs)} sides computed")
            continue
        for index, (want, diff) in enumerate(zip(expected, diffs, strict=True)):
            where = key if len(expected) == 1 else f"{key} side {index + 2}"
            if AGREE < diff < DIFFER:
                problems.append(f"{where}: unclear, relative difference {diff:.2e}")
            elif (diff <= AGREE) != (want in POSITIVE):
                problems.append(f"{where}: expected {want}, numbers say relative difference {diff:.2e}")
        verified += 1
    problems += [f"{key}: a verification for no case or claim" for key in sorted(set(registry) - seen)]
    return problems, unverified, verified


def main() -> int:
    problems, unverified, verified = check(verbose="-v" in sys.argv)
    for line in problems:
        print("MISMATCH", line)
    for key in unverified:
        print("unverified", key)
    print(f"{verified} verified, {len(unverified)} without a numeric verification, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
