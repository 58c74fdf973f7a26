"""The section "What this derivation says about learning", from :mod:`symbackprop.learning`.

Provides :func:`learning_section`: whether σ'_L survives in δ^L or cancels (with the factor
written out), the supremum of |σ'| of each hidden activation with its saturated and dead
regions, the product form of δ^l and the bound it gives per layer, BP4's a^{l−1} factor, and
one figure of σ and σ' per distinct elementwise activation.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..learning import SATURATION, ActivationFacts, LearningFacts, OutputFacts, learning_facts
from .blocks import figure, paragraph, section
from .context import Context
from .formulas import DELTA, as_factor, equation, frac_d, tex_escape
from .plots import activation_plot


def learning_section(c: Context) -> dict[str, Any]:
    facts = learning_facts(c.d)
    blocks = _output_blocks(c, facts.output)
    blocks += _hidden_blocks(c, facts)
    blocks += _product_blocks(c, facts)
    blocks += _bp4_blocks(c, facts)
    for activation_facts in facts.activations:
        name = tex_escape(activation_facts.name)
        s = c.n.activation_letter
        caption = (rf"${s}$ and ${s}'$ of \texttt{{{name}}}, as printed in this document"
                   + (rf"; shaded: ${s}'$ below {_percent()} of its supremum (dashed)"
                      if not activation_facts.saturated.empty else "") + ".")
        blocks.append(figure("plot", activation_plot(activation_facts, c.n), caption,
                             f"fig:plot-{activation_facts.name.replace('_', '-')}"))
    return section("What this derivation says about learning", "sec:learning", blocks)


def _percent() -> str:
    return rf"{int(SATURATION * 100)}\%"


def _sup(facts: ActivationFacts) -> str:
    """sup |σ'| as LaTeX: exact, ≈ numeric, or ∞."""
    if facts.supremum is None:
        return r"\infty"
    if facts.exact:
        exact = sp.latex(facts.supremum)
        return exact if facts.supremum.is_Rational else rf"{exact} \approx {float(facts.supremum):.4g}"
    return rf"\approx {float(facts.supremum):.4g}"


# -- the output layer -------------------------------------------------------------------


def _output_blocks(c: Context, out: OutputFacts) -> list[dict[str, Any]]:
    n, L = c.n, c.depth
    p = c.p(L)
    s = n.activation_letter
    delta, a_j = n.node(DELTA, L, "j"), n.node("a", L, "j")
    name = tex_escape(out.equations.activation.label())
    cost = tex_escape(c.d.spec.cost.label())
    gradient = rf"{frac_d('C', a_j)} = {p.doprint(out.cost_gradient)}"
    if not out.elementwise:
        return _softmax_blocks(c, out, name, cost)
    if out.constant:
        return [paragraph(rf"The output activation \texttt{{{name}}} has ${s}'_L = {p.doprint(out.derivative)}$: "
                          f"BP1 gives ${delta} = {p.doprint(out.equations.delta)}$, which no saturation of the "
                          "output can damp.", "The output layer.")]
    product = rf"{delta} = {as_factor(p, out.cost_gradient)} \cdot {as_factor(p, out.derivative)}"
    if out.kept is None:
        return [paragraph(f"BP1 reads ${product}$; whether ${s}'_L$ cancels could not be decided symbolically.",
                          "The output layer.")]
    if not out.cancels:
        return [paragraph(f"BP1 keeps the factor ${s}'({n.node('z', L, 'j')}) = {p.doprint(out.kept)}$ "
                          f"(\\texttt{{{name}}}) in the output error:", "The output layer."),
                equation(f"{product} = {p.doprint(out.equations.delta)}", "eq:learning-output"),
                paragraph(f"Where the output saturates (${s}'_L$ close to 0) the error ${delta}$ is small even when "
                          f"the output is wrong, so the output layer learns slowly just when it is most wrong: "
                          f"saturation slows learning under the \\texttt{{{cost}}} cost.")]
    derivative = f"${s}'({n.node('z', L, 'j')}) = {p.doprint(out.derivative)}$"
    if out.survives:
        what = (f"the factor ${p.doprint(out.cancelled)}$ of {derivative} cancels (\\texttt{{{name}}} output with the "
                f"\\texttt{{{cost}}} cost), while ${p.doprint(out.kept)}$ survives, so saturation still slows "
                "learning where it vanishes")
    else:
        what = f"{derivative} cancels (\\texttt{{{name}}} output with the \\texttt{{{cost}}} cost)"
    return [paragraph(f"With ${gradient}$, {what}:", "The output layer."),
            equation(f"{product} = {p.doprint(out.equations.delta)}", "eq:learning-output"),
            paragraph("" if out.survives else
                      "The output error is proportional to how wrong the output is, however saturated the "
                      "output neuron: a confidently wrong output learns fast.")]


def _softmax_blocks(c: Context, out: OutputFacts, name: str, cost: str) -> list[dict[str, Any]]:
    n, L = c.n, c.depth
    delta, a_j, a_i = n.node(DELTA, L, "j"), n.node("a", L, "j"), n.node("a", L, "i")
    jacobian = rf"{frac_d(a_i, n.node('z', L, 'j'))} = {a_i} \bigl(\mathbf{{1}}[i = j] - {a_j}\bigr)"
    value = c.p(L).doprint(out.equations.delta)
    if out.cancels:
        return [paragraph(f"The softmax Jacobian ${jacobian}$ cancels against $\\nabla_a C$ (\\texttt{{{name}}} "
                          f"output with the \\texttt{{{cost}}} cost): ${delta} = {value}$. The output error is "
                          "proportional to how wrong the output is, however saturated.", "The output layer.")]
    if out.survives:
        return [paragraph(f"BP1 keeps the softmax Jacobian ${jacobian}$: ${delta} = {value}$ carries the factor "
                          f"${a_j}$, so an output driven towards 0 or 1 passes back a small error even when it is "
                          "wrong: saturation slows learning.", "The output layer.")]
    return [paragraph(f"BP1 reads ${delta} = {value}$ through the softmax Jacobian ${jacobian}$; whether it "
                      "cancels could not be decided symbolically.", "The output layer.")]


# -- hidden layers ----------------------------------------------------------------------


def _hidden_blocks(c: Context, facts: LearningFacts) -> list[dict[str, Any]]:
    if not facts.hidden:
        return [paragraph("This network has no hidden layer.", "Hidden layers.")]
    s, blocks = c.n.activation_letter, []
    for activation_facts in dict.fromkeys(item for _, item in facts.hidden):
        layers = [c.n.layer(layer) for layer, item in facts.hidden if item is activation_facts]
        where = f"layer{'s' if len(layers) > 1 else ''} " + ", ".join(f"${layer}$" for layer in layers)
        how = ("found symbolically and confirmed on a grid" if activation_facts.exact else
               "found numerically on a grid over $|z| \\le 30$")
        text = (rf"\texttt{{{tex_escape(activation_facts.name)}}} ({where}): "
                rf"$\sup_z |{s}'(z)| = {_sup(activation_facts)}$ ({how}).")
        if activation_facts.supremum is None:
            text += (f" An unbounded ${s}'$ gives no bound on how much a layer can amplify the error: "
                     "gradients can explode.")
        elif activation_facts.saturated.empty:
            text += f" ${s}'$ never falls below {_percent()} of it."
        elif activation_facts.saturated == activation_facts.dead:
            text += f" Elsewhere ${s}'$ stays above {_percent()} of it."
        else:
            text += (f" ${s}'$ falls below {_percent()} of it for ${activation_facts.saturated.latex()}$: a neuron "
                     f"driven there passes back less than {_percent()} of the error that reaches it (saturation).")
        if not activation_facts.dead.empty:
            text += (f" ${s}'$ is exactly zero for ${activation_facts.dead.latex()}$: a neuron whose weighted input "
                     "stays there on every sample passes back no error at all, and its incoming weights stop "
                     "learning (a dead unit).")
        blocks.append(paragraph(text, "Hidden layers." if not blocks else ""))
    return blocks


def _product_blocks(c: Context, facts: LearningFacts) -> list[dict[str, Any]]:
    """δ^l = D^l (W^{l+1})^T ⋯ D^{L−1} (W^L)^T δ^L, and the bound of each step back."""
    if not facts.hidden:
        return []
    n, L, s = c.n, c.depth, c.n.activation_letter
    factors = [f"{n.node('D', layer)} ({n.weight_matrix(layer + 1)})^{{T}}" for layer in range(1, L)]
    shown = factors if len(factors) <= 4 else factors[:2] + [r"\cdots"] + factors[-1:]
    output = (rf", \quad {n.node(DELTA, L)} = {n.node('D', L)} \nabla_{{a}} C" if c.d.spec.output.elementwise
              else "")
    define = ("" if n.diagonal_form else
              f"With ${n.generic_node('D', 0)} = \\operatorname{{diag}}({s}'({n.generic_node('z', 0)}))$, ")
    blocks = [paragraph(define + "BP2 unrolls into a product from the output back:", "Through the layers."),
              equation(f"{n.node(DELTA, 1)} = {' '.join(shown)} {n.node(DELTA, L)}{output}", "eq:learning-product"),
              paragraph(rf"Each ${n.generic_node('D', 0)}$ is diagonal with entries $|{s}'| \le \sup|{s}'_l|$, so "
                        "each step back multiplies the size of the error by at most that supremum times the norm "
                        "of the weights:")]
    bound = rf"\|{n.generic_node(DELTA, 0)}\| \le \sup|{s}'_l|\, \|{n.generic_weight_matrix(1)}\|\, " \
            rf"\|{n.generic_node(DELTA, 1)}\|"
    blocks.append(equation(bound, "eq:learning-bound"))
    blocks.append(paragraph(_bound_verdict(c, facts)))
    return blocks


def _bound_verdict(c: Context, facts: LearningFacts) -> str:
    n, L, s = c.n, c.depth, c.n.activation_letter
    sups = [item.supremum for _, item in facts.hidden]
    if any(value is None for value in sups):
        return f"An unbounded ${s}'$ gives no such bound: the error can grow from layer to layer."
    product = sp.Mul(*sups)
    factor = sp.latex(product) if all(item.exact for _, item in facts.hidden) else f"{float(product):.4g}"
    factor = "" if product == 1 else factor + r"\,"
    weights = r"\, ".join(rf"\|{n.weight_matrix(layer + 1)}\|" for layer in range(1, L))
    text = f"For this network: $\\|{n.node(DELTA, 1)}\\| \\le {factor} {weights}\\, \\|{n.node(DELTA, L)}\\|$. "
    if all(float(value) < 1 for value in sups):
        worst = max(float(value) for value in sups)
        text += (f"Since every $\\sup|{s}'| < 1$, the error shrinks by a factor of at least {1 / worst:.3g} per "
                 "layer unless the weights grow to compensate: in deep stacks of these layers the gradients of "
                 "the early layers vanish.")
    else:
        text += (f"Where $\\sup|{s}'| \\ge 1$, ${s}'$ alone does not shrink the error; the weights decide "
                 "whether it vanishes or grows from layer to layer.")
    return text


def _bp4_blocks(c: Context, facts: LearningFacts) -> list[dict[str, Any]]:
    n = c.n
    w, a_in, delta = n.generic_weight(0, "j", "k"), n.generic_node("a", -1, "k"), n.generic_node(DELTA, 0, "j")
    text = (f"BP4, ${frac_d('C', w)} = {a_in}\\, {delta}$, carries the activation of the neuron the weight comes "
            "from: weights out of neurons with small activations learn slowly, whatever the error. "
            f"For the first layer that activation is the input ${n.input('k')}$ (an input that is 0, a black "
            "pixel say, leaves its weights unchanged)")
    notes = []
    for activation_facts in dict.fromkeys(item for _, item in facts.hidden):
        name = rf"\texttt{{{tex_escape(activation_facts.name)}}}"
        if not activation_facts.zero_output.empty:
            notes.append(f"{name} is exactly 0 for ${activation_facts.zero_output.latex()}$, and then the weights out "
                         "of the neuron get no gradient from that sample")
        elif activation_facts.output_zeros:
            zeros = ", ".join(f"z = {sp.latex(zero)}" for zero in activation_facts.output_zeros)
            notes.append(f"{name} is 0 only at ${zeros}$")
        elif activation_facts.output_vanishes_at:
            ends = " and ".join(r"-\infty" if end == "-oo" else r"+\infty"
                                for end in activation_facts.output_vanishes_at)
            notes.append(f"{name} is never 0 but approaches it as $z \\to {ends}$")
        else:
            notes.append(f"{name} is never 0")
    if notes:
        text += "; in the hidden layers " + "; ".join(notes)
    return [paragraph(text + ".", "Weights out of quiet neurons.")]
