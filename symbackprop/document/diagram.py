"""The TikZ network diagram at the top of the derivation document.

Provides :func:`diagram`: node, ellipsis, edge and caption positions (in cm) with the paths
of the highlighted parameter marked.  Wide layers show their first neurons, the last one
and any on the highlighted path, with a vertical ellipsis for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import Parameter
from .context import Context
from .formulas import tex_escape

#: Neurons drawn per layer before the rest is replaced by a vertical ellipsis.
DRAWN_NEURONS = 4


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


@dataclass(frozen=True)
class _Paths:
    """Which nodes and edges lie on the paths from the highlighted parameter to the cost.

    Tests rather than sets: past a wide layer there are too many edges to list.
    """

    chosen: Parameter | None

    def node(self, layer: int, j: int) -> bool:
        c = self.chosen
        if c is None:
            return False
        return layer > c.layer or (layer, j) == (c.layer, c.j) or (c.kind == "w" and (layer, j) == (c.layer - 1, c.k))

    def edge(self, layer: int, j: int, k: int) -> bool:
        c = self.chosen
        if c is None or layer < c.layer:
            return False
        if layer == c.layer:
            return c.kind == "w" and (j, k) == (c.j, c.k)
        return layer > c.layer + 1 or k == c.j

    def neurons(self) -> dict[int, set[int]]:
        """The neurons of the parameter itself, per layer: a wide layer draws them too."""
        c = self.chosen
        if c is None:
            return {}
        return {c.layer: {c.j}, **({c.layer - 1: {c.k}} if c.kind == "w" else {})}


def diagram(c: Context) -> dict[str, Any]:
    """Nodes, ellipses, edges and captions of the TikZ figure, positions in cm."""
    spec, n = c.d.spec, c.n
    paths = _Paths(c.chosen)
    extra = paths.neurons()
    dx = min(3.4, 13.0 / max(spec.depth, 1))
    dy = 1.15
    nodes, ellipses, captions, shown = [], [], [], {}
    for layer, width in enumerate(spec.sizes):
        slots = _drawn(width, extra.get(layer, set()))
        top = (len(slots) - 1) / 2
        shown[layer] = [i for i in slots if i is not None]
        for position, index in enumerate(slots):
            x, y = f"{layer * dx:.2f}", f"{(top - position) * dy:.2f}"
            if index is None:
                ellipses.append({"x": x, "y": y})
                continue
            label = n.input(index) if layer == 0 else n.node("a", layer, index)
            nodes.append({"id": f"n{layer}-{index}", "x": x, "y": y, "label": label,
                          "hot": paths.node(layer, index)})
        role = "input" if layer == 0 else ("output" if layer == spec.depth else "hidden")
        name = "" if layer == 0 else tex_escape(spec.activations[layer - 1].name)
        captions.append({"x": f"{layer * dx:.2f}", "y": f"{-(top + 0.9) * dy:.2f}",
                         "text": f"layer ${n.layer(layer)}$, {role}", "name": name, "width": width})
    lowest = min(float(caption["y"]) for caption in captions)
    for caption in captions:
        caption["y"] = f"{lowest:.2f}"
    edges = []
    for layer in range(1, spec.depth + 1):
        for j in shown[layer]:
            for k in shown[layer - 1]:
                chosen = c.chosen == Parameter("w", layer, j, k)
                label = n.weight(layer, j, k) if chosen or (j, k) == (1, 1) and c.chosen is None else ""
                edges.append({"source": f"n{layer - 1}-{k}", "target": f"n{layer}-{j}", "label": label,
                              "hot": paths.edge(layer, j, k), "chosen": chosen})
    edges.sort(key=lambda edge: (edge["hot"], edge["chosen"]))
    what = ""
    if c.chosen is not None:
        symbol = c.symbol(c.chosen)
        what = (f"The paths through which ${symbol}$ reaches the cost are highlighted"
                + (" (see Section~\\ref{sec:paths})." if c.d.per_weight is not None else "."))
    return {"nodes": nodes, "ellipses": ellipses, "edges": edges, "captions": captions, "highlight": what}
