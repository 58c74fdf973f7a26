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

Everything is LaTeX text; the document and the checker share these profiles.  The one
exception is :meth:`Notation.read_parameter` and its inverse :meth:`Notation.parameter_name`:
a weight or bias as a reader types it on the command line (``theta^(1)_{21}``,
``w^[3]_{12}``), in the profile's numbering, read into the core :class:`Parameter`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from .errors import UserError
from .model import Parameter

#: A typed parameter name: a letter, an optional ^, a layer (braced, bracketed or bare), _ and indices.
_PARAMETER = re.compile(
    r"^(?P<letter>\\?[A-Za-z]+|θ)\s*\^?\s*(?P<layer>\{[^{}]*\}|[(\[]\s*\d+\s*[)\]]|\d+)\s*_\s*"
    r"(?:\{\s*(?P<bindices>\d+(?:\s*,\s*\d+)?)\s*\}|(?P<pindices>\d+(?:,\d+)?))$")
#: The parameters error messages show as examples (core numbering), written in the reader's profile.
_WEIGHT, _BIAS, _WIDE_WEIGHT = Parameter("w", 2, 1, 1), Parameter("b", 1, 2), Parameter("w", 2, 10, 3)


class IndexOrder(Enum):
    """Which index of w_{jk} names the receiving unit."""

    DESTINATION_FIRST = "destination-first"  # w^l_{jk} from k (layer l−1) to j (layer l): Nielsen, Ng, Higham, Bishop
    SOURCE_FIRST = "source-first"  # w_{ij} from i to j


class Vectors(Enum):
    """Whether a layer's a, z, δ, b are columns (z = W a + b) or rows (z = a Wᵀ + b, or a W + b source-first)."""

    COLUMN = "column"
    ROW = "row"


class DeltaSign(Enum):
    """What δ means: ∂C/∂z (Nielsen, Ng, Higham, Bishop) or −∂E/∂z (texts on the generalised delta rule,
    whose update adds η δ y)."""

    GRADIENT = "dC/dz"
    NEGATIVE = "-dE/dz"


class Samples(Enum):
    """How a batch matrix (A, Z, X, Y, Δ) holds its samples: one row each (X W + b, the derivation's Δ^l)
    or one column each (Z = W A + b, the deep-learning courses' dZ)."""

    ROWS = "rows"
    COLUMNS = "columns"


@dataclass(frozen=True)
class Conventions:
    """The conventions a text follows beyond its letters: index order, row/column vectors, and how a
    batch matrix holds its samples.

    The weight matrix keeps the orientation the index order gives (W_{jk} at row j, column k):
    destination-first it is (width l) × (width l−1), source-first (width l−1) × (width l).
    """

    index_order: IndexOrder = IndexOrder.DESTINATION_FIRST
    vectors: Vectors = Vectors.COLUMN
    delta: DeltaSign = DeltaSign.GRADIENT
    samples: Samples = Samples.ROWS

    @property
    def source_first(self) -> bool:
        return self.index_order is IndexOrder.SOURCE_FIRST

    @property
    def rows(self) -> bool:
        return self.vectors is Vectors.ROW

    @property
    def delta_sign(self) -> int:
        """δ as a multiple of ∂C/∂z: 1, or −1 where δ = −∂E/∂z."""
        return -1 if self.delta is DeltaSign.NEGATIVE else 1

    def describe(self) -> str:
        """``source-first weights, row vectors``: the reading in words, for reports."""
        order = "w_{ij} from i to j (source-first)" if self.source_first else "w_{jk} from k to j (destination-first)"
        return f"{order}, {self.vectors.value} vectors"


#: Core kinds a letter can stand for (see :mod:`.checker.resolve`): ``out`` is the network's output a^L.
LETTER_KINDS = ("a", "z", "y", "out", "x")


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
    typed_weight_letters: tuple[str, ...] = ("w",)  # how readers type the weight letter; the first is shown
    conventions: Conventions = Conventions()
    #: letters that mean another core quantity than the same letter in Nielsen's notation, e.g.
    #: source-first texts' y (a unit's output: the core a) and t (the target: the core y)
    letters: Mapping[str, str] = field(default_factory=dict)
    #: the letter of a generic activation function (σ, g, f, h) and of the cost (C, J, E, E_n)
    activation: str = r"\sigma"
    cost: str = "C"
    #: layers told apart by the index letter alone (source-first, Bishop): letter → "input" | "hidden" | "output"
    index_letters: Mapping[str, str] = field(default_factory=dict)
    #: layers named instead of numbered (``hid``, ``out``): name → "input" | "hidden" | "output"
    layer_names: Mapping[str, str] = field(default_factory=dict)
    #: weight letters a text binds to one weight layer (w_{ij} into the hidden layer, v_{jk} out of it): letter →
    #: the profile's weight-layer number; other weight letters take their layer from their index letters
    weight_letters: Mapping[str, int] = field(default_factory=dict)
    #: whether each equation refines the index letters from its own symbols (``--notation auto``, :mod:`.checker.infer`)
    infers_letters: bool = False
    #: index letters an equation leaves unread under ``--notation auto``: letter → why (ambiguous, two layers)
    unread_letters: Mapping[str, str] = field(default_factory=dict)
    #: symbols whose meaning the text leaves open (a and z of a text without layer scripts that never says
    #: which is the input sum): name → why
    unread_names: Mapping[str, str] = field(default_factory=dict)
    #: why these conventions were chosen (``--notation auto``: what was inferred, from which equation)
    reasons: tuple[str, ...] = ()

    def with_conventions(self, conventions: Conventions, reasons: tuple[str, ...] = ()) -> Notation:
        """This profile read with other conventions (row vectors, source-first order)."""
        return replace(self, conventions=conventions, reasons=reasons or self.reasons)

    def kind_of(self, letter: str) -> str | None:
        """The core kind this profile's ``letter`` stands for where it differs from Nielsen's (None: the same)."""
        return self.letters.get(letter)

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
        """The letter for a generic activation function: g in Ng's course, σ in Nielsen's, f, h in others."""
        return self.activation

    @property
    def diagonal_form(self) -> bool:
        """Whether the profile writes σ'(z) ⊙ v as D v with D = diag(σ'(z)) (Higham & Higham)."""
        return self.name == "higham"

    # -- parameter names as readers type them (command-line options) --
    def parameter_name(self, parameter: Parameter, braces: bool = False) -> str:
        """``parameter`` as a reader of this profile types it: ``w^2_11``, ``theta^(1)_21``, ``w^[3]_{10,2}``
        (indices in braces when ``braces`` or when they need a comma)."""
        letter = self.typed_weight_letters[0] if parameter.kind == "w" else "b"
        numbers = (parameter.j,) if parameter.k is None else (parameter.j, parameter.k)
        indices = self.indices(*numbers)
        braced = braces or "," in indices
        return f"{letter}^{self.weight_layer(parameter.layer)}_" + (f"{{{indices}}}" if braced else indices)

    def read_parameter(self, text: str) -> Parameter:
        """A weight or bias named in this profile's numbering (the inverse of :meth:`parameter_name`).

        The weight letter may be any of ``typed_weight_letters``, the layer's brackets and the
        braces are optional (``theta^(1)_{21}``, ``\\theta^{(1)}_{21}``, ``theta1_21``), and
        indices with two digits need a comma (``_{10,3}``).  The profile layer is mapped to the
        core layer through ``weight_offset``, so the result is in the core numbering.
        """
        match = _PARAMETER.match(text.strip())
        layer = self._read_layer(match["layer"]) if match else None
        letter = match["letter"] if match else None
        if letter not in self.typed_weight_letters + ("b",) or layer is None:
            raise UserError(f"expected a weight like {self.example('w')} or a bias like {self.example('b')}, "
                            f"got {text!r}")
        raw = re.sub(r"\s", "", match["bindices"] or match["pindices"])
        if letter == "b":
            if "," in raw:
                raise UserError(f"a bias has one index, got {text!r}")
            return Parameter("b", layer, int(raw))
        indices = split_indices(raw)
        if len(indices) != 2:
            wide = self.parameter_name(_WIDE_WEIGHT, braces=True)
            raise UserError(f"a weight has two indices (write {wide} when one has two digits), got {text!r}")
        return Parameter("w", layer, int(indices[0]), int(indices[1]))

    def _read_layer(self, text: str) -> int | None:
        """The core layer of a typed layer number (``2``, ``{2}``, ``(2)``, ``{[2]}``), None when the
        brackets are not this profile's."""
        text = text.strip()
        if text.startswith("{"):
            text = text[1:-1].strip()
        open_, close = self.bracket
        if open_ and text.startswith(open_) and text.endswith(close):
            text = text[len(open_):-len(close)].strip()
        return int(text) - self.weight_offset if text.isdigit() else None

    def example(self, kind: str) -> str:
        """A weight (``kind`` "w") or bias ("b") name for messages, as people write it: ``w^2_{11}``, ``b^1_2``."""
        return self.parameter_name(_WEIGHT, braces=True) if kind == "w" else self.parameter_name(_BIAS)

    def layer_numbering(self, depth: int) -> str:
        """A sentence stating the convention, for documents and checker reports."""
        first = self.layer_offset
        source, destination = ("j", "k") if self.conventions.source_first else ("k", "j")
        return (f"Layers are numbered {first} (the input) to {depth + first} (the output); "
                f"${self.weight(1, 'j', 'k')}$ is the weight from neuron ${source}$ of layer {first} "
                f"to neuron ${destination}$ of layer {first + 1}.")


#: Where y is the target, t (the other letter texts use for targets) is the target too.
_T_TARGETS = {"t": "y"}

PROFILES: dict[str, Notation] = {
    "nielsen": Notation("nielsen", "Nielsen", 0, 0, "w", "W", ("", ""),
                        "M. Nielsen, Neural Networks and Deep Learning, ch. 2", letters=_T_TARGETS),
    "ng": Notation("ng", "Ng", 1, 0, r"\theta", r"\Theta", ("(", ")"),
                   "A. Ng, Machine Learning (Coursera), lectures on backpropagation",
                   ("theta", r"\theta", "θ", "w"), activation="g", cost="J", letters=_T_TARGETS),
    "higham": Notation("higham", "Higham & Higham", 1, 1, "w", "W", ("[", "]"),
                       "C. F. Higham and D. J. Higham, Deep Learning: An Introduction for Applied "
                       "Mathematicians, SIAM Review 61(4), 2019", letters=_T_TARGETS),
    "source-first": Notation("source-first", "source-first", 0, 0, "w", "W", ("(", ")"),
                             "texts on the generalised delta rule: w_{ij} from unit i to unit j, E, y, t",
                             conventions=Conventions(IndexOrder.SOURCE_FIRST), letters={"y": "a", "t": "y"},
                             activation="f", cost="E",
                             index_letters={"i": "input", "j": "hidden", "k": "output"},
                             layer_names={"in": "input", "hid": "hidden", "out": "output"}),
    "bishop": Notation("bishop", "Bishop", 0, 0, "w", "W", ("(", ")"),
                       "C. M. Bishop, Pattern Recognition and Machine Learning, §5.3",
                       letters={"a": "z", "z": "a", "y": "out", "t": "y"}, activation="h", cost="E_n",
                       index_letters={"i": "input", "j": "hidden", "k": "output"}),
    "wikipedia": Notation("wikipedia", "net/o", 0, 0, "w", "W", ("(", ")"),
                          "encyclopaedia-style derivations: o_j = φ(net_j), net_j = Σ_k w_{kj} o_k, E, t, y",
                          conventions=Conventions(IndexOrder.SOURCE_FIRST),
                          letters={"o": "a", "net": "z", "y": "out", "t": "y"}, activation=r"\varphi", cost="E",
                          index_letters={"i": "input", "j": "hidden", "k": "output"}),
    "handout": Notation("handout", "i-j-k handout", 0, 0, "w", "W", ("(", ")"),
                        "lecture handouts with inputs x_i, hidden units h_j, outputs y_k and weights w_{ij}, v_{jk}",
                        conventions=Conventions(IndexOrder.SOURCE_FIRST),
                        letters={"h": "a", "y": "out", "t": "y", "v": "w", "u": "w", "s": "z", "c": "b",
                                 "theta": "b"},
                        cost="E", index_letters={"i": "input", "j": "hidden", "k": "output"}),
}


def split_indices(text: str) -> tuple[str, ...]:
    """``"11"`` → ("1", "1"), ``"10,3"`` → ("10", "3"), ``"4"`` → ("4",): the inverse of :meth:`Notation.indices`."""
    if "," in text:
        return tuple(text.split(","))
    return tuple(text) if len(text) == 2 else (text,)


def _shifted(name: str, shift: int) -> str:
    return name if shift == 0 else f"{name}{shift:+d}"


#: ``--notation auto``: the profile and conventions are inferred from the equations (:mod:`.checker.infer`).
AUTO = "auto"
CHOICES = (AUTO, *PROFILES)


def notation(name: str) -> Notation:
    if name not in PROFILES:
        raise UserError(f"unknown notation {name!r}; choose one of {', '.join(CHOICES)}", "--notation")
    return PROFILES[name]
