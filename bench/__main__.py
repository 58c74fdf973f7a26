"""``python -m bench``: run the throughput, JAX training, derivation-scaling and cold-start benchmarks.

Options: ``--quick`` (smoke test, about a minute), ``--only NAME[,NAME]``, ``--cli CMD``,
``--module PATH`` (throughput only), ``--results DIR``. Each benchmark prints its Markdown report
and writes ``bench/results/<name>.{md,json}`` (plus ``derivation_scaling.png``).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from . import cold_start, derivation_scaling, jax_train, throughput
from ._common import RESULTS

BENCHMARKS = {"throughput": throughput.main,
              "throughput_jax": lambda argv: throughput.main([*argv, "--backend", "jax"]),
              "jax_train": jax_train.main, "derivation_scaling": derivation_scaling.main, "cold_start": cold_start.main}


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks in turn; a failing one does not stop the others."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke test: fewer rounds, specs and runs")
    p.add_argument("--only", help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    p.add_argument("--cli", help="command that runs symbackprop (default: auto)")
    p.add_argument("--module", help="throughput: generated module (template) instead of codegen")
    p.add_argument("--results", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    chosen = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHMARKS)
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(unknown)}")
    common = ["--results", str(args.results)] + (["--quick"] if args.quick else [])
    if args.cli:
        common += ["--cli", args.cli]
    failed = []
    for name in chosen:
        extra = ["--module", args.module] if args.module and name == "throughput" else []
        print(f"\n=== {name} ===\n", flush=True)
        start = time.perf_counter()
        try:
            code = BENCHMARKS[name]([*common, *extra])
        except Exception:  # noqa: BLE001 - report and go on with the next benchmark
            traceback.print_exc()
            code = 1
        print(f"\n({name}: {time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
        if code:
            failed.append(name)
    print(f"\nresults in {args.results}" + (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
