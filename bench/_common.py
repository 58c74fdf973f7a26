"""Helpers shared by the benchmark scripts: paths, the CLI command, machine facts, tables."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

#: Repository root (the folder holding ``bench/``); workers run with this as working directory.
ROOT = Path(__file__).resolve().parents[1]
#: Default folder for results.
RESULTS = ROOT / "bench" / "results"


def cli_command(override: str | None = None) -> list[str] | None:
    """The argv prefix that runs the ``symbackprop`` CLI, or None when it cannot be found.

    Order: ``override`` (a shell-quoted string), ``$SYMBACKPROP_CLI``, ``symbackprop`` on
    ``PATH``, then ``python -m symbackprop`` when the package has a ``__main__``.
    """
    text = override or os.environ.get("SYMBACKPROP_CLI")
    if text:
        return shlex.split(text)
    exe = shutil.which("symbackprop")
    if exe:
        return [exe]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        found = importlib.util.find_spec("symbackprop.__main__") is not None
    except (ImportError, ValueError):
        found = False
    return [sys.executable, "-m", "symbackprop"] if found else None


def version(dist: str) -> str | None:
    """Installed version of a distribution, without importing it."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (falls back to platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> list[dict[str, Any]]:
    """NumPy's BLAS libraries and their thread counts (threadpoolctl when present)."""
    try:
        import numpy  # noqa: F401  (loads the BLAS so threadpoolctl can see it)
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"threads_env": {k: os.environ.get(k) for k in THREAD_VARS}}]
    return [
        {"api": i.get("internal_api"), "threads": i.get("num_threads"), "version": i.get("version")}
        for i in threadpool_info()
    ]


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def machine_info() -> dict[str, Any]:
    """A description of this machine and the numeric libraries, for the reports."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": version("numpy"),
        "torch": version("torch"),
        "jax": version("jax"),
        "cupy": version("cupy") or _cupy_wheel(),
        "blas": blas_info(),
        "thread_env": {k: os.environ[k] for k in THREAD_VARS if k in os.environ},
        "load_average": load_average(),
    }


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (None where unsupported)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _cupy_wheel() -> str | None:
    """Version of a ``cupy-cudaXXx`` wheel, if one is installed."""
    for dist in importlib.metadata.distributions():
        name = dist.metadata.get("Name") or ""
        if name.lower().startswith("cupy"):
            return f"{name} {dist.version}"
    return None


def machine_lines(info: dict[str, Any]) -> list[str]:
    """Markdown bullet lines describing ``info`` (from :func:`machine_info`)."""
    blas = ", ".join(f"{b.get('api')} {b.get('version')} (threads={b.get('threads')})"
                     for b in info["blas"] if "api" in b) or "unknown"
    lines = [
        f"- CPU: {info['cpu']}, {info['cores']} logical cores ({info['usable_cores']} usable)",
        f"- Python {info['python']} on {info['platform']}",
        f"- numpy {info['numpy']}, BLAS: {blas}",
        f"- torch {info['torch'] or 'not installed'}"
        + (f" (threads={info['torch_threads']})" if info.get("torch_threads") else ""),
        f"- jax {info.get('jax') or 'not installed'}" + (f" on {info['jax_device']}" if info.get("jax_device") else ""),
    ]
    if info.get("cupy"):
        lines.append(f"- cupy {info['cupy']}")
    if info.get("gpu"):
        lines.append(f"- GPU: {info['gpu']}")
    if info["thread_env"]:
        lines.append("- thread env: " + ", ".join(f"{k}={v}" for k, v in info["thread_env"].items()))
    if info.get("load_average"):
        load = info["load_average"]
        end = info.get("load_average_end")
        lines.append(f"- load average (1/5/15 min) at start: {load}" + (f", at end: {end}" if end else ""))
        if load[0] > 0.5 * (info["usable_cores"] or 1):
            lines.append("- WARNING: the machine was busy at the start; timings (multi-threaded ones most) "
                         "may be noisy")
    return lines


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def write_results(directory: Path, stem: str, markdown: str, data: dict[str, Any]) -> None:
    """Write ``stem.md`` and ``stem.json`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.md").write_text(markdown + "\n")
    (directory / f"{stem}.json").write_text(json.dumps(data, indent=2, default=str) + "\n")


def tail(text: str, lines: int = 3) -> str:
    """Last few non-empty lines of ``text``, joined on one line (for error notes)."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(kept[-lines:])[:300]


def run_cli(cli: list[str], args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run the CLI with ``args`` from the repository root, capturing its output."""
    return subprocess.run([*cli, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)
