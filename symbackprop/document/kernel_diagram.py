"""The kernel figure of a convolutional network's document, as geometry both printers read.

Provides :func:`kernel_diagram`: for one weight w^l_{c,d,p,q} of a conv layer, the zero-padded
input channel d of layer l−1 and the output channel c of layer l as grids of cells, with one
position of the kernel (its window outlined, the cell the weight multiplies there and the output
cell it feeds marked) and every position the weight is shared across (each input cell it
multiplies, and every output cell).  Rectangles, arrows and labels in cm with y up, and the
bounding box; ``_latex_macros.tex.j2`` prints them as TikZ and ``grid.svg.j2`` as SVG.
"""

from __future__ import annotations

from typing import Any

from ..conv.spec import Conv2d

#: The widest a grid is drawn (cm), and the largest cell.
GRID_WIDTH, CELL_MAX = 5.5, 0.5
#: Rows and columns of a grid drawn at most: a larger image is drawn as its top-left corner (which holds
#: the window shown), so that the figure does not grow with the image.
MAX_CELLS = 32
GAP = 2.0  # cm between the input and output grids
LABEL_LIFT = 0.15


def _cm(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _rect(x: float, y: float, size: float, style: str) -> dict[str, str]:
    return {"x": _cm(x), "y": _cm(y), "w": _cm(size), "h": _cm(size), "style": style}


def shown_position(layer: Conv2d, out_shape: tuple[int, ...]) -> tuple[int, int]:
    """The output position whose window the figure draws: the second row and column where there are two."""
    return (min(1, out_shape[1] - 1), min(1, out_shape[2] - 1))


def kernel_diagram(layer: Conv2d, in_shape: tuple[int, ...], out_shape: tuple[int, ...],
                   weight: tuple[int, int, int, int], labels: tuple[str, str]) -> dict[str, Any]:
    """Grids of input channel d (padded) and output channel c for ``weight`` = (c, d, p, q) of ``layer``.

    ``labels`` are the LaTeX labels of the two grids (e.g. ``a^{0}_{0}`` and ``z^{1}_{0}``).
    """
    _, height, width = in_shape
    _, rows, columns = out_shape
    (ph, pw), (sh, sw), (kh, kw) = layer.padding, layer.stride, layer.kernel
    _, _, p, q = weight
    padded_h, padded_w = height + 2 * ph, width + 2 * pw
    # the corner drawn: at most MAX_CELLS rows and columns of each grid
    shown_h, shown_w, out_h, out_w = (min(size, MAX_CELLS) for size in (padded_h, padded_w, rows, columns))
    cell = min(CELL_MAX, GRID_WIDTH / max(shown_h, shown_w, out_h, out_w))
    i0, j0 = shown_position(layer, out_shape)
    rects = []
    for r in range(shown_h):
        for s in range(shown_w):
            padding = not (ph <= r < ph + height and pw <= s < pw + width)
            style = ("chosen" if (r, s) == (sh * i0 + p, sw * j0 + q) else "shared" if _shared(r, s, layer, weight,
                                                                                                 out_shape)
                     else "pad" if padding else "cell")
            if padding and style != "pad":
                style += "pad"  # the weight reads a zero of the padding there
            rects.append(_rect(s * cell, -(r + 1) * cell, cell, style))
    top = sh * i0
    window_h, window_w = min(kh, shown_h - top), min(kw, shown_w - sw * j0)
    rects.append({"x": _cm(sw * j0 * cell), "y": _cm(-(top + window_h) * cell), "w": _cm(window_w * cell),
                  "h": _cm(window_h * cell), "style": "window"})
    left = shown_w * cell + GAP
    for i in range(out_h):
        for j in range(out_w):
            style = "outchosen" if (i, j) == (i0, j0) else "outshared"
            rects.append(_rect(left + j * cell, -(i + 1) * cell, cell, style))
    start = ((sw * j0 + window_w) * cell, -(top + window_h / 2) * cell)
    end = (left + j0 * cell, -(i0 + 0.5) * cell)
    bottom = -max(shown_h, out_h) * cell
    return {"rects": rects, "arrow": {"x1": _cm(start[0] + 0.1), "y1": _cm(start[1]), "x2": _cm(end[0] - 0.1),
                                      "y2": _cm(end[1])},
            "labels": [{"x": _cm(shown_w * cell / 2), "y": _cm(LABEL_LIFT), "text": labels[0]},
                       {"x": _cm(left + out_w * cell / 2), "y": _cm(LABEL_LIFT), "text": labels[1]}],
            "box": {"left": "-0.30", "right": _cm(left + out_w * cell + 0.3), "bottom": _cm(bottom - 0.3),
                    "top": _cm(LABEL_LIFT + 0.7)},
            "position": (i0, j0), "shared": rows * columns,
            "cropped": (shown_h, shown_w, out_h, out_w) != (padded_h, padded_w, rows, columns)}


def _shared(r: int, s: int, layer: Conv2d, weight: tuple[int, int, int, int], out_shape: tuple[int, ...]) -> bool:
    """Whether padded input cell (r, s) is one the weight multiplies at some output position:
    r = s_h·i + p and s = s_w·j + q for whole i, j in range."""
    _, rows, columns = out_shape
    (sh, sw), (_, _, p, q) = layer.stride, weight
    return (r >= p and (r - p) % sh == 0 and (r - p) // sh < rows
            and s >= q and (s - q) % sw == 0 and (s - q) // sw < columns)
