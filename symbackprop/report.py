"""The plain-text summary that ``symbackprop derive`` prints.

:func:`derivation_summary` lays out, for one :class:`~symbackprop.driver.Derivation`: the
spec, the forward equations, the cost, the parameter counts, BP1–BP4 specialised to the
spec (with the simplifications the passes found and the assumptions they rest on), the
matrix and batched forms, and one verdict line per equation from the proof.  Plain Unicode,
readable in a terminal, and deterministic (no timings, no hash-dependent order).
"""

from __future__ import annotations

import re

import sympy as sp

from .derivation import LayerEquations
from .driver import Derivation
from .learning import ActivationFacts, OutputFacts, learning_facts
from .printing.text import expression_text, plain_text
from .registry import A, Y, Z

_INDENT = "    "


def derivation_summary(d: Derivation) -> str:
    """The whole summary as one string (lines joined by newlines, no trailing newline)."""
    lines = _header(d) + [""] + _forward(d) + [""] + _cost(d) + [""] + _equations(d)
    lines += [""] + _matrix_forms(d) + [""] + _learning(d) + [""] + _verdicts(d)
    if d.proof.notes:
        lines += ["", "Notes:"] + [f"{_INDENT}{note}" for note in d.proof.notes]
    return "\n".join(lines)


def _header(d: Derivation) -> list[str]:
    spec = d.spec
    activations = ", ".join(activation.label() for activation in spec.activations)
    bias = "with biases" if spec.bias else "no biases"
    name = f"{spec.name}: " if spec.has_name else ""
    return [f"Network {name}{spec.shorthand()} (activations {activations}; cost {spec.cost.label()}; {bias})",
            f"Parameters: {spec.weight_count} weights and {spec.bias_count} biases "
            f"({spec.parameter_count} in all), L = {spec.depth} weight layers"]


def _forward(d: Derivation) -> list[str]:
    spec = d.spec
    lines = [f"Forward pass (a^0 = x, the input of width {spec.sizes[0]}):"]
    for layer, activation in enumerate(spec.activations, start=1):
        rows, columns = spec.sizes[layer], spec.sizes[layer - 1]
        bias = f" + b^{layer}" if spec.bias else ""
        shapes = f"W^{layer} is {rows}×{columns}" + (f", b^{layer} has {rows}" if spec.bias else "")
        lines.append(f"{_INDENT}z^{layer} = W^{layer} a^{layer - 1}{bias},  "
                     f"a^{layer} = σ_{layer}(z^{layer}) with σ_{layer} = {_activation_text(activation)}"
                     f"    ({shapes})")
    return lines


def _activation_text(activation) -> str:
    if not activation.elementwise:
        return "softmax (a_j = e^{z_j} / Σ_i e^{z_i})"
    if activation.is_custom:
        return f"{activation.name}(z) = {activation.source}"
    formula = expression_text(activation.expr)
    return activation.label() if formula == activation.label() + "(z)" else f"{activation.label()}, σ(z) = {formula}"


def _cost(d: Derivation) -> list[str]:
    spec = d.spec
    return ["Cost:",
            f"{_INDENT}per output unit  c(a, y) = {expression_text(spec.cost.expr)}",
            f"{_INDENT}per sample       {spec.cost.formula}  (sum over the {spec.sizes[-1]} output units)",
            f"{_INDENT}batch            C = (1/m) Σ_x C_x  (mean over the m samples x)"]


def _verdict(d: Derivation, equation: str) -> str:
    """The proof's summary line, saying where the per-weight proof ran on a reduced network."""
    text = d.proof.summary(equation)
    reduced = next((verdict.reduced_network for verdict in d.proof.for_equation(equation)
                    if verdict.reduced_network), None)
    return f"{text}, on the reduced network {reduced}" if reduced else text


def _equations(d: Derivation) -> list[str]:
    spec = d.spec
    output = d.layers.layers[-1]
    lines = ["Backpropagation, specialised to this network:"]
    lines += _bp1(output, spec.depth)
    lines.append(f"{_INDENT}{_INDENT}verdict: {_verdict(d, 'BP1')}")
    lines.append("  BP2  δ^l_j = ((W^(l+1))^T δ^(l+1))_j · σ_l'(z^l_j) for the hidden layers")
    hidden = d.layers.layers[:-1]
    if not hidden:
        lines.append(f"{_INDENT}{_INDENT}(no hidden layers)")
    for equations in hidden:
        lines += _bp2(equations)
    if hidden:
        lines.append(f"{_INDENT}{_INDENT}verdict: {_verdict(d, 'BP2')}")
    if spec.bias:
        lines.append("  BP3  ∂C/∂b^l_j = δ^l_j")
        lines.append(f"{_INDENT}{_INDENT}verdict: {_verdict(d, 'BP3')}")
    else:
        lines.append("  BP3  (no biases in this network)")
    lines.append("  BP4  ∂C/∂w^l_jk = a^(l−1)_k δ^l_j")
    lines.append(f"{_INDENT}{_INDENT}verdict: {_verdict(d, 'BP4')}")
    return lines


def _bp1(output: LayerEquations, depth: int) -> list[str]:
    if output.activation.elementwise:
        lines = [f"  BP1  δ^L_j = ∂C/∂a^L_j · σ_L'(z^L_j) = {expression_text(output.general)}"
                 f"   (L = {depth}, a = a^L_j, y = y_j, z = z^L_j)",
                 f"{_INDENT}{_INDENT}simplified: δ^{depth}_j = {expression_text(output.delta)}"]
    else:
        lines = [f"  BP1  δ^L_j = Σ_i ∂C/∂a^L_i · ∂a^L_i/∂z^L_j = a_j ∂C/∂a_j − a_j Σ_i a_i ∂C/∂a_i"
                 f"   (L = {depth}, softmax Jacobian ∂a_i/∂z_j = a_i (δ_ij − a_j))"]
        lines += [f"{_INDENT}{_INDENT}with {row_sum.symbol} = Σ_i a_i ∂C/∂a_i = "
                  f"Σ_i {_bracketed(expression_text(_indexed(row_sum.summand, 'i')))}: "
                  f"δ^L_j = {expression_text(_indexed(output.general, 'j'))}" for row_sum in output.row_sums]
        lines.append(f"{_INDENT}{_INDENT}simplified: δ^{depth}_j = {expression_text(_indexed(output.delta, 'j'))}")
    if output.cancels_to_error:
        lines.append(f"{_INDENT}{_INDENT}(the output layer cancels to δ^L = a^L − y)")
    lines += [f"{_INDENT}{_INDENT}found: {note.format(expression_text)}" for note in output.notes]
    lines += [f"{_INDENT}{_INDENT}assumes: {assumption.text}" for assumption in output.assumptions]
    return lines


def _indexed(expr: sp.Expr, index: str) -> sp.Expr:
    """``expr`` in the output units' a_j, y_j, z_j (or _i): the softmax lines mention two units."""
    return expr.xreplace({symbol: sp.Symbol(f"{symbol}_{index}", real=True) for symbol in (A, Y, Z)})


def _bracketed(text: str) -> str:
    """A summand after Σ_i, in parentheses unless it is a single term."""
    return f"({text})" if re.search(r"[ +−]", text.strip()) else text


def _bp2(equations: LayerEquations) -> list[str]:
    layer = equations.layer
    where = f"a = a^{layer}_j" if equations.derivative_in_a else f"z = z^{layer}_j"
    derivative = expression_text(equations.derivative)
    if isinstance(equations.derivative, sp.Add):
        derivative = f"({derivative})"
    lines = [f"{_INDENT}{_INDENT}layer {layer} ({equations.activation.label()}): "
             f"δ^{layer}_j = e·{derivative}   "
             f"(e = ((W^{layer + 1})^T δ^{layer + 1})_j, {where})"]
    lines += [f"{_INDENT}{_INDENT}{_INDENT}found: {note.format(expression_text)}" for note in equations.notes]
    return lines


def _matrix_forms(d: Derivation) -> list[str]:
    spec = d.spec
    elementwise = spec.output.elementwise
    top = ("δ^L = ∇_a C ⊙ σ_L'(z^L)" if elementwise
           else "δ^L = a^L ⊙ ∇_a C − a^L ((a^L)^T ∇_a C)  (softmax)")
    lines = ["Matrix forms (one sample, column vectors):",
             f"{_INDENT}{top}",
             f"{_INDENT}δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ σ_l'(z^l)   for l = L−1, …, 1",
             f"{_INDENT}∂C/∂W^l = δ^l (a^(l−1))^T" + (",   ∂C/∂b^l = δ^l" if spec.bias else ""),
             "Batched forms (m samples, one per row of A^l, Z^l, Δ^l):",
             f"{_INDENT}Δ^L = the δ^L above, row by row (one row per sample)",
             f"{_INDENT}Δ^l = (Δ^(l+1) W^(l+1)) ⊙ σ_l'(Z^l)",
             f"{_INDENT}∂C/∂W^l = (1/m) (Δ^l)^T A^(l−1)"
             + (",   ∂C/∂b^l = (1/m) Σ_rows Δ^l" if spec.bias else "")]
    return lines


def _learning(d: Derivation) -> list[str]:
    """What the derived expressions say about learning (see :mod:`symbackprop.learning`)."""
    facts = learning_facts(d)
    lines = ["What this derivation says about learning:", f"{_INDENT}output: {_output_learning(d, facts.output)}"]
    for activation in dict.fromkeys(item for _, item in facts.hidden):
        layers = ", ".join(str(layer) for layer, item in facts.hidden if item is activation)
        lines.append(f"{_INDENT}hidden {activation.name} (layer {layers}): {_activation_learning(activation)}")
    if facts.hidden:
        sups = [item.supremum for _, item in facts.hidden]
        bound = ("no bound (σ' unbounded)" if any(value is None for value in sups) else
                 "‖δ^1‖ ≤ " + expression_text(sp.Mul(*sups)) + "".join(f" ‖W^{layer}‖" for layer in
                                                                       range(2, d.spec.depth + 1))
                 + f" ‖δ^{d.spec.depth}‖")
        lines.append(f"{_INDENT}δ^l = D^l (W^(l+1))^T ⋯ D^(L−1) (W^L)^T δ^L with D^l = diag(σ_l'(z^l)): {bound}")
    lines.append(f"{_INDENT}BP4: ∂C/∂w^l_jk = a^(l−1)_k δ^l_j, so weights out of neurons with small activations "
                 "learn slowly")
    return lines


def _output_learning(d: Derivation, out: OutputFacts) -> str:
    delta = expression_text(out.equations.delta)
    pair = f"{out.equations.activation.label()} + {d.spec.cost.label()}"
    if out.kept is None:
        return f"δ^L = {delta}; whether σ_L' cancels could not be decided"
    if not out.elementwise:
        return (f"the softmax Jacobian a_i (δ_ij − a_j) cancels against ∂C/∂a = {expression_text(out.cost_gradient)} "
                f"({pair}): δ^L = {delta}, so saturated outputs still learn" if out.cancels else
                f"the softmax Jacobian survives (factor a_j): δ^L = {delta}; saturated outputs learn slowly")
    if out.constant:
        return f"σ_L' = {expression_text(out.derivative)} is constant: δ^L = {delta}, nothing saturates"
    if not out.cancels:
        return (f"σ_L' = {expression_text(out.kept)} survives in δ^L = {delta}: "
                "saturated outputs learn slowly")
    gradient = expression_text(out.cost_gradient)
    if not out.survives:
        return (f"σ_L' = {expression_text(out.derivative)} cancels against ∂C/∂a = {gradient} ({pair}): "
                f"δ^L = {delta}, so saturated outputs still learn")
    return (f"the factor {expression_text(out.cancelled)} of σ_L' = {expression_text(out.derivative)} cancels "
            f"against ∂C/∂a = {gradient} ({pair}), {expression_text(out.kept)} survives: δ^L = {delta}")


def _activation_learning(facts: ActivationFacts) -> str:
    if facts.supremum is None:
        return "|σ'| is unbounded (gradients can explode)"
    sup = expression_text(facts.supremum) if facts.exact else f"≈ {float(facts.supremum):.4g} (numerically)"
    text = f"sup|σ'| = {sup}"
    if not facts.saturated.empty:
        text += f"; below 1% of it for {facts.saturated.plain()}"
    if not facts.dead.empty:
        text += f"; σ' = 0 for {facts.dead.plain()} (dead units)"
    return text


def _verdicts(d: Derivation) -> list[str]:
    rows = [(equation, _verdict(d, equation)) for equation in ("BP1", "BP2", "BP3", "BP4", "layer-level", "batched")
            if d.proof.for_equation(equation)]
    return verdict_lines(d.proof, d.spec.shorthand(), rows)


def verdict_lines(proof, shorthand: str, rows: list[tuple[str, str]], shown: int | None = None) -> list[str]:
    """The summary's closing block: one line per (equation, verdict), the σ' rewrites, and whether all hold
    (else the first failure and its counterexample, ``shown`` values of it at most)."""
    lines = ["Verdicts:"] + [f"{_INDENT}{name + ':':<13}{text}" for name, text in rows]
    rewrites = proof.for_equation("rewrite")
    if rewrites:
        lines.append(f"{_INDENT}σ' written in terms of a (used by BP1/BP2):")
        lines += [f"{_INDENT}{_INDENT}{plain_text(verdict.line())}" for verdict in rewrites]
    failure = proof.first_failure()
    if failure is None:
        lines.append(f"{_INDENT}All equations hold for {shorthand}.")
    else:
        lines.append(f"{_INDENT}FAILED: {failure.line()}")
        if failure.counterexample:
            values = sorted(failure.counterexample.items())
            point = ", ".join(f"{key} = {value:.6g}" for key, value in values[:shown])
            more = " (first values)" if shown is not None and len(values) > shown else ""
            lines.append(f"{_INDENT}{_INDENT}counterexample{more}: {point}")
    return lines
