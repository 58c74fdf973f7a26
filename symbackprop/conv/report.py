"""The plain-text summary that ``symbackprop derive`` prints for a convolutional network.

:func:`conv_summary` lays out the spec, the forward pass of every layer (cross-correlation,
pooling, the flatten), the cost, δ of every layer, how the error crosses each layer back (the
full correlation with the flipped kernel, the arg-max routing and its tie rule, the even
spread of average pooling), the parameter gradients as sums over the positions a parameter is
shared across, the batched forms, and one verdict line per equation.  Deterministic text.
"""

from __future__ import annotations

import re

from ..report import _bp1, expression_text, verdict_lines
from .derivation import TIE_RULE, ConvLayerEquations, axes
from .driver import ConvDerivation
from .spec import Conv2d, Dense, Pool2d, units

_INDENT = "    "
#: The verdict lines, in reading order, with their names.
EQUATIONS = (("BP1", "BP1"), ("BP2", "BP2"), ("BP2-conv", "BP2 conv"), ("BP2-maxpool", "BP2 maxpool"),
             ("BP2-avgpool", "BP2 avgpool"), ("BP2-flatten", "BP2 flatten"), ("BP3", "BP3"),
             ("BP3-conv", "BP3 conv"), ("BP4", "BP4"), ("BP4-conv", "BP4 conv"), ("layer-level", "layer-level"),
             ("batched", "batched"))


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


def window_position(out: str, offset: str, stride: int, padding: int) -> str:
    """``s·i+p−P`` with the layer's numbers: ``2i+p−1``, ``i+p``."""
    text = f"{stride}{out}+{offset}" if stride > 1 else f"{out}+{offset}"
    return f"{text}−{padding}" if padding else text


def window_source(position: str, offset: str, stride: int, padding: int) -> str:
    """``(u+P−p)/s`` with the layer's numbers: the window position that reads ``position`` at ``offset``."""
    text = f"{position}+{padding}−{offset}" if padding else f"{position}−{offset}"
    return f"({text})/{stride}" if stride > 1 else text


def conv_summary(d: ConvDerivation) -> str:
    """The whole summary as one string (lines joined by newlines, no trailing newline)."""
    lines = _header(d) + [""] + _forward(d) + [""] + _cost(d) + [""] + _equations(d)
    lines += [""] + _batched(d) + [""] + _verdicts(d)
    if d.proof.notes:
        lines += ["", "Notes:"] + [f"{_INDENT}{note}" for note in d.proof.notes]
    return "\n".join(lines)


def _header(d: ConvDerivation) -> list[str]:
    spec = d.spec
    kinds = ", ".join(f"{sum(layer.kind == kind for layer in spec.layers)} {kind}"
                      for kind in ("conv2d", "maxpool2d", "avgpool2d", "dense")
                      if any(layer.kind == kind for layer in spec.layers))
    name = f"{spec.name}: " if spec.has_name else ""
    bias = "with biases" if spec.bias else "no biases"
    return [f"Network {name}{spec.shorthand()} (cost {spec.cost.label()}; {bias})",
            f"Parameters: {spec.weight_count} weights and {spec.bias_count} biases ({spec.parameter_count} in all); "
            f"L = {spec.depth} layers after the input ({kinds})",
            "Indices start at 0, as in the arrays: w^l_{c,d,p,q} is W{l}[c, d, p, q], a^l_{c,i,j} is A_l[:, c, i, j]."]


def _forward(d: ConvDerivation) -> list[str]:
    spec = d.spec
    lines = [f"Forward pass (a^0 = x, the input image of shape {shape_text(spec.input_shape)}, channels × rows × "
             "columns):"]
    for number, layer in enumerate(spec.layers, start=1):
        below, shape = spec.shapes[number - 1], spec.shapes[number]
        lines.append(f"{_INDENT}layer {number} {layer.kind}: {_forward_formula(number, layer, below, spec.bias)}")
        lines.append(f"{_INDENT}{_INDENT}({_forward_note(number, layer, below, shape, spec.bias)})")
    return lines


def _forward_formula(number: int, layer, below: tuple[int, ...], bias: bool) -> str:
    previous = number - 1
    if isinstance(layer, Conv2d):
        (sh, sw), (ph, pw) = layer.stride, layer.padding
        rows, columns = window_position("i", "p", sh, ph), window_position("j", "q", sw, pw)
        offset = f"b^{number}_c + " if bias else ""
        return (f"z^{number}_{{c,i,j}} = {offset}Σ_{{d,p,q}} w^{number}_{{c,d,p,q}} "
                f"a^{previous}_{{d,{rows},{columns}}},  a^{number} = {_activation(layer)}(z^{number})")
    if isinstance(layer, Pool2d):
        (sh, sw) = layer.stride
        operation = "max" if layer.mode == "max" else "mean"
        return (f"a^{number}_{{c,i,j}} = {operation}_{{p<{layer.kernel[0]}, q<{layer.kernel[1]}}} "
                f"a^{previous}_{{c,{window_position('i', 'p', sh, 0)},{window_position('j', 'q', sw, 0)}}}")
    flat = f"  (a^{previous} flattened: k = {_flat_text(below)})" if len(below) == 3 else ""
    offset = f" + b^{number}_j" if bias else ""
    return (f"z^{number}_j = Σ_k w^{number}_{{j,k}} a^{previous}_k{offset},  "
            f"a^{number} = {_activation(layer)}(z^{number}){flat}")


def _flat_text(shape: tuple[int, ...]) -> str:
    _, height, width = shape
    return f"(c·{height} + i)·{width} + j"


def _activation(layer: Conv2d | Dense) -> str:
    return "softmax" if not layer.activation.elementwise else layer.activation.label()


def _forward_note(number: int, layer, below, shape, bias: bool) -> str:
    if isinstance(layer, Conv2d):
        weights = shape_text((layer.channels, below[0], *layer.kernel))
        return (f"cross-correlation, as in PyTorch: W{number} is {weights}, stride {shape_text(layer.stride)}, "
                f"zero padding {shape_text(layer.padding)}; "
                f"{shape_text(below)} → {shape_text(shape)}")
    if isinstance(layer, Pool2d):
        return f"kernel {shape_text(layer.kernel)}, stride {shape_text(layer.stride)}, no parameters; " \
               f"{shape_text(below)} → {shape_text(shape)}"
    return f"W{number} is {layer.size}×{units(below)}" + (f", b{number} has {layer.size}" if bias else "")


def _cost(d: ConvDerivation) -> list[str]:
    spec = d.spec
    return ["Cost:",
            f"{_INDENT}per output unit  c(a, y) = {expression_text(spec.cost.expr)}",
            f"{_INDENT}per sample       {spec.cost.formula}  (sum over the {spec.sizes[-1]} output units)",
            f"{_INDENT}batch            C = (1/m) Σ_x C_x  (mean over the m samples x)"]


def _verdict(d: ConvDerivation, equation: str) -> str:
    text = d.proof.summary(equation)
    networks = sorted({match.group(1) for verdict in d.proof.for_equation(equation)
                       if (match := re.search(r"\(proof network ([^)]+)\)", verdict.subject))})
    return f"{text}, on {', '.join(networks)}" if networks else text


def _equations(d: ConvDerivation) -> list[str]:
    spec = d.spec
    lines = ["Backpropagation, specialised to this network (δ^l = ∂C/∂z^l; a pooling layer has no z and its "
             "δ^l = ∂C/∂a^l):"]
    lines += _bp1(d.layers.layers[-1].equations, spec.depth)
    lines.append(f"{_INDENT}{_INDENT}verdict: {_verdict(d, 'BP1')}")
    lines.append("  BP2  δ^l = e^l ⊙ σ_l'(z^l), with e^l = ∂C/∂a^l brought back through layer l+1:")
    for equations in d.layers.layers[:-1]:
        lines += _delta_lines(equations)
    for equations in d.layers.layers[1:]:
        lines += _crossing_lines(d, equations)
    for equation in ("BP2", "BP2-conv", "BP2-maxpool", "BP2-avgpool", "BP2-flatten"):
        if d.proof.for_equation(equation):
            lines.append(f"{_INDENT}{_INDENT}verdict ({equation}): {_verdict(d, equation)}")
    lines += _gradient_lines(d)
    return lines


def _delta_lines(equations: ConvLayerEquations) -> list[str]:
    number, layer, eq = equations.layer, equations.spec_layer, equations.equations
    index = "j" if isinstance(layer, Dense) else "c,i,j"
    if isinstance(layer, Pool2d):
        return [f"{_INDENT}{_INDENT}layer {number} ({layer.kind}): δ^{number}_{{{index}}} = e^{number}_{{{index}}}"]
    where = "a" if eq.derivative_in_a else "z"
    derivative = expression_text(eq.derivative)
    lines = [f"{_INDENT}{_INDENT}layer {number} ({layer.kind}, {layer.activation.label()}): "
             f"δ^{number}_{{{index}}} = e·{derivative if ' ' not in derivative else f'({derivative})'}   "
             f"(e = e^{number}_{{{index}}}, {where} = {where}^{number}_{{{index}}})"]
    return lines + [f"{_INDENT}{_INDENT}{_INDENT}found: {note.format(expression_text)}" for note in eq.notes]


def _crossing_lines(d: ConvDerivation, equations: ConvLayerEquations) -> list[str]:
    """How the error crosses layer k (k ≥ 2) back to layer k − 1."""
    k, layer, crossing = equations.layer, equations.spec_layer, equations.crossing
    below, shape = d.spec.shapes[k - 1], d.spec.shapes[k]
    head = f"{_INDENT}{_INDENT}back through layer {k} ({crossing.kind}): "
    if crossing.kind == "dense":
        return [head + f"e^{k - 1}_k = Σ_j w^{k}_{{j,k}} δ^{k}_j = ((W^{k})^T δ^{k})_k"]
    if crossing.kind == "flatten":
        return [head + f"e^{k - 1}_{{c,i,j}} = Σ_j' w^{k}_{{j',{_flat_text(below)}}} δ^{k}_{{j'}}   "
                f"(((W^{k})^T δ^{k}) unflattened to {shape_text(below)})"]
    rows, columns = axes(layer, shape)
    i = window_source("u", "p", rows.stride, rows.padding)
    j = window_source("v", "q", columns.stride, columns.padding)
    span = f"over the offsets p<{rows.kernel}, q<{columns.kernel} where {i} and {j} are whole window positions " \
           f"(0 ≤ i < {rows.positions}, 0 ≤ j < {columns.positions})"
    if crossing.kind == "conv":
        forms = [crossing.index_map.correlation(axis) for axis in (rows, columns)]
        return [head + f"e^{k - 1}_{{d,u,v}} = Σ_c Σ_{{p,q}} w^{k}_{{c,d,p,q}} δ^{k}_{{c,{i},{j}}}",
                f"{_INDENT * 3}{span} (solved from u = s·i + p − P);",
                f"{_INDENT * 3}that is the full correlation of δ^{k}, dilated by the stride "
                f"({_pair(forms, 'dilation')}) and padded by k−1−P ({_pair(forms, 'front')}), with the kernel flipped: "
                f"w^{k}_{{c,d,{rows.kernel - 1}−p,{columns.kernel - 1}−q}}"]
    if crossing.kind == "maxpool":
        return [head + f"e^{k - 1}_{{c,u,v}} = Σ_{{p,q}} [(u,v) is the maximum of window ({i},{j})] "
                f"δ^{k}_{{c,{i},{j}}}",
                f"{_INDENT * 3}{span}; d max/dx_r = {expression_text(crossing.local)} (r = 0 of a window x0, x1)",
                f"{_INDENT * 3}tie rule: {TIE_RULE}"]
    count = rows.kernel * columns.kernel
    return [head + f"e^{k - 1}_{{c,u,v}} = Σ_{{p,q}} δ^{k}_{{c,{i},{j}}} / {count}",
            f"{_INDENT * 3}{span}; d mean/dx_r = {expression_text(crossing.local * 2 / count)} (spread evenly)"]


def _pair(forms, field: str) -> str:
    values = [getattr(form, field) for form in forms]
    return str(values[0]) if values[0] == values[1] else "×".join(map(str, values))


def _gradient_lines(d: ConvDerivation) -> list[str]:
    spec = d.spec
    conv = [(n, layer) for n, layer in enumerate(spec.layers, 1) if isinstance(layer, Conv2d)]
    lines = []
    if spec.bias:
        lines.append("  BP3  ∂C/∂b^l_j = δ^l_j (dense);  ∂C/∂b^l_c = Σ_{i,j} δ^l_{c,i,j} (conv: one term per position)")
        lines += [f"{_INDENT}{_INDENT}verdict ({key}): {_verdict(d, key)}" for key in ("BP3", "BP3-conv")
                  if d.proof.for_equation(key)]
    else:
        lines.append("  BP3  (no biases in this network)")
    lines.append("  BP4  ∂C/∂w^l_{j,k} = a^(l−1)_k δ^l_j (dense);  for a conv layer the weight is shared across "
                 "every output position:")
    for number, layer in conv:
        rows, columns = axes(layer, spec.shapes[number])
        (sh, sw), (ph, pw) = layer.stride, layer.padding
        read = f"{window_position('i', 'p', sh, ph)},{window_position('j', 'q', sw, pw)}"
        lines.append(f"{_INDENT}{_INDENT}layer {number}: ∂C/∂w^{number}_{{c,d,p,q}} = Σ_{{i<{rows.positions},"
                     f"j<{columns.positions}}} δ^{number}_{{c,i,j}} a^{number - 1}_{{d,{read}}}   "
                     f"({rows.positions * columns.positions} positions; a = 0 in the padding)")
    lines += [f"{_INDENT}{_INDENT}verdict ({key}): {_verdict(d, key)}" for key in ("BP4", "BP4-conv")
              if d.proof.for_equation(key)]
    return lines


def _batched(d: ConvDerivation) -> list[str]:
    return ["Batched forms (m samples; image arrays (m, C, H, W), dense arrays (m, n)):",
            f"{_INDENT}Δ^l = E^l ⊙ σ_l'(Z^l) row by row, Δ^L as δ^L above",
            f"{_INDENT}through a conv layer:   E^(l−1) = correlate(dilate(Δ^l, s) padded by k−1−P, flip(W^l)), "
            "summed over c",
            f"{_INDENT}through max pooling:    E^(l−1) = Δ^l routed to each window's first maximum",
            f"{_INDENT}through average pooling: E^(l−1) = Δ^l spread over each window / (kh·kw)",
            f"{_INDENT}through a dense layer:  E^(l−1) = Δ^l W^l (reshaped to the image after a flatten)",
            f"{_INDENT}∂C/∂W^l[c,d,p,q] = (1/m) Σ_{{s,i,j}} Δ^l[s,c,i,j] A^(l−1)[s,d,s·i+p−P,s·j+q−P],  "
            "∂C/∂b^l[c] = (1/m) Σ_{s,i,j} Δ^l[s,c,i,j]  (conv)",
            f"{_INDENT}∂C/∂W^l = (1/m) (Δ^l)^T A^(l−1),  ∂C/∂b^l = (1/m) Σ_rows Δ^l  (dense)"]


def _verdicts(d: ConvDerivation) -> list[str]:
    rows = [(name, _verdict(d, key)) for key, name in EQUATIONS if d.proof.for_equation(key)]
    return verdict_lines(d.proof, d.spec.shorthand(), rows, shown=12)
