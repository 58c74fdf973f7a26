"""Verdict tables: the proof of a derivation, and the checker's report on hand-derived equations.

Provides :func:`proof_table` (one row per equation: the statement for this network, how it was
established, on which network) and :func:`report_table` (one row per checked equation: the
verdict, and for an incorrect one the true right-hand side, the point, both values and the
diagnosis).
"""

from __future__ import annotations

import re

from ..document.formulas import DELTA, frac_d
from ..notation import Notation, notation
from ..proof import FAILED, Proof
from .equations import BP1, BP2, BP3, BP4, TONES, derivative_line, statements, verdict_text
from .markup import Code, Line, Math, Table, Text, cell

#: What each equation of a proof is called in its table, in the order shown.
EQUATIONS = {"rewrite": "σ′ rewrite", BP1: BP1, BP2: BP2, BP3: BP3, BP4: BP4,
             "layer-level": "matrix form", "batched": "batched form"}


def _matrix_forms(n: Notation, bias: bool) -> dict[str, list[str]]:
    """The layer-level statements the numeric checks are about, in the profile's generic layer l."""
    W, delta_l, delta_next = n.generic_weight_matrix(1), n.generic_node(DELTA, 0), n.generic_node(DELTA, 1)
    a_prev, layer, before = n.generic_node("a", -1), n.generic_layer(0), n.generic_layer(-1)
    s = n.activation_letter
    mean = rf"\frac{{1}}{{m}} (\Delta^{{{layer}}})^{{T}}"
    batched = [rf"{frac_d('C', n.generic_weight_matrix(0))} = {mean} A^{{{before}}}"]
    if bias:
        batched.append(rf"{frac_d('C', n.generic_bias(0))} = {mean} \mathbf{{1}}_m")
    return {"layer-level": [rf"{delta_l} = \bigl(({W})^{{T}} {delta_next}\bigr) \odot {s}'({n.generic_node('z', 0)})",
                            rf"{frac_d('C', n.generic_weight_matrix(0))} = {delta_l} ({a_prev})^{{T}}"],
            "batched": batched}


def _network(proof: Proof, equation: str, shorthand: str) -> str:
    if equation == "rewrite":
        return "the activation alone"
    if equation in ("layer-level", "batched"):
        return f"{shorthand} at full width"
    reduced = next((v.reduced_network for v in proof.for_equation(equation) if v.reduced_network), None)
    return f"{reduced} (reduced)" if reduced else shorthand


def _rows_with_statements(proof: Proof) -> list[tuple]:
    n, layers = notation(proof.notation), proof.equations
    shorthand = layers.spec.shorthand()
    found = {**statements(n, layers, derivatives=False), **_matrix_forms(n, layers.spec.bias)}
    rows = []
    rewritten = [eq for eq in layers.layers if eq.rewritten_in_a]
    for eq, verdict in zip(rewritten, proof.for_equation("rewrite"), strict=False):
        how = Text(verdict.status + (f" ({verdict.how})" if verdict.how else ""), TONES.get(verdict.status, ""))
        rows.append((cell(EQUATIONS["rewrite"]), cell(Math(derivative_line(n, eq))), cell(how),
                     cell(_network(proof, "rewrite", shorthand))))
    for equation in (BP1, BP2, BP3, BP4, "layer-level", "batched"):
        if proof.for_equation(equation):
            rows.append((cell(EQUATIONS[equation]), cell(*(Math(line) for line in found[equation])),
                         cell(verdict_text(proof, equation, name_reduced=False)),
                         cell(_network(proof, equation, shorthand))))
    return rows


def _rows_without_statements(proof: Proof) -> list[tuple]:
    """A proof made without its equations (by hand, in a test): the verdicts' own subjects."""
    return [(cell(EQUATIONS.get(v.equation, v.equation)), cell(v.subject),
             cell(Text(v.status + (f" ({v.how})" if v.how else ""), TONES.get(v.status, ""))),
             cell(v.reduced_network or ""))
            for v in proof.verdicts]


def proof_table(proof: Proof) -> Table:
    if proof.equations is not None:
        rows, about = _rows_with_statements(proof), f" of {proof.equations.spec.shorthand()}"
    else:
        rows, about = _rows_without_statements(proof), ""
    failure = proof.first_failure()
    title = (Text(f"Proof{about}: "), Text("every equation holds", "good") if failure is None
             else Text(f"{FAILED}: {failure.line()}", "bad"))
    notes = tuple((Text(note),) for note in proof.notes)
    return Table(title, ("equation", "statement", "how it was established", "network"), tuple(rows), notes)


# -- the checker's report -------------------------------------------------------------------------------
VERDICT_TONES = {"CORRECT": "good", "INCORRECT": "bad", "CONSISTENT": "good", "INCONSISTENT": "bad",
                 "NOT UNDERSTOOD": "bad", "skipped": "muted"}


def inline(text: str) -> Line:
    """Prose with ``$…$`` math (as :meth:`Notation.layer_numbering` writes it) as pieces."""
    parts = re.split(r"\$([^$]*)\$", text)
    return tuple(Math(part) if index % 2 else Text(part) for index, part in enumerate(parts) if part)


def _values(text: str) -> Line:
    """``w^{2}_{11} = 0.85, x_{1} = -0.65`` as one formula per value, so a long list wraps between them."""
    pieces: list = []
    for entry in text.split(", "):
        pieces += [Text(", "), Math(entry)] if pieces else [Math(entry)]
    return tuple(pieces)


def _details(item) -> tuple:
    if item.verdict in ("CORRECT", "CONSISTENT"):
        return cell(Text(item.how, "muted"))
    if item.verdict not in ("INCORRECT", "INCONSISTENT"):
        return cell(Text(item.reason))
    lines: list = [("at ", Math(item.instance)), ("true right-hand side: ", Math(item.true_rhs))]
    if item.point:
        lines.append(("at the point ", *_values(item.point)))
    if item.nodes:
        lines.append(("where ", *_values(item.nodes)))
    if item.values:
        lines.append(item.values)
    lines += [("diagnosis: ", Text(diagnosis, "bad")) for diagnosis in item.diagnoses] or [
        Text("no diagnosis fits", "muted")]
    return cell(*lines)


def report_table(report) -> Table:
    claims = [item for item in report if item.verdict != "skipped"]
    tally = f"{sum(item.correct for item in claims)} of {len(claims)} correct"
    title = (Text(f"Checked against {report.against}: "), Text(tally, "good" if report.all_correct else "bad"))
    rows = tuple((cell(item.number), cell(Code(item.equation)), cell(Text(item.verdict, VERDICT_TONES[item.verdict])),
                  _details(item)) for item in report)
    notes = (inline(report.conventions),) + tuple((Text(note),) for note in report.notes)
    return Table(title, ("", "equation", "verdict", "details"), rows, notes)
