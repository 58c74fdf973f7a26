"""The derivation document for the web: the same view-model, as HTML with MathML and SVG, or
as Markdown with ``$…$`` math and SVG files beside it.

Provides :func:`html_view` and :func:`markdown_view` (the view-model of
``derivation.html.j2`` / ``derivation.md.j2``: every prose piece, formula and figure already
in the target format, user text escaped) and :func:`svg_figure` (one figure as an SVG document
from ``network.svg.j2``, ``plot.svg.j2`` or ``grid.svg.j2``, which print the geometry of
:mod:`.diagram`, :mod:`.plots` and :mod:`.kernel_diagram` in pixels).  Numbers and cross-references
come from :func:`.blocks.number`, so every format shows the numbers the PDF shows.
"""

from __future__ import annotations

import html
import re
from typing import Any

from markupsafe import Markup, escape

from ..render import render
from .inline import Code, Math, ProseError, Ref, Text, pieces
from .mathml import to_mathml

#: Pixels per cm of the figures' geometry.
SCALE = 40.0
_SYMBOLS = {r"\sigma": "σ", r"\theta": "θ", r"\Theta": "Θ", r"\delta": "δ", r"\vdots": "⋮", r"\varphi": "φ",
            r"\phi": "ϕ", "'": "′", "-": "−"}
_LABEL = re.compile(r"^(?P<base>(?:\\[A-Za-z]+|[A-Za-z0-9'()\[\]\-.])+)"
                    r"(?:\^\{(?P<sup>[^{}]*)\})?(?:_\{(?P<sub>[^{}]*)\})?$")


def anchor(label: str) -> str:
    """An HTML id for a LaTeX label (``eq:bp1`` → ``eq-bp1``)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", label)


def figure_file(stem: str, label: str) -> str:
    """The SVG file a Markdown document links for a figure (``fig:network`` → ``<stem>-network.svg``)."""
    return f"{stem}-{anchor(label).removeprefix('fig-')}.svg"


def _reference(piece: Ref, labels: dict[str, str]) -> str:
    if piece.label not in labels:
        raise ProseError(f"reference to an unknown label {piece.label!r}")
    number = labels[piece.label]
    return f"({number})" if piece.parenthesised else number


# -- HTML ---------------------------------------------------------------------------------


def html_prose(prose: str, labels: dict[str, str]) -> Markup:
    out = []
    for piece in pieces(prose):
        if isinstance(piece, Text):
            out.append(str(escape(piece.text)))
        elif isinstance(piece, Math):
            out.append(to_mathml(piece.latex))
        elif isinstance(piece, Ref):
            out.append(f'<a href="#{anchor(piece.label)}">{escape(_reference(piece, labels))}</a>')
        elif isinstance(piece, Code):
            out.append(f"<code>{escape(piece.text)}</code>")
    return Markup("".join(out))


def _html_block(block: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    kind = block["kind"]
    if kind == "paragraph":
        return {"kind": kind, "lead": html_prose(block["lead"], labels), "text": html_prose(block["text"], labels)}
    if kind == "equation":
        return {"kind": kind, "math": Markup(to_mathml(block["lines"], display=True)), "number": block["number"],
                "id": anchor(block["label"]) if block["label"] else ""}
    if kind == "align":
        return {"kind": kind, "rows": [{"math": Markup(to_mathml(lines, display=True)), "number": number}
                                       for lines, number in zip(block["rows"], block["numbers"], strict=True)]}
    if kind == "table":
        return {"kind": kind, "rows": [[html_prose(cell, labels) for cell in row] for row in block["rows"]]}
    if kind == "definitions":
        return {"kind": kind, "rows": [{"symbol": Markup(to_mathml(row["symbol"])),
                                        "text": html_prose(row["text"], labels)} for row in block["rows"]]}
    if kind == "items":
        return {"kind": kind, "entries": [html_prose(entry, labels) for entry in block["entries"]]}
    if kind == "heading":
        return {"kind": kind, "text": html_prose(block["text"], labels)}
    return {"kind": kind, "svg": Markup(svg_figure(block, standalone=False)), "number": block["number"],
            "id": anchor(block["label"]), "caption": html_prose(block["caption"], labels)}


def html_view(view: dict[str, Any]) -> dict[str, Any]:
    labels = view["labels"]
    sections = [{"number": part["number"], "id": anchor(part["label"]), "title": html_prose(part["title"], labels),
                 "blocks": [_html_block(block, labels) for block in part["blocks"]]} for part in view["sections"]]
    title = view["title"]
    return {"title": html_prose(title["text"], labels), "plain_title": plain_prose(title["text"]),
            "sections": sections}


def plain_prose(prose: str) -> str:
    """Prose as plain text (``<title>``, image descriptions): short math in Unicode (σ′, not \\sigma')."""
    return "".join(piece.text if isinstance(piece, Text | Code) else _plain_math(piece.latex)
                   if isinstance(piece, Math) else piece.label for piece in pieces(prose))


def _plain_math(latex: str) -> str:
    text = re.sub(r"\\[A-Za-z]+|'", lambda m: _SYMBOLS.get(m.group(), m.group()), latex)
    return re.sub(r"\\[,;!]|[{}]", "", text).replace("\\", "")


# -- Markdown -------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]$|~#])")


def markdown_prose(prose: str, labels: dict[str, str]) -> str:
    out = []
    for piece in pieces(prose):
        if isinstance(piece, Text):
            out.append(_MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(piece.text, quote=False)).replace("\u00a0", " "))
        elif isinstance(piece, Math):
            out.append(f"${piece.latex.strip()}$")
        elif isinstance(piece, Ref):
            out.append(f"[{_reference(piece, labels)}](#{anchor(piece.label)})")
        elif isinstance(piece, Code):
            fence = "``" if "`" in piece.text else "`"
            out.append(f"{fence}{piece.text}{fence}")
    return "".join(out)


def markdown_math(lines: list[str], tag: str) -> str:
    """A displayed formula for ``$$ … $$``: broken lines as ``aligned``, the number as ``\\tag``."""
    body = lines[0] if len(lines) == 1 else "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
    return f"{body} \\tag{{{tag}}}" if tag else body


def _markdown_block(block: dict[str, Any], labels: dict[str, str], files: dict[str, str]) -> dict[str, Any]:
    kind = block["kind"]
    if kind == "paragraph":
        return {"kind": kind, "lead": markdown_prose(block["lead"], labels),
                "text": markdown_prose(block["text"], labels)}
    if kind == "equation":
        return {"kind": kind, "math": markdown_math(block["lines"], block["number"]),
                "id": anchor(block["label"]) if block["label"] else ""}
    if kind == "align":
        return {"kind": kind, "rows": [markdown_math(lines, number)
                                       for lines, number in zip(block["rows"], block["numbers"], strict=True)]}
    if kind == "table":
        return {"kind": kind, "rows": [[markdown_prose(cell, labels) for cell in row] for row in block["rows"]]}
    if kind == "definitions":
        return {"kind": kind, "rows": [{"symbol": f"${row['symbol']}$", "text": markdown_prose(row["text"], labels)}
                                       for row in block["rows"]]}
    if kind == "items":
        return {"kind": kind, "entries": [markdown_prose(entry, labels) for entry in block["entries"]]}
    if kind == "heading":
        return {"kind": kind, "text": markdown_prose(block["text"], labels)}
    name = figure_file(files["stem"], block["label"])
    files[name] = svg_figure(block, standalone=True)
    return {"kind": kind, "file": name, "number": block["number"], "id": anchor(block["label"]),
            "alt": _MARKDOWN_SPECIAL.sub(r"\\\1", plain_prose(block["caption"])),
            "caption": markdown_prose(block["caption"], labels)}


def markdown_view(view: dict[str, Any], stem: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The Markdown template's view, and the SVG files (name → text) it links to."""
    labels, files = view["labels"], {"stem": stem}
    sections = [{"number": part["number"], "id": anchor(part["label"]),
                 "title": markdown_prose(part["title"], labels),
                 "blocks": [_markdown_block(block, labels, files) for block in part["blocks"]]}
                for part in view["sections"]]
    del files["stem"]
    return {"title": markdown_prose(view["title"]["text"], labels), "sections": sections}, files


# -- SVG ----------------------------------------------------------------------------------


def svg_label(latex: str) -> Markup:
    """A short label (``a^{1}_{2}``, ``\\theta^{(1)}_{21}``, ``\\sigma'(z)``, ``-6``) as SVG text and tspans."""
    match = _LABEL.match(latex.strip())
    if match is None:
        raise ValueError(f"no SVG text for the label {latex!r}")
    base = re.sub(r"\\[A-Za-z]+|['\-]", lambda m: _SYMBOLS.get(m.group(), m.group()), match["base"])
    if "\\" in base:
        raise ValueError(f"no SVG text for {base!r} in {latex!r}")
    out = [str(escape(base))]
    if match["sup"]:
        out.append(f'<tspan dy="-0.5em" font-size="70%">{escape(match["sup"])}</tspan>')
    if match["sub"]:
        back = f' dx="-{0.55 * len(match["sup"]):.2f}em"' if match["sup"] else ""
        drop = 0.85 if match["sup"] else 0.3
        out.append(f'<tspan dy="{drop}em"{back} font-size="70%">{escape(match["sub"])}</tspan>')
    return Markup("".join(out))


def _x(value: str, left: float) -> str:
    return f"{(float(value) - left) * SCALE:.1f}"


def _y(value: str, top: float) -> str:
    return f"{(top - float(value)) * SCALE:.1f}"


def _network_svg(data: dict[str, Any]) -> dict[str, Any]:
    box = data["box"]
    left, top = float(box["left"]), float(box["top"])
    x, y = (lambda v: _x(v, left)), (lambda v: _y(v, top))
    return {"width": _x(box["right"], left), "height": _y(box["bottom"], top),
            "radius": f"{float(data['radius']) * SCALE:.1f}", "line": f"{float(data['caption_line']) * SCALE:.1f}",
            "nodes": [{**node, "x": x(node["x"]), "y": y(node["y"]), "label": svg_label(node["label"])}
                      for node in data["nodes"]],
            "edges": [{**edge, "x1": x(edge["x1"]), "y1": y(edge["y1"]), "x2": x(edge["x2"]), "y2": y(edge["y2"]),
                       "label_x": x(edge["label_x"]), "label_y": y(edge["label_y"]),
                       "angle": f"{-float(edge['angle']):.1f}",
                       "label": svg_label(edge["label"]) if edge["label"] else ""} for edge in data["edges"]],
            "ellipses": [{"x": x(dots["x"]), "y": y(dots["y"])} for dots in data["ellipses"]],
            "captions": [{**caption, "x": x(caption["x"]), "y": y(caption["y"]), "layer": svg_label(caption["layer"])}
                         for caption in data["captions"]]}


def _svg_panel(panel: dict[str, Any], x, y) -> dict[str, Any]:
    def ticks(kind: str, place) -> list[dict[str, Any]]:
        return [{"at": place(tick["at"]), "label": svg_label(tick["label"])} for tick in panel[kind]]

    def points(segment: list[str]) -> str:
        return " ".join(f"{x(point.split(',')[0])},{y(point.split(',')[1])}" for point in segment)

    return {"left": x(panel["left"]), "right": x(panel["right"]), "top": y(panel["top"]), "bottom": y("0"),
            "width": f"{(float(panel['right']) - float(panel['left'])) * SCALE:.1f}",
            "height": f"{float(panel['top']) * SCALE:.1f}", "zero_y": y(panel["zero_y"]),
            "title_x": x(panel["title_x"]), "title": svg_label(panel["title"]),
            "x_ticks": ticks("x_ticks", x), "y_ticks": ticks("y_ticks", y),
            "segments": [points(segment) for segment in panel["segments"]]}


def _plot_svg(data: dict[str, Any]) -> dict[str, Any]:
    margin_left, margin_top = 1.0, 0.6
    top = float(data["height"]) + margin_top
    x, y = (lambda v: _x(v, -margin_left)), (lambda v: _y(v, top))
    bands = [{"x": x(band["x1"]), "width": f"{float(band['width']) * SCALE:.1f}"} for band in data["bands"]]
    return {"width": f"{(float(data['width']) + margin_left + 0.3) * SCALE:.1f}",
            "height": f"{(top + 0.7) * SCALE:.1f}", "panels": [_svg_panel(panel, x, y) for panel in data["panels"]],
            "bands": bands, "supremum": y(data["supremum"]) if data["supremum"] else ""}


#: The kernel figure's cell styles (see :mod:`.kernel_diagram`) as SVG attributes.
GRID_STYLES = {
    "cell": 'fill="#ffffff" stroke="#a6a6a6" stroke-width="0.8"',
    "pad": 'fill="#f2f2f2" stroke="#bfbfbf" stroke-width="0.8" stroke-dasharray="3 2"',
    "shared": 'fill="#ffd9d9" stroke="#a6a6a6" stroke-width="0.8"',
    "sharedpad": 'fill="#ffecec" stroke="#bfbfbf" stroke-width="0.8" stroke-dasharray="3 2"',
    "chosen": 'fill="#ff8c8c" stroke="#bf0000" stroke-width="1.6"',
    "chosenpad": 'fill="#ffbfbf" stroke="#bf0000" stroke-width="1.6" stroke-dasharray="3 2"',
    "window": 'fill="none" stroke="#1f3fa8" stroke-width="2.4"',
    "outshared": 'fill="#ffd9d9" stroke="#a6a6a6" stroke-width="0.8"',
    "outchosen": 'fill="#bfcaf2" stroke="#1f3fa8" stroke-width="1.6"',
}


def _grid_svg(data: dict[str, Any]) -> dict[str, Any]:
    box = data["box"]
    left, top = float(box["left"]), float(box["top"])
    x, y = (lambda v: _x(v, left)), (lambda v: _y(v, top))
    rects = [{"x": x(r["x"]), "y": y(str(float(r["y"]) + float(r["h"]))), "w": f"{float(r['w']) * SCALE:.1f}",
              "h": f"{float(r['h']) * SCALE:.1f}", "style": r["style"]} for r in data["rects"]]
    arrow = data["arrow"]
    return {"width": _x(box["right"], left), "height": _y(box["bottom"], top), "rects": rects,
            "arrow": {"x1": x(arrow["x1"]), "y1": y(arrow["y1"]), "x2": x(arrow["x2"]), "y2": y(arrow["y2"])},
            "labels": [{"x": x(label["x"]), "y": y(label["y"]), "text": svg_label(label["text"])}
                       for label in data["labels"]]}


_SVG_GEOMETRY = {"network": _network_svg, "plot": _plot_svg, "grid": _grid_svg}


def svg_figure(block: dict[str, Any], standalone: bool) -> str:
    """A figure block as SVG: a file of its own (``standalone``) or an element inside the HTML page."""
    drawing = block["drawing"]
    data = _SVG_GEOMETRY[drawing](block["data"])
    return render(f"{drawing}.svg.j2", {"figure": data, "standalone": standalone, "styles": GRID_STYLES,
                                        "title": plain_prose(block["caption"])})
