"""The backpropagation sections of a convolutional network's document, after BP1.

Provides :func:`conv_equation_sections` (in order: the error of every layer; how the error
crosses a convolution -- the full correlation of the dilated error with the flipped kernel --,
max pooling -- to the arg-max, with the tie rule --, average pooling and dense layers; the
gradients of biases and weights as sums over the positions they are shared across; the
positions of the highlighted weight; every partial derivative with its verdict; the
verification) and :func:`weight_symbol`.  Each section is built from a
:class:`~.convolution.ConvContext` as blocks of :mod:`.blocks`.
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy as sp

from ..conv.derivation import FLIPPED, KERNEL, TIE_RULE, Axis, axes, flipped
from ..conv.spec import Conv2d, Pool2d
from .blocks import align, heading, items, paragraph, section, table
from .blocks import steps as step_blocks
from .formulas import DELTA, equation, frac_d, sum_pieces, tex_escape, wrap

#: Visible characters per line of a sum over positions (their three-index subscripts run wider than they count).
SUM_WIDTH = 56
VERIFIED_NAMES = {"BP1": "BP1", "BP2": "BP2 (dense layers)", "BP2-conv": "through a convolution",
                  "BP2-maxpool": "through max pooling", "BP2-avgpool": "through average pooling",
                  "BP2-flatten": "through the flatten", "BP3": "BP3 (dense)", "BP3-conv": "BP3 (conv)",
                  "BP4": "BP4 (dense)", "BP4-conv": "BP4 (conv)", "layer-level": "every form, one sample",
                  "batched": "batched forms"}


def weight_symbol(n, layer: int, indices: str, core: bool = False) -> str:
    """w of the generic layer l + ``layer`` (or of core layer ``layer`` when ``core``) at ``indices``."""
    number = n.weight_layer(layer) if core else n.generic_weight_layer(layer)
    return f"{n.weight_letter}^{{{number}}}_{{{indices}}}"


def _index_latex(expr) -> str:
    """An expression of the generic index symbols (i, u, p, s, P, k, p̄) as LaTeX."""
    return sp.latex(expr, symbol_names={FLIPPED: r"\bar p", KERNEL: "k_h"})


def _step(text: str, formula: str | list[str] | None, label: str | None = None) -> dict[str, Any]:
    return {"text": text, "equation": equation(formula, label) if formula else None}


def _verdict(c, *keys: str) -> list[dict[str, Any]]:
    found = [f"{VERIFIED_NAMES[key]}: {tex_escape(c.d.proof.summary(key))}" for key in keys
             if c.d.proof.for_equation(key)]
    return [paragraph("; ".join(found) + ".", "Verified.")] if found else []


def _crossings(c, kind: str) -> list[int]:
    return [eq.layer for eq in c.d.layers.layers[1:] if eq.crossing.kind == kind]


def error_section(c) -> dict[str, Any]:
    n, s = c.n, c.n.activation_letter
    g = n.generic_node
    general = rf"{g(DELTA, 0, 'c,i,j')} = {g('e', 0, 'c,i,j')}\, {s}'({g('z', 0, 'c,i,j')})"
    steps = [_step(f"The weighted input ${g('z', 0, 'c,i,j')}$ reaches the cost only through its own activation "
                   f"${g('a', 0, 'c,i,j')} = {s}({g('z', 0, 'c,i,j')})$, and the activation through the layer after "
                   f"it, whatever its kind. With ${g('e', 0, 'c,i,j')} = {frac_d('C', g('a', 0, 'c,i,j'))}$ the "
                   "chain rule has one factor of each:", general, "eq:bp2"),
             _step("A pooling layer has no activation of its own, so its error is the error that arrives:",
                   rf"{g(DELTA, 0, 'c,i,j')} = {g('e', 0, 'c,i,j')}")]
    special = []
    for eq in c.d.layers.layers[:-1]:
        number, layer = eq.layer, eq.spec_layer
        index = "j" if layer.kind == "dense" else "c,i,j"
        if isinstance(layer, Pool2d):
            special.append(_step(f"Layer ${n.layer(number)}$ ({layer.kind}):",
                                 f"{n.node(DELTA, number, index)} = {n.node('e', number, index)}"))
            continue
        derivative = c.p(number, index).doprint(eq.equations.derivative)
        text = f"Layer ${n.layer(number)}$ ({layer.kind}, \\texttt{{{tex_escape(layer.activation.label())}}})"
        if eq.equations.derivative_in_a and eq.equations.derivative != eq.equations.derivative_z:
            text += f", with ${s}'$ written in the activation it has already computed"
        special.append(_step(text + ":", rf"{n.node(DELTA, number, index)} = {n.node('e', number, index)} "
                                         rf"\cdot \left({derivative}\right)", f"eq:delta-{number}"))
    return section("BP2: the error of a layer", "sec:bp2",
                   [paragraph("", "Statement."), equation(general, None, "BP2"),
                    paragraph("", "Derivation."), *step_blocks(steps),
                    paragraph("The error that arrives, $e$, depends on the kind of the layer after it; the next "
                              "sections derive it for each kind in this network.", "For this network."),
                    *step_blocks(special)])


def conv_crossing_section(c) -> dict[str, Any] | None:
    numbers = _crossings(c, "conv")
    if not numbers:
        return None
    n, g = c.n, c.n.generic_node
    w = weight_symbol(n, 0, "c,d,p,q")
    e, a = g("e", -1, "d,u,v"), g("a", -1, "d,u,v")
    chain = rf"{e} = {frac_d('C', a)} = \sum_{{c,i,j}} {g(DELTA, 0, 'c,i,j')}\, {frac_d(g('z', 0, 'c,i,j'), a)}"
    local = rf"{frac_d(g('z', 0, 'c,i,j'), a)} = \sum_{{p,q}} {w}\, \mathbf{{1}}[s i + p - P = u]\, " \
            r"\mathbf{1}[s j + q - P = v]"
    index_map = c.d.layers.layer(numbers[0]).crossing.index_map
    solved = f"i = {_index_latex(index_map.backward)}"
    sources = g(DELTA, 0, r"c, \frac{u + P - p}{s}, \frac{v + P - q}{s}")
    result = rf"{e} = \sum_{{c}} \sum_{{p < k_h,\, q < k_w}} {w}\, {sources}"
    flipped_w = weight_symbol(n, 0, r"c,d,k_h - 1 - \bar p,k_w - 1 - \bar q")
    correlation = (rf"{e} = \sum_{{c}} \sum_{{\bar p < k_h,\, \bar q < k_w}} {flipped_w}\, "
                   r"\hat\delta^{c}_{u + \bar p,\, v + \bar q}")
    steps = [
        _step(f"An activation ${a}$ of the layer before a convolution feeds every weighted input whose window covers "
              "it, so the chain rule sums over all of them:", chain),
        _step("By \\eqref{eq:forward} the local factor is the weight that connects them, for each kernel offset that "
              "lands on $(u, v)$:", local),
        _step("Solving the index equation $u = s i + p - P$ for the output position (SymPy's \\texttt{solve}) leaves "
              "one term per offset, kept only where the solution is a whole position inside the output:", solved),
        _step("so", result, "eq:bp2-conv"),
        _step(rf"Written with the flipped offset $\bar p = k_h - 1 - p$, the position read is "
              rf"$i = {_index_latex(flipped(index_map))}$: it grows with $\bar p$, so this is a correlation. Let "
              r"$\hat\delta^{c}$ be the error $\delta^{c}$ dilated by the stride ($s - 1$ zeros between entries) and "
              r"padded by $k - 1 - P$ zeros; then the error is the full correlation of the dilated error with "
              r"the flipped kernel:", correlation, "eq:bp2-conv-correlation")]
    special = []
    for number in numbers:
        layer = c.d.spec.layer(number)
        forms = [c.d.layers.layer(number).crossing.index_map.correlation(axis)
                 for axis in axes(layer, c.d.spec.shapes[number])]
        special.append(paragraph(
            f"Layer ${n.layer(number)}$ (kernel ${layer.kernel[0]} \\times {layer.kernel[1]}$, stride "
            f"${layer.stride[0]} \\times {layer.stride[1]}$, padding ${layer.padding[0]} \\times {layer.padding[1]}$): "
            f"the error of layer ${n.layer(number - 1)}$ is the correlation of $\\delta$ dilated by "
            f"${forms[0].dilation} \\times {forms[1].dilation}$ and padded by ${forms[0].front} \\times "
            f"{forms[1].front}$ with the kernel flipped in both directions"
            + ("" if forms[0].flip and forms[1].flip else " (as read from the index map)") + "."))
    batched = (r"E^{l-1}[:, d] = \sum_{c} \operatorname{correlate}\bigl(\operatorname{dilate}(\Delta^{l}[:, c], s)"
               r",\ \operatorname{flip}(W^{l}[c, d])\bigr)")
    return section("Through a convolution: the flipped kernel", "sec:bp2-conv",
                   [paragraph("", "Derivation."), *step_blocks(steps), paragraph("", "For this network."), *special,
                    paragraph("For a batch the same correlation runs over every sample at once:",
                              "Batched form."), equation(batched, "eq:bp2-conv-batched"),
                    *_verdict(c, "BP2-conv")])


def pool_crossing_section(c, mode: str) -> dict[str, Any] | None:
    numbers = _crossings(c, f"{mode}pool")
    if not numbers:
        return None
    n, g = c.n, c.n.generic_node
    local = c.d.layers.layer(numbers[0]).crossing.local
    e, a = g("e", -1, "c,u,v"), g("a", -1, "c,u,v")
    window = r"\bigl(\tfrac{u - p}{s}, \tfrac{v - q}{s}\bigr)"
    sources = g(DELTA, 0, r"c, \frac{u - p}{s}, \frac{v - q}{s}")
    chain = rf"{e} = \sum_{{p,q}} {frac_d('C', g('a', 0, 'c,i,j'))}\, {frac_d(g('a', 0, 'c,i,j'), a)}" \
            r"\Big|_{(i,j) = " + window + "}"
    if mode == "max":
        steps = [_step("Differentiating the maximum of a window $x_0, x_1, \\dots$ by one of its entries (SymPy's "
                       "derivative of \\texttt{Max}, shown for two entries):",
                       rf"\frac{{\partial \max(x_0, x_1)}}{{\partial x_0}} = H({_index_latex(local.args[0])})"),
                 _step("so an entry receives the error of a window only where it is that window's maximum. With the "
                       "window positions that contain $(u, v)$ found by solving $u = s i + p$:", chain),
                 _step("", rf"{e} = \sum_{{p,q}} \mathbf{{1}}\bigl[{a} \text{{ is the maximum of window }} "
                           rf"{window}\bigr]\, {sources}",
                       "eq:bp2-maxpool"),
                 _step(f"$H$ is the step function, undefined where the window's entries tie: there the rule is that "
                       f"{tex_escape(TIE_RULE)}.", None)]
        title = "Through max pooling: to the arg-max"
    else:
        count = r"k_h k_w"
        steps = [_step("Differentiating the mean of a window by one of its entries:",
                       rf"\frac{{\partial}}{{\partial x_0}} \frac{{x_0 + \dots + x_{{k_h k_w - 1}}}}{{{count}}} = "
                       rf"\frac{{1}}{{{count}}}"),
                 _step("so every entry of a window receives the same share of its error:",
                       rf"{e} = \frac{{1}}{{{count}}} \sum_{{p,q}} {sources}", "eq:bp2-avgpool")]
        title = "Through average pooling: spread evenly"
    special = [paragraph(f"Layer ${n.layer(number)}$: windows ${c.d.spec.layer(number).kernel[0]} \\times "
                         f"{c.d.spec.layer(number).kernel[1]}$, stride ${c.d.spec.layer(number).stride[0]} \\times "
                         f"{c.d.spec.layer(number).stride[1]}$, the terms kept where $(u - p)/s$ and $(v - q)/s$ are "
                         "whole window positions.") for number in numbers]
    return section(title, f"sec:bp2-{mode}pool", [paragraph("", "Derivation."), *step_blocks(steps),
                                                   paragraph("", "For this network."), *special,
                                                   *_verdict(c, f"BP2-{mode}pool")])


def dense_crossing_section(c) -> dict[str, Any] | None:
    flat, dense = _crossings(c, "flatten"), _crossings(c, "dense")
    if not flat and not dense:
        return None
    n, g = c.n, c.n.generic_node
    general = rf"{g('e', -1, 'k')} = \sum_{{j}} {weight_symbol(n, 0, 'j,k')}\, {g(DELTA, 0, 'j')}"
    blocks = [paragraph("A dense layer reads every unit of the layer before it, so, as in a dense network:"),
              equation(general, "eq:bp2-dense")]
    for number in flat:
        _, height, width = c.d.spec.shapes[number - 1]
        blocks.append(paragraph(f"Layer ${n.layer(number)}$ reads the image ${n.node('a', number - 1)}$ flattened, "
                                f"so the error of its position $(c, i, j)$ is entry $k = (c \\cdot {height} + i) "
                                f"\\cdot {width} + j$ (the flatten only reshapes):"))
        flat_w = weight_symbol(n, number, f"j', (c \\cdot {height} + i) \\cdot {width} + j", True)
        error, delta = n.node("e", number - 1, "c,i,j"), n.node(DELTA, number, "j'")
        blocks.append(equation(rf"{error} = \sum_{{j'}} {flat_w}\, {delta}"))
    blocks.append(equation(r"E^{l-1} = \Delta^{l} W^{l} \quad\text{(reshaped to the image after a flatten)}",
                           "eq:bp2-dense-batched"))
    return section("Through a dense layer and the flatten", "sec:bp2-dense",
                   blocks + _verdict(c, "BP2", "BP2-flatten"))


def gradients_section(c) -> dict[str, Any]:
    n, g = c.n, c.n.generic_node
    w = weight_symbol(n, 0, "c,d,p,q")
    z = g("z", 0, "c,i,j")
    bias = rf"{frac_d('C', n.generic_bias(0, 'c'))} = \sum_{{i,j}} {g(DELTA, 0, 'c,i,j')}"
    weight = (rf"{frac_d('C', w)} = \sum_{{i,j}} {g(DELTA, 0, 'c,i,j')}\, "
              rf"{g('a', -1, 'd, s i + p - P, s j + q - P')}")
    steps = [_step("A weight of a conv layer is shared: by \\eqref{eq:forward} it enters the weighted "
                   "input of every output position of its channel, so the chain rule sums over all of them:",
                   rf"{frac_d('C', w)} = \sum_{{i,j}} {frac_d('C', z)}\, {frac_d(z, w)}"),
             _step("and the local factor is the input the weight multiplies at that position (zero in the padding):",
                   rf"{frac_d(z, w)} = {g('a', -1, 'd, s i + p - P, s j + q - P')}"),
             _step("so the gradient of a weight is a sum over the positions it is shared across:", weight,
                   "eq:bp4-conv"),
             _step("and likewise for the bias of a channel, which enters every position with factor 1:", bias,
                   "eq:bp3-conv"),
             _step("A dense layer's parameters are as in a dense network:",
                   rf"{frac_d('C', weight_symbol(n, 0, 'j,k'))} = {g('a', -1, 'k')}\, {g(DELTA, 0, 'j')}, \qquad "
                   rf"{frac_d('C', n.generic_bias(0, 'j'))} = {g(DELTA, 0, 'j')}", "eq:bp4")]
    batched = (r"\frac{\partial C_{\text{batch}}}{\partial W^{l}[c,d,p,q]} = \frac{1}{m} \sum_{s,i,j} "
               r"\Delta^{l}[s,c,i,j]\, A^{l-1}[s,d,s i + p - P,s j + q - P]")
    return section("BP3 and BP4: weight sharing", "sec:bp3-bp4",
                   [paragraph("", "Derivation."), *step_blocks(steps),
                    paragraph("For a batch, the mean over the samples of the sums over positions:", "Batched form."),
                    equation(batched, "eq:bp4-conv-batched"), *_verdict(c, "BP3", "BP3-conv", "BP4", "BP4-conv")])


#: The terms of a weight's sum over positions a document lists at most (then ⋯).
MAX_LISTED_POSITIONS = 64


def _inside(axis: Axis, offset: int, size: int) -> int:
    """How many window positions i along ``axis`` read an input s·i + p − P inside 0..size−1 at ``offset`` p."""
    return sum(0 <= axis.stride * i + offset - axis.padding < size for i in range(axis.positions))


def positions_section(c) -> dict[str, Any] | None:
    chosen = c.chosen
    if chosen is None or not isinstance(c.d.spec.layer(chosen.layer), Conv2d):
        return None
    from ..conv.partials import ConvPartials

    partials = c.d.per_weight or ConvPartials(c.d.model, c.d.layers)
    terms = list(itertools.islice(partials.image_positions(chosen), MAX_LISTED_POSITIONS))
    p = c.p()
    pieces = [(" + " if index else "", f"{p.doprint(delta)}\\, {p.doprint(factor)}")
              for index, (delta, factor) in enumerate(terms)]
    layer, in_shape = c.d.spec.layer(chosen.layer), c.d.spec.shapes[chosen.layer - 1]
    rows, columns = axes(layer, c.d.spec.shapes[chosen.layer])
    total = rows.positions * columns.positions
    inside = total if chosen.kind == "b" else (_inside(rows, chosen.index[2], in_shape[1])
                                               * _inside(columns, chosen.index[3], in_shape[2]))
    listed = ""
    if inside > len(terms):
        pieces.append((" + ", "\\cdots"))
        listed = f" (the first {len(terms)} of its {inside} terms are shown)"
    blocks = [paragraph(f"The weight ${c.symbol(chosen)}$ is used at all {total} output positions of channel "
                        f"{chosen.index[0]} (Figure~\\ref{{fig:kernel}}); by \\eqref{{eq:bp4-conv}} its gradient "
                        "has one term for each position whose input lies inside the image"
                        + (f" ({total - inside} read the zero padding and drop out)" if total > inside else "")
                        + listed + ":"),
              equation(wrap(frac_d("C", c.symbol(chosen)), pieces, width=SUM_WIDTH), "eq:positions")]
    if c.d.per_weight is not None:
        verdict = next(v for v in c.d.proof.verdicts if v.subject == f"∂C/∂{chosen}")
        blocks.append(paragraph(tex_escape(verdict.line()) + ".", "Verified."))
    return section(f"Weight sharing: the positions of ${c.symbol(chosen)}$", "sec:positions", blocks)


def partials_section(c) -> dict[str, Any]:
    d = c.d
    if d.per_weight is None:
        notes = " ".join(tex_escape(note) for note in d.proof.notes[:1])
        return section("Every partial derivative", "sec:partials",
                       [paragraph("The per-weight partials are not listed for this network. " + notes)])
    if c.selection == "none":
        return section("Every partial derivative", "sec:partials",
                       [paragraph("The per-weight partials are not listed (\\texttt{-{}-weights none}).")])
    p = c.p()
    chosen = d.model.parameters if c.selection == "all" else c.selection
    blocks = [paragraph("For each parameter: the sum over the positions it is used at (BP3/BP4), in the errors of "
                        "the layer it feeds, and the verdict of the proof that it equals the partial derivative of "
                        "the whole-network cost.")]
    verdicts = {verdict.subject: verdict for verdict in d.proof.verdicts}
    for parameter in chosen:
        lhs = frac_d("C", c.symbol(parameter))
        blocks += [heading(f"${c.symbol(parameter)}$"),
                   equation(wrap(lhs, sum_pieces(p, d.per_weight.factored(parameter)), width=SUM_WIDTH)),
                   paragraph(f"Verdict: {tex_escape(verdicts[f'∂C/∂{parameter}'].line())}.")]
    if c.expand:
        deltas = [wrap(p.doprint(symbol), sum_pieces(p, value), width=SUM_WIDTH)
                  for symbol, value in d.per_weight.deltas.items()]
        blocks += [paragraph("The errors they are written in, from the output layer back:"), align(deltas)]
    return section("Every partial derivative", "sec:partials", blocks)


def verification_section(c) -> dict[str, Any]:
    proof = c.d.proof
    rows = [f"{name}: {tex_escape(proof.summary(key))}." for key, name in VERIFIED_NAMES.items()
            if proof.for_equation(key)]
    blocks = [items(rows)]
    if proof.for_equation("rewrite"):
        blocks.append(table([[tex_escape(v.subject), tex_escape(v.status)] for v in proof.for_equation("rewrite")]))
    assumptions = [f"${a.latex}$: {tex_escape(a.text)}" for a in c.d.layers.assumptions]
    if assumptions:
        blocks.append(paragraph("Assumptions used: " + "; ".join(assumptions) + "."))
    blocks += [paragraph(tex_escape(note)) for note in proof.notes]
    return section("Verification", "sec:verification", blocks)


def conv_equation_sections(c) -> list[dict[str, Any] | None]:
    return [error_section(c), conv_crossing_section(c), pool_crossing_section(c, "max"),
            pool_crossing_section(c, "avg"), dense_crossing_section(c), gradients_section(c), positions_section(c),
            partials_section(c), verification_section(c)]
