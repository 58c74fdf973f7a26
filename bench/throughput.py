"""Throughput of full SGD steps: the generated module against torch, JAX (jax.jit through jax.grad),
a per-sample loop and the matmul-only floor.

Driver: ``python -m bench.throughput [--quick] [--shapes 784-256-10/128,...] [--backend cupy|jax]``.
For every shape and hidden activation the module is generated with ``symbackprop codegen``
(or taken from ``--module``), then each implementation is timed in its own process, in pairs
G X G X ... (generated, baseline) for several rounds; the report gives the median of the
per-round throughput ratios and the absolute samples/s. Results go to stdout and to
``bench/results/throughput{,_cupy}.{md,json}``.

Worker: ``python -m bench.throughput --worker IMPL --sizes 784-256-10 --batch 128 --hidden
sigmoid [--module PATH] ...`` times one implementation and prints one JSON line prefixed
with ``@@RESULT``.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import re
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
    load_average,
    machine_info,
    machine_lines,
    markdown_table,
    run_cli,
    tail,
    write_results,
)

CPU_SHAPES = ("784-30-10/10", "784-256-10/128", "784-512-512-10/256")
GPU_EXTRA = ("784-1024-1024-10/1024", "784-4096-4096-10/4096")
MARKER = "@@RESULT "
BASELINES = {"numpy": ("torch", "jax", "loop", "floor"), "cupy": ("torch", "floor"), "jax": ("jax",)}
#: XLA's CPU thread pools, for workers limited to one thread (as OMP/OPENBLAS/MKL are); XLA's newer
#: CPU runtime ignores these, so such workers are also pinned to one core (see worker()).
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


# --------------------------------------------------------------------------- worker side


def worker(args: argparse.Namespace) -> int:
    """Time one implementation in this process and print its result as one JSON line."""
    result: dict[str, Any] = {"impl": args.worker}
    if args.threads == 1 and hasattr(os, "sched_setaffinity"):
        # one core: XLA sizes its thread pools by the CPUs it may use and has no flag for one thread
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    try:
        result.update(_measure(args))
    except ImportError as error:
        result["skipped"] = str(error)
    except Exception as error:  # noqa: BLE001 - reported to the driver, which carries on
        result["error"] = f"{type(error).__name__}: {error}"
    print(MARKER + json.dumps(result), flush=True)
    return 0


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    """Build the runner, check it against the generated module, warm up, time."""
    from .baselines import load_module, make_data, make_runner

    sizes = parse_sizes(args.sizes)
    module = load_module(args.module) if args.module else None
    runner = make_runner(args.worker, sizes, args.hidden, args.seed, module=module, backend=args.backend)
    batches = make_data(sizes, args.batch, args.seed)
    out: dict[str, Any] = {"info": _worker_info(args.worker, args.backend)}
    data = [runner.prepare(X, Y) for X, Y in batches]
    step = runner.sgd_step
    if args.check and args.worker != "floor":  # the check's step is the first one
        out["check"] = _check(runner, batches[0], Path(args.check), args.worker == "generated")
        out["first_step_s"] = out["check"].pop("first_step_s")
    else:
        out["first_step_s"] = _timed_step(runner, data[0], args.lr)
    if args.backend == "jax" and hasattr(runner, "compiled_step"):
        out["xla"] = _xla_cost(runner.compiled_step(*data[0], args.lr))
    start = time.perf_counter()
    n, estimate = 0, float("inf")
    while n < 1 or time.perf_counter() - start < args.warmup:
        runner.sync()
        t0 = time.perf_counter()
        step(*data[n % len(data)], args.lr)
        runner.sync()
        estimate = min(estimate, time.perf_counter() - t0)
        n += 1
    steps = max(1, round(args.seconds / args.chunks / estimate))
    times = []
    for _ in range(args.chunks):
        runner.sync()
        t0 = time.perf_counter()
        for i in range(steps):
            loss = step(*data[i % len(data)], args.lr)
        runner.sync()
        times.append((time.perf_counter() - t0) / steps)
    final = None if loss is None else float(loss)
    out.update(step_s=times, steps_per_chunk=steps, best_step_s=min(times),
               samples_per_s=args.batch / min(times), median_samples_per_s=args.batch / statistics.median(times),
               final_loss=final, finite=final is None or math.isfinite(final))
    return out


def _xla_cost(compiled: Any) -> dict[str, float]:
    """XLA's own count of the compiled step's work: floating-point operations and bytes accessed.

    Unlike a timing it does not depend on the machine's load, so it says whether the two
    programs do the same work.
    """
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    return {"flops": float(cost.get("flops", math.nan)), "bytes": float(cost.get("bytes accessed", math.nan))}


def _timed_step(runner: Any, batch: tuple[Any, Any], lr: float) -> float:
    """Seconds of one step, device work included (for the first: compilation, allocation)."""
    runner.sync()
    t0 = time.perf_counter()
    runner.sgd_step(*batch, lr)
    runner.sync()
    return time.perf_counter() - t0


def _check(runner: Any, batch: tuple[Any, Any], path: Path, write: bool, lr: float = 0.1) -> dict[str, Any]:
    """One step from the shared initial parameters (timed); compare loss and update with the generated one."""
    import numpy as np

    before = runner.params()
    prepared = runner.prepare(*batch)
    runner.sync()
    t0 = time.perf_counter()
    loss = runner.sgd_step(*prepared, lr)
    runner.sync()
    first = time.perf_counter() - t0
    loss = float("nan") if loss is None else float(loss)
    after = runner.params()
    update = {k: after[k].astype(np.float64) - before[k] for k in after}
    if write:
        np.savez(path, loss=loss, **{f"d_{k}": v for k, v in update.items()})
        return {"loss": loss, "first_step_s": first}
    if not path.exists():
        return {"loss": loss, "note": "no generated result to compare with", "first_step_s": first}
    ref = np.load(path)
    ref_loss = float(ref["loss"])
    rel = max(float(np.abs(ref[f"d_{k}"] - update[k]).max() / max(np.abs(update[k]).max(), 1e-30))
              for k in update)
    loss_rel = abs(ref_loss - loss) / max(abs(loss), 1e-30)
    return {"loss": loss, "generated_loss": ref_loss, "loss_rel_err": loss_rel, "update_rel_err": rel,
            "ok": bool(loss_rel < 1e-4 and rel < 1e-3), "first_step_s": first}


def _worker_info(impl: str, backend: str) -> dict[str, Any]:
    """Library facts only this worker knows (torch threads, GPU name)."""
    from ._common import blas_info

    info: dict[str, Any] = {"blas": blas_info()}
    if impl == "torch":
        from .baselines.torch_step import describe

        info.update(describe())
    if impl == "jax" or backend == "jax":
        from .baselines.jax_step import describe

        info.update(describe())
    if backend == "cupy":
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        info["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return info


# --------------------------------------------------------------------------- driver side


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"784-256-10"`` -> (784, 256, 10)."""
    return tuple(int(part) for part in text.split("-"))


def parse_shape(text: str) -> tuple[str, int]:
    """``"784-256-10/128"`` (or ``:128``) -> ("784-256-10", 128)."""
    spec, _, batch = text.replace(":", "/").partition("/")
    parse_sizes(spec)
    return spec, int(batch or 128)


def module_sizes(path: Path) -> tuple[int, ...] | None:
    """The ``SIZES`` literal of a module file, read without importing it."""
    found = re.search(r"^SIZES\s*(?::[^=]*)?=\s*(.+)$", path.read_text(), re.MULTILINE)
    try:
        return tuple(ast.literal_eval(found.group(1))) if found else None
    except (ValueError, SyntaxError):
        return None


def module_hidden(path: Path) -> str | None:
    """A ``HIDDEN``/``ACTIVATION`` string constant of a module file, if it has one."""
    found = re.search(r"^(?:HIDDEN|ACTIVATION)\s*(?::[^=]*)?=\s*['\"](\w+)['\"]", path.read_text(), re.MULTILINE)
    return found.group(1) if found else None


def obtain_module(args: argparse.Namespace, cli: list[str] | None, spec: str, hidden: str,
                  folder: Path) -> tuple[Path | None, str]:
    """The generated module for one configuration, and how it was obtained (or why not)."""
    if args.module:
        path = Path(args.module.format(sizes=spec, hidden=hidden, backend=args.backend)).resolve()
        if not path.exists():
            return None, f"n/a: {path} does not exist"
        sizes = module_sizes(path)
        if sizes is not None and sizes != parse_sizes(spec):
            return None, f"n/a: {path} is for {'-'.join(map(str, sizes))}"
        declared = module_hidden(path)
        if declared is not None and declared != hidden:
            return None, f"n/a: {path} uses {declared}"
        return path, f"--module {path}"
    if cli is None:
        return None, "n/a: symbackprop CLI not found (pass --module PATH)"
    path = folder / f"gen_{spec}_{hidden}_{args.backend}.py"
    cmd = ["codegen", spec, "--activation", hidden, "--output-activation", "softmax",
           "--cost", "cross_entropy", "--dtype", "float32"]
    if args.backend != "numpy":
        cmd += ["--backend", args.backend]
    try:
        t0 = time.perf_counter()
        done = run_cli(cli, [*cmd, "-o", str(path)], timeout=args.codegen_timeout)
        seconds = time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        return None, f"n/a: codegen timed out after {args.codegen_timeout:g}s"
    if done.returncode != 0 or not path.exists():
        return None, f"n/a: codegen failed ({tail(done.stderr or done.stdout) or f'exit {done.returncode}'})"
    return path, f"codegen {seconds:.2f}s"


def run_worker(args: argparse.Namespace, impl: str, spec: str, batch: int, hidden: str,
               module: Path | None, check: Path | None) -> dict[str, Any]:
    """Time ``impl`` in a fresh process and return its result."""
    cmd = [sys.executable, "-m", "bench.throughput", "--worker", impl, "--sizes", spec,
           "--batch", str(batch), "--hidden", hidden, "--backend", args.backend,
           "--seconds", str(args.seconds), "--chunks", str(args.chunks), "--warmup", str(args.warmup),
           "--lr", str(args.lr), "--seed", str(args.seed), "--threads", str(args.threads)]
    if module is not None:
        cmd += ["--module", str(module)]
    if check is not None:
        cmd += ["--check", str(check)]
    env = dict(os.environ)
    if args.threads > 0:
        for var in THREAD_VARS:
            env[var] = str(args.threads)
        if args.threads == 1:
            env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {XLA_ONE_THREAD}".strip()
    if args.backend != "cupy":
        env.setdefault("JAX_PLATFORMS", "cpu")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=args.worker_timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"impl": impl, "error": f"worker timed out after {args.worker_timeout:g}s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    return {"impl": impl, "error": f"worker exit {done.returncode}: {tail(done.stderr)}"}


def measure_config(args: argparse.Namespace, spec: str, batch: int, hidden: str, module: Path | None,
                   folder: Path, dead: dict[str, str]) -> dict[str, Any]:
    """All rounds for one configuration: pairs (generated, baseline) for each baseline."""
    runs: dict[str, list[dict[str, Any]]] = {impl: [] for impl in ("generated", *args.impls)}
    ratios: dict[str, list[float]] = {impl: [] for impl in args.impls}
    notes: dict[str, str] = {}
    check = folder / f"check_{spec}_{hidden}.npz"
    check.unlink(missing_ok=True)
    for rnd in range(args.rounds):
        for impl in args.impls:
            if impl in dead or impl in notes:
                continue
            first = rnd == 0
            gen = None
            if module is not None and "generated" not in notes:
                gen = run_worker(args, "generated", spec, batch, hidden, module, check if first else None)
                runs["generated"].append(gen)
                if "samples_per_s" not in gen:
                    notes["generated"] = gen.get("error") or gen.get("skipped", "failed")
                    gen = None
            res = run_worker(args, impl, spec, batch, hidden, module,
                             check if first and module is not None else None)
            runs[impl].append(res)
            if "skipped" in res:
                dead[impl] = res["skipped"]
                continue
            if "samples_per_s" not in res:
                notes[impl] = res.get("error", "failed")
                continue
            if gen is not None:
                ratios[impl].append(gen["samples_per_s"] / res["samples_per_s"])
            _progress(spec, hidden, rnd, impl, gen, res)
    return {"shape": spec, "batch": batch, "hidden": hidden, "runs": runs, "ratios": ratios, "notes": notes}


def _progress(spec: str, hidden: str, rnd: int, impl: str, gen: dict[str, Any] | None, res: dict[str, Any]) -> None:
    """One progress line on stderr."""
    g = f"generated {gen['samples_per_s']:,.0f}" if gen else "generated n/a"
    print(f"  [{spec} {hidden} round {rnd + 1}] {g} | {impl} {res['samples_per_s']:,.0f} samples/s",
          file=sys.stderr, flush=True)


def summarise(cell: dict[str, Any], impl: str) -> float | None:
    """Median samples/s over the rounds of one implementation."""
    values = [r["samples_per_s"] for r in cell["runs"].get(impl, []) if "samples_per_s" in r]
    return statistics.median(values) if values else None


def fmt_rate(value: float | None) -> str:
    """Samples/s with thousands separators."""
    return "n/a" if value is None else f"{value:,.0f}"


def fmt_ratio(values: list[float]) -> str:
    """Median ratio with its range."""
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.2f}×"
    return f"{med:.2f}× ({min(values):.2f}–{max(values):.2f})"


def first_steps(args: argparse.Namespace, cells: list[dict[str, Any]]) -> str:
    """Median time of the first step per implementation: compilation for JAX, allocation for NumPy."""
    impls = [impl for impl in ("generated", *args.impls) if impl != "floor"]
    rows = []
    for cell in cells:
        row = [cell["shape"], str(cell["batch"]), cell["hidden"]]
        for impl in impls:
            times = [r["first_step_s"] for r in cell["runs"].get(impl, []) if "first_step_s" in r]
            row.append(f"{1e3 * statistics.median(times):,.1f}" if times else "n/a")
        rows.append(row)
    return markdown_table(["shape", "batch", "hidden", *(f"{impl} first step ms" for impl in impls)], rows)


def xla_costs(cells: list[dict[str, Any]]) -> str:
    """XLA's cost analysis of the compiled steps, generated module beside the jax.grad reference."""
    rows = []
    for cell in cells:
        found = {impl: next((r["xla"] for r in cell["runs"].get(impl, []) if "xla" in r), None)
                 for impl in ("generated", "jax")}
        if None in found.values():
            continue
        mine, theirs = found["generated"], found["jax"]
        rows.append([cell["shape"], str(cell["batch"]), cell["hidden"],
                     f"{mine['flops']:,.0f}", f"{theirs['flops']:,.0f}", f"{mine['flops'] / theirs['flops']:.3f}",
                     f"{mine['bytes']:,.0f}", f"{theirs['bytes']:,.0f}", f"{mine['bytes'] / theirs['bytes']:.3f}"])
    if not rows:
        return ""
    return markdown_table(["shape", "batch", "hidden", "generated flops", "jax flops", "ratio",
                           "generated bytes", "jax bytes", "ratio"], rows)


def check_cell(cell: dict[str, Any]) -> str:
    """Agreement of one step with the loop, torch and JAX baselines."""
    parts = []
    for impl in ("loop", "torch", "jax"):
        for run in cell["runs"].get(impl, []):
            found = run.get("check") or {}
            if "ok" in found:
                mark = "ok" if found["ok"] else (f"MISMATCH loss {found['loss_rel_err']:.1e} "
                                                 f"upd {found['update_rel_err']:.1e}")
                parts.append(f"{impl} {mark}")
    return ", ".join(parts) or "n/a"


def report(args: argparse.Namespace, cells: list[dict[str, Any]], info: dict[str, Any],
           dead: dict[str, str], sources: dict[str, str], elapsed: float) -> str:
    """The Markdown report."""
    header = ["shape", "batch", "hidden", "generated samples/s"]
    for impl in args.impls:
        header += [f"{impl} samples/s", "of floor" if impl == "floor" else f"vs {impl}"]
    header.append("one-step check")
    rows = []
    for cell in cells:
        row = [cell["shape"], str(cell["batch"]), cell["hidden"], fmt_rate(summarise(cell, "generated"))]
        for impl in args.impls:
            row += [fmt_rate(summarise(cell, impl)), fmt_ratio(cell["ratios"][impl])]
        rows.append(row + [check_cell(cell)])
    lines = [f"# Throughput of full SGD steps ({args.backend} backend)", "",
             (f"{args.rounds} round(s) per pair, {args.seconds:g} s timed per process "
              f"(best of {args.chunks} chunks), warm-up {args.warmup:g} s, lr {args.lr:g}, "
              f"{args.threads or 'default'} BLAS/OpenMP thread(s) per worker"
              f"{' (each pinned to one core)' if args.threads == 1 else ''}, "
              f"float32, softmax + cross-entropy output, random inputs with one-hot targets; "
              f"total {elapsed:.0f} s."), "", markdown_table(header, rows), "",
             "- samples/s: median over rounds of each process's best chunk (batch ÷ step time).",
             ("- vs X: generated samples/s ÷ X samples/s, median of the per-round pairs (range in "
              "parentheses); > 1 means the generated module is faster."),
             ("- of floor: generated samples/s ÷ floor samples/s = floor step time ÷ generated step "
              "time (≤ 1; 1 would mean the step costs no more than its matrix multiplications)."),
             ("- one-step check: one SGD step from the same initial parameters; loss and parameter "
              "update compared with the generated module (rel. tol. 1e-4 / 1e-3)."), "",
             "First step of each process (not in the rates above: for JAX it includes compilation, for the "
             "generated NumPy module the allocation of its buffers), median over the processes:", "",
             first_steps(args, cells), "",
             *([("XLA's cost analysis of each compiled step (floating-point operations and bytes accessed, "
                 "independent of the machine's load):"), "", costs, ""] if (costs := xla_costs(cells)) else []),
             "Machine:", "", *machine_lines(info)]
    notes = [f"- {impl}: {why}" for impl, why in dead.items()]
    notes += [f"- {key}: {why}" for key, why in sources.items() if why.startswith("n/a")]
    for cell in cells:
        notes += [f"- {cell['shape']} {cell['hidden']} {impl}: {why}" for impl, why in cell["notes"].items()]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines)


def gpu_probe() -> str | None:
    """None when cupy and a GPU are usable, else the reason."""
    code = "import cupy; n = cupy.cuda.runtime.getDeviceCount(); assert n > 0, 'no GPU'; cupy.ones(1).sum()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    return None if done.returncode == 0 else (tail(done.stderr, 1) or "cupy/GPU unavailable")


def parser() -> argparse.ArgumentParser:
    """Command-line options (driver and worker)."""
    p = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one round, short timings (smoke test)")
    p.add_argument("--shapes", help="comma-separated SIZES/BATCH, e.g. 784-256-10/128")
    p.add_argument("--hidden", default="sigmoid,relu", help="comma-separated hidden activations")
    p.add_argument("--impls", help="baselines, comma-separated (default torch,jax,loop,floor; cupy: torch,floor; "
                   "jax: jax)")
    p.add_argument("--backend", choices=("numpy", "cupy", "jax"), default="numpy")
    p.add_argument("--module", help="generated module to use instead of running codegen; may contain "
                   "{sizes}, {hidden} and {backend} placeholders")
    p.add_argument("--cli", help="command that runs symbackprop (default: auto)")
    p.add_argument("--rounds", type=int, help="pairs per baseline (default 5, --quick 1)")
    p.add_argument("--seconds", type=float, help="timed seconds per process (default 0.6, --quick 0.15)")
    p.add_argument("--chunks", type=int, default=3, help="timed chunks per process; the best counts")
    p.add_argument("--warmup", type=float, help="warm-up seconds per process (default 0.2, --quick 0.05)")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="OMP/OPENBLAS/MKL_NUM_THREADS for the workers "
                   "(default 1: stable on a shared machine; 0 leaves the libraries' defaults)")
    p.add_argument("--results", type=Path, default=RESULTS, help="folder for the .md/.json results")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--codegen-timeout", type=float, default=300.0)
    p.add_argument("--worker-timeout", type=float, default=180.0)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--sizes", help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    p.add_argument("--check", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--worker``, one measurement)."""
    args = parser().parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.seconds = args.seconds or (0.15 if args.quick else 0.6)
    args.warmup = args.warmup if args.warmup is not None else (0.05 if args.quick else 0.2)
    if args.worker:
        return worker(args)
    started = time.perf_counter()
    if args.backend == "cupy":
        reason = gpu_probe()
        if reason:
            print(f"throughput (cupy): skipped, no usable cupy/GPU: {reason}")
            return 0
    shapes = [parse_shape(s) for s in (args.shapes.split(",") if args.shapes else
                                       CPU_SHAPES + (GPU_EXTRA if args.backend == "cupy" else ()))]
    hiddens = [h.strip() for h in args.hidden.split(",") if h.strip()]
    args.impls = tuple(i.strip() for i in args.impls.split(",")) if args.impls else BASELINES[args.backend]
    if args.module and "{hidden}" not in args.module and len(hiddens) > 1 and not module_hidden(Path(args.module)):
        print("error: a --module without {hidden} needs a single --hidden (or a HIDDEN constant in it)",
              file=sys.stderr)
        return 2
    cli = None if args.module else cli_command(args.cli)
    info = machine_info()
    cells, dead, sources = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="symbackprop-bench-") as tmp:
        folder = Path(tmp)
        for spec, batch in shapes:
            for hidden in hiddens:
                module, how = obtain_module(args, cli, spec, hidden, folder)
                sources[f"{spec} {hidden}"] = how
                print(f"{spec}/{batch} {hidden}: module {how}", file=sys.stderr, flush=True)
                cells.append(measure_config(args, spec, batch, hidden, module, folder, dead))
    for cell in cells:
        for run in (r for runs in cell["runs"].values() for r in runs):
            info.update({k: v for k, v in run.get("info", {}).items()
                         if k != "torch" and (k != "blas" or run["impl"] == "generated")})
    info["thread_env"] = {var: str(args.threads) for var in THREAD_VARS} if args.threads > 0 else {}
    info["load_average_end"] = load_average()
    markdown = report(args, cells, info, dead, sources, time.perf_counter() - started)
    print(markdown)
    if not args.no_write:
        stem = "throughput" if args.backend == "numpy" else f"throughput_{args.backend}"
        data = {"settings": {k: v for k, v in vars(args).items() if k not in ("worker", "sizes", "batch", "check")},
                "machine": info, "modules": sources, "skipped": dead, "results": cells}
        write_results(args.results, stem, markdown, data)
        print(f"\nwritten: {args.results / stem}.md, .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
