"""The checker's report: one :class:`Result` per checked right-hand side, and the whole run.

:class:`CheckReport` ``.text()`` states the spec and the notation's conventions (where layer
numbering starts, which weight index is the destination) and then each verdict;
``.exit_code`` is 0 when every claim holds, 1 when one is INCORRECT or a definition INCONSISTENT
with the spec, 2 when one could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..notation import Notation
from ..spec import Spec

CORRECT, INCORRECT, CONSISTENT, INCONSISTENT = "CORRECT", "INCORRECT", "CONSISTENT", "INCONSISTENT"
SKIPPED, NOT_UNDERSTOOD = "skipped", "NOT UNDERSTOOD"


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
    skipped: str = ""  # why the equation claims nothing about the network (an update rule, a question, …)
    definition: bool = False  # a definition: CONSISTENT / INCONSISTENT with the spec
    line: int | None = None  # where the equation stands: the line of its left side in ``origin``
    tag: str = ""  # its tag or label in the document ("BP1", "22"), "" for none
    origin: str = ""  # the file it was read from, "equation" for one given as text
    notes: tuple[str, ...] = ()  # notation slips read past, readings under which the verdict would differ
    qualifier: str = ""  # the instances the text claims, as it writes them ("2 \le l \le L-1")
    reading: tuple[str, ...] = ()  # how the equation was read, stage by stage (check --explain)

    @property
    def verdict(self) -> str:
        """The verdict word: CORRECT, INCORRECT, CONSISTENT, INCONSISTENT, skipped or NOT UNDERSTOOD."""
        if self.unreadable:
            return NOT_UNDERSTOOD
        if self.skipped:
            return SKIPPED
        if self.definition:
            return CONSISTENT if self.correct else INCONSISTENT
        return CORRECT if self.correct else INCORRECT

    @property
    def place(self) -> str:
        """``notes.md:14 (BP1)``; for an equation given as text only its tag, if any."""
        where = f"{self.origin}:{self.line}" if self.origin not in ("", "equation") and self.line else ""
        return " ".join(part for part in (where, f"({self.tag})" if self.tag else "") if part)

    def lines(self) -> list[str]:
        qualifier = f"  (for {self.qualifier})" if self.qualifier else ""
        lines = [f"[{self.number}] {self.place + ' ' if self.place else ''}{self.text}{qualifier}"]
        lines += [f"    | {stage}" for stage in self.reading]
        if self.unreadable:
            return lines + [f"    NOT UNDERSTOOD: {self.unreadable}"]
        if self.skipped:
            return lines + [f"    skipped: {self.skipped}"]
        if self.correct:
            return lines + [f"    {self.verdict} ({self.how})"] + [f"      note: {note}" for note in self.notes]
        failure = self.failure
        lines.append(f"    {self.verdict} at {failure.instance}")
        lines.append(f"      true right-hand side: {failure.true_rhs}")
        if failure.point:
            lines.append(f"      at {failure.point}")
            if failure.nodes:
                lines.append(f"      where {failure.nodes}")
        if failure.values:
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
        """2 when an equation could not be understood, else 1 when one is incorrect (or a definition
        inconsistent with the spec), else 0."""
        if self.unreadable:
            return 2
        return 0 if all(result.correct for result in self.results) else 1

    def against(self) -> str:
        """The spec and notation the verdicts are against, in a few words."""
        spec = self.spec
        activations = ", ".join(activation.label() for activation in spec.activations)
        return f"{spec.shorthand()} ({activations}; cost {spec.cost.label()}) in the {self.notation.name} notation"

    def conventions(self) -> str:
        """How layers and weight indices are numbered, with ``$…$`` mathematics."""
        return self.notation.layer_numbering(self.spec.depth)

    def head(self) -> list[str]:
        """What the verdicts are against: the spec, the notation's conventions and why they were inferred."""
        spec, profile = self.spec, self.notation
        head = [f"checking against {self.against()}.",
                _plain(self.conventions()) + f" L is the output layer "
                f"({spec.depth + profile.layer_offset}); the {_destination(profile)} index of a weight is the "
                f"destination neuron; {profile.conventions.vectors.value} vectors."]
        if profile.reasons:
            head.append("notation inferred: " + "; ".join(profile.reasons))
        if self.targets_sum_to_one:
            head.append("Assumed: the targets sum to one (Σ_j y_j = 1); the last target is eliminated.")
        return head

    def text(self) -> str:
        head = self.head()
        body = [line for result in self.results for line in result.lines()]
        checked = [result for result in self.results if not result.skipped]
        tally = f"{sum(result.correct for result in checked)} of {len(checked)} correct"
        if self.unreadable:
            tally += f", {len(self.unreadable)} of them not understood"
        skipped = len(self.results) - len(checked)
        if skipped:
            tally += f"; {skipped} skipped (no claim about the network)"
        return "\n".join(head + [""] + body + ["", tally])


def _destination(profile: Notation) -> str:
    return "second" if profile.conventions.source_first else "first"


def _plain(text: str) -> str:
    return text.replace("$", "")
