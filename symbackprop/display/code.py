"""Listings: a generated module with its syntax highlighted, and a document as its first page.

Provides :func:`highlight` (Python source → HTML spans, from the standard library's
``tokenize``, styled by a small stylesheet: no dependency), :func:`module_html` and
:func:`document_bundle` (the first page as a PNG where TeX and ``pdftoppm`` are installed,
else the LaTeX source).
"""

from __future__ import annotations

import html as html_text
import io
import keyword
import token
import tokenize

from ..errors import UserError
from .markup import STYLE

CODE_STYLE = """<style>
.symbackprop pre.listing{max-height:32em;overflow:auto;background:#f6f8fa;padding:.6em;font-size:85%;
line-height:1.35;border:1px solid #d0d7de}
.symbackprop .k{color:#cf222e}.symbackprop .s{color:#0a3069}.symbackprop .c{color:#6e7781;font-style:italic}
.symbackprop .n{color:#0550ae}.symbackprop .f{color:#8250df;font-weight:600}
</style>"""


def _kind(tokens: list[tokenize.TokenInfo], index: int) -> str:
    """The CSS class of one token: keyword, string, comment, number, a defined name, or none."""
    kind, text = tokens[index].type, tokens[index].string
    if kind == token.NAME:
        if keyword.iskeyword(text):
            return "k"
        before = tokens[index - 1].string if index else ""
        return "f" if before in ("def", "class") else ""
    return {token.STRING: "s", token.COMMENT: "c", token.NUMBER: "n"}.get(kind, "")


def _positions(source: str) -> list[int]:
    """The offset in ``source`` where each line starts (tokenize reports rows and columns)."""
    starts, offset = [0], 0
    for line in source.splitlines(keepends=True):
        offset += len(line)
        starts.append(offset)
    return starts


def highlight(source: str) -> str:
    """``source`` as escaped HTML with keywords, strings, comments, numbers and defined names marked."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return html_text.escape(source)
    starts, out, done = _positions(source), [], 0
    for index, item in enumerate(tokens):
        css = _kind(tokens, index)
        if not css:
            continue
        begin = starts[item.start[0] - 1] + item.start[1]
        end = starts[item.end[0] - 1] + item.end[1]
        out.append(html_text.escape(source[done:begin]))
        out.append(f'<span class="{css}">{html_text.escape(source[begin:end])}</span>')
        done = end
    out.append(html_text.escape(source[done:]))
    return "".join(out)


def module_html(module) -> str:
    spec = module.spec
    checks = "every check it relies on passed" if module.proof.holds else "a check FAILED"
    head = (f"{module.backend} training module for {spec.shorthand()} ({module.dtype}), "
            f"{module.source.count(chr(10))} lines; {checks}")
    return (f'<div class="symbackprop">{STYLE}{CODE_STYLE}<p><strong>{html_text.escape(head)}</strong></p>'
            f'<pre class="listing"><code>{highlight(module.source)}</code></pre></div>')


def document_bundle(document) -> dict[str, object]:
    """The first page as an image where it can be made, else the LaTeX source (and why)."""
    plain = repr(document)
    try:
        image = document.png()
    except UserError as error:
        image, reason = None, f"the document did not compile: {error.message}"
    else:
        reason = "no TeX engine or no pdftoppm is installed, so here is the LaTeX source"
    if image is not None:
        return {"image/png": image, "text/plain": plain}
    page = (f'<div class="symbackprop">{STYLE}{CODE_STYLE}<p><strong>{html_text.escape(plain)}</strong> '
            f'<span class="muted">({html_text.escape(reason)})</span></p>'
            f'<pre class="listing"><code>{html_text.escape(document.tex)}</code></pre></div>')
    return {"text/html": page, "text/plain": plain}
