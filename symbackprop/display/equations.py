"""BP1–BP4 of one derivation in layer-indexed symbols, and one partial as a sum over its paths.

Provides :func:`statements` (each equation's lines for this network: ``δ^{2}_{j} = a^{2}_{j} − y_{j}``,
``δ^{1}_{j} = ((W^{2})^T δ^{2})_j (1 − (a^{1}_{j})^2)``, the σ' each layer uses, BP3 and BP4 per
layer), :func:`derivation_table` and :func:`partial_table`.  Every formula is printed by
:mod:`symbackprop.printing.latex` in the derivation's notation profile, with the layer of the
prototype symbols given, so no bare a, z, e or y is ever shown.
"""

from __future__ import annotations

import sympy as sp

from ..derivation import E, LayerDerivation, LayerEquations
from ..document.formulas import DELTA, as_factor, frac_d
from ..notation import Notation, notation
from ..printing.latex import printer
from .markup import Math, Table, Text, cell

BP1, BP2, BP3, BP4 = "BP1", "BP2", "BP3", "BP4"
TONES = {"proved symbolically": "good", "verified numerically": "good", "FAILED": "bad"}


def derivative_line(n: Notation, eq: LayerEquations) -> str | None:
    """σ'(z^l_j) of a layer, then in terms of a^l_j where that form was found (None for softmax)."""
    if eq.derivative_z is None:
        return None
    p = printer(n, eq.layer)
    line = f"{n.activation_letter}'({n.node('z', eq.layer, 'j')}) = {p.doprint(eq.derivative_z)}"
    if eq.rewritten_in_a:
        line += f" = {p.doprint(eq.derivative)}"
    return line


def output_lines(n: Notation, layers: LayerDerivation, derivatives: bool = True) -> list[str]:
    """BP1 for this network: σ'_L (with ``derivatives``), δ^L_j, and the row sum s where it stays in the result."""
    eq = layers.layers[-1]
    L, p = eq.layer, printer(n, eq.layer)
    lines = [line for line in (derivative_line(n, eq),) if line and derivatives]
    lines.append(f"{n.node(DELTA, L, 'j')} = {p.doprint(eq.delta)}")
    for row_sum in eq.row_sums:
        if row_sum.symbol in eq.delta.free_symbols:
            summand = printer(n, L, "i").doprint(row_sum.summand)
            summand = rf"\left({summand}\right)" if isinstance(row_sum.summand, sp.Add) else summand
            lines.append(rf"s = \sum_{{i}} {n.node('a', L, 'i')}\, {frac_d('C', n.node('a', L, 'i'))}"
                         rf" = \sum_{{i}} {summand}")
    return lines


def hidden_lines(n: Notation, eq: LayerEquations, derivatives: bool = True) -> list[str]:
    """BP2 for one hidden layer: its σ' (with ``derivatives``), then δ^l_j with the back-propagated error first."""
    p = printer(n, eq.layer)
    delta = f"{n.node(DELTA, eq.layer, 'j')} = {p.doprint(E)}\\, {as_factor(p, eq.derivative)}"
    return [line for line in (derivative_line(n, eq) if derivatives else None, delta) if line]


def bias_lines(n: Notation, depth: int) -> list[str]:
    return [f"{frac_d('C', n.bias(layer, 'j'))} = {n.node(DELTA, layer, 'j')}" for layer in range(depth, 0, -1)]


def weight_lines(n: Notation, depth: int) -> list[str]:
    lines = []
    for layer in range(depth, 0, -1):
        source = n.input("k") if layer == 1 else n.node("a", layer - 1, "k")
        lines.append(f"{frac_d('C', n.weight(layer, 'j', 'k'))} = {source}\\, {n.node(DELTA, layer, 'j')}")
    return lines


def general_statements(n: Notation, softmax: bool) -> dict[str, str]:
    """BP1–BP4 as stated for any network, in the profile's generic layer l (and L)."""
    s = n.activation_letter
    dL, aL, zL = (n.generic_node(letter, 0, "j", "L") for letter in (DELTA, "a", "z"))
    if softmax:
        ai = n.generic_node("a", 0, "i", "L")
        bp1 = rf"{dL} = \sum_{{i}} {frac_d('C', ai)}\, {ai} \bigl(\mathbf{{1}}[i = j] - {aL}\bigr)"
    else:
        bp1 = rf"{dL} = {frac_d('C', aL)}\, {s}'({zL})"
    error = rf"\bigl(({n.generic_weight_matrix(1)})^{{T}} {n.generic_node(DELTA, 1)}\bigr)_{{j}}"
    delta = n.generic_node(DELTA, 0, "j")
    return {BP1: bp1,
            BP2: rf"{delta} = {error}\, {s}'({n.generic_node('z', 0, 'j')})",
            BP3: rf"{frac_d('C', n.generic_bias(0, 'j'))} = {delta}",
            BP4: rf"{frac_d('C', n.generic_weight(0, 'j', 'k'))} = {n.generic_node('a', -1, 'k')}\, {delta}"}


def statements(n: Notation, layers: LayerDerivation, derivatives: bool = True) -> dict[str, list[str]]:
    """Each equation's lines for this network (BP2 empty without hidden layers, BP3 without biases);
    ``derivatives`` adds the σ' of each layer before its δ."""
    spec = layers.spec
    return {BP1: output_lines(n, layers, derivatives),
            BP2: [line for eq in reversed(layers.layers[:-1]) for line in hidden_lines(n, eq, derivatives)],
            BP3: bias_lines(n, spec.depth) if spec.bias else [],
            BP4: weight_lines(n, spec.depth)}


def verdict_text(proof, equation: str, name_reduced: bool = True) -> Text:
    """The proof's one-line verdict on an equation (with ``name_reduced``, the reduced network it ran on)."""
    summary = proof.summary(equation)
    reduced = next((v.reduced_network for v in proof.for_equation(equation) if v.reduced_network), None)
    if reduced and name_reduced:
        summary += f", on the reduced network {reduced}"
    return Text(summary, next((tone for status, tone in TONES.items() if summary.startswith(status)), ""))


def derivation_table(d) -> Table:
    """BP1–BP4: the general statement, this network's form and the proof's verdict, per equation."""
    n, spec = notation(d.notation), d.spec
    general = general_statements(n, not spec.output.elementwise)
    found = statements(n, d.layers)
    empty = {BP2: "no hidden layers", BP3: "no biases"}
    rows = []
    for equation in (BP1, BP2, BP3, BP4):
        if found[equation]:
            here, verdict = cell(*(Math(line) for line in found[equation])), cell(verdict_text(d.proof, equation))
        else:
            here, verdict = cell(Text(empty[equation], "muted")), cell(Text("—", "muted"))
        rows.append((cell(equation), cell(Math(general[equation])), here, verdict))
    activations = ", ".join(activation.label() for activation in spec.activations)
    title = (f"Backpropagation for {spec.name + ' ' if spec.has_name else ''}{spec.shorthand()} ({activations}; "
             f"cost {spec.cost.label()}), in {n.title}'s notation")
    notes = [(Text("Assumes "), Math(assumption.latex), Text(f": {assumption.text}."))
             for assumption in d.layers.assumptions]
    notes.append((Text(_plain_numbering(n, spec.depth)),))
    return Table(cell(title)[0], ("", "in general", f"for {spec.shorthand()}", "verdict"), tuple(rows), tuple(notes))


def _plain_numbering(n: Notation, depth: int) -> str:
    first = n.layer_offset
    return (f"Layers are numbered {first} (the input) to {depth + first} (the output); the first index of a weight "
            "is the neuron it feeds.")


# -- one partial ----------------------------------------------------------------------------------------
def _route(n: Notation, partial, neurons: tuple[int, ...]) -> str:
    """The neurons one path passes through (by their weighted inputs), from the parameter to the cost."""
    layer = partial.parameter.layer
    nodes = [printer(n).doprint(partial.parameter_symbol)]
    nodes += [n.node("z", layer + step, neuron) for step, neuron in enumerate(neurons)]
    return r" \to ".join(nodes + ["C"])


def partial_rows(partial) -> list[tuple]:
    """One row per path: its number, the neurons it passes through, the product of its local derivatives."""
    n = notation(partial.notation)
    _, paths, _ = partial_lines(partial)
    return [(cell(str(number)), cell(Math(_route(n, partial, term.neurons))), cell(Math(product)))
            for number, (term, product) in enumerate(zip(partial.chain, paths, strict=True), start=1)]


def partial_lines(partial) -> tuple[str, list[str], str]:
    """(∂C/∂p, the path products, the factored form) in the partial's notation."""
    p = printer(notation(partial.notation))
    lhs = frac_d("C", p.doprint(partial.parameter_symbol))
    paths = [r" \cdot ".join(as_factor(p, factor) for factor in term.factors) for term in partial.chain]
    return lhs, paths, p.doprint(partial.factored)


def partial_table(partial) -> Table:
    """∂C/∂p as the sum over its paths (one row each), then its factored form and the proof's verdict."""
    lhs, paths, factored = partial_lines(partial)
    count = len(paths)
    rows = partial_rows(partial)
    rows.append((cell("sum"), cell(Text(f"all {count} path{'s' if count > 1 else ''}", "muted")),
                 cell(Math(f"{lhs} = " + " + ".join(paths)))))
    rows.append((cell("factored"), cell(Text("BP3" if partial.parameter.kind == "b" else "BP4", "muted")),
                 cell(Math(f"{lhs} = {factored}"))))
    verdict = partial.verdict
    tone = TONES.get(verdict.status, "")
    notes = ((Text("Verdict: "), Text(verdict.status, tone), Text(f" ({verdict.how})" if verdict.how else "")),)
    return Table((Math(lhs), Text(f": {count} path{'s' if count > 1 else ''} from the parameter to the cost")),
                 ("path", "through", "local derivatives along it"), tuple(rows), notes)


def partial_latex(partial) -> str:
    """The sum over paths, one path per line, then the factored form, as one aligned equation."""
    lhs, paths, factored = partial_lines(partial)
    lines = [f"{lhs} &= {paths[0]}"] + [rf"&\quad + {path}" for path in paths[1:]] + [f"&= {factored}"]
    return r"$$\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}$$"
