"""Time and peak memory of ``symbackprop derive``, ``latex`` and ``codegen`` as networks grow.

``python -m bench.derivation_scaling [--quick]``. Each measurement is one CLI process, started
by a small launcher that reports its wall time and peak RSS (``os.wait4``: that child's own
rusage). Two series: small specs that get the per-weight proof, and layer-level specs up to
784-1024-1024-10 (width and depth). A subcommand that is missing, fails or times out is recorded
as n/a; after a timeout the larger specs of that series are not tried, and each series has an
equal share of the time budget, past which its larger specs are not tried. Writes
``bench/results/derivation_scaling.{md,json,png}`` (log-log plot against the parameter count).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ._common import (
    RESULTS,
    ROOT,
    cli_command,
    machine_info,
    machine_lines,
    markdown_table,
    write_results,
)

SERIES = {
    "per-weight": ("2-2-2", "3-4-2", "4-6-3", "5-8-4"),
    "layer-level width": ("784-30-10", "784-100-10", "784-256-10", "784-1024-10", "784-1024-1024-10"),
    "layer-level depth": ("784-100-10", "784-100-100-10", "784-100-100-100-10", "784-100-100-100-100-10"),
}
QUICK_SERIES = {"per-weight": ("2-2-2",), "layer-level width": ("784-30-10",)}
COMMANDS = ("derive", "latex", "codegen")
SPEC_ARGS = "--activation sigmoid --output-activation softmax --cost cross_entropy"


def parameter_count(spec: str) -> int:
    """Weights plus biases of a shorthand spec."""
    sizes = [int(n) for n in spec.split("-")]
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


#: Runs a command and writes "peak_KiB exit_code seconds" to argv[1]. A process's ru_maxrss keeps
#: the peak RSS of the process it was forked from (Linux saves the old memory's high-water mark
#: at exec), so the CLI is started from this small launcher, not from the benchmark process.
LAUNCHER = (
    "import os, sys, time\n"
    "t = time.perf_counter()\n"
    "pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "t = time.perf_counter() - t\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    f.write(f'{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)} {t}')\n"
)


def run_measured(cmd: list[str], timeout: float) -> dict[str, Any]:
    """Run ``cmd``; its wall time, peak RSS (MiB), exit code and stderr tail."""
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        report = Path(tmp) / "usage"
        try:
            proc = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(report), *cmd],
                                    stdout=out, stderr=err, cwd=ROOT, start_new_session=True)
        except OSError as error:
            return {"error": str(error)}
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        err.seek(0)
        message = err.read().decode(errors="replace").strip().splitlines()
        fields = report.read_text().split() if report.exists() else []
    if len(fields) != 3:
        killed = proc.returncode == -signal.SIGKILL
        return {"error": f"timed out after {timeout:g}s" if killed else (message[-1][:200] if message else
                                                                       f"launcher exit {proc.returncode}")}
    result = {"seconds": float(fields[2]), "peak_mib": int(fields[0]) / 1024, "exit": int(fields[1])}
    if result["exit"] != 0:
        result["error"] = message[-1][:200] if message else f"exit {result['exit']}"
    return result


def _kill_group(pid: int) -> None:
    """Kill the process group led by ``pid`` (the CLI and anything it started)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def measure(cli: list[str], command: str, spec: str, args: argparse.Namespace, folder: Path,
            extra: list[str], timeout: float) -> dict[str, Any]:
    """Median time and max peak RSS of up to ``args.repeat`` runs of one subcommand."""
    argv = [*cli, command, spec, *shlex.split(args.spec_args), *extra]
    if command == "latex":
        argv += ["-o", str(folder / f"{spec}.tex")]
    elif command == "codegen":
        argv += ["-o", str(folder / f"m_{spec.replace('-', '_')}.py")]
    runs = []
    for _ in range(args.repeat):
        run = run_measured(argv, timeout)
        runs.append(run)
        if "error" in run or run["seconds"] > args.repeat_below:
            break
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"error": runs[-1]["error"], "argv": argv}
    return {"seconds": statistics.median(r["seconds"] for r in good), "peak_mib": max(r["peak_mib"] for r in good),
            "runs": len(good), "argv": argv}


def fmt(result: dict[str, Any] | None, key: str) -> str:
    """A cell: seconds or MiB, or n/a."""
    if not result or "error" in result:
        return "n/a"
    return f"{result[key]:.2f}" if key == "seconds" else f"{result[key]:.0f}"


def plot(rows: list[dict[str, Any]], baseline: dict[str, Any] | None, path: Path) -> str | None:
    """Log-log plot of time and peak RSS against parameter count; None when written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        return f"matplotlib not importable ({error})"
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(12, 4.8))
    markers = dict(zip(SERIES, "os^", strict=False))
    plotted = 0
    for command, colour in zip(COMMANDS, ("C0", "C1", "C2"), strict=True):
        for series, marker in markers.items():
            points = sorted((r["parameters"], r[command]) for r in rows
                            if r["series"] == series and "error" not in r.get(command, {"error": 1}))
            if not points:
                continue
            xs = [p for p, _ in points]
            ax_t.plot(xs, [m["seconds"] for _, m in points], marker=marker, color=colour,
                      label=f"{command} ({series})")
            ax_m.plot(xs, [m["peak_mib"] for _, m in points], marker=marker, color=colour,
                      label=f"{command} ({series})")
            plotted += 1
    if not plotted:
        plt.close(fig)
        return "no successful measurement to plot"
    if baseline and "error" not in baseline:
        ax_t.axhline(baseline["seconds"], color="grey", linestyle=":", label="CLI startup (--help)")
        ax_m.axhline(baseline["peak_mib"], color="grey", linestyle=":", label="CLI startup (--help)")
    for ax, label in ((ax_t, "wall time per process (s)"), (ax_m, "peak RSS (MiB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("parameters (weights + biases)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    ax_t.legend(fontsize=7)
    fig.suptitle("symbackprop derivation scaling")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None


def main(argv: list[str] | None = None) -> int:
    """Measure every subcommand on every spec, print the table, write results and plot."""
    p = argparse.ArgumentParser(prog="python -m bench.derivation_scaling", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="two specs, one run each (smoke test)")
    p.add_argument("--cli", help="command that runs symbackprop (default: auto)")
    p.add_argument("--commands", default=",".join(COMMANDS), help="subcommands to time")
    p.add_argument("--spec-args", default=SPEC_ARGS, help=f"arguments after SPEC (default: {SPEC_ARGS!r})")
    p.add_argument("--per-weight-args", default="", help="extra arguments for the per-weight series")
    p.add_argument("--layer-args", default="", help="extra arguments for the layer-level series")
    p.add_argument("--repeat", type=int, help="runs per measurement, median kept (default 3, --quick 1)")
    p.add_argument("--repeat-below", type=float, default=2.0, help="repeat only runs shorter than this (s)")
    p.add_argument("--timeout", type=float, help="seconds per run (default 60, --quick 20)")
    p.add_argument("--budget", type=float, help="seconds for the whole benchmark; later cells are "
                   "not tried once it is spent (default 180, --quick 25)")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.timeout = args.timeout or (20.0 if args.quick else 60.0)
    args.budget = args.budget or (25.0 if args.quick else 180.0)
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    series = QUICK_SERIES if args.quick else SERIES
    cli = cli_command(args.cli)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    baseline = None
    if cli is None:
        print("derivation_scaling: symbackprop CLI not found; every cell is n/a", file=sys.stderr)
    else:
        baseline = run_measured([*cli, "--help"], args.timeout)
    with tempfile.TemporaryDirectory(prefix="symbackprop-derive-") as tmp:
        stopped: set[tuple[str, str]] = set()
        for index, (name, specs) in enumerate(series.items()):
            # Each series gets an equal share of what is left of the budget, so a slow series
            # cannot starve the others; what it leaves unused passes on.
            share_end = time.perf_counter() + (args.budget - (time.perf_counter() - started)) / (len(series) - index)
            extra = shlex.split(args.per_weight_args if name == "per-weight" else args.layer_args)
            for spec in specs:
                row: dict[str, Any] = {"series": name, "spec": spec, "parameters": parameter_count(spec)}
                for command in commands:
                    left = share_end - time.perf_counter()
                    if cli is None:
                        row[command] = {"error": "symbackprop CLI not found"}
                    elif (name, command) in stopped:
                        row[command] = {"error": "not tried: a smaller spec timed out"}
                    elif left <= 0:
                        row[command] = {"error": f"not tried: time budget ({args.budget:g}s) spent"}
                    else:
                        timeout = min(args.timeout, max(left, 5.0))
                        row[command] = measure(cli, command, spec, args, Path(tmp), extra, timeout)
                        if "timed out" in row[command].get("error", ""):
                            stopped.add((name, command))
                    cell = row[command]
                    shown = cell.get("error") or f"{cell['seconds']:.2f}s {cell['peak_mib']:.0f} MiB"
                    print(f"  {name:18} {spec:24} {command:8} {shown}", file=sys.stderr, flush=True)
                rows.append(row)
    header = ["series", "spec", "parameters"]
    for command in commands:
        header += [f"{command} s", f"{command} MiB"]
    table = [[r["series"], r["spec"], f"{r['parameters']:,}"]
             + [fmt(r[c], k) for c in commands for k in ("seconds", "peak_mib")] for r in rows]
    info = machine_info()
    lines = ["# Derivation scaling", "",
             (f"Wall time of one CLI process (median of up to {args.repeat} runs; runs over "
              f"{args.repeat_below:g} s are not repeated) and its peak RSS, per subcommand; "
              f"spec arguments: `{args.spec_args}`; total {time.perf_counter() - started:.0f} s."), ""]
    if baseline is not None and "error" in baseline:
        lines += [f"CLI startup (`symbackprop --help`): n/a ({baseline['error']}).", ""]
    elif baseline is not None:
        lines += [(f"CLI startup (`symbackprop --help`): {fmt(baseline, 'seconds')} s, "
                  f"{fmt(baseline, 'peak_mib')} MiB."), ""]
    lines += [markdown_table(header, table), ""]
    failures = sorted({f"- {c}: {r[c]['error']}" for r in rows for c in commands if "error" in r[c]})
    if failures:
        lines += ["n/a reasons:", "", *failures, ""]
    lines += ["Machine:", "", *machine_lines(info)]
    markdown = "\n".join(lines)
    print(markdown)
    if not args.no_write:
        png = args.results / "derivation_scaling.png"
        why = plot(rows, baseline, png)
        print(f"\nplot: {why}" if why else f"\nwritten: {png}", file=sys.stderr)
        write_results(args.results, "derivation_scaling", markdown,
                      {"settings": vars(args), "machine": info, "baseline": baseline, "results": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
