"""The derivation document: a view-model of a :class:`~symbackprop.driver.Derivation`, rendered
as LaTeX (``templates/derivation.tex.j2``) and optionally compiled to PDF.

Provides:

* :func:`build_document` -- spec → ``.tex`` text (or PDF bytes), the entry point of ``symbackprop latex``;
* :func:`document_view` -- the view-model the template receives (every formula a printed string);
* :func:`tex_escape` -- user text (names, expression sources, notes) as literal LaTeX text;
* :func:`parse_parameter` / :func:`parse_weights` -- ``--highlight`` and ``--weights`` values.

The sections: title and spec, the network diagram (TikZ) with the paths of one weight,
notation, forward equations, the cost, BP1–BP4 (general statement, derivation, this spec's
form, componentwise, matrix and batched forms), the sum over paths of the highlighted
weight, the per-weight partials with their proof verdicts, and the verification summary.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import sympy as sp

from . import tex
from .driver import Derivation, derive
from .errors import UserError
from .model import Parameter
from .notation import Notation
from .notation import notation as notation_profile
from .passes import sum_of_targets
from .printing.latex import BackpropLatexPrinter, printer, split_indices
from .render import render

#: Visible characters of mathematics per line before a sum or product is broken.
LINE_WIDTH = 72
DELTA = r"\delta"
BATCH_C = r"C_{\text{batch}}"
#: Neurons drawn per layer before the rest is replaced by a vertical ellipsis.
DRAWN_NEURONS = 4

_TEX_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "#": r"\#", "$": r"\$",
    "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "_": r"\_", "&": r"\&",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "–": "--", "—": "---", "−": "$-$", "δ": r"$\delta$", "Δ": r"$\Delta$", "∂": r"$\partial$",
    "Σ": r"$\Sigma$", "σ": r"$\sigma$", "′": "'", "⊙": r"$\odot$", "≤": r"$\le$", "≥": r"$\ge$",
    "²": r"$^2$", "½": r"$\frac12$", "·": r"$\cdot$", "→": r"$\to$", "θ": r"$\theta$",
    "×": r"$\times$", "…": r"\dots{}", "\n": " ", "\t": " ", "\r": " ",
}

_PARAMETER = re.compile(
    r"^(?P<kind>[wb])\s*\^?\s*(?:\{\s*(?P<braced>\d+)\s*\}|(?P<plain>\d+))\s*_\s*"
    r"(?:\{\s*(?P<bindices>\d+(?:\s*,\s*\d+)?)\s*\}|(?P<pindices>\d+(?:,\d+)?))$")


def tex_escape(text: str) -> str:
    """``text`` as literal LaTeX text: TeX specials escaped, known symbols typeset, others '?'."""
    out = []
    for char in str(text):
        if char in _TEX_SPECIALS:
            out.append(_TEX_SPECIALS[char])
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.append("?")
    return "".join(out)


def parse_parameter(text: str, option: str = "--highlight") -> Parameter:
    """``w^2_{11}``, ``w^{2}_{11}``, ``w2_11``, ``w^3_{10,2}`` or ``b^1_2`` as a parameter."""
    match = _PARAMETER.match(text.strip())
    if not match:
        raise UserError(f"expected a weight like w^2_{{11}} or a bias like b^1_2, got {text!r}", option)
    layer = int(match["braced"] or match["plain"])
    raw = re.sub(r"\s", "", match["bindices"] or match["pindices"])
    if match["kind"] == "b":
        if "," in raw:
            raise UserError(f"a bias has one index, got {text!r}", option)
        return Parameter("b", layer, int(raw))
    indices = split_indices(raw)
    if len(indices) != 2:
        raise UserError(f"a weight has two indices (write w^2_{{10,3}} when one has two digits), got {text!r}",
                        option)
    return Parameter("w", layer, int(indices[0]), int(indices[1]))


def parse_weights(text: str | None) -> str | tuple[Parameter, ...]:
    """``None``/``"all"`` → "all", ``"none"`` → "none", else a tuple of parameters."""
    if text is None or text.strip().lower() == "all":
        return "all"
    if text.strip().lower() == "none":
        return "none"
    items = [item for item in _split_commas(text) if item.strip()]
    if not items:
        raise UserError("expected all, none or a comma list like w^2_{11},b^1_2", "--weights")
    return tuple(dict.fromkeys(parse_parameter(item, "--weights") for item in items))


def _split_commas(text: str) -> list[str]:
    """Split at commas outside braces (``w^3_{10,2}`` keeps its comma)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def build_document(spec, *, notation: str = "nielsen", highlight: str | None = None, expand: bool = True,
                   weights: str | None = None, pdf: bool = False, max_parameters: int = 60,
                   derivation: Derivation | None = None) -> str | bytes:
    """The derivation of ``spec`` as LaTeX text, or as PDF bytes when ``pdf``.

    ``derivation`` may be passed to reuse one already computed (it must be of ``spec``).
    """
    profile = notation_profile(notation)
    chosen = parse_parameter(highlight) if highlight else None
    selection = parse_weights(weights)
    d = derivation if derivation is not None else derive(spec, max_parameters=max_parameters)
    for parameter in ([chosen] if chosen else []) + list(selection if isinstance(selection, tuple) else []):
        if parameter not in d.model.parameters:
            raise UserError(f"{spec.shorthand()} has no parameter {parameter}",
                            "--highlight" if parameter == chosen else "--weights")
    text = render("derivation.tex.j2", document_view(d, profile, chosen, expand, selection))
    return tex.compile_pdf(text) if pdf else text


# ---------------------------------------------------------------------------------------
# Formula helpers


def _group(text: str, start: int) -> tuple[str, int]:
    """The brace group (or single character) at ``start``, and the index after it."""
    if start < len(text) and text[start] == "{":
        depth = 0
        for index in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                return text[start + 1:index], index + 1
        return text[start + 1:], len(text)
    if text.startswith("\\", start):
        match = re.match(r"\\[A-Za-z]+|\\.", text[start:])
        return match.group(), start + len(match.group())
    return text[start:start + 1], start + 1


def visible_width(latex: str) -> float:
    """A rough width of a formula in characters: fractions as wide as their wider part,
    scripts at half width; used to break long sums and products over lines."""
    text = re.sub(r"\\(left|right|bigl|bigr|Bigl|Bigr)(?![A-Za-z])|\\[,;!]|&", "", latex)
    text = re.sub(r"\\(operatorname|mathrm|text|mathbf)\{([^}]*)\}", r"\2", text)
    width, index = 0.0, 0
    while index < len(text):
        if text.startswith(r"\frac", index):
            top, index = _group(text, index + 5)
            bottom, index = _group(text, index)
            width += max(visible_width(top), visible_width(bottom))
        elif text[index] in "^_":
            group, index = _group(text, index + 1)
            width += 0.5 * visible_width(group)
        elif text.startswith(r"\quad", index):
            width, index = width + 2, index + 5
        elif text[index] == "\\":
            _, index = _group(text, index)
            width += 1
        elif text[index] in "{} ":
            index += 1
        else:
            width, index = width + 1, index + 1
    return width


def wrap(lhs: str, pieces: list[tuple[str, str]], width: int = LINE_WIDTH,
         breaks: frozenset[int] = frozenset()) -> list[str]:
    """Lines of a ``split`` environment: ``lhs &= p1 p2 \\\\ &\\quad p3 ...``.

    ``pieces`` are (joiner, text): the joiner (" + ", " \\cdot ", "") goes before the text.
    Lines are filled greedily up to ``width`` visible characters; a piece whose index is in
    ``breaks`` always starts a new line.
    """
    lines, current, used = [], f"{lhs} &= ", visible_width(lhs) + 2
    for index, (joiner, text) in enumerate(pieces):
        size = visible_width(joiner + text)
        if index and (used + size > width or index in breaks):
            lines.append(current.rstrip())
            current, used = (r"&\quad " + joiner.strip() + " ").replace(r"\cdot ", r"{}\cdot "), 4
            current += text
        else:
            current += (joiner.strip() if index == 0 else joiner) + text
        used += size
    return lines + [current.rstrip()]


def sum_pieces(p: BackpropLatexPrinter, expr: sp.Expr) -> list[tuple[str, str]]:
    """The terms of a sum as wrap pieces, signs kept on the terms."""
    pieces = []
    for term in p.terms(expr):
        if term.startswith("-"):
            pieces.append((" - ", term[1:].lstrip()))
        else:
            pieces.append((" + ", term))
    if pieces and pieces[0][0] == " + ":
        pieces[0] = ("", pieces[0][1])
    elif pieces:
        pieces[0] = ("-", pieces[0][1])
    return pieces


def frac_d(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def equation(lines: list[str] | str, label: str | None = None, tag: str | None = None) -> dict[str, Any]:
    """A displayed equation for the template: one line, or the lines of a ``split``."""
    rows = [lines] if isinstance(lines, str) else list(lines)
    if len(rows) == 1:
        rows = [re.sub(r"(?<!\\)&", "", rows[0])]
    return {"lines": rows, "label": label or "", "tag": tag or ""}


# ---------------------------------------------------------------------------------------
# The view-model


@dataclass
class _Context:
    d: Derivation
    n: Notation
    chosen: Parameter | None
    expand: bool
    selection: str | tuple[Parameter, ...]

    def p(self, layer: int | None = None, index: str = "j") -> BackpropLatexPrinter:
        return printer(self.n, layer, index)

    @property
    def depth(self) -> int:
        return self.d.spec.depth

    def symbol(self, parameter: Parameter) -> str:
        return self.p().doprint(self.d.model.symbol(parameter))


def document_view(d: Derivation, n: Notation, chosen: Parameter | None = None, expand: bool = True,
                  selection: str | tuple[Parameter, ...] = "all") -> dict[str, Any]:
    """Everything the template shows, as strings and lists of strings."""
    if chosen is None and d.per_weight is not None:
        chosen = d.model.parameters[0]
    context = _Context(d, n, chosen, expand, selection)
    return {
        "title": title_block(context),
        "diagram": diagram(context),
        "notation": notation_section(context),
        "forward": forward_section(context),
        "cost": cost_section(context),
        "equations": equations_sections(context),
        "paths": paths_section(context),
        "partials": partials_section(context),
        "verification": verification_section(context),
    }


# ---------------------------------------------------------------------------------------
# Sections


def title_block(c: _Context) -> dict[str, Any]:
    spec, n = c.d.spec, c.n
    layers = []
    for layer, size in enumerate(spec.sizes):
        role = "input" if layer == 0 else ("output" if layer == spec.depth else "hidden")
        activation = tex_escape(spec.activations[layer - 1].label()) if layer else ""
        layers.append({"number": n.layer(layer), "size": size, "role": role, "activation": activation})
    return {"name": tex_escape(spec.name), "shorthand": spec.shorthand(), "layers": layers,
            "cost": tex_escape(spec.cost.label()), "parameters": spec.parameter_count,
            "bias": "with" if spec.bias else "without", "profile": tex_escape(n.title),
            "source": tex_escape(n.source)}


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


def _hot_edges(c: _Context) -> tuple[set[tuple[int, int, int]], set[tuple[int, int]], dict[int, set[int]]]:
    """Edges (layer, j, k) and nodes (layer, j) on the paths of the chosen parameter."""
    chosen, model = c.chosen, c.d.model
    if chosen is None:
        return set(), set(), {}
    edges, nodes = set(), {(chosen.layer, chosen.j)}
    extra = {chosen.layer: {chosen.j}}
    if chosen.kind == "w":
        edges.add((chosen.layer, chosen.j, chosen.k))
        nodes.add((chosen.layer - 1, chosen.k))
        extra[chosen.layer - 1] = {chosen.k}
    for layer in range(chosen.layer + 1, c.depth + 1):
        sources = [chosen.j] if layer == chosen.layer + 1 else list(model.units(layer - 1))
        for j in model.units(layer):
            nodes.add((layer, j))
            edges.update((layer, j, k) for k in sources)
    return edges, nodes, extra


def diagram(c: _Context) -> dict[str, Any]:
    """Nodes, ellipses, edges and captions of the TikZ figure, positions in cm."""
    spec, n = c.d.spec, c.n
    hot_edges, hot_nodes, extra = _hot_edges(c)
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
                          "hot": (layer, index) in hot_nodes})
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
                              "hot": (layer, j, k) in hot_edges, "chosen": chosen})
    edges.sort(key=lambda edge: (edge["hot"], edge["chosen"]))
    what = ""
    if c.chosen is not None:
        symbol = c.symbol(c.chosen)
        what = (f"The paths through which ${symbol}$ reaches the cost are highlighted"
                + (" (see Section~\\ref{sec:paths})." if c.d.per_weight is not None else "."))
    return {"nodes": nodes, "ellipses": ellipses, "edges": edges, "captions": captions, "highlight": what}


def _uses_step(c: _Context) -> bool:
    return any(isinstance(eq.derivative_z, sp.Expr) and eq.derivative_z.has(sp.Heaviside) for eq in c.d.layers.layers)


def notation_section(c: _Context) -> dict[str, Any]:
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
    return {"rows": [{"symbol": symbol, "text": text} for symbol, text in rows],
            "numbering": n.layer_numbering(spec.depth), "profile": tex_escape(n.title),
            "source": tex_escape(n.source)}


def forward_section(c: _Context) -> dict[str, Any]:
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
    layers = []
    for number, activation in enumerate(spec.activations, start=1):
        a_j, z_j = n.node("a", number, "j"), n.node("z", number, "j")
        if activation.elementwise:
            formula = f"{a_j} = {printer(n, number).doprint(activation.expr)}"
        else:
            formula = rf"{a_j} = \frac{{e^{{{z_j}}}}}{{\sum_{{i}} e^{{{n.node('z', number, 'i')}}}}}"
        layers.append({"layer": n.layer(number), "name": tex_escape(activation.label()),
                       "equation": equation(formula, f"eq:forward-{number}")})
    return {"general": general, "layers": layers, "input": n.node("a", 0)}


def _unit_cost(c: _Context, index: str = "j") -> str:
    p = c.p(c.depth, index)
    cost = c.d.spec.cost.expr
    text = p.doprint(cost)
    return rf"\left({text}\right)" if isinstance(cost, sp.Add) else text


def cost_section(c: _Context) -> dict[str, Any]:
    n, spec = c.n, c.d.spec
    L = spec.depth
    per_sample = equation(rf"C = \sum_{{j=1}}^{{n_{{L}}}} {_unit_cost(c)}", "eq:cost")
    batch = equation(r"C_{\text{batch}} = \frac{1}{m} \sum_{s=1}^{m} C^{(s)}", "eq:batch-cost")
    gradient = equation(rf"{frac_d('C', n.node('a', L, 'j'))} = {c.p(L).doprint(c.d.layers.cost_gradient)}",
                        "eq:cost-gradient")
    return {"name": tex_escape(spec.cost.label()), "per_sample": per_sample, "batch": batch,
            "gradient": gradient}


def _step(text: str, formula: str | list[str], label: str | None = None) -> dict[str, Any]:
    return {"text": text, "equation": equation(formula, label)}


def _derivative_steps(c: _Context, layer: int) -> list[dict[str, Any]]:
    """σ'(z) of a layer, in z and (when found) in a."""
    eq, n = c.d.layers.layer(layer), c.n
    if eq.derivative_z is None:
        return []
    p = c.p(layer)
    name = tex_escape(eq.activation.label())
    lhs = f"{n.activation_letter}'({n.node('z', layer, 'j')})"
    text = p.doprint(eq.derivative_z)
    if eq.derivative_in_a and eq.derivative != eq.derivative_z:
        formula = f"{lhs} = {text} = {p.doprint(eq.derivative)}"
        note = (f"For {name} the derivative can be written in the activation "
                f"${n.node('a', layer, 'j')} = {n.activation_letter}({n.node('z', layer, 'j')})$ itself, "
                "which the forward pass has already computed:")
    else:
        formula = f"{lhs} = {text}"
        note = f"For {name}:"
    return [_step(note, formula, f"eq:sigma-prime-{layer}")]


def _wrapped(c: _Context, lhs: str, expr: sp.Expr, layer: int | None = None, index: str = "j") -> list[str]:
    return wrap(lhs, sum_pieces(c.p(layer, index), expr))


def bp1_section(c: _Context) -> dict[str, Any]:
    n, L, d = c.n, c.depth, c.d
    eq = d.layers.layer(L)
    dL, aL = n.node(DELTA, L, "j"), n.node("a", L, "j")
    gL, ga, gz = (n.generic_node(letter, 0, "j", "L") for letter in (DELTA, "a", "z"))
    gak, gai = n.generic_node("a", 0, "k", "L"), n.generic_node("a", 0, "i", "L")
    dvec, avec, zvec = (n.generic_node(letter, 0, None, "L") for letter in (DELTA, "a", "z"))
    batch_layer = n.generic_layer(0, "L")
    s = n.activation_letter
    steps = [_step("By definition the error of output neuron $j$ is the rate of change of the cost with its "
                   "weighted input:", rf"{gL} = {frac_d('C', gz)}"),
             _step(f"$C$ depends on ${gz}$ only through the output activations ${gak}$, so the chain rule sums "
                   "over them, one term per output neuron:",
                   rf"{gL} = \sum_{{k}} {frac_d('C', gak)}\, {frac_d(gak, gz)}")]
    special = [_step("The cost \\eqref{eq:cost} gives the first factor (see \\eqref{eq:cost-gradient}):",
                     rf"{frac_d('C', aL)} = {c.p(L).doprint(d.layers.cost_gradient)}")]
    if eq.activation.elementwise:
        general = rf"{gL} = {frac_d('C', ga)}\, {s}'({gz})"
        steps.append(_step(f"An elementwise activation makes ${gak} = {s}({n.generic_node('z', 0, 'k', 'L')})$ "
                           f"depend on ${gz}$ only when $k = j$, where the derivative is ${s}'({gz})$; "
                           "one term is left:", general))
        special += _derivative_steps(c, L)
        special.append(_step("Substituting both into \\eqref{eq:bp1}:", _wrapped(c, dL, eq.general, L)))
        if n.diagonal_form:
            matrix = rf"{dvec} = {n.generic_node('D', 0, None, 'L')}\, \nabla_{{a}} C"
        else:
            matrix = rf"{dvec} = \nabla_{{a}} C \odot {s}'({zvec})"
        batched = rf"\Delta^{{{batch_layer}}} = \nabla_{{A}} C \odot {s}'(Z^{{{batch_layer}}})"
    else:
        general = (rf"{gL} = \sum_{{i}} {frac_d('C', gai)}\, {gai} \bigl(\mathbf{{1}}[i = j] - {ga}\bigr)")
        steps.append(_step(f"Softmax couples the whole layer: ${gai} = e^{{z_i}} / "
                           r"\sum_k e^{z_k}$, and differentiating the quotient gives $\partial a_i / \partial z_j = "
                           r"a_i (\mathbf{1}[i = j] - a_j)$ (found symbolically from the definition). So:",
                           general))
        special += _softmax_steps(c)
        matrix = rf"{dvec} = \bigl(\operatorname{{diag}}({avec}) - {avec} ({avec})^{{T}}\bigr) \nabla_{{a}} C"
        batched = (r"\Delta_{s} = \bigl(\operatorname{diag}(a_{s}) - a_{s} a_{s}^{T}\bigr) \nabla_{a} C_{s}"
                   r"\text{ for row $s$ (sample $s$)}")
    componentwise = _wrapped(c, dL, eq.delta, L)
    if eq.cancels_to_error:
        special.append({"text": "The factors cancel: the output error is simply the difference between output "
                                "and target.", "equation": None})
        matrix += rf" = {avec} - y"
        batched = rf"\Delta^{{{batch_layer}}} = A^{{{batch_layer}}} - Y"
    return {"name": "BP1", "title": "The error of the output layer", "general": equation(general, "eq:bp1", "BP1"),
            "steps": steps, "special": special,
            "componentwise": equation(componentwise, "eq:bp1-spec"),
            "matrix": equation(matrix, "eq:bp1-matrix"), "batched": equation(batched, "eq:bp1-batched"),
            "verdict": tex_escape(d.proof.summary("BP1"))}


def _softmax_steps(c: _Context) -> list[dict[str, Any]]:
    n, L, eq = c.n, c.depth, c.d.layers.layer(c.depth)
    p, pi = c.p(L), c.p(L, "i")
    steps = [_step(r"Multiplying out, with $s$ the sum over the output layer defined next:",
                   _wrapped(c, n.node(r"\delta", L, "j"), eq.general, L))]
    for row_sum in eq.row_sums:
        line = rf"s = \sum_{{i}} {n.node('a', L, 'i')}\, {frac_d('C', n.node('a', L, 'i'))} = \sum_{{i}} " \
               + (rf"\left({pi.doprint(row_sum.summand)}\right)" if isinstance(row_sum.summand, sp.Add)
                  else pi.doprint(row_sum.summand))
        closed = sum_of_targets(row_sum.summand, sp.Symbol("n_L", positive=True, integer=True))
        if closed is not None and eq.assumptions:
            line += f" = {p.doprint(closed)}"
            text = ("Because " + " and ".join(f"${a.latex}$ ({tex_escape(a.text)})" for a in eq.assumptions)
                    + ", the sum closes:")
        else:
            text = "where"
        steps.append(_step(text, line, "eq:row-sum"))
    return steps


def bp2_section(c: _Context) -> dict[str, Any]:
    n, d = c.n, c.d
    s = n.activation_letter
    g = lambda letter, shift=0, index="j": n.generic_node(letter, shift, index)  # noqa: E731
    general = rf"{g(DELTA)} = \sum_{{k}} {n.generic_weight(1, 'k', 'j')}\, {g(DELTA, 1, 'k')}\, {s}'({g('z')})"
    steps = [
        _step(f"The weighted input ${g('z')}$ of a hidden neuron reaches the cost only through the weighted inputs "
              f"${g('z', 1, 'k')}$ of the next layer, so the chain rule sums over them:",
              rf"{g(DELTA)} = {frac_d('C', g('z'))} = \sum_{{k}} {frac_d('C', g('z', 1, 'k'))}\, "
              rf"{frac_d(g('z', 1, 'k'), g('z'))} = \sum_{{k}} {g(DELTA, 1, 'k')}\, {frac_d(g('z', 1, 'k'), g('z'))}"),
        _step(f"By \\eqref{{eq:forward}}, ${g('z', 1, 'k')} = \\sum_{{j}} {n.generic_weight(1, 'k', 'j')}\\, "
              f"{s}({g('z')})" + (f" + {n.generic_bias(1, 'k')}" if d.spec.bias else "") + "$, so the local factor is",
              rf"{frac_d(g('z', 1, 'k'), g('z'))} = {n.generic_weight(1, 'k', 'j')}\, {s}'({g('z')})"),
        _step("Substituting it gives the backward recursion:", general),
    ]
    special = []
    for layer in range(1, d.spec.depth):
        eq = d.layers.layer(layer)
        special.append({"text": f"Layer ${n.layer(layer)}$ ({tex_escape(eq.activation.label())}):", "equation": None})
        special += _derivative_steps(c, layer)
        special.append(_step("so", _wrapped(c, n.node(r"\delta", layer, "j"), eq.delta, layer), f"eq:bp2-{layer}"))
    if not special:
        special.append({"text": "This network has no hidden layer, so BP2 is not used.", "equation": None})
    delta_l, delta_next = n.generic_node(r"\delta", 0), n.generic_node(r"\delta", 1)
    W = n.generic_weight_matrix(1)
    matrix = (rf"{delta_l} = {n.generic_node('D', 0)} ({W})^{{T}} {delta_next}" if n.diagonal_form
              else rf"{delta_l} = \bigl(({W})^{{T}} {delta_next}\bigr) \odot {s}'({n.generic_node('z', 0)})")
    batched = (rf"\Delta^{{{n.generic_layer(0)}}} = \bigl(\Delta^{{{n.generic_layer(1)}}} {W}\bigr) "
               rf"\odot {s}'(Z^{{{n.generic_layer(0)}}})")
    return {"name": "BP2", "title": "The error of a hidden layer, from the layer after it",
            "general": equation(general, "eq:bp2", "BP2"), "steps": steps, "special": special,
            "componentwise": None, "matrix": equation(matrix, "eq:bp2-matrix"),
            "batched": equation(batched, "eq:bp2-batched"), "verdict": tex_escape(d.proof.summary("BP2"))}


def bp3_section(c: _Context) -> dict[str, Any]:
    n, d = c.n, c.d
    b, z, delta = n.generic_bias(0, "j"), n.generic_node("z", 0, "j"), n.generic_node(r"\delta", 0, "j")
    general = rf"{frac_d('C', b)} = {delta}"
    steps = [_step(f"The bias enters the cost only through ${z}$, and $\\partial {z} / \\partial {b} = 1$ by "
                   "\\eqref{eq:forward}:", rf"{frac_d('C', b)} = {frac_d('C', z)}\, {frac_d(z, b)} = {delta} \cdot 1")]
    special = [{"text": "For this network every bias gradient is the error of its neuron, "
                        "\\eqref{eq:bp1-spec} for the output layer"
                        + (" and \\eqref{eq:bp2-1}, \\dots\\ for the hidden layers." if d.spec.depth > 1 else "."),
                "equation": None}]
    if not d.spec.bias:
        special = [{"text": "This network has no biases, so BP3 is not used.", "equation": None}]
    matrix = rf"{frac_d('C', n.generic_bias(0))} = {n.generic_node(DELTA, 0)}"
    batched = (rf"{frac_d(BATCH_C, n.generic_bias(0))} = \frac{{1}}{{m}} \sum_{{s=1}}^{{m}} "
               rf"{n.generic_node(DELTA, 0)}_{{(s)}} = "
               rf"\frac{{1}}{{m}} (\Delta^{{{n.generic_layer(0)}}})^{{T}} \mathbf{{1}}_m")
    return {"name": "BP3", "title": "The gradient of a bias", "general": equation(general, "eq:bp3", "BP3"),
            "steps": steps, "special": special, "componentwise": None,
            "matrix": equation(matrix, "eq:bp3-matrix"), "batched": equation(batched, "eq:bp3-batched"),
            "verdict": tex_escape(d.proof.summary("BP3"))}


def bp4_section(c: _Context) -> dict[str, Any]:
    n, d, L = c.n, c.d, c.depth
    w, z = n.generic_weight(0, "j", "k"), n.generic_node("z", 0, "j")
    a_in, delta = n.generic_node("a", -1, "k"), n.generic_node(r"\delta", 0, "j")
    general = rf"{frac_d('C', w)} = {a_in}\, {delta}"
    steps = [_step(f"The weight enters the cost only through ${z}$, and by \\eqref{{eq:forward}} "
                   f"$\\partial {z} / \\partial {w} = {a_in}$:",
                   rf"{frac_d('C', w)} = {frac_d('C', z)}\, {frac_d(z, w)} = {delta}\, {a_in}")]
    a_prev = n.input("k") if L == 1 else n.node("a", L - 1, "k")
    eq = d.layers.layer(L)
    output = wrap(frac_d("C", n.weight(L, "j", "k")),
                  [("", a_prev)] + [(r" \cdot ", piece) for _, piece in [("", _factor(c.p(L), eq.delta))]])
    special = [_step("For the output layer of this network, with \\eqref{eq:bp1-spec}:", output, "eq:bp4-output")]
    matrix = (rf"{frac_d('C', n.generic_weight_matrix(0))} = "
              rf"{n.generic_node(DELTA, 0)} ({n.generic_node('a', -1)})^{{T}}")
    batched = (rf"{frac_d(BATCH_C, n.generic_weight_matrix(0))} = \frac{{1}}{{m}} "
               rf"(\Delta^{{{n.generic_layer(0)}}})^{{T}} A^{{{n.generic_layer(-1)}}}")
    return {"name": "BP4", "title": "The gradient of a weight", "general": equation(general, "eq:bp4", "BP4"),
            "steps": steps, "special": special, "componentwise": None,
            "matrix": equation(matrix, "eq:bp4-matrix"), "batched": equation(batched, "eq:bp4-batched"),
            "verdict": tex_escape(d.proof.summary("BP4"))}


def _factor(p: BackpropLatexPrinter, expr: sp.Expr) -> str:
    """A factor of a product, in parentheses when it is a sum."""
    text = p.doprint(expr)
    return rf"\left({text}\right)" if isinstance(expr, sp.Add) else text


def equations_sections(c: _Context) -> list[dict[str, Any]]:
    return [bp1_section(c), bp2_section(c), bp3_section(c), bp4_section(c)]


def _routes(c: _Context, parameter: Parameter) -> list[tuple[int, ...]]:
    """Neurons a path visits from the parameter's neuron to the output, in PerWeightPartials.chain order."""
    model = c.d.model
    later = [list(model.units(number)) for number in range(parameter.layer + 1, c.depth + 1)]
    return [(parameter.j, *route) for route in itertools.product(*later)]


def _named_factors(c: _Context, parameter: Parameter, neurons: tuple[int, ...]) -> list[str]:
    """∂C/∂a^L · ∂a^L/∂z^L · ∂z/∂a · ... · ∂z^l_j/∂p for one path, as named local derivatives."""
    n, L, layer = c.n, c.depth, parameter.layer
    last = neurons[-1]
    if c.d.layers.layer(L).activation.elementwise:
        factors = [frac_d("C", n.node("a", L, last)), frac_d(n.node("a", L, last), n.node("z", L, last))]
    else:
        factors = [frac_d("C", n.node("z", L, last))]
    for step in range(len(neurons) - 1, 0, -1):
        here, below = layer + step, neurons[step - 1]
        factors.append(frac_d(n.node("z", here, neurons[step]), n.node("a", here - 1, below)))
        factors.append(frac_d(n.node("a", here - 1, below), n.node("z", here - 1, below)))
    factors.append(frac_d(n.node("z", layer, parameter.j), c.symbol(parameter)))
    return factors


def _sum_of_products(lhs: str, products: list[list[str]]) -> list[str]:
    """One path per line (more when a path is too long), factors joined by a centred dot."""
    pieces, breaks = [], set()
    for number, factors in enumerate(products):
        if number:
            breaks.add(len(pieces))
        pieces.append(("" if number == 0 else " + ", factors[0]))
        pieces += [(r" \cdot ", factor) for factor in factors[1:]]
    return wrap(lhs, pieces, breaks=frozenset(breaks) if len(products) > 1 else frozenset())


def _chain_lines(c: _Context, parameter: Parameter) -> list[str]:
    p = c.p()
    products = [[_factor(p, factor) for factor in term.factors] for term in c.d.per_weight.chain(parameter)]
    return _sum_of_products(frac_d("C", c.symbol(parameter)), products)


def paths_section(c: _Context) -> dict[str, Any] | None:
    chosen = c.chosen
    if chosen is None or c.d.per_weight is None:
        return None
    routes = _routes(c, chosen)
    lhs = frac_d("C", c.symbol(chosen))
    named = _sum_of_products(lhs, [_named_factors(c, chosen, route) for route in routes])
    count = len(routes)
    return {"symbol": c.symbol(chosen), "count": count, "plural": "" if count == 1 else "s",
            "named": equation(named, "eq:paths-named"), "valued": equation(_chain_lines(c, chosen), "eq:paths-values"),
            "factored": equation(f"{lhs} = {c.p().doprint(c.d.per_weight.factored(chosen))}", "eq:paths-factored")}


def _label(parameter: Parameter) -> str:
    return f"eq:partial-{parameter.kind}{parameter.layer}-{parameter.j}" + (
        f"-{parameter.k}" if parameter.k is not None else "")


def _verdict_text(verdict) -> str:
    return tex_escape(verdict.status + (f" ({verdict.how})" if verdict.how else ""))


def partials_section(c: _Context) -> dict[str, Any]:
    d = c.d
    if d.per_weight is None:
        return {"skipped": "The per-weight partials are not listed for this network. "
                           + " ".join(tex_escape(note) for note in d.proof.notes),
                "deltas": [], "entries": [], "expanded": False}
    if c.selection == "none":
        return {"skipped": "The per-weight partials are not listed (\\texttt{-{}-weights none}).",
                "deltas": [], "entries": [], "expanded": False}
    p = c.p()
    deltas = [wrap(p.doprint(symbol), sum_pieces(p, value)) for symbol, value in d.per_weight.deltas.items()]
    verdicts = {verdict.subject: verdict for verdict in d.proof.verdicts}
    chosen = d.model.parameters if c.selection == "all" else c.selection
    items = []
    for parameter in chosen:
        lhs = frac_d("C", c.symbol(parameter))
        factored = p.doprint(d.per_weight.factored(parameter))
        lines = _chain_lines(c, parameter) + [f"&= {factored}"] if c.expand else f"{lhs} = {factored}"
        items.append({"symbol": c.symbol(parameter), "equation": equation(lines, _label(parameter)),
                      "verdict": _verdict_text(verdicts[f"∂C/∂{parameter}"])})
    return {"skipped": "", "deltas": deltas, "entries": items, "expanded": c.expand}


def verification_section(c: _Context) -> dict[str, Any]:
    proof = c.d.proof
    names = {"BP1": "BP1", "BP2": "BP2", "BP3": "BP3", "BP4": "BP4", "layer-level": "matrix forms",
             "batched": "batched forms"}
    rows = [{"name": name, "summary": tex_escape(proof.summary(key))}
            for key, name in names.items() if proof.for_equation(key)]
    assumptions = [f"${a.latex}$: {tex_escape(a.text)}" for a in c.d.layers.assumptions]
    return {"rows": rows, "notes": [tex_escape(note) for note in proof.notes], "assumptions": assumptions,
            "holds": proof.holds}
