"""Shared by the fault-injection tests: run symbackprop as a user does, in its own process, and
look at what it left behind (files, TeX processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("instrumented.py")
GIB = 2**30
#: What TeX's processes are called (the engines and the programs they may start).
TEX_PROGRAMS = {"pdflatex", "lualatex", "xelatex", "pdftex", "luatex", "xetex", "mktexpk", "mktextfm", "kpsewhich"}


def environment(tmpdir: Path, **faults: str) -> dict[str, str]:
    """The caller's environment with TMPDIR at ``tmpdir`` and the given FAULT_* hooks."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FAULT_")}
    env.update(TMPDIR=str(tmpdir), PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    env.update({f"FAULT_{key.upper()}": value for key, value in faults.items()})
    return env


def start(arguments: list[str], tmpdir: Path, cwd: Path, **faults: str) -> subprocess.Popen[str]:
    """``symbackprop ARGUMENTS`` through the instrumented runner, stdout and stderr piped."""
    return subprocess.Popen([sys.executable, str(RUNNER), *arguments], cwd=cwd, env=environment(tmpdir, **faults),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(arguments: list[str], tmpdir: Path, cwd: Path, timeout: float = 120, **faults: str):
    """Run to the end: (exit code, stdout, stderr)."""
    process = start(arguments, tmpdir, cwd, **faults)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def bounded(arguments: list[str], tmp_path: Path, seconds: float, address_space: str):
    """Run the CLI in ``tmp_path/work`` under an address-space limit: it ends within ``seconds`` and
    leaves nothing in its TMPDIR.  Returns (exit code, stdout, stderr, the work directory)."""
    tmpdir, work = tmp_path / "tmp", tmp_path / "work"
    tmpdir.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    started = time.monotonic()
    code, out, err = run(arguments, tmpdir, work, timeout=seconds, address_space=address_space)
    assert time.monotonic() - started < seconds
    assert files_in(tmpdir) == []
    return code, out, err, work


def files_in(directory: Path) -> list[str]:
    """Every file and directory below ``directory``, as relative paths."""
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def tex_processes(tmpdir: Path) -> list[int]:
    """TeX processes started by a run whose TMPDIR was ``tmpdir`` (they inherit its environment)."""
    found = []
    marker = f"TMPDIR={tmpdir}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            if name in TEX_PROGRAMS and marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def one_line(text: str) -> str:
    """The single line of ``text``; fails when there are more or none."""
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]
