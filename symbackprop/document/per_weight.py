"""Sections built from the per-weight partials: every chain-rule path of one parameter.

Provides :func:`paths_section` (the sum over the paths from the highlighted parameter to
the cost, with named local derivatives, their values, and the factored form) and
:func:`partials_section` (∂C/∂p for each listed parameter with its proof verdict).
"""

from __future__ import annotations

import itertools
from typing import Any

from ..model import Parameter
from .blocks import align, heading, paragraph, section
from .context import Context
from .formulas import as_factor, equation, frac_d, sum_pieces, tex_escape, wrap


def _routes(c: Context, parameter: Parameter) -> list[tuple[int, ...]]:
    """Neurons a path visits from the parameter's neuron to the output, in PerWeightPartials.chain order."""
    model = c.d.model
    later = [list(model.units(number)) for number in range(parameter.layer + 1, c.depth + 1)]
    return [(parameter.j, *route) for route in itertools.product(*later)]


def _named_factors(c: Context, parameter: Parameter, neurons: tuple[int, ...]) -> list[str]:
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


def _chain_lines(c: Context, parameter: Parameter) -> list[str]:
    p = c.p()
    products = [[as_factor(p, factor) for factor in term.factors] for term in c.d.per_weight.chain(parameter)]
    return _sum_of_products(frac_d("C", c.symbol(parameter)), products)


def paths_section(c: Context) -> dict[str, Any] | None:
    """The sum over paths of the highlighted parameter; None without one or without per-weight partials."""
    chosen = c.chosen
    if chosen is None or c.d.per_weight is None:
        return None
    routes = _routes(c, chosen)
    lhs = frac_d("C", c.symbol(chosen))
    named = _sum_of_products(lhs, [_named_factors(c, chosen, route) for route in routes])
    count, symbol = len(routes), c.symbol(chosen)
    return section(f"The sum over paths for ${symbol}$", "sec:paths", [
        paragraph(f"The parameter ${symbol}$ reaches the cost through {count} path{'' if count == 1 else 's'} "
                  r"(highlighted in Figure~\ref{fig:network}). The chain rule adds one product of local "
                  "derivatives per path:"),
        equation(named, "eq:paths-named"),
        paragraph("With the local derivatives of this network:"),
        equation(_chain_lines(c, chosen), "eq:paths-values"),
        paragraph(r"Equations \eqref{eq:bp1}--\eqref{eq:bp4} collect the same sum into"),
        equation(f"{lhs} = {c.p().doprint(c.d.per_weight.factored(chosen))}", "eq:paths-factored")])


def _label(parameter: Parameter) -> str:
    return f"eq:partial-{parameter.kind}{parameter.layer}-{parameter.j}" + (
        f"-{parameter.k}" if parameter.k is not None else "")


def _verdict_text(verdict) -> str:
    return tex_escape(verdict.status + (f" ({verdict.how})" if verdict.how else ""))


def partials_section(c: Context) -> dict[str, Any]:
    d = c.d
    title, label = "Every partial derivative", "sec:partials"
    if d.per_weight is None:
        return section(title, label, [paragraph("The per-weight partials are not listed for this network. "
                                                + " ".join(tex_escape(note) for note in d.proof.notes))])
    if c.selection == "none":
        return section(title, label, [paragraph(r"The per-weight partials are not listed "
                                                r"(\texttt{-{}-weights none}).")])
    p = c.p()
    deltas = [wrap(p.doprint(symbol), sum_pieces(p, value)) for symbol, value in d.per_weight.deltas.items()]
    verdicts = {verdict.subject: verdict for verdict in d.proof.verdicts}
    chosen = d.model.parameters if c.selection == "all" else c.selection
    blocks = [paragraph(r"The errors of this network, from the output layer back (\eqref{eq:bp1-spec} and BP2):"),
              align(deltas),
              paragraph("For each parameter: " + ("the sum over paths, " if c.expand else "") + "the factored form "
                        "given by BP3/BP4, and the verdict of the proof that the factored form equals the partial "
                        "derivative of the whole-network cost.")]
    for parameter in chosen:
        lhs = frac_d("C", c.symbol(parameter))
        factored = p.doprint(d.per_weight.factored(parameter))
        lines = _chain_lines(c, parameter) + [f"&= {factored}"] if c.expand else f"{lhs} = {factored}"
        blocks += [heading(f"${c.symbol(parameter)}$"), equation(lines, _label(parameter)),
                   paragraph(f"Verdict: {_verdict_text(verdicts[f'∂C/∂{parameter}'])}.")]
    return section(title, label, blocks)
