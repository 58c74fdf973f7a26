"""The sections that set the scene before the backpropagation equations.

Provides :func:`title_block` (name, layers, cost, notation profile), :func:`network_section`
(the layers and the diagram), :func:`notation_section` (every symbol the document uses, in the
reader's notation), :func:`forward_section` (the forward pass, general and per layer) and
:func:`cost_section` (the cost and its gradient).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..printing.latex import printer
from .blocks import definitions, figure, paragraph, section, table
from .context import Context
from .diagram import diagram
from .formulas import DELTA, equation, frac_d, tex_escape


def title_block(c: Context) -> dict[str, Any]:
    spec, n = c.d.spec, c.n
    layers = []
    for layer, size in enumerate(spec.sizes):
        role = "input" if layer == 0 else ("output" if layer == spec.depth else "hidden")
        activation = tex_escape(spec.activations[layer - 1].label()) if layer else ""
        layers.append({"number": n.layer(layer), "size": size, "role": role, "activation": activation})
    name = tex_escape(spec.name) if spec.has_name else None
    text = rf"\texttt{{{name}}} ({spec.shorthand()})" if name else spec.shorthand()
    return {"name": name, "shorthand": spec.shorthand(), "layers": layers,
            "text": f"Backpropagation for the network {text}",
            "cost": tex_escape(spec.cost.label()), "parameters": spec.parameter_count,
            "bias": "with" if spec.bias else "without", "profile": tex_escape(n.title),
            "source": tex_escape(n.source)}


def network_section(c: Context) -> dict[str, Any]:
    title = title_block(c)
    rows = [[f"layer ${layer['number']}$", f"{layer['size']} neurons",
             layer["role"] + (rf", activation \texttt{{{layer['activation']}}}" if layer["activation"] else "")]
            for layer in title["layers"]]
    facts = (rf"Cost: \texttt{{{title['cost']}}}; {title['parameters']} parameters ({title['bias']} biases). "
             f"Notation: {title['profile']} ({title['source']}).")
    drawing = diagram(c)
    caption = ("The network, one circle per neuron"
               + (r" (wide layers show a few neurons and $\vdots$ for the rest)" if drawing["ellipses"] else "")
               + ". " + drawing["highlight"])
    return section("The network", "sec:network", [table(rows), paragraph(facts),
                                                  figure("network", drawing, caption.rstrip(), "fig:network")])


def _uses_step(c: Context) -> bool:
    return any(isinstance(eq.derivative_z, sp.Expr) and eq.derivative_z.has(sp.Heaviside) for eq in c.d.layers.layers)


def notation_section(c: Context) -> dict[str, Any]:
    n, spec = c.n, c.d.spec
    s = n.activation_letter
    L = n.layer(spec.depth)
    rows = [
        (n.generic_weight(0, "j", "k"), f"the weight from neuron $k$ of layer ${n.generic_layer(-1)}$ to neuron "
                                        f"$j$ of layer ${n.generic_layer(0)}$; ${n.generic_weight_matrix(0)}$ is the "
                                        "matrix of these weights (row $j$, column $k$)"),
        (n.generic_bias(0, "j"), f"the bias of neuron $j$ of layer ${n.generic_layer(0)}$; "
                                 f"${n.generic_bias(0)}$ is the vector of biases"),
        (n.generic_node("z", 0, "j"), "the weighted input of neuron $j$ (its pre-activation)"),
        (n.generic_node("a", 0, "j"), f"the activation (output) of neuron $j$; ${n.node('a', 0)} = x$, the input"),
        (rf"{s},\ {s}'", f"the activation function of a layer, applied elementwise, and its derivative; "
                         f"${s}'(z)$ means $d{s}/dz$ evaluated at $z$"),
        (r"x_{k},\ y_{j}", "the input of a sample and its target (desired output)"),
        ("C", "the cost of one sample; the batch cost is the mean of $C$ over the $m$ samples of a batch"),
        (n.generic_node(r"\delta", 0, "j"), f"the error of neuron $j$: ${n.generic_node(DELTA, 0, 'j')} "
                                            rf"= \partial C / \partial {n.generic_node('z', 0, 'j')}$"),
        (r"\odot", r"the elementwise (Hadamard) product: $(u \odot v)_j = u_j v_j$"),
        ("L", f"the output layer; in this network $L = {L.strip('()[]')}$ and $n_{{L}} = {spec.sizes[-1]}$ "
              "output neurons"),
        ("m,\\ s", "the number of samples in a batch, and the index of a sample"),
        (rf"A^{{{n.generic_layer()}}},\ Z^{{{n.generic_layer()}}},\ \Delta^{{{n.generic_layer()}}}",
         "batched forms: one row per sample (an $m \\times n_l$ matrix)"),
    ]
    if n.diagonal_form:
        rows.append((n.generic_node("D", 0), f"$\\operatorname{{diag}}({s}'({n.generic_node('z', 0)}))$, the diagonal "
                                             f"matrix of the derivatives, so that ${s}'(z) \\odot v = D v$"))
    if _uses_step(c):
        rows.append((r"\mathbf{1}[x > 0],\ H(x)", "the step function: 1 when $x > 0$, else 0 (the derivative "
                                                  "of relu, taken as 0 at 0); $H$ is the same step with "
                                                  "$H(0) = 1/2$"))
    if any(eq.row_sums for eq in c.d.layers.layers):
        rows.append(("s", "a sum over the output layer, defined where it is used"))
    intro = f"The symbols follow {tex_escape(n.title)} ({tex_escape(n.source)}). {n.layer_numbering(spec.depth)}"
    return section("Notation", "sec:notation",
                   [paragraph(intro), definitions([(symbol, text + ".") for symbol, text in rows])])


def forward_section(c: Context) -> dict[str, Any]:
    n, spec = c.n, c.d.spec
    s = n.activation_letter
    bias = f" + {n.generic_bias(0, 'j')}" if spec.bias else ""
    bias_vec = f" + {n.generic_bias(0)}" if spec.bias else ""
    general = [
        equation(rf"{n.generic_node('z', 0, 'j')} = \sum_{{k}} {n.generic_weight(0, 'j', 'k')}\, "
                 rf"{n.generic_node('a', -1, 'k')}{bias}, \qquad "
                 rf"{n.generic_node('a', 0, 'j')} = {s}({n.generic_node('z', 0, 'j')})",
                 "eq:forward"),
        equation(rf"{n.generic_node('z', 0)} = {n.generic_weight_matrix(0)} {n.generic_node('a', -1)}{bias_vec}, "
                 rf"\qquad {n.generic_node('a', 0)} = {s}({n.generic_node('z', 0)})", "eq:forward-matrix"),
        equation(rf"Z^{{{n.generic_layer(0)}}} = A^{{{n.generic_layer(-1)}}} ({n.generic_weight_matrix(0)})^{{T}}"
                 + (rf" + \mathbf{{1}}_m ({n.generic_bias(0)})^{{T}}" if spec.bias else "")
                 + rf", \qquad A^{{{n.generic_layer(0)}}} = {s}(Z^{{{n.generic_layer(0)}}})", "eq:forward-batched"),
    ]
    blocks = [paragraph("Each neuron forms a weighted input from the activations of the layer before it and "
                        "applies the activation function of its layer, starting from "
                        f"${n.node('a', 0)} = x$:"), general[0],
              paragraph("For the whole layer at once, and for a batch of $m$ samples stored one per row:"),
              general[1], general[2], paragraph("In this network:")]
    for number, activation in enumerate(spec.activations, start=1):
        a_j, z_j = n.node("a", number, "j"), n.node("z", number, "j")
        if activation.elementwise:
            formula = f"{a_j} = {printer(n, number).doprint(activation.expr)}"
        else:
            formula = rf"{a_j} = \frac{{e^{{{z_j}}}}}{{\sum_{{i}} e^{{{n.node('z', number, 'i')}}}}}"
        blocks += [paragraph(rf"layer ${n.layer(number)}$, \texttt{{{tex_escape(activation.label())}}}:"),
                   equation(formula, f"eq:forward-{number}")]
    return section("The forward pass", "sec:forward", blocks)


def _unit_cost(c: Context, index: str = "j") -> str:
    p = c.p(c.depth, index)
    cost = c.d.spec.cost.expr
    text = p.doprint(cost)
    return rf"\left({text}\right)" if isinstance(cost, sp.Add) else text


def cost_section(c: Context) -> dict[str, Any]:
    n, spec = c.n, c.d.spec
    L = spec.depth
    per_sample = equation(rf"C = \sum_{{j=1}}^{{n_{{L}}}} {_unit_cost(c)}", "eq:cost")
    batch = equation(r"C_{\text{batch}} = \frac{1}{m} \sum_{s=1}^{m} C^{(s)}", "eq:batch-cost")
    gradient = equation(rf"{frac_d('C', n.node('a', L, 'j'))} = {c.p(L).doprint(c.d.layers.cost_gradient)}",
                        "eq:cost-gradient")
    return section("The cost", "sec:cost", [
        paragraph(rf"The cost is \texttt{{{tex_escape(spec.cost.label())}}}. "
                  "The cost of one sample sums over the output units:"), per_sample,
        paragraph("and the cost of a batch is the mean over its $m$ samples,"), batch,
        paragraph("so every gradient of the batch cost is the mean of the per-sample gradients derived below. "
                  "Differentiating the per-sample cost by one output activation:"), gradient])
