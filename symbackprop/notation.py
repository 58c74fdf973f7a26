"""Notation profiles: the same mathematics in the symbols different sources use.

The core numbers layers from 0 (the input) to L and writes w^l_jk for the weight from
neuron k of layer l−1 to neuron j of layer l.  A profile maps those core indices to what a
reader of a given source expects:

* ``nielsen`` (Nielsen, *Neural Networks and Deep Learning*): w^l_{jk}, b^l_j, z^l_j,
  a^l_j, δ^l_j, σ, ⊙; input layer 0 as in the core;
* ``ng`` (Ng's machine-learning course): θ^{(l)}_{ij}, a^{(l)}, z^{(l)}, δ^{(l)}, with the
  input as layer 1, so core layer l is layer l+1 and θ^{(l)} maps layer l to layer l+1;
* ``higham`` (Higham & Higham, *Deep Learning: An Introduction for Applied Mathematicians*):
  W^{[l]}, b^{[l]}, a^{[l]}, z^{[l]}, δ^{[l]} and D^{[l]} = diag(σ'(z^{[l]})), input layer 1.

Everything is LaTeX text; the document and the checker share these profiles.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notation:
    """How one source writes the quantities of layer ``l`` (core numbering)."""

    name: str
    title: str
    layer_offset: int  # profile layer = core layer + offset
    weight_offset: int  # profile weight-matrix index = core weight layer + offset
    weight_letter: str
    weight_matrix_letter: str
    bracket: tuple[str, str]  # around the layer number: ("", "") → a^2, ("(", ")") → a^{(2)}
    source: str

    def layer(self, core_layer: int) -> str:
        open_, close = self.bracket
        return f"{open_}{core_layer + self.layer_offset}{close}"

    def weight_layer(self, core_layer: int) -> str:
        open_, close = self.bracket
        return f"{open_}{core_layer + self.weight_offset}{close}"

    @staticmethod
    def indices(*numbers: int | str) -> str:
        text = [str(n) for n in numbers]
        return ("," if any(len(t) > 1 for t in text) else "").join(text)

    def weight(self, layer: int, j: int | str, k: int | str) -> str:
        return f"{self.weight_letter}^{{{self.weight_layer(layer)}}}_{{{self.indices(j, k)}}}"

    def weight_matrix(self, layer: int) -> str:
        return f"{self.weight_matrix_letter}^{{{self.weight_layer(layer)}}}"

    def bias(self, layer: int, j: int | str) -> str:
        return f"b^{{{self.weight_layer(layer)}}}_{{{j}}}"

    def bias_vector(self, layer: int) -> str:
        return f"b^{{{self.weight_layer(layer)}}}"

    def node(self, letter: str, layer: int, j: int | str | None = None) -> str:
        """a, z or \\delta of a layer, one neuron when ``j`` is given."""
        text = f"{letter}^{{{self.layer(layer)}}}"
        return text if j is None else f"{text}_{{{j}}}"

    def input(self, k: int | str) -> str:
        return f"x_{{{k}}}"

    def target(self, j: int | str) -> str:
        return f"y_{{{j}}}"

    # -- generic layers (added for documents: statements about "layer l" in this profile) --
    def generic_layer(self, shift: int = 0, name: str = "l") -> str:
        """Layer ``name`` + ``shift`` in this profile's brackets: ``l+1``, ``(l)``, ``[L-1]``."""
        open_, close = self.bracket
        return f"{open_}{_shifted(name, shift)}{close}"

    def generic_node(self, letter: str, shift: int = 0, index: str | None = None, name: str = "l") -> str:
        """a, z or \\delta of the generic layer ``name`` + ``shift`` (one neuron when ``index``)."""
        text = f"{letter}^{{{self.generic_layer(shift, name)}}}"
        return text if index is None else f"{text}_{{{index}}}"

    def generic_weight_layer(self, shift: int = 0, name: str = "l") -> str:
        """The weight index of the matrix that feeds generic layer ``name`` + ``shift``."""
        open_, close = self.bracket
        return f"{open_}{_shifted(name, shift + self.weight_offset - self.layer_offset)}{close}"

    def generic_weight(self, shift: int, j: str, k: str, name: str = "l") -> str:
        return f"{self.weight_letter}^{{{self.generic_weight_layer(shift, name)}}}_{{{self.indices(j, k)}}}"

    def generic_weight_matrix(self, shift: int = 0, name: str = "l") -> str:
        return f"{self.weight_matrix_letter}^{{{self.generic_weight_layer(shift, name)}}}"

    def generic_bias(self, shift: int = 0, index: str | None = None, name: str = "l") -> str:
        text = f"b^{{{self.generic_weight_layer(shift, name)}}}"
        return text if index is None else f"{text}_{{{index}}}"

    @property
    def activation_letter(self) -> str:
        """The letter for a generic activation function: g in Ng's course, σ elsewhere."""
        return "g" if self.name == "ng" else r"\sigma"

    @property
    def diagonal_form(self) -> bool:
        """Whether the profile writes σ'(z) ⊙ v as D v with D = diag(σ'(z)) (Higham & Higham)."""
        return self.name == "higham"

    def layer_numbering(self, depth: int) -> str:
        """A sentence stating the convention, for documents and checker reports."""
        first = self.layer_offset
        return (f"Layers are numbered {first} (the input) to {depth + first} (the output); "
                f"${self.weight(1, 'j', 'k')}$ is the weight from neuron $k$ of layer {first} "
                f"to neuron $j$ of layer {first + 1}.")


PROFILES: dict[str, Notation] = {
    "nielsen": Notation("nielsen", "Nielsen", 0, 0, "w", "W", ("", ""),
                        "M. Nielsen, Neural Networks and Deep Learning, ch. 2"),
    "ng": Notation("ng", "Ng", 1, 0, r"\theta", r"\Theta", ("(", ")"),
                   "A. Ng, Machine Learning (Coursera), lectures on backpropagation"),
    "higham": Notation("higham", "Higham & Higham", 1, 1, "w", "W", ("[", "]"),
                       "C. F. Higham and D. J. Higham, Deep Learning: An Introduction for Applied "
                       "Mathematicians, SIAM Review 61(4), 2019"),
}


def _shifted(name: str, shift: int) -> str:
    return name if shift == 0 else f"{name}{shift:+d}"


def notation(name: str) -> Notation:
    from .errors import UserError

    if name not in PROFILES:
        raise UserError(f"unknown notation {name!r}; choose one of {', '.join(PROFILES)}", "--notation")
    return PROFILES[name]
