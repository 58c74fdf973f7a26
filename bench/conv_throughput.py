"""Throughput of full SGD steps of convolutional networks: the generated module against PyTorch CPU eager.

Driver: ``python -m bench.conv_throughput [--quick] [--networks NAME,...]``.  For each network
(the digits CNN at batch 32, a LeNet-sized network at batch 64) the module is generated with
``symbackprop codegen SPEC --dtype float32``, then each implementation is timed in its own
process, alternating generated, torch, generated, torch, … for ``--rounds`` rounds; the report
gives the median of the per-round throughput ratios and the samples/s, and a one-step check
(the same step from the same initial parameters must give the same loss and update).  Results go
to stdout and ``bench/results/conv_throughput.{md,json}``.

Worker: ``python -m bench.conv_throughput --worker generated|torch --network NAME --module PATH``
times one implementation and prints one JSON line prefixed with ``@@RESULT``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._common import (
    RESULTS,
    ROOT,
    THREAD_VARS,
    cli_command,
    machine_info,
    machine_lines,
    markdown_table,
    run_cli,
    tail,
    write_results,
)
from .throughput import MARKER, XLA_ONE_THREAD, fmt_rate, fmt_ratio

#: name → (spec shorthand and codegen options, batch size)
NETWORKS: dict[str, tuple[list[str], int]] = {
    "digits": (["1x8x8-conv16k3p1-maxpool2-10", "--activation", "relu", "--output-activation", "softmax"], 32),
    "lenet": (["1x28x28-conv6k5-maxpool2-conv16k5-maxpool2-120-84-10", "--activation", "relu",
               "--output-activation", "softmax"], 64),
}


# --------------------------------------------------------------------------- worker side


def _spec(name: str):
    from symbackprop import Spec

    text, *options = NETWORKS[name][0]
    keys = dict(zip(options[::2], options[1::2], strict=True))
    return Spec.parse(text, activation=keys["--activation"], output_activation=keys["--output-activation"])


def _runner(impl: str, name: str, module: Any, seed: int) -> Any:
    from .baselines import GeneratedRunner

    if impl == "generated":
        return GeneratedRunner(module, seed)
    from .baselines.torch_conv import make

    return make(_spec(name), module.init_params(seed), seed)


def _data(module: Any, batch: int, seed: int, count: int = 4) -> list[tuple[Any, Any]]:
    import numpy as np

    rng = np.random.default_rng(seed + 12345)
    eye = np.eye(module.SIZES[-1], dtype=np.float32)
    return [(rng.random((batch, module.SIZES[0]), dtype=np.float32), eye[rng.integers(0, module.SIZES[-1], batch)])
            for _ in range(count)]


def worker(args: argparse.Namespace) -> int:
    """Time one implementation in this process and print its result as one JSON line."""
    from .baselines import load_module

    result: dict[str, Any] = {"impl": args.worker}
    try:
        module = load_module(args.module)
        runner = _runner(args.worker, args.network, module, args.seed)
        batches = _data(module, NETWORKS[args.network][1], args.seed)
        if args.check:
            result["check"] = _check(runner, batches[0], Path(args.check), args.worker == "generated")
        result.update(_time(runner, batches, args))
    except ImportError as error:
        result["skipped"] = str(error)
    except Exception as error:  # noqa: BLE001 - reported to the driver, which carries on
        result["error"] = f"{type(error).__name__}: {error}"
    print(MARKER + json.dumps(result), flush=True)
    return 0


def _time(runner: Any, batches: list, args: argparse.Namespace) -> dict[str, Any]:
    data = [runner.prepare(X, Y) for X, Y in batches]
    start, n, estimate = time.perf_counter(), 0, float("inf")
    while n < 1 or time.perf_counter() - start < args.warmup:
        t0 = time.perf_counter()
        runner.sgd_step(*data[n % len(data)], args.lr)
        estimate, n = min(estimate, time.perf_counter() - t0), n + 1
    steps = max(1, round(args.seconds / args.chunks / estimate))
    times = []
    for _ in range(args.chunks):
        t0 = time.perf_counter()
        for i in range(steps):
            runner.sgd_step(*data[i % len(data)], args.lr)
        times.append((time.perf_counter() - t0) / steps)
    batch = len(batches[0][0])
    return {"step_s": times, "steps_per_chunk": steps, "samples_per_s": batch / min(times)}


def _check(runner: Any, batch: tuple, path: Path, write: bool, lr: float = 0.1) -> dict[str, Any]:
    """One step from the shared initial parameters; compare loss and update with the generated one."""
    import numpy as np

    before = runner.params()
    loss = float(runner.sgd_step(*runner.prepare(*batch), lr))
    update = {k: np.asarray(v, np.float64).reshape(before[k].shape) - before[k] for k, v in runner.params().items()}
    if write:
        np.savez(path, loss=loss, **{f"d_{k}": v for k, v in update.items()})
        return {"loss": loss}
    ref = np.load(path)
    rel = max(float(np.abs(ref[f"d_{k}"].reshape(v.shape) - v).max() / max(np.abs(v).max(), 1e-30))
              for k, v in update.items())
    loss_rel = abs(float(ref["loss"]) - loss) / max(abs(loss), 1e-30)
    return {"loss": loss, "loss_rel_err": loss_rel, "update_rel_err": rel, "ok": bool(loss_rel < 1e-4 and rel < 1e-3)}


# --------------------------------------------------------------------------- driver side


def run_worker(args: argparse.Namespace, impl: str, name: str, module: Path, check: Path | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.conv_throughput", "--worker", impl, "--network", name, "--module", str(module),
           "--seconds", str(args.seconds), "--chunks", str(args.chunks), "--warmup", str(args.warmup),
           "--lr", str(args.lr), "--seed", str(args.seed)]
    if check is not None:
        cmd += ["--check", str(check)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    for var in THREAD_VARS:
        env[var] = "1"
    env["XLA_FLAGS"] = XLA_ONE_THREAD
    prefix = ["taskset", "-c", str(min(os.sched_getaffinity(0)))] if _has_taskset() else []
    try:
        done = subprocess.run(prefix + cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=args.worker_timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"impl": impl, "error": f"worker timed out after {args.worker_timeout:g}s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    return {"impl": impl, "error": f"worker exit {done.returncode}: {tail(done.stderr)}"}


def _has_taskset() -> bool:
    return subprocess.run(["sh", "-c", "command -v taskset"], capture_output=True, check=False).returncode == 0


def measure(args: argparse.Namespace, name: str, module: Path, folder: Path) -> dict[str, Any]:
    """Rounds of (generated, torch) pairs for one network."""
    runs: dict[str, list] = {"generated": [], "torch": []}
    ratios: list[float] = []
    check = folder / f"check_{name}.npz"
    for rnd in range(args.rounds):
        gen = run_worker(args, "generated", name, module, check if rnd == 0 else None)
        ref = run_worker(args, "torch", name, module, check if rnd == 0 else None)
        runs["generated"].append(gen)
        runs["torch"].append(ref)
        if "samples_per_s" in gen and "samples_per_s" in ref:
            ratios.append(gen["samples_per_s"] / ref["samples_per_s"])
            print(f"  [{name} round {rnd + 1}] generated {gen['samples_per_s']:,.0f} | torch "
                  f"{ref['samples_per_s']:,.0f} samples/s", file=sys.stderr, flush=True)
        else:
            print(f"  [{name} round {rnd + 1}] {gen.get('error') or ref.get('error') or ref.get('skipped')}",
                  file=sys.stderr, flush=True)
    return {"network": name, "batch": NETWORKS[name][1], "spec": NETWORKS[name][0][0], "runs": runs,
            "ratios": ratios}


def _median(cell: dict[str, Any], impl: str) -> float | None:
    values = [run["samples_per_s"] for run in cell["runs"][impl] if "samples_per_s" in run]
    return statistics.median(values) if values else None


def _check_text(cell: dict[str, Any]) -> str:
    found = next((run["check"] for run in cell["runs"]["torch"] if "ok" in run.get("check", {})), None)
    if found is None:
        return "n/a"
    return "ok" if found["ok"] else f"MISMATCH loss {found['loss_rel_err']:.1e} update {found['update_rel_err']:.1e}"


def report(args: argparse.Namespace, cells: list[dict[str, Any]], info: dict[str, Any], elapsed: float) -> str:
    rows = [[cell["spec"], str(cell["batch"]), fmt_rate(_median(cell, "generated")), fmt_rate(_median(cell, "torch")),
             fmt_ratio(cell["ratios"]), _check_text(cell)] for cell in cells]
    return "\n".join([
        "# Throughput of full SGD steps, convolutional networks (numpy backend)", "",
        f"{args.rounds} round(s) of (generated, torch) pairs, each in its own process pinned to one core with one "
        f"BLAS/OpenMP thread, {args.seconds:g} s timed per process (best of {args.chunks} chunks), warm-up "
        f"{args.warmup:g} s, lr {args.lr:g}, float32, random inputs with one-hot targets; total {elapsed:.0f} s.", "",
        markdown_table(["network", "batch", "generated samples/s", "torch samples/s", "vs torch", "one-step check"],
                       rows), "",
        "- vs torch: generated ÷ PyTorch eager samples/s, median of the per-round pairs (range in parentheses).",
        "- one-step check: one SGD step from the generated module's initial parameters; loss and update must "
        "agree (rel. 1e-4 / 1e-3).", "", "Machine:", "", *machine_lines(info)])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.conv_throughput", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one round, short timings (smoke test)")
    p.add_argument("--networks", default=",".join(NETWORKS), help=f"comma-separated subset of {', '.join(NETWORKS)}")
    p.add_argument("--cli", help="command that runs symbackprop (default: auto)")
    p.add_argument("--rounds", type=int)
    p.add_argument("--seconds", type=float)
    p.add_argument("--chunks", type=int, default=3)
    p.add_argument("--warmup", type=float)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--worker-timeout", type=float, default=180.0)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--network", help=argparse.SUPPRESS)
    p.add_argument("--module", help=argparse.SUPPRESS)
    p.add_argument("--check", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.seconds = args.seconds or (0.3 if args.quick else 1.5)
    args.warmup = args.warmup if args.warmup is not None else (0.1 if args.quick else 0.3)
    if args.worker:
        return worker(args)
    started, info = time.perf_counter(), machine_info()
    cli = cli_command(args.cli)
    if cli is None:
        print("conv_throughput: the symbackprop CLI was not found", file=sys.stderr)
        return 1
    cells = []
    with tempfile.TemporaryDirectory(prefix="symbackprop-bench-conv-") as tmp:
        for name in [n.strip() for n in args.networks.split(",") if n.strip()]:
            path = Path(tmp) / f"gen_{name}.py"
            done = run_cli(cli, ["codegen", *NETWORKS[name][0], "--dtype", "float32", "-o", str(path)], timeout=300)
            if done.returncode != 0:
                print(f"conv_throughput: codegen of {name} failed: {tail(done.stderr)}", file=sys.stderr)
                return 1
            cells.append(measure(args, name, path, Path(tmp)))
    info["load_average_end"] = machine_info()["load_average"]
    text = report(args, cells, info, time.perf_counter() - started)
    print(text)
    if not args.no_write:
        write_results(args.results, "conv_throughput", text, {"cells": cells, "machine": info})
    return 0 if all(cell["ratios"] for cell in cells) else 1


if __name__ == "__main__":
    sys.exit(main())
