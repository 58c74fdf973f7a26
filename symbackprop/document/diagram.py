"""The network diagram at the top of the derivation document, as geometry both printers read.

Provides :func:`network_geometry` (of a spec, in a notation, with one parameter's paths
highlighted or none) and :func:`diagram` (the document's figure): nodes (centre and radius),
edges (end points on the circles, the label's place and slope), vertical ellipses and layer
captions, in cm with y up, and the bounding box.  ``derivation.tex.j2`` prints it as TikZ and
``network.svg.j2`` as SVG; neither computes a position.  Wide layers show their first neurons,
the last one and any on the highlighted path, with a vertical ellipsis for the rest.
"""

from __future__ import annotations

import math
from typing import Any

from ..model import Parameter
from ..notation import Notation
from ..spec import Spec
from .context import Context
from .formulas import tex_escape

#: Neurons drawn per layer before the rest is replaced by a vertical ellipsis.
DRAWN_NEURONS = 4
RADIUS = 0.45  # cm
LAYER_GAP_MAX, CANVAS_WIDTH, NEURON_GAP = 3.4, 13.0, 1.15
LABEL_AT = 0.3  # the weight label's place along its edge
LABEL_LIFT = 0.12  # cm above the edge
CAPTION_LINE = 0.4  # cm per caption line


def _drawn(width: int, extra: set[int]) -> list[int | None]:
    """The neurons drawn for a layer, with None where a vertical ellipsis stands for the rest."""
    if width <= DRAWN_NEURONS + 1:
        return list(range(1, width + 1))
    keep = sorted({1, 2, 3, width} | {i for i in extra if 1 <= i <= width})
    slots: list[int | None] = []
    for index in keep:
        if slots and slots[-1] is not None and index > slots[-1] + 1:
            slots.append(None)
        slots.append(index)
    return slots


def _units(spec: Spec, layer: int) -> range:
    return range(1, spec.sizes[layer] + 1)


def _hot_edges(spec: Spec, chosen: Parameter | None) -> tuple[set[tuple[int, int, int]], set[tuple[int, int]],
                                                             dict[int, set[int]]]:
    """Edges (layer, j, k) and nodes (layer, j) on the paths of the chosen parameter."""
    if chosen is None:
        return set(), set(), {}
    edges, nodes = set(), {(chosen.layer, chosen.j)}
    extra = {chosen.layer: {chosen.j}}
    if chosen.kind == "w":
        edges.add((chosen.layer, chosen.j, chosen.k))
        nodes.add((chosen.layer - 1, chosen.k))
        extra[chosen.layer - 1] = {chosen.k}
    for layer in range(chosen.layer + 1, spec.depth + 1):
        sources = [chosen.j] if layer == chosen.layer + 1 else list(_units(spec, layer - 1))
        for j in _units(spec, layer):
            nodes.add((layer, j))
            edges.update((layer, j, k) for k in sources)
    return edges, nodes, extra


def _cm(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _layers(spec: Spec, n: Notation, hot_nodes: set, extra: dict) -> tuple[list, list, list, dict]:
    """Nodes, ellipses and captions, and each layer's drawn neurons with their centres."""
    dx = min(LAYER_GAP_MAX, CANVAS_WIDTH / max(spec.depth, 1))
    nodes, ellipses, captions, centres = [], [], [], {}
    for layer, width in enumerate(spec.sizes):
        slots = _drawn(width, extra.get(layer, set()))
        top = (len(slots) - 1) / 2
        centres[layer] = {}
        for position, index in enumerate(slots):
            x, y = layer * dx, (top - position) * NEURON_GAP
            if index is None:
                ellipses.append({"x": _cm(x), "y": _cm(y)})
                continue
            centres[layer][index] = (x, y)
            label = n.input(index) if layer == 0 else n.node("a", layer, index)
            nodes.append({"id": f"n{layer}-{index}", "x": _cm(x), "y": _cm(y), "label": label,
                          "hot": (layer, index) in hot_nodes})
        role = "input" if layer == 0 else ("output" if layer == spec.depth else "hidden")
        name = "" if layer == 0 else tex_escape(spec.activations[layer - 1].name)
        captions.append({"x": _cm(layer * dx), "top": -(top + 0.9) * NEURON_GAP, "layer": n.layer(layer),
                         "role": role, "name": name, "width": width})
    lowest = min(caption["top"] for caption in captions)
    for caption in captions:
        caption["y"] = _cm(lowest)
        del caption["top"]
    return nodes, ellipses, captions, centres


def _edge(source: tuple[float, float], target: tuple[float, float]) -> dict[str, str]:
    """End points on the two circles, and the label's place (LABEL_AT along, lifted) and slope."""
    (x1, y1), (x2, y2) = source, target
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    start, end = (x1 + RADIUS * ux, y1 + RADIUS * uy), (x2 - RADIUS * ux, y2 - RADIUS * uy)
    along = (start[0] + LABEL_AT * (end[0] - start[0]), start[1] + LABEL_AT * (end[1] - start[1]))
    label = (along[0] - LABEL_LIFT * uy, along[1] + LABEL_LIFT * ux)
    return {"x1": _cm(start[0]), "y1": _cm(start[1]), "x2": _cm(end[0]), "y2": _cm(end[1]),
            "label_x": _cm(label[0]), "label_y": _cm(label[1]), "angle": f"{math.degrees(math.atan2(uy, ux)):.1f}"}


def network_geometry(spec: Spec, n: Notation, chosen: Parameter | None = None) -> dict[str, Any]:
    """Nodes, ellipses, edges and captions of the network figure, positions in cm (y up)."""
    hot_edges, hot_nodes, extra = _hot_edges(spec, chosen)
    nodes, ellipses, captions, centres = _layers(spec, n, hot_nodes, extra)
    edges = []
    for layer in range(1, spec.depth + 1):
        for j, target in centres[layer].items():
            for k, source in centres[layer - 1].items():
                is_chosen = chosen == Parameter("w", layer, j, k)
                label = n.weight(layer, j, k) if is_chosen or (j, k) == (1, 1) and chosen is None else ""
                edges.append({"source": f"n{layer - 1}-{k}", "target": f"n{layer}-{j}", "label": label,
                              "hot": (layer, j, k) in hot_edges, "chosen": is_chosen, **_edge(source, target)})
    edges.sort(key=lambda edge: (edge["hot"], edge["chosen"]))
    xs = [float(node["x"]) for node in nodes]
    ys = [float(node["y"]) for node in nodes] + [float(captions[0]["y"]) - 3 * CAPTION_LINE]
    box = {"left": _cm(min(xs) - RADIUS - 0.6), "right": _cm(max(xs) + RADIUS + 0.6),
           "bottom": _cm(min(ys) - 0.2), "top": _cm(max(ys) + RADIUS + 0.3)}
    return {"nodes": nodes, "ellipses": ellipses, "edges": edges, "captions": captions, "highlight": "",
            "radius": _cm(RADIUS), "box": box, "caption_line": _cm(CAPTION_LINE)}


def diagram(c: Context) -> dict[str, Any]:
    """The document's network figure: :func:`network_geometry` with the sentence on its highlight."""
    drawing = network_geometry(c.d.spec, c.n, c.chosen)
    if c.chosen is not None:
        drawing["highlight"] = (f"The paths through which ${c.symbol(c.chosen)}$ reaches the cost are highlighted"
                                + (" (see Section~\\ref{sec:paths})." if c.d.per_weight is not None else "."))
    return drawing
