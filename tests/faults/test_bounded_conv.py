"""Huge convolutional specs through derive and codegen, each in its own process under a 2 GiB
address-space limit: done within a bounded time, exit 0, the verdict lines saying which network
the numeric check ran on, and nothing left behind.  (In-process tests of the sizes chosen are in
tests/test_conv_memory.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import GIB, bounded, files_in

LIMIT = str(2 * GIB)
#: A wide dense head after a large image (294 GiB to check at full size), and many channels with a 1.1 GiB kernel.
HUGE = {"3x512x512-conv3k3p1-maxpool2-100000-10": "2x64x64-conv2k3p1-maxpool2-128-10",
        "3900x16x16-conv3900k3p1-10": "16x16x16-conv16k3p1-10"}
#: A bound, not a benchmark: the check of the reduced network takes up to about a quarter of a minute
#: on an idle core (MAX_CHECK_OPERATIONS) and derive adds its proof; on a machine shared with other heavy
#: jobs the wall time was several times that.
SECONDS = 480


def _bounded(arguments: list[str], tmp_path: Path):
    return bounded(arguments, tmp_path, SECONDS, LIMIT)


def _coverage(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith(("layer-level:", "batched:"))]


@pytest.mark.parametrize("shorthand", HUGE)
def test_codegen_writes_the_module_and_says_what_was_checked(tmp_path: Path, shorthand: str) -> None:
    code, out, err, work = _bounded(["codegen", shorthand, "-o", "net.py"], tmp_path)
    assert code == 0 and err == "", err
    assert out.splitlines()[0] == "wrote net.py" and files_in(work) == ["net.py"]
    lines = _coverage(out)
    assert len(lines) == 2 and all(f"verified numerically (float64 at the reduced size {HUGE[shorthand]} " in line
                                   for line in lines)
    assert f"Network {shorthand}." in (work / "net.py").read_text()


def test_derive_checks_what_fits_and_says_so(tmp_path: Path) -> None:
    shorthand = next(iter(HUGE))
    code, out, err, _ = _bounded(["derive", shorthand, "--proof-budget", "5"], tmp_path)
    assert code == 0 and err == "", err
    lines = _coverage(out)
    assert len(lines) == 2 and all("since the full network needs 294 GiB and the memory budget is 256 MiB" in line
                                   for line in lines)


def test_derive_of_a_large_kernel_skips_the_per_weight_proof_it_cannot_hold_and_says_so(tmp_path: Path) -> None:
    """A 500×500 kernel: no network small enough to prove per weight keeps it, the check runs on the smallest image."""
    code, out, err, _ = _bounded(["derive", "1x1000x1000-conv1k500-10", "--proof-budget", "5"], tmp_path)
    assert code == 0 and err == "", err
    assert all("at the reduced size 1x501x501-conv1k500-10 " in line for line in _coverage(out))
    assert "The per-weight proof was not run on 1x501x501-conv1k500-2: " in out
