"""Cold start: wall time of a whole ``symbackprop codegen`` process for a typical spec.

``python -m bench.cold_start [--quick] [--runs N] [--no-importtime]``. Times N processes of
``symbackprop codegen 784-100-10 --activation sigmoid --output-activation softmax --cost
cross_entropy -o FILE`` (median, min, max), next to reference processes (bare Python, ``import
numpy``, ``import sympy``, ``symbackprop --help``), and breaks one run down by top-level package
with ``PYTHONPROFILEIMPORTTIME=1`` (the ``-X importtime`` data). Writes
``bench/results/cold_start.{md,json}``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ._common import (
    RESULTS,
    ROOT,
    cli_command,
    machine_info,
    machine_lines,
    markdown_table,
    tail,
    write_results,
)

SPEC = "784-100-10"
SPEC_ARGS = "--activation sigmoid --output-activation softmax --cost cross_entropy"


def time_process(argv: list[str], runs: int, max_seconds: float = 60.0) -> dict[str, Any]:
    """Wall times of ``runs`` runs of ``argv`` (at least 2, then until ``max_seconds``); stops at a failure."""
    times: list[float] = []
    while len(times) < runs and (len(times) < 2 or sum(times) < max_seconds):
        start = time.perf_counter()
        try:
            done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return {"error": str(error)}
        if done.returncode != 0:
            return {"error": tail(done.stderr or done.stdout) or f"exit {done.returncode}"}
        times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "times": times}


def import_breakdown(argv: list[str], top: int) -> dict[str, Any]:
    """Self import time per top-level package for one run of ``argv`` (PYTHONPROFILEIMPORTTIME)."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    try:
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return {"error": str(error)}
    per_package: dict[str, float] = defaultdict(float)
    total = 0.0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        fields = line[len("import time:"):].split("|")
        if len(fields) != 3:
            continue
        self_us = float(fields[0])
        name = fields[2].strip().split(".")[0]
        per_package[name] += self_us / 1e6
        total += self_us / 1e6
    if not per_package:
        return {"error": tail(done.stderr) or "no import-time data"}
    ranked = sorted(per_package.items(), key=lambda item: -item[1])
    return {"total_import_s": total, "top": ranked[:top], "others_s": sum(s for _, s in ranked[top:])}


def main(argv: list[str] | None = None) -> int:
    """Time the cold codegen process and print/write the report."""
    p = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="2 runs each, no import breakdown (smoke test)")
    p.add_argument("--runs", type=int, help="runs per process (default 10, --quick 2)")
    p.add_argument("--max-seconds", type=float, default=60.0, help="stop repeating a process after this")
    p.add_argument("--spec", default=SPEC)
    p.add_argument("--spec-args", default=SPEC_ARGS)
    p.add_argument("--cli", help="command that runs symbackprop (default: auto)")
    p.add_argument("--no-importtime", action="store_true", help="skip the import-time breakdown")
    p.add_argument("--top", type=int, default=12, help="packages listed in the breakdown")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    runs = args.runs or (2 if args.quick else 10)
    args.no_importtime = args.no_importtime or args.quick
    cli = cli_command(args.cli)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="symbackprop-cold-") as tmp:
        out = str(Path(tmp) / "module.py")
        codegen = None if cli is None else [*cli, "codegen", args.spec, *shlex.split(args.spec_args), "-o", out]
        py = sys.executable
        cases: list[tuple[str, list[str] | None]] = [
            ("python -c pass", [py, "-c", "pass"]),
            ("python -c 'import numpy'", [py, "-c", "import numpy"]),
            ("python -c 'import sympy'", [py, "-c", "import sympy"]),
            ("symbackprop --help", None if cli is None else [*cli, "--help"]),
            (f"symbackprop codegen {args.spec}", codegen),
        ]
        measured: dict[str, Any] = {}
        for label, cmd in cases:
            if cmd is None:
                measured[label] = {"error": "symbackprop CLI not found"}
            else:
                measured[label] = time_process(cmd, runs, args.max_seconds)
            shown = measured[label].get("error") or f"{measured[label]['median']:.3f}s"
            print(f"  {label:40} {shown}", file=sys.stderr, flush=True)
        breakdown = None
        if codegen is not None and not args.no_importtime and "error" not in measured[cases[-1][0]]:
            breakdown = import_breakdown(codegen, args.top)
    rows = [[f"`{label}`", *(("n/a",) * 4 if "error" in m else
                             (f"{m['median']:.3f}", f"{m['min']:.3f}", f"{m['max']:.3f}", str(len(m["times"]))))]
            for label, m in measured.items()]
    info = machine_info()
    lines = ["# Cold start", "",
             (f"Wall time of whole processes, up to {runs} runs each (repeats stop after "
              f"{args.max_seconds:g} s), run from the repository root; total "
              f"{time.perf_counter() - started:.0f} s."), "",
             markdown_table(["process", "median s", "min s", "max s", "runs"], rows), ""]
    failures = [f"- `{label}`: {m['error']}" for label, m in measured.items() if "error" in m]
    if failures:
        lines += ["n/a reasons:", "", *failures, ""]
    if breakdown and "error" not in breakdown:
        lines += [(f"Import time of one codegen run by top-level package (self time, "
                   f"total {breakdown['total_import_s']:.3f} s):"), "",
                  markdown_table(["package", "s"], [[name, f"{s:.3f}"] for name, s in breakdown["top"]]
                                 + [["(others)", f"{breakdown['others_s']:.3f}"]]), ""]
    elif breakdown:
        lines += [f"Import-time breakdown: n/a ({breakdown['error']})", ""]
    lines += ["Machine:", "", *machine_lines(info)]
    markdown = "\n".join(lines)
    print(markdown)
    if not args.no_write:
        write_results(args.results, "cold_start", markdown,
                      {"settings": vars(args), "machine": info, "processes": measured, "imports": breakdown})
    return 0


if __name__ == "__main__":
    sys.exit(main())
