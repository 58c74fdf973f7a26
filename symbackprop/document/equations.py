"""BP1–BP4, one section each: the general statement, its derivation step by step, this
network's form, and the componentwise, matrix and batched forms with the proof's verdict.

Provides :func:`equations_sections` (all four, in order) and :func:`bp1_section` …
:func:`bp4_section`.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..derivation import E
from ..passes import sum_of_targets
from .blocks import paragraph, section
from .blocks import steps as step_blocks
from .context import Context
from .formulas import DELTA, as_factor, equation, frac_d, sum_pieces, tex_escape, wrap

BATCH_C = r"C_{\text{batch}}"


def _step(text: str, formula: str | list[str], label: str | None = None) -> dict[str, Any]:
    return {"text": text, "equation": equation(formula, label)}


def _derivative_steps(c: Context, layer: int) -> list[dict[str, Any]]:
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


def _wrapped(c: Context, lhs: str, expr: sp.Expr, layer: int | None = None, index: str = "j") -> list[str]:
    return wrap(lhs, sum_pieces(c.p(layer, index), expr))


def bp1_section(c: Context) -> dict[str, Any]:
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
    return _bp_section(c, "BP1", "The error of the output layer", equation(general, "eq:bp1", "BP1"), steps, special,
                       equation(matrix, "eq:bp1-matrix"), equation(batched, "eq:bp1-batched"),
                       equation(componentwise, "eq:bp1-spec"))


def _softmax_steps(c: Context) -> list[dict[str, Any]]:
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


def bp2_section(c: Context) -> dict[str, Any]:
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
        p = c.p(layer)
        # e · σ'(z) with the back-propagated error first, as BP2 reads (SymPy would sort it inside σ')
        rhs = [("", p.doprint(E)), (r"\, ", as_factor(p, eq.derivative))]
        special.append(_step("so", wrap(n.node(r"\delta", layer, "j"), rhs), f"eq:bp2-{layer}"))
    if not special:
        special.append({"text": "This network has no hidden layer, so BP2 is not used.", "equation": None})
    delta_l, delta_next = n.generic_node(r"\delta", 0), n.generic_node(r"\delta", 1)
    W = n.generic_weight_matrix(1)
    matrix = (rf"{delta_l} = {n.generic_node('D', 0)} ({W})^{{T}} {delta_next}" if n.diagonal_form
              else rf"{delta_l} = \bigl(({W})^{{T}} {delta_next}\bigr) \odot {s}'({n.generic_node('z', 0)})")
    batched = (rf"\Delta^{{{n.generic_layer(0)}}} = \bigl(\Delta^{{{n.generic_layer(1)}}} {W}\bigr) "
               rf"\odot {s}'(Z^{{{n.generic_layer(0)}}})")
    return _bp_section(c, "BP2", "The error of a hidden layer, from the layer after it",
                       equation(general, "eq:bp2", "BP2"), steps, special,
                       equation(matrix, "eq:bp2-matrix"), equation(batched, "eq:bp2-batched"))


def bp3_section(c: Context) -> dict[str, Any]:
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
    return _bp_section(c, "BP3", "The gradient of a bias", equation(general, "eq:bp3", "BP3"), steps, special,
                       equation(matrix, "eq:bp3-matrix"), equation(batched, "eq:bp3-batched"))


def bp4_section(c: Context) -> dict[str, Any]:
    n, d, L = c.n, c.d, c.depth
    w, z = n.generic_weight(0, "j", "k"), n.generic_node("z", 0, "j")
    a_in, delta = n.generic_node("a", -1, "k"), n.generic_node(r"\delta", 0, "j")
    general = rf"{frac_d('C', w)} = {a_in}\, {delta}"
    steps = [_step(f"The weight enters the cost only through ${z}$, and by \\eqref{{eq:forward}} "
                   f"$\\partial {z} / \\partial {w} = {a_in}$:",
                   rf"{frac_d('C', w)} = {frac_d('C', z)}\, {frac_d(z, w)} = {delta}\, {a_in}")]
    a_prev = n.input("k") if L == 1 else n.node("a", L - 1, "k")
    eq = d.layers.layer(L)
    output = wrap(frac_d("C", n.weight(L, "j", "k")), [("", a_prev), (r" \cdot ", as_factor(c.p(L), eq.delta))])
    special = [_step("For the output layer of this network, with \\eqref{eq:bp1-spec}:", output, "eq:bp4-output")]
    matrix = (rf"{frac_d('C', n.generic_weight_matrix(0))} = "
              rf"{n.generic_node(DELTA, 0)} ({n.generic_node('a', -1)})^{{T}}")
    batched = (rf"{frac_d(BATCH_C, n.generic_weight_matrix(0))} = \frac{{1}}{{m}} "
               rf"(\Delta^{{{n.generic_layer(0)}}})^{{T}} A^{{{n.generic_layer(-1)}}}")
    return _bp_section(c, "BP4", "The gradient of a weight", equation(general, "eq:bp4", "BP4"), steps, special,
                       equation(matrix, "eq:bp4-matrix"), equation(batched, "eq:bp4-batched"))


def _bp_section(c: Context, name: str, title: str, general: dict, derivation: list, special: list, matrix: dict,
                batched: dict, componentwise: dict | None = None) -> dict[str, Any]:
    """One BP section: statement, derivation, this network's form, matrix and batched forms, verdict."""
    blocks = [paragraph("", "Statement."), general, paragraph("", "Derivation."), *step_blocks(derivation),
              paragraph("", "For this network."), *step_blocks(special)]
    if componentwise:
        blocks += [paragraph("Componentwise, for every output neuron $j$:"), componentwise]
    blocks += [paragraph("For one sample, as vectors:", "Matrix and batched forms."), matrix,
               paragraph("and for a batch, one row per sample:"), batched,
               paragraph(tex_escape(c.d.proof.summary(name)) + ".", "Verified.")]
    return section(f"{name}: {title}", f"sec:{name.lower()}", blocks)


def equations_sections(c: Context) -> list[dict[str, Any]]:
    return [bp1_section(c), bp2_section(c), bp3_section(c), bp4_section(c)]
