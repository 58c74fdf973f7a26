"""Find the equations in a file: LaTeX display math, or plain lines with '=' in a .txt file.

From .tex (or any text with LaTeX display math): ``\\begin{equation}…\\end{equation}`` (and
``equation*``, ``align``, ``align*``, ``gather``, ``multline``), ``\\[ … \\]`` and
``$$ … $$``.  Aligned environments are split on ``\\\\``; a row starting with ``&=``
continues the left side of the row before it, and a row with no '=' at all (``&\\quad + …``)
continues the right side.  ``\\label{…}``, ``\\tag{…}``, ``\\nonumber``, inner ``split`` and
``aligned`` environments and trailing punctuation are dropped.  From a .txt file: every
non-comment line that contains '='.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import EquationError

_OPENER = re.compile(r"\\begin\{(equation|align|gather|multline|eqnarray)(\*?)\}|\\\[|\$\$")
_DROP = re.compile(r"\\label\{[^}]*\}|\\tag\*?\{[^}]*\}|\\nonumber|\\notag|(?<!\\)%[^\n]*"
                   r"|\\(?:begin|end)\{(?:split|aligned|gathered)\}")


#: The largest file ``--file`` reads, and the most equations it checks (each takes a while).
MAX_FILE_BYTES = 1 << 20
MAX_EQUATIONS = 1000


def equations_from_file(path: str | Path) -> list[str]:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name, or text that is not UTF-8
        raise EquationError(f"cannot read the file: {error}", str(path)) from None
    if len(data) > MAX_FILE_BYTES:
        raise EquationError(f"the file is larger than {MAX_FILE_BYTES >> 20} MiB", str(path))
    found = equations_from_text(text, plain=path.suffix == ".txt")
    if not found:
        raise EquationError("no equations found (expected \\begin{equation}, align, \\[ \\], $$ $$, or "
                            "lines with '=' in a .txt file)", str(path))
    if len(found) > MAX_EQUATIONS:
        raise EquationError(f"the file holds {len(found)} equations, more than the {MAX_EQUATIONS} one check takes; "
                            "split it", str(path))
    return found


def equations_from_text(text: str, plain: bool = False) -> list[str]:
    if plain:
        return [line.strip() for line in text.splitlines()
                if "=" in line and not line.lstrip().startswith(("#", "%", "//"))]
    found: list[str] = []
    for body in _display_bodies(_DROP.sub("", text)):
        left = None
        for row in re.split(r"\\\\", body):
            row = row.strip().rstrip(".,;").strip()
            if not row:
                continue
            if row.lstrip("&").lstrip().startswith("=") and left is not None:
                found.append(f"{left} {row.lstrip('&').strip()}")
                continue
            if "=" in row:
                left = row.replace("&", "").split("=")[0].strip()
                found.append(row.replace("&", " ").strip())
            elif left is not None:  # a long right side broken over lines
                found[-1] = f"{found[-1]} {row.replace('&', ' ').strip()}"
    return found


def _display_bodies(text: str) -> Iterator[str]:
    """The insides of the display-math environments, in order, in time linear in the text.

    Each opener is closed by the first closer after it.  A closer missing once is missing for
    every later opener too, so it is not searched for again (an unclosed ``\\begin{equation}``
    repeated many times would otherwise make the search quadratic).
    """
    missing: set[str] = set()
    position = 0
    while opener := _OPENER.search(text, position):
        if opener.group(1):
            closer = f"\\end{{{opener.group(1)}{opener.group(2)}}}"
        else:
            closer = "\\]" if opener.group(0) == "\\[" else "$$"
        end = -1 if closer in missing else text.find(closer, opener.end())
        if end < 0:
            missing.add(closer)
            position = opener.end()
            continue
        yield text[opener.end():end]
        position = end + len(closer)
