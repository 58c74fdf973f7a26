"""The derivation document of a convolutional network: the same view-model as for dense networks.

Provides :func:`conv_document_view` (title and numbered sections of blocks, which every renderer
of :mod:`symbackprop.document` prints) and :func:`read_conv_parameter` (``--highlight`` and
``--weights`` for these networks).  The sections, in reading order: the network (layers and the
kernel figure of one weight), notation, the forward pass, the cost, BP1 (as for a dense output),
then from :mod:`.conv_equations` the error of every layer, how it crosses a convolution (the
full correlation with the flipped kernel), max and average pooling and the flatten, the
parameter gradients as sums over positions, the positions of the highlighted weight, every
partial derivative with its verdict, and the verification.  Indices start at 0, as in the arrays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..conv.driver import ConvDerivation
from ..conv.model import ConvParameter
from ..conv.spec import Conv2d, Dense, Pool2d
from ..errors import UserError
from ..notation import Notation
from ..printing.conv_latex import conv_printer
from .blocks import definitions, figure, number, paragraph, section, table
from .context import Context
from .conv_equations import conv_equation_sections, weight_symbol
from .equations import bp1_section
from .formulas import equation, frac_d, tex_escape
from .kernel_diagram import MAX_CELLS, kernel_diagram

ConvSelection = str | tuple[ConvParameter, ...]


@dataclass
class ConvContext:
    """One convolutional document in the making (the counterpart of :class:`~.context.Context`)."""

    d: ConvDerivation
    n: Notation
    chosen: ConvParameter | None
    expand: bool
    selection: ConvSelection

    def p(self, layer: int | None = None, index: str = "j"):
        return conv_printer(self.n, layer, index)

    @property
    def depth(self) -> int:
        return self.d.spec.depth

    def symbol(self, parameter: ConvParameter) -> str:
        return self.p().doprint(self.d.model.symbol(parameter))


@dataclass(frozen=True)
class _OutputView:
    """What the dense BP1 section reads of a derivation: the output layer is dense in these networks too."""

    spec: Any
    layers: Any
    proof: Any


def default_highlight(d: ConvDerivation) -> ConvParameter | None:
    """The first weight of the first conv layer, else None (the figure shows a conv weight)."""
    for number_, layer in enumerate(d.spec.layers, start=1):
        if isinstance(layer, Conv2d):
            return ConvParameter("w", number_, (0, 0, 0, 0))
    return None


def conv_document_view(d: ConvDerivation, n: Notation, chosen: ConvParameter | None = None, expand: bool = True,
                       selection: ConvSelection = "all") -> dict[str, Any]:
    """The document as every format shows it: the title and the numbered sections of blocks."""
    c = ConvContext(d, n, chosen or default_highlight(d), expand, selection)
    dense = Context(_OutputView(d.spec, d.layers.elementwise, d.proof), n, None, expand, "none")
    sections = [network_section(c), notation_section(c), forward_section(c), cost_section(c), bp1_section(dense),
                *conv_equation_sections(c)]
    sections = [part for part in sections if part is not None]
    name = tex_escape(d.spec.name) if d.spec.has_name else None
    shorthand = tex_escape(d.spec.shorthand())
    text = rf"\texttt{{{name}}} ({shorthand})" if name else shorthand
    return {"title": {"text": f"Backpropagation for the convolutional network {text}",
                      "shorthand": shorthand}, "sections": sections, "labels": number(sections)}


def _shape(shape: tuple[int, ...]) -> str:
    return r" \times ".join(map(str, shape))


def _layer_row(c: ConvContext, number_: int) -> list[str]:
    layer, spec = c.d.spec.layer(number_), c.d.spec
    shape = f"${_shape(spec.shapes[number_])}$"
    if isinstance(layer, Conv2d):
        what = (rf"conv2d, kernel ${_shape(layer.kernel)}$, stride ${_shape(layer.stride)}$, padding "
                rf"${_shape(layer.padding)}$, \texttt{{{tex_escape(layer.activation.label())}}}")
    elif isinstance(layer, Pool2d):
        what = rf"{layer.kind}, kernel ${_shape(layer.kernel)}$, stride ${_shape(layer.stride)}$"
    else:
        what = rf"dense, \texttt{{{tex_escape(layer.activation.label())}}}"
    return [f"layer ${c.n.layer(number_)}$", what, shape]


def network_section(c: ConvContext) -> dict[str, Any]:
    spec = c.d.spec
    rows = [[f"layer ${c.n.layer(0)}$", "input image", f"${_shape(spec.input_shape)}$"]]
    rows += [_layer_row(c, number_) for number_ in range(1, spec.depth + 1)]
    facts = (rf"Cost: \texttt{{{tex_escape(spec.cost.label())}}}; {spec.parameter_count} parameters "
             f"({spec.weight_count} weights, {spec.bias_count} biases). Shapes are channels $\\times$ rows $\\times$ "
             f"columns. Notation: {tex_escape(c.n.title)} ({tex_escape(c.n.source)}).")
    blocks = [table(rows), paragraph(facts)]
    if c.chosen is not None and c.chosen.kind == "w" and isinstance(spec.layer(c.chosen.layer), Conv2d):
        blocks.append(_kernel_figure(c))
    return section("The network", "sec:network", blocks)


def _kernel_figure(c: ConvContext) -> dict[str, Any]:
    chosen, spec, n = c.chosen, c.d.spec, c.n
    layer = spec.layer(chosen.layer)
    channel, source = chosen.index[0], chosen.index[1]
    labels = (n.node("a", chosen.layer - 1, str(source)), n.node("z", chosen.layer, str(channel)))
    data = kernel_diagram(layer, spec.shapes[chosen.layer - 1], spec.shapes[chosen.layer], chosen.index, labels)
    i0, j0 = data["position"]
    symbol = c.symbol(chosen)
    caption = (rf"Left: channel {source} of ${n.node('a', chosen.layer - 1)}$ with its zero padding (dashed); right: "
               rf"channel {channel} of ${n.node('z', chosen.layer)}$. The kernel at output position $({i0}, {j0})$ is "
               rf"outlined, the input ${symbol}$ multiplies there is dark. The weight is shared across all "
               f"{data['shared']} output positions: it multiplies every shaded input (those in the padding read "
               "zeros), so its gradient is a sum over all of them (Section~\\ref{sec:positions}).")
    if data["cropped"]:
        caption += f" Only the top-left corner of each grid is drawn (at most {MAX_CELLS} rows and columns)."
    return figure("grid", data, caption, "fig:kernel")


def notation_section(c: ConvContext) -> dict[str, Any]:
    n, spec = c.n, c.d.spec
    s = n.activation_letter
    w = weight_symbol(n, 0, "c,d,p,q")
    rows = [
        (w, f"the weight of a conv layer ${n.generic_layer(0)}$ from input channel $d$ at kernel offset $(p, q)$ to "
            r"output channel $c$: entry $[c, d, p, q]$ of the layer's weight array in the generated module "
            r"(\texttt{W1} for layer 1)"),
        (n.generic_bias(0, "c"), "the bias of output channel $c$ of a conv layer (one per channel, at every position)"),
        (n.generic_node("z", 0, "c,i,j"), "the weighted input at channel $c$, row $i$, column $j$ of an image layer"),
        (n.generic_node("a", 0, "c,i,j"), f"its activation; ${n.node('a', 0)} = x$, the input image"),
        (n.generic_node(r"\delta", 0, "c,i,j"), f"its error, ${frac_d('C', n.generic_node('z', 0, 'c,i,j'))}$; a "
                                                "pooling layer has no weighted input and its error is "
                                                f"${frac_d('C', n.generic_node('a', 0, 'c,i,j'))}$"),
        (n.generic_node("e", 0, "c,i,j"), f"the error that arrives at an activation from the layer after it, "
                                          f"${frac_d('C', n.generic_node('a', 0, 'c,i,j'))}$"),
        (r"k_h,\ k_w,\ s,\ P", "a layer's kernel height and width, stride and zero padding"),
        (rf"{s},\ {s}'", "the activation function of a layer, applied elementwise, and its derivative"),
        (weight_symbol(n, 0, "j,k") + rf",\ {n.generic_node('a', 0, 'j')}", "the weights and neurons of a dense "
                                                                            "layer, as in a dense network"),
        ("C", "the cost of one sample; the batch cost is the mean of $C$ over the $m$ samples of a batch"),
    ]
    intro = (f"The symbols follow {tex_escape(n.title)} ({tex_escape(n.source)}). Layers are numbered "
             f"{n.layer(0).strip('()[]')} (the input) to {n.layer(spec.depth).strip('()[]')} (the output). "
             "In this network every index starts at $0$, as in the arrays, and a conv layer is a "
             "cross-correlation (as in PyTorch): the kernel is not flipped in the forward pass. A dense "
             "layer after an image reads it flattened in (channel, row, column) order.")
    return section("Notation", "sec:notation",
                   [paragraph(intro), definitions([(symbol, text + ".") for symbol, text in rows])])


def _generic_forward(c: ConvContext) -> list[dict[str, Any]]:
    n, s = c.n, c.n.activation_letter
    bias = f"{n.generic_bias(0, 'c')} + " if c.d.spec.bias else ""
    conv = (rf"{n.generic_node('z', 0, 'c,i,j')} = {bias}\sum_{{d}} \sum_{{p < k_h}} \sum_{{q < k_w}} "
            rf"{weight_symbol(n, 0, 'c,d,p,q')}\, {n.generic_node('a', -1, 'd, s i + p - P, s j + q - P')}, \qquad "
            rf"{n.generic_node('a', 0, 'c,i,j')} = {s}({n.generic_node('z', 0, 'c,i,j')})")
    pool = (rf"{n.generic_node('a', 0, 'c,i,j')} = \max_{{p < k_h,\, q < k_w}} "
            rf"{n.generic_node('a', -1, 'c, s i + p, s j + q')} \quad\text{{or the mean}}")
    return [paragraph("A conv layer slides its kernel over the zero-padded input, one output position per step "
                      "of the stride; an input position outside the image reads zero:"), equation(conv, "eq:forward"),
            paragraph("A pooling layer takes the maximum (or the mean) of each window, channel by channel:"),
            equation(pool, "eq:forward-pool")]


def _layer_forward(c: ConvContext, number_: int) -> list[dict[str, Any]]:
    n, spec, layer = c.n, c.d.spec, c.d.spec.layer(number_)
    below = number_ - 1
    if isinstance(layer, Dense):
        source = n.node("a", below, "k")
        reads = (f" (the image ${n.node('a', below)}$ flattened, $k = (c \\cdot {spec.shapes[below][1]} + i) \\cdot "
                 f"{spec.shapes[below][2]} + j$)" if len(spec.shapes[below]) == 3 else "")
        bias = f" + {n.bias(number_, 'j')}" if spec.bias else ""
        weight = weight_symbol(n, number_, "j,k", core=True)
        formula = rf"{n.node('z', number_, 'j')} = \sum_{{k}} {weight}\, {source}{bias}"
        text = rf"layer ${n.layer(number_)}$, dense, \texttt{{{tex_escape(layer.activation.label())}}}{reads}:"
        return [paragraph(text), equation(formula, f"eq:forward-{number_}")]
    (sh, sw), (ph, pw) = layer.stride, layer.padding
    rows = _position("i", "p", sh, ph)
    columns = _position("j", "q", sw, pw)
    if isinstance(layer, Pool2d):
        operation = r"\max" if layer.mode == "max" else r"\operatorname{mean}"
        formula = (rf"{n.node('a', number_, 'c,i,j')} = {operation}_{{p < {layer.kernel[0]},\, q < {layer.kernel[1]}}} "
                   rf"{n.node('a', below, f'c,{rows},{columns}')}")
        return [paragraph(rf"layer ${n.layer(number_)}$, {layer.kind}:"), equation(formula, f"eq:forward-{number_}")]
    bias = f"{n.bias(number_, 'c')} + " if spec.bias else ""
    formula = (rf"{n.node('z', number_, 'c,i,j')} = {bias}\sum_{{d < {spec.shapes[below][0]}}} "
               rf"\sum_{{p < {layer.kernel[0]}}} \sum_{{q < {layer.kernel[1]}}} "
               rf"{weight_symbol(n, number_, 'c,d,p,q', core=True)}\, {n.node('a', below, f'd,{rows},{columns}')}")
    activation = layer.activation.expr
    text = rf"layer ${n.layer(number_)}$, conv2d, \texttt{{{tex_escape(layer.activation.label())}}}"
    blocks = [paragraph(text + ":"), equation(formula, f"eq:forward-{number_}")]
    if activation is not None:
        blocks.append(equation(f"{n.node('a', number_, 'c,i,j')} = {c.p(number_, 'c,i,j').doprint(activation)}"))
    return blocks


def _position(out: str, offset: str, stride: int, padding: int) -> str:
    text = f"{stride} {out} + {offset}" if stride > 1 else f"{out} + {offset}"
    return f"{text} - {padding}" if padding else text


def forward_section(c: ConvContext) -> dict[str, Any]:
    blocks = _generic_forward(c) + [paragraph("In this network:")]
    for number_ in range(1, c.depth + 1):
        blocks += _layer_forward(c, number_)
    return section("The forward pass", "sec:forward", blocks)


def cost_section(c: ConvContext) -> dict[str, Any]:
    n, spec = c.n, c.d.spec
    L = spec.depth
    per_unit = spec.cost.expr
    text = c.p(L).doprint(per_unit)
    text = rf"\left({text}\right)" if per_unit.is_Add else text
    return section("The cost", "sec:cost", [
        paragraph(rf"The cost is \texttt{{{tex_escape(spec.cost.label())}}}. The cost of one sample sums over the "
                  f"{spec.sizes[-1]} output units $j = 0, \\dots, {spec.sizes[-1] - 1}$:"),
        equation(rf"C = \sum_{{j}} {text}", "eq:cost"),
        paragraph("and the cost of a batch is the mean over its $m$ samples,"),
        equation(r"C_{\text{batch}} = \frac{1}{m} \sum_{s=1}^{m} C^{(s)}", "eq:batch-cost"),
        paragraph("so every gradient of the batch cost is the mean of the per-sample gradients derived below. "
                  "Differentiating the per-sample cost by one output activation:"),
        equation(rf"{frac_d('C', n.node('a', L, 'j'))} = {c.p(L).doprint(c.d.layers.cost_gradient)}",
                 "eq:cost-gradient")])


# -- --highlight and --weights ----------------------------------------------------------------------

_PARAMETER = re.compile(r"^(?P<letter>\\?[A-Za-z]+|θ)\s*\^?\s*(?P<layer>\{[^{}]*\}|[(\[]\s*\d+\s*[)\]]|\d+)\s*_\s*"
                        r"(?:\{\s*(?P<braced>\d+(?:\s*,\s*\d+)*)\s*\}|(?P<bare>\d+(?:,\d+)*))$")


def read_conv_parameter(text: str, n: Notation, option: str = "--highlight") -> ConvParameter:
    """``w^1_{0,0,1,2}``, ``b^1_0``, ``w^3_{2,7}`` (indices from 0, comma-separated), layers numbered as in
    the profile."""
    match = _PARAMETER.match(text.strip())
    letter = match["letter"] if match else None
    layer = _core_layer(match["layer"], n) if match else None
    if letter not in n.typed_weight_letters + ("b",) or layer is None:
        raise UserError(f"expected a weight like {n.typed_weight_letters[0]}^{n.weight_layer(1)}_{{0,0,1,2}} or a bias "
                        f"like b^{n.weight_layer(1)}_0 (indices from 0, comma-separated), got {text!r}", option)
    indices = tuple(int(part) for part in re.split(r"\s*,\s*", match["braced"] or match["bare"]))
    return ConvParameter("b" if letter == "b" else "w", layer, indices)


def _core_layer(text: str, n: Notation) -> int | None:
    """The core layer of a typed layer number (``1``, ``{1}``, ``(2)``, ``[2]``); None unless in the profile's
    brackets."""
    text = text.strip().removeprefix("{").removesuffix("}").strip()
    open_, close = n.bracket
    if open_ and text.startswith(open_) and text.endswith(close):
        text = text[len(open_):-len(close)].strip()
    return int(text) - n.weight_offset if text.isdigit() else None


def conv_view(spec, n: Notation, highlight: str | None, expand: bool, weights: str | None, max_parameters: int,
              derivation: ConvDerivation | None) -> dict[str, Any]:
    """The view-model of ``spec``'s document; the options are read before the (costly) derivation."""
    from ..driver import derive

    chosen = read_conv_parameter(highlight, n) if highlight else None
    selection: ConvSelection = "all"
    if weights is not None and weights.strip().lower() in ("all", "none"):
        selection = weights.strip().lower()
    elif weights is not None:
        parts = re.split(r",(?![^{]*\})", weights)
        selection = tuple(read_conv_parameter(part, n, "--weights") for part in parts if part.strip())
    d = derivation if derivation is not None else derive(spec, max_parameters=max_parameters)
    _require(d, chosen, selection)
    return conv_document_view(d, n, chosen, expand, selection)


def _require(d: ConvDerivation, chosen: ConvParameter | None, selection: ConvSelection) -> None:
    """Every parameter named by --highlight or --weights exists."""
    named = ([(chosen, "--highlight")] if chosen else []) + [
        (parameter, "--weights") for parameter in (selection if isinstance(selection, tuple) else ())]
    for parameter, option in named:
        if parameter not in d.model.parameters:
            keys = ", ".join(f"{key} {shape}" for key, shape in d.spec.parameter_shapes().items())
            raise UserError(f"{d.spec.shorthand()} has no parameter {parameter} (its parameters: {keys}, indices "
                            "from 0)", option)
