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
from pathlib import Path

from ..errors import EquationError

_ENVIRONMENT = re.compile(
    r"\\begin\{(equation|align|gather|multline|eqnarray)(\*?)\}(.*?)\\end\{\1\2\}"
    r"|\\\[(.*?)\\\]|\$\$(.*?)\$\$", re.S)
_DROP = re.compile(r"\\label\{[^}]*\}|\\tag\*?\{[^}]*\}|\\nonumber|\\notag|(?<!\\)%[^\n]*"
                   r"|\\(?:begin|end)\{(?:split|aligned|gathered)\}")


def equations_from_file(path: str | Path) -> list[str]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise EquationError(f"cannot read the file: {error}", str(path)) from None
    found = equations_from_text(text, plain=path.suffix == ".txt")
    if not found:
        raise EquationError("no equations found (expected \\begin{equation}, align, \\[ \\], $$ $$, or "
                            "lines with '=' in a .txt file)", str(path))
    return found


def equations_from_text(text: str, plain: bool = False) -> list[str]:
    if plain:
        return [line.strip() for line in text.splitlines()
                if "=" in line and not line.lstrip().startswith(("#", "%", "//"))]
    found: list[str] = []
    for match in _ENVIRONMENT.finditer(_DROP.sub("", text)):
        body = next(group for group in match.groups()[2:] if group is not None)
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
