"""The checker's report: one :class:`Result` per checked right-hand side, and the whole run.

:class:`CheckReport` ``.text()`` states the spec and the notation's conventions (where layer
numbering starts, which weight index is the destination) and then each verdict;
``.exit_code`` is 0 when everything is correct and 1 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..notation import Notation
from ..spec import Spec


@dataclass(frozen=True)
class Failure:
    instance: str
    true_rhs: str
    point: str = ""
    values: str = ""
    diagnoses: tuple[str, ...] = ()
    nodes: str = ""  # the values at the point of the a, z, y, w, δ the two sides are written in


@dataclass(frozen=True)
class Result:
    number: str
    text: str
    correct: bool
    how: str
    failure: Failure | None = None

    def lines(self) -> list[str]:
        lines = [f"[{self.number}] {self.text}"]
        if self.correct:
            return lines + [f"    CORRECT ({self.how})"]
        failure = self.failure
        lines.append(f"    INCORRECT at {failure.instance}")
        lines.append(f"      true right-hand side: {failure.true_rhs}")
        if failure.point:
            lines.append(f"      at {failure.point}")
            if failure.nodes:
                lines.append(f"      where {failure.nodes}")
            lines.append(f"      {failure.values}")
        for diagnosis in failure.diagnoses or ("no diagnosis fits (not a sign, a constant factor, σ'(a) for "
                                               "σ'(z), a transpose, swapped indices or a missing term)",):
            lines.append(f"      diagnosis: {diagnosis}")
        return lines


@dataclass(frozen=True)
class CheckReport:
    spec: Spec
    notation: Notation
    results: tuple[Result, ...] = field(default=())
    targets_sum_to_one: bool = False

    @property
    def exit_code(self) -> int:
        return 0 if all(result.correct for result in self.results) else 1

    def text(self) -> str:
        spec, profile = self.spec, self.notation
        activations = ", ".join(activation.label() for activation in spec.activations)
        head = [f"checking against {spec.shorthand()} ({activations}; cost {spec.cost.label()}) in the "
                f"{profile.name} notation.",
                _plain(profile.layer_numbering(spec.depth)) + f" L is the output layer "
                f"({spec.depth + profile.layer_offset}); the first index of a weight is the destination neuron."]
        if self.targets_sum_to_one:
            head.append("Assumed: the targets sum to one (Σ_j y_j = 1); the last target is eliminated.")
        body = [line for result in self.results for line in result.lines()]
        correct = sum(result.correct for result in self.results)
        return "\n".join(head + [""] + body + ["", f"{correct} of {len(self.results)} correct"])


def _plain(text: str) -> str:
    return text.replace("$", "")
