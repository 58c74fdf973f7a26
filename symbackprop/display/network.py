"""A spec as a table of its layers: width, activation, the forward pass, the parameters.

Provides :func:`spec_table` and :func:`spec_svg` (the network drawn as the documents draw it).
The forward pass is written for neuron j of each layer, in
Nielsen's numbering (the input is layer 0), and the cost as the sum over the output units.
"""

from __future__ import annotations

import sympy as sp

from ..notation import PROFILES
from ..printing.latex import printer
from ..spec import Spec
from .markup import Math, Table, Text, cell

NIELSEN = PROFILES["nielsen"]


def _activation(spec: Spec, layer: int) -> str:
    """a^l_j in terms of z^l_j (softmax: over the whole layer)."""
    n, activation = NIELSEN, spec.activations[layer - 1]
    a, z = n.node("a", layer, "j"), n.node("z", layer, "j")
    if not activation.elementwise:
        return rf"{a} = \frac{{e^{{{z}}}}}{{\sum_{{i}} e^{{{n.node('z', layer, 'i')}}}}}"
    return f"{a} = {printer(n, layer).doprint(activation.expr)}"


def _weighted_input(spec: Spec, layer: int) -> str:
    n = NIELSEN
    source = n.input("k") if layer == 1 else n.node("a", layer - 1, "k")
    bias = f" + {n.bias(layer, 'j')}" if spec.bias else ""
    return rf"{n.node('z', layer, 'j')} = \sum_{{k}} {n.weight(layer, 'j', 'k')}\, {source}{bias}"


def _parameters(spec: Spec, layer: int) -> str:
    rows, columns = spec.sizes[layer], spec.sizes[layer - 1]
    text = rf"{NIELSEN.weight_matrix(layer)}: {rows} \times {columns}"
    return text + (rf",\ {NIELSEN.bias_vector(layer)}: {rows}" if spec.bias else "")


def cost_formula(spec: Spec) -> str:
    """C for one sample, summed over the output units, in layer-indexed symbols."""
    L = spec.depth
    per_unit = spec.cost.expr
    text = printer(NIELSEN, L).doprint(per_unit)
    return r"C = \sum_{j} " + (rf"\left({text}\right)" if isinstance(per_unit, sp.Add) else text)


def spec_table(spec: Spec) -> Table:
    rows = [(cell("0 (input)"), cell(str(spec.sizes[0])), cell(Text("—", "muted")),
             cell(Math(f"{NIELSEN.node('a', 0)} = x")), cell(""))]
    for layer in range(1, spec.depth + 1):
        label = f"{layer} (output)" if layer == spec.depth else str(layer)
        rows.append((cell(label), cell(str(spec.sizes[layer])), cell(spec.activations[layer - 1].label()),
                     cell(Math(_weighted_input(spec, layer)), Math(_activation(spec, layer))),
                     cell(Math(_parameters(spec, layer)))))
    name = f"{spec.name}: " if spec.has_name else ""
    layers = f"{spec.depth} weight layer{'s' if spec.depth > 1 else ''}"
    title = cell(f"Network {name}{spec.shorthand()}: {layers}, {spec.parameter_count} parameters "
                 f"({spec.weight_count} weights, {spec.bias_count} biases)")[0]
    notes = ((Text(f"Cost {spec.cost.label()}, per sample: "), Math(cost_formula(spec)),
              Text(f" (the sum over the {spec.sizes[-1]} output units); over a batch, the mean over its m samples.")),)
    return Table(title, ("layer", "width", "activation", "forward pass", "parameters"), tuple(rows), notes)


def spec_svg(spec: Spec) -> str:
    """The network as an inline SVG element: the derivation document's figure, nothing highlighted."""
    from ..document.diagram import network_geometry
    from ..document.web import svg_figure

    figure = {"drawing": "network", "data": network_geometry(spec, NIELSEN),
              "caption": f"The network {spec.shorthand()}"}
    return svg_figure(figure, standalone=False)
