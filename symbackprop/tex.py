"""Turning LaTeX source into a PDF, safely, and looking inside the result.

Provides:

* :func:`find_engine` -- locate ``pdflatex`` (or ``lualatex``/``xelatex``), with an install hint.
* :func:`compile_pdf` / :func:`compile_pdf_with_log` -- compile a document in a throw-away
  directory under TeX's paranoid file-access settings, no shell escape and a time limit; on a
  timeout or an interruption TeX's whole process group is killed and the directory removed.
* :class:`TexCompileError` -- a :class:`~symbackprop.errors.TexError` carrying ``log_path``.
* :func:`overfull_boxes` -- the "Overfull \\hbox/\\vbox" lines of a log, for layout tests.
* :func:`pdf_to_text` / :func:`pdf_first_page_png` -- text and a raster image of a PDF
  (poppler's ``pdftotext``/``pdftoppm``), for tests and previews.

Nothing handed in is ever evaluated by Python or passed through a shell: the document is
written to a file and TeX is started with an argument list.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .errors import TexError
from .interrupts import deferred

__all__ = [
    "ENGINES",
    "TexCompileError",
    "compile_pdf",
    "compile_pdf_with_log",
    "find_engine",
    "overfull_boxes",
    "pdf_first_page_png",
    "pdf_to_text",
]

#: Engines we know how to drive; anything else is refused rather than executed.
ENGINES = ("pdflatex", "lualatex", "xelatex")

_TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-pictures lmodern"
#: Debian packages an engine needs beyond :data:`_TEX_PACKAGES`.
_ENGINE_PACKAGES = {"pdflatex": "", "lualatex": " texlive-luatex", "xelatex": " texlive-xetex"}
_POPPLER_INSTALL_HINT = "install poppler, e.g. `apt-get install poppler-utils`"

_JOB = "document"
_ENGINE_FLAGS = ("-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                 "-file-line-error")
# Lua code in a document is not bound by openout_any; --safer makes Lua's io read-only
# and removes os.execute and friends.  Lua can still *read* any file the user can.
_EXTRA_FLAGS = {"lualatex": ("--safer",)}

# kpathsea reads these from the environment in preference to texmf.cnf.
_TEX_ENV = {
    # 'p' (paranoid): no dot files, no '..', absolute paths only below $TEXMFOUTPUT --
    # which we unset, so TeX reads and writes by name only in the compile directory
    # (files found through its own search path, e.g. tikz.sty, are still readable).
    "openin_any": "p",
    "openout_any": "p",
    "shell_escape": "f",
    # Unwrapped log lines and full error context make the log parseable.
    "max_print_line": "10000",
    "error_line": "254",
    "half_error_line": "238",
}
# Variables that would widen where paranoid mode lets TeX read or write.
_TEX_ENV_DROP = ("TEXMFOUTPUT", "TEXMF_OUTPUT_DIRECTORY")

# Auxiliary files whose change between runs means page numbers or references may move.
_AUX_SUFFIXES = (".aux", ".toc", ".lof", ".lot", ".out", ".nav", ".snm")
_RERUN = re.compile(r"Rerun to get|Please rerun LaTeX|Rerun LaTeX")
_FILE_LINE_ERROR = re.compile(r"^(?:\./)?(?P<file>[^\s:][^:]*):(?P<line>\d+): (?P<msg>.*)$")
_CONTEXT_LINE = re.compile(r"^l\.(?P<line>\d+) (?P<text>.*)$")
_LAST_CONTROL_SEQUENCE = re.compile(r"(\\(?:[A-Za-z@]+|.))\s*$")
_OVERFULL = re.compile(r"^Overfull \\[hv]box \((?P<pt>\d+(?:\.\d+)?)pt too (?:wide|high)\)")
_REFUSED = re.compile(r"Not (?:reading from|writing to) .*\((?:openin|openout)_any = \w\)")


class TexCompileError(TexError):
    """TeX ran but failed; ``log_path`` is the kept log so the user can read all of it."""

    def __init__(self, reason: str, place: str | None = None, *,
                 log_path: Path | None = None) -> None:
        self.log_path = log_path
        super().__init__(reason, place)

    def at(self, place: str) -> TexCompileError:
        """Like :meth:`UserError.at`, keeping ``log_path``."""
        inner = f"{place}: {self.place}" if self.place else place
        return type(self)(self.reason, inner, log_path=self.log_path)


def find_engine(preferred: str | None = None) -> str:
    """Return the full path of the TeX engine, so a missing TeX fails early and readably."""
    name = preferred or "pdflatex"
    if name not in ENGINES:
        raise TexError(f"unknown TeX engine {name!r}; choose one of {', '.join(ENGINES)}")
    path = shutil.which(name)
    if path is None:
        raise TexError(f"no TeX engine found ({name}); install TeX Live, e.g. `apt-get install "
                       f"{_TEX_PACKAGES}{_ENGINE_PACKAGES[name]}`, or use `symbackprop latex` "
                       "without --pdf to get the .tex")
    return path


def compile_pdf(tex_source: str, *, engine: str | None = None, timeout: float = 120.0,
                runs: int = 2) -> bytes:
    """Compile ``tex_source`` and return the PDF bytes (see :func:`compile_pdf_with_log`)."""
    return compile_pdf_with_log(tex_source, engine=engine, timeout=timeout, runs=runs)[0]


def compile_pdf_with_log(tex_source: str, *, engine: str | None = None,
                         timeout: float = 120.0, runs: int = 2) -> tuple[bytes, str]:
    """Compile ``tex_source``; return ``(pdf_bytes, log_text)`` of the last run.

    The engine runs at most ``runs`` times: again only while LaTeX asks for a rerun or an
    auxiliary file (``.aux``, ``.toc``, ...) changed, so cross references settle.  ``timeout``
    bounds all runs together.  Raises :class:`TexCompileError` naming the first TeX error.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    executable = find_engine(engine)
    deadline = time.monotonic() + timeout
    with deferred():  # once the directory exists, its object must exist to remove it
        scratch = tempfile.TemporaryDirectory(prefix="symbackprop-tex-")
    with scratch as directory:
        workdir = Path(directory)
        (workdir / f"{_JOB}.tex").write_text(tex_source, encoding="utf-8")
        log_file = workdir / f"{_JOB}.log"
        for run in range(1, runs + 1):
            before = _aux_snapshot(workdir)
            returncode, output = _run_engine(executable, workdir, deadline, timeout, log_file)
            log_text = _read_text(log_file)
            if returncode != 0:
                raise _compile_error(log_text, output, log_file)
            if run == runs or not (_RERUN.search(log_text) or _aux_snapshot(workdir) != before):
                break
        pdf_file = workdir / f"{_JOB}.pdf"
        if not pdf_file.is_file():
            kept = _keep_log(log_file)
            raise TexCompileError("TeX produced no PDF (does the document have any pages?); "
                                  f"full log kept at {kept}", log_path=kept)
        return pdf_file.read_bytes(), log_text


def overfull_boxes(log_text: str, min_pt: float = 0.0) -> list[str]:
    """The "Overfull \\hbox (Npt too wide)" (and \\vbox "too high") lines wider than ``min_pt``.

    Layout tests use this to catch formulas running into the margin.
    """
    found = []
    for line in log_text.splitlines():
        match = _OVERFULL.match(line)
        if match and float(match["pt"]) > min_pt:
            found.append(line)
    return found


def pdf_to_text(pdf: bytes) -> str:
    """Extract the text of ``pdf`` with pdftotext, so tests can check what a reader sees."""
    with tempfile.TemporaryDirectory(prefix="symbackprop-pdf-") as directory:
        source = Path(directory) / "in.pdf"
        source.write_bytes(pdf)
        result = _run_poppler(["pdftotext", "-enc", "UTF-8", str(source), "-"])
        return result.stdout.decode("utf-8", errors="replace")


def pdf_first_page_png(pdf: bytes, page: int = 1, dpi: int = 110) -> bytes:
    """Render one page of ``pdf`` as PNG bytes with pdftoppm, for previews and visual checks."""
    if page < 1 or dpi < 1:
        raise ValueError("page and dpi must be positive")
    with tempfile.TemporaryDirectory(prefix="symbackprop-pdf-") as directory:
        source = Path(directory) / "in.pdf"
        source.write_bytes(pdf)
        prefix = Path(directory) / "page"
        _run_poppler(["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-r", str(dpi),
                      "-singlefile", str(source), str(prefix)])
        image = prefix.with_suffix(".png")
        if not image.is_file():
            raise TexError(f"pdftoppm produced no image for page {page}")
        return image.read_bytes()


def _tex_environment() -> dict[str, str]:
    """The caller's environment, locked down by kpathsea variables (they beat texmf.cnf)."""
    env = {key: value for key, value in os.environ.items() if key not in _TEX_ENV_DROP}
    env.update(_TEX_ENV)
    return env


def _run_engine(executable: str, workdir: Path, deadline: float, timeout: float,
                log_file: Path) -> tuple[int, str]:
    """One engine run in its own process group, so a timeout can kill all of it."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timeout_error(timeout, log_file)
    process = None
    try:
        with deferred():  # a signal during the start is raised once the process is known, to kill it
            process = subprocess.Popen(
                [executable, *_ENGINE_FLAGS, *_EXTRA_FLAGS.get(Path(executable).stem, ()), f"{_JOB}.tex"],
                cwd=workdir, env=_tex_environment(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True)
        output, _ = process.communicate(timeout=remaining)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise _timeout_error(timeout, log_file) from None
    except BaseException:
        if process is not None:  # an interruption, or Popen failing
            _kill_group(process)
        raise
    return process.returncode, output.decode("utf-8", errors="replace")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the engine and anything it started (mktexpk, ...), then reap it."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups of this kind
            process.kill()
    except ProcessLookupError:
        pass
    process.communicate()


def _timeout_error(timeout: float, log_file: Path) -> TexCompileError:
    """A timeout usually means an endless macro loop; say so and keep what log there is."""
    kept = _keep_log(log_file) if log_file.is_file() else None
    where = f"; partial log kept at {kept}" if kept else ""
    return TexCompileError(f"TeX did not finish within the time limit of {timeout:g} s and was "
                           f"stopped (an endless macro loop?){where}", log_path=kept)


def _compile_error(log_text: str, output: str, log_file: Path) -> TexCompileError:
    """Summarise a failed run in one line: the first TeX error, and where the log is."""
    summary = _first_error(log_text) or _last_line(output) or "TeX failed without a message"
    refused = _REFUSED.search(output)
    if refused:
        summary += f" [{refused.group(0)}]"
    if not log_file.is_file():
        return TexCompileError(f"TeX failed: {summary}")
    kept = _keep_log(log_file)
    return TexCompileError(f"TeX failed: {summary}; full log kept at {kept}", log_path=kept)


def _first_error(log_text: str) -> str | None:
    """The first ``file:line: message`` (or ``! message``) error, with the code it stopped at."""
    lines = log_text.splitlines()
    for index, line in enumerate(lines):
        match = _FILE_LINE_ERROR.match(line)
        if match:
            message = f"{match['file']}:{match['line']}: {match['msg'].strip().rstrip('.')}"
        elif line.startswith("! "):
            message = line[2:].strip().rstrip(".")
        else:
            continue
        following = lines[index + 1:index + 60]
        if message.endswith("Undefined control sequence") and following:
            # TeX's top context line ends with the offending control sequence.
            culprit = _LAST_CONTROL_SEQUENCE.search(following[0])
            if culprit:
                message += f" {culprit[1]}"
        context = _source_context(following)
        if context is not None:
            line_number, text = context
            if not match:
                message = f"{_JOB}.tex:{line_number}: {message}"
            if text:
                message += f" (at `{text}`)"
        return message
    return None


def _source_context(following: list[str]) -> tuple[str, str] | None:
    """Line number and the end of the source line TeX had read when it stopped (``l.N ...``)."""
    for line in following:
        match = _CONTEXT_LINE.match(line)
        if match:
            text = match["text"].strip()
            return match["line"], text if len(text) <= 60 else "..." + text[-57:]
    return None


def _last_line(output: str) -> str | None:
    """The last non-empty line the engine printed (when it died before writing a log)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else None


def _keep_log(log_file: Path) -> Path:
    """Copy the log out of the temporary directory, which is about to be deleted."""
    fd, kept = tempfile.mkstemp(prefix="symbackprop-tex-", suffix=".log")
    with os.fdopen(fd, "wb") as handle:
        handle.write(log_file.read_bytes())
    return Path(kept)


def _aux_snapshot(workdir: Path) -> dict[str, bytes]:
    """Contents of the auxiliary files, to tell whether another run could change the PDF."""
    return {path.name: path.read_bytes() for path in sorted(workdir.iterdir())
            if path.suffix in _AUX_SUFFIXES and path.is_file()}


def _read_text(path: Path) -> str:
    """A TeX log, which is not guaranteed to be valid UTF-8."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _run_poppler(command: list[str]) -> subprocess.CompletedProcess[bytes]:
    """Run a poppler tool, turning a missing tool or a failure into a readable TexError."""
    tool = command[0]
    executable = shutil.which(tool)
    if executable is None:
        raise TexError(f"{tool} not found; {_POPPLER_INSTALL_HINT}")
    try:
        result = subprocess.run([executable, *command[1:]], stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        raise TexError(f"{tool} did not finish within 120 s") from None
    if result.returncode != 0:
        detail = _last_line(result.stderr.decode("utf-8", errors="replace")) or "no message"
        raise TexError(f"{tool} failed: {detail}")
    return result
