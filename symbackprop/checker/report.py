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
    unreadable: str = ""  # why the equation could not be read (a file is checked on past it)
    skipped: str = ""  # why a file's equation is not a claim to check (a definition, a step)
    notes: tuple[str, ...] = ()  # notation slips read past, readings under which the verdict would differ

    def lines(self) -> list[str]:
        lines = [f"[{self.number}] {self.text}"]
        if self.unreadable:
            return lines + [f"    NOT UNDERSTOOD: {self.unreadable}"]
        if self.skipped:
            return lines + [f"    skipped: {self.skipped}"]
        if self.correct:
            return lines + [f"    CORRECT ({self.how})"] + [f"      note: {note}" for note in self.notes]
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
        return lines + [f"      note: {note}" for note in self.notes]


@dataclass(frozen=True)
class CheckReport:
    spec: Spec
    notation: Notation
    results: tuple[Result, ...] = field(default=())
    targets_sum_to_one: bool = False

    @property
    def unreadable(self) -> tuple[Result, ...]:
        return tuple(result for result in self.results if result.unreadable)

    @property
    def exit_code(self) -> int:
        """2 when an equation could not be understood, else 1 when one is incorrect, else 0."""
        if self.unreadable:
            return 2
        return 0 if all(result.correct for result in self.results) else 1

    def text(self) -> str:
        spec, profile = self.spec, self.notation
        activations = ", ".join(activation.label() for activation in spec.activations)
        head = [f"checking against {spec.shorthand()} ({activations}; cost {spec.cost.label()}) in the "
                f"{profile.name} notation.",
                _plain(profile.layer_numbering(spec.depth)) + f" L is the output layer "
                f"({spec.depth + profile.layer_offset}); the {_destination(profile)} index of a weight is the "
                f"destination neuron; {profile.conventions.vectors.value} vectors."]
        if profile.reasons:
            head.append("notation inferred: " + "; ".join(profile.reasons))
        if self.targets_sum_to_one:
            head.append("Assumed: the targets sum to one (Σ_j y_j = 1); the last target is eliminated.")
        body = [line for result in self.results for line in result.lines()]
        checked = [result for result in self.results if not result.skipped]
        tally = f"{sum(result.correct for result in checked)} of {len(checked)} correct"
        if self.unreadable:
            tally += f", {len(self.unreadable)} of them not understood"
        skipped = len(self.results) - len(checked)
        if skipped:
            tally += f"; {skipped} skipped (not a gradient or an error δ)"
        return "\n".join(head + [""] + body + ["", tally])


def _destination(profile: Notation) -> str:
    return "second" if profile.conventions.source_first else "first"


def _plain(text: str) -> str:
    return text.replace("$", "")
