"""Whole epochs of training with JAX: the generated module's ``train()`` against a JAX user's loop.

Driver: ``python -m bench.jax_train [--quick] [--shapes 784-30-10/10,...]``. The reference is what a
JAX user writes around ``jax.jit`` of an SGD step through ``jax.grad`` (bench/baselines/jax_step.py):
shuffle, then one jitted step per batch of the host arrays, and at the end of the epoch the mean
loss and the training accuracy, as ``train()`` reports them. Both sides start from the module's
``init_params``, see the same data and take the same steps; each runs in its own process, pinned to
one core, in pairs for several rounds; the first epoch (compilation) is reported apart from the
steady state. Results: stdout and ``bench/results/jax_train.{md,json}``.

Worker: ``python -m bench.jax_train --worker {generated,jax} --sizes S --batch B --hidden H
--module PATH`` prints one JSON line prefixed with ``@@RESULT``.
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
from .throughput import XLA_ONE_THREAD

SHAPES = ("784-30-10/10", "784-256-10/128", "784-512-512-10/256")
MARKER = "@@RESULT "


def _data(sizes: list[int], samples: int, seed: int) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.random((samples, sizes[0]), dtype=np.float32)
    return X, np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], samples)]


def _reference_epochs(module: Any, hidden: str, sizes: list[int], X: Any, Y: Any, args: argparse.Namespace):
    """A JAX user's training loop; yields once after each epoch."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from .baselines.jax_step import JaxRunner

    runner = JaxRunner(tuple(sizes), hidden, {k: np.asarray(v) for k, v in module.init_params(args.seed).items()})
    layers, activation = len(sizes) - 1, jax.nn.sigmoid if hidden == "sigmoid" else jax.nn.relu

    @jax.jit
    def accuracy(params, X, labels):
        a = X
        for layer in range(1, layers):
            a = activation(a @ params[f"W{layer}"].T + params[f"b{layer}"])
        return (jnp.argmax(a @ params[f"W{layers}"].T + params[f"b{layers}"], axis=1) == labels).mean()

    rng, labels, n = np.random.default_rng(args.seed), Y.argmax(axis=1), X.shape[0]
    while True:
        order, losses = rng.permutation(n), []
        for start in range(0, n, args.batch):
            index = order[start:start + args.batch]
            losses.append(runner.sgd_step(X[index], Y[index], args.lr))
        sizes_ = np.minimum(args.batch, n - np.arange(0, n, args.batch))
        yield {"loss": float(np.asarray(jnp.stack(losses)) @ sizes_) / n,
               "accuracy": float(accuracy(runner.state, X, labels))}


def _generated_epochs(module: Any, X: Any, Y: Any, args: argparse.Namespace):
    params = module.init_params(args.seed)
    epoch = 0
    while True:
        epoch += 1
        record = module.train(params, X, Y, 1, args.batch, args.lr, seed=args.seed + epoch - 1,
                              verbose=False)[0]
        yield {"loss": record["loss"], "accuracy": record["accuracy"]}


def worker(args: argparse.Namespace) -> int:
    """Time args.epochs epochs of one side; the first apart (it compiles)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from .baselines import load_module

    sizes = [int(part) for part in args.sizes.split("-")]
    module = load_module(args.module)
    X, Y = _data(sizes, args.samples, args.seed)
    epochs = (_generated_epochs(module, X, Y, args) if args.worker == "generated"
              else _reference_epochs(module, args.hidden, sizes, X, Y, args))
    times, records = [], []
    for _ in range(args.epochs):
        start = time.perf_counter()
        records.append(next(epochs))
        times.append(time.perf_counter() - start)
    steady = statistics.median(times[1:])
    print(MARKER + json.dumps({"first_epoch_s": times[0], "epoch_s": times[1:], "samples_per_s": args.samples / steady,
                               "records": records}), flush=True)
    return 0


def _run(args: argparse.Namespace, side: str, spec: str, batch: int, hidden: str, module: Path) -> dict[str, Any]:
    env = {**os.environ, **{var: "1" for var in THREAD_VARS}, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {XLA_ONE_THREAD}".strip(),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "bench.jax_train", "--worker", side, "--sizes", spec, "--batch", str(batch),
           "--hidden", hidden, "--module", str(module), "--samples", str(args.samples), "--epochs", str(args.epochs),
           "--lr", str(args.lr), "--seed", str(args.seed)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    return {"error": f"worker exit {done.returncode}: {tail(done.stderr)}"}


def _measure(args: argparse.Namespace, spec: str, batch: int, hidden: str, folder: Path) -> list[str]:
    module = folder / f"gen_{spec}_{hidden}.py"
    made = run_cli(cli_command(args.cli), ["codegen", spec, "--activation", hidden, "--output-activation", "softmax",
                                       "--cost", "cross_entropy", "--dtype", "float32", "--backend", "jax",
                                       "-o", str(module)], timeout=600)
    if made.returncode != 0:
        return [spec, str(batch), hidden, "codegen failed: " + tail(made.stderr), "", "", "", ""]
    runs: dict[str, list[dict[str, Any]]] = {"generated": [], "jax": []}
    for round_ in range(args.rounds):
        for side in ("generated", "jax") if round_ % 2 == 0 else ("jax", "generated"):
            runs[side].append(_run(args, side, spec, batch, hidden, module))
            if "error" in runs[side][-1]:
                return [spec, str(batch), hidden, runs[side][-1]["error"], "", "", "", ""]
        print(f"  [{spec}/{batch} {hidden} round {round_ + 1}] train() {runs['generated'][-1]['samples_per_s']:,.0f}"
              f" | jax loop {runs['jax'][-1]['samples_per_s']:,.0f} samples/s", flush=True)
    ratios = [g["samples_per_s"] / r["samples_per_s"] for g, r in zip(runs["generated"], runs["jax"], strict=True)]
    rate = {side: statistics.median(run["samples_per_s"] for run in found) for side, found in runs.items()}
    first = {side: statistics.median(run["first_epoch_s"] for run in found) for side, found in runs.items()}
    same = runs["generated"][0]["records"][0]["loss"] / runs["jax"][0]["records"][0]["loss"]
    return [spec, str(batch), hidden, f"{rate['generated']:,.0f}", f"{rate['jax']:,.0f}",
            f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})",
            f"{first['generated']:.2f} s / {first['jax']:.2f} s", f"{same:.6f}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one shape, two rounds, a smaller data set")
    parser.add_argument("--shapes", help="comma-separated SIZES/BATCH")
    parser.add_argument("--hidden", default="sigmoid,relu")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per process; the first is reported apart")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", choices=("generated", "jax"))
    parser.add_argument("--sizes")
    parser.add_argument("--batch", type=int)
    parser.add_argument("--module")
    parser.add_argument("--cli", help="command that runs symbackprop (default: auto)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.quick:
        args.rounds, args.samples, args.epochs = 2, 4000, 3
    shapes = args.shapes.split(",") if args.shapes else SHAPES[:1] if args.quick else SHAPES
    rows = []
    with tempfile.TemporaryDirectory(prefix="symbackprop-bench-") as folder:
        for shape in shapes:
            spec, batch = shape.split("/")
            for hidden in args.hidden.split(","):
                rows.append(_measure(args, spec, int(batch), hidden, Path(folder)))
    table = markdown_table(["shape", "batch", "hidden", "train() samples/s", "jax loop samples/s", "train() vs loop",
                            "first epoch (train / loop)", "epoch-1 loss ratio"], rows)
    text = "\n".join([
        "# Training epochs with JAX: the generated module's train() against a JAX user's loop", "",
        f"{args.rounds} round(s), {args.samples} samples, {args.epochs} epochs per process (the first, with "
        "compilation, apart; the rate is the median of the others), one thread, each process pinned to one core, "
        "float32, softmax + cross-entropy output, random inputs with one-hot targets.", "", table, "",
        "- train() vs loop: median of the per-round ratios (range); > 1 means train() is faster.",
        "- epoch-1 loss ratio: the first epoch's mean loss, train() over the loop (same start, same steps: 1).",
        "", "Machine:", "", *machine_lines(machine_info())])
    print(text)
    if not args.no_write:
        write_results(args.results, "jax_train", text, {"rows": rows, "args": vars(args)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
