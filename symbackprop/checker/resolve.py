"""Map a parsed equation onto the model: layers and indices, symbols, and values.

A :class:`Evaluator` turns a syntax tree into a SymPy scalar or matrix in the model's
symbols (``w``, ``b``, ``x``, ``y``, ``a``, ``z`` and the true ``δ``), for one binding of
the free indices.  Symbols are read in the notation profile: its letters (source-first
texts' y for a unit's output and t for the target, Bishop's a for the input sum and z for
the output), its layer numbering (``ng`` and ``higham`` number the input layer 1; their
weight index is shifted as the profile says; ``L`` is the output layer), layers told by
the index letter or by name where the profile has no layer scripts, and its conventions:
the index order (destination-first w_{jk} from k to j, or source-first w_{ij} from i to j)
and the vectors (a layer's a, z, δ, b, x, y are columns, or rows in a row-vector text).
Indices are 1-based.  W^l holds w_{jk} at row j, column k as the profile reads w_{jk}:
(width l) × (width l−1) destination-first, the transpose source-first; D^l = diag(σ'(z^l)).
In a batch equation (:mod:`.batch`) ``m`` (or n) is the batch size and Δ^l, A^l, Z^l, X, Y are
m × (width) matrices, one row per sample.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

import sympy as sp

from ..errors import EquationError
from ..functions import sigmoid
from ..notation import Notation, Samples
from ..registry import Z
from .batch import (
    SAMPLE,
    SAMPLE_LETTERS,
    SIZE,
    BatchTruth,
    cost_sample,
    is_sample_sum,
    ng_gradient_entry,
    sample_cost,
    unmark,
)
from .parser import (
    PATTERN,
    Bin,
    Component,
    Func,
    Indicator,
    Nabla,
    Neg,
    Node,
    NodePartial,
    Num,
    Ones,
    Partial,
    Power,
    Sum,
    Sym,
    Transpose,
)
from .structures import HANDLERS, structure_value
from .truth import Truth

LAYER_VARIABLES = {"l"}
#: The subscripts of Ng's hypothesis h_Θ(x), h_θ(x), h_{W,b}(x): the network's output.
HYPOTHESES = {"\\Theta", "\\theta", "W,b", "w,b"}
_AFFINE = re.compile(r"^\s*([A-Za-z]|\d+)\s*((?:[+-]\s*\d+\s*)*)$")
_PLAIN = re.compile(r"^([A-Za-z]+?)(\d+)$")
#: Font commands and braces around a subscript's name ({\rm hid}, \mathrm{out}).
_FONT = re.compile(r"\\(?:rm|mathrm|text|textrm|mathit|it|sf|mathsf)\b|[{}\s]")
#: A layer's width as a sum's upper limit: n_l, n_{l+1}, n^{[l]}, n_{(l)}.
_WIDTH = re.compile(r"^n\s*[_^]\s*\{?\s*([^{}]+?)\s*\}?$")
#: Names of a width that say no layer: the sum runs over the units its index names.
_WIDTH_NAMES = {"n", "N", "K", "D", "M"}
ALIASES = {"theta": "w", "Theta": "W", "delta": "delta", "a": "a", "z": "z", "b": "b", "x": "x", "y": "y",
           "w": "w", "W": "W", "D": "D", "m": "m", "n": "m", r"\hat{y}": "out", r"\hat y": "out",
           "Delta": "Delta", "A": "A", "Z": "Z", "X": "X", "Y": "Y"}
#: n is the batch size too: Nielsen's C = (1/n) Σ_x C_x over the n training inputs; ŷ the network's output.
#: Kinds of a batch equation only: the batch size and the matrices with one row per sample.
BATCH_KINDS = {"m", "Delta", "A", "Z", "X", "Y", "Acc"}
#: Kinds whose value belongs to one sample (in a batch equation they need a sample marker).
PER_SAMPLE = {"a", "z", "delta", "x", "y", "D"}
#: Kinds whose bare vector may stand for one entry in a component equation (a notation slip).
COMPONENT_KINDS = {"a", "z", "delta", "x", "y"}


class ShapeMismatchError(Exception):
    """Shapes that do not fit (reported as a mistake, often a transpose on the wrong side)."""


class OutOfRangeError(EquationError):
    """A layer outside the spec (skips an instance of an equation with free indices)."""


class IndexOutOfRangeError(OutOfRangeError):
    """A neuron index outside its layer."""


class NotElementwiseError(OutOfRangeError):
    """σ' (or D) of a softmax layer: an equation with a free layer does not apply there."""


@dataclass(frozen=True)
class Resolved:
    """A symbol with its kind (w, W, b, a, z, delta, x, y, D), core layer and index texts."""

    kind: str
    layer: int | None
    indices: tuple[str, ...]
    column: int
    layer_text: str | None
    derivative: bool = False  # ∂C/∂z read as δ: the derivative itself, whatever sign the text gives δ


def strip_brackets(text: str) -> str:
    text = text.strip()
    while len(text) >= 2 and text[0] + text[-1] in ("()", "[]", "{}"):
        text = text[1:-1].strip()
    return text


class Evaluator:
    def __init__(self, truth: Truth | BatchTruth, notation: Notation, place: str, accumulator: bool = False,
                 definitions: Mapping[str, Node] | None = None) -> None:
        self.truth = truth
        self.model = truth.model
        self.notation = notation
        self.place = place
        self.batch = truth if isinstance(truth, BatchTruth) else None
        #: Δ^{(l)} is Ng's accumulator (the left side is Ng's D^{(l)}, see :mod:`.batch`)
        self.accumulator = accumulator
        #: symbols the same file defines (s = Σ_i a_i ∂C/∂a_i), read as their right sides
        self.definitions = dict(definitions or {})
        self._expanding: set[str] = set()
        #: while a component equation is re-read (:meth:`side_value`): core layer → the left side's index letter
        self._components: Mapping[int, str] = {}
        self._slips: list[str] = []
        self._readings: list[str] = []  # how a side's notation was read where it allows one reading only
        #: letters besides m that count the samples in this batch equation (N in Σ_{i=1}^{N}, :mod:`.batch`)
        self.counts: frozenset[str] = frozenset()
        #: m's value in an equation about one sample that names it (a 1/m in one sample's δ is a mistake)
        self.count: int | None = None

    def error(self, reason: str, column: int, cls: type[EquationError] = EquationError) -> EquationError:
        return cls(reason, f"{self.place}, column {column}")

    # -- numbers in scripts -------------------------------------------------------------------
    def affine(self, text: str, env: dict[str, int], column: int, what: str) -> int:
        match = _AFFINE.match(text)
        if not match:
            raise self.error(f"cannot read {what} '{text}': expected a number, a letter such as l or j, "
                             "or l+1 / l-1", column)
        head, tail = match.groups()
        if head.isdigit():
            value = int(head)
        elif head == "L":
            value = self.model.L + self.notation.layer_offset
        elif head in env:
            value = env[head]
        else:
            raise self.error(f"index '{head}' in '{text}' is not bound: it is neither on the left side nor a "
                             "summation index", column)
        for sign, number in re.findall(r"([+-])\s*(\d+)", tail):
            value += int(number) if sign == "+" else -int(number)
        return value

    def split_indices(self, text: str, arity: int, column: int) -> tuple[str, ...]:
        text = strip_brackets(text)
        if "," in text:
            parts = tuple(part.strip() for part in text.split(","))
        elif arity == 1 or len(text) == 1:
            parts = (text,)
        elif len(text) == arity and all(char.isalnum() for char in text):
            parts = tuple(text)
        elif len(text.split()) == arity:  # w_{j k}, w_{l+1\, j}: spaces between the indices
            parts = tuple(text.split())
        else:
            raise self.error(f"cannot split subscript '{text}' into {arity} indices: write them as "
                             "{jk}, {11} or {10,3}", column)
        if len(parts) != arity:
            raise self.error(f"subscript '{text}' has {len(parts)} index(es): expected {arity}", column)
        return parts

    # -- symbols --------------------------------------------------------------------------------
    def resolve(self, symbol: Sym) -> Resolved:
        name, sup, sub = symbol.name, symbol.sup, symbol.sub
        plain = _PLAIN.match(name)
        if plain and plain.group(1) in ALIASES:
            name, digits = plain.groups()
            if name in ("x", "y"):
                sub = digits if sub is None else sub
            elif sup is None:
                sup = digits
        if self.batch is None and sup is not None:
            sup = _one_input(sup)
        if sup is not None and self.notation.infers_letters and strip_brackets(sup) == PATTERN:
            sup = None  # y^p_k of a text without layer scripts: the pattern checked, not a layer
        kind = self.notation.kind_of(name) or ALIASES.get(name)
        if self.batch is not None and name in self.counts:
            kind = "m"
        if name == "h" and sub is not None and _FONT.sub("", sub) in HYPOTHESES:  # Ng's h_Θ(x): the output
            kind, sub = "out", None
        if name in self.notation.unread_names:
            raise self.error(self.notation.unread_names[name], symbol.column)
        if kind is None:
            raise self.error(f"unknown symbol '{symbol.name}': expected {self.vocabulary()}", symbol.column)
        if kind == "out":  # the network's output (Bishop's y_k): a^L
            kind, sup = "a", "L" if sup is None else sup
        if sup is None and kind in ("a", "z", "delta", "b") and sub is not None and self.named_layer(sub):
            sup, sub = self.named_layer(sub), None
        if sup is None and kind == "w" and sub is not None and name in self.notation.weight_letters:
            sup = str(self.notation.weight_letters[name])  # a text's v_{jk}: the weights out of the hidden layer
        if sup is None and kind in ("a", "z", "delta", "b", "w") and sub is not None:
            sup = self.layer_from_letters(kind, sub, symbol.column)
        if kind in BATCH_KINDS:
            return self._batch_symbol(symbol, kind, sup, sub)
        if kind in ("w", "W"):
            kind = "W" if sub is None else "w"
        if kind in ("x", "y"):
            if sup is not None:
                raise self.error(f"'{symbol.name}' takes no layer superscript (write a power as "
                                 f"({symbol.name}_1)^{{2}})", symbol.column)
            return Resolved(kind, None, () if sub is None else self.split_indices(sub, 1, symbol.column),
                            symbol.column, None)
        if sup is None:
            raise self.error(f"'{symbol.name}' needs a layer, as in {symbol.name}^{{l}}", symbol.column)
        if kind == "D" and sub is not None:
            raise self.error(f"matrix '{symbol.name}' takes no subscript; write the entry as w^l_{{jk}}",
                             symbol.column)
        arity = 2 if kind == "w" else 1
        indices = () if sub is None else self.split_indices(sub, arity, symbol.column)
        if kind in ("a", "z", "delta", "b") and sub is None:
            indices = ()
        return Resolved(kind, None, indices, symbol.column, strip_brackets(sup))

    def vocabulary(self) -> str:
        """The symbols this profile reads, for messages."""
        letters = ", ".join(sorted({"x", "y"} | set(self.notation.letters)))
        return (f"w, b, a, z, \\delta, {letters}, W, \\theta, \\Theta, D, or the activation "
                f"{self.notation.activation} (or, for a batch, m, \\Delta, A, Z, X, Y)")

    def power_in_script(self, symbol: Sym) -> int | None:
        """The power a bare number above a unit's symbol is where the index letter tells its layer (z_j^2 in
        Bishop's letters), None elsewhere (a^2 is layer 2, y^{(2)} is layer 2)."""
        sup, sub = (symbol.sup or "").strip(), symbol.sub
        roles = self.notation.index_letters
        if not (sup.isdigit() and sub and roles) or int(sup) > 64:
            return None
        letters = [char for char in strip_brackets(sub) if char.isalpha()]
        kind = self.notation.kind_of(symbol.name) or ALIASES.get(symbol.name)
        if kind in ("a", "z", "delta", "out") and len(letters) == 1 and letters[0] in roles:
            return int(sup)
        return None

    def named_layer(self, sub: str) -> str | None:
        """The layer (profile numbering) a subscript names where layers have names (y_{\\rm hid}, δ_{out})."""
        role = self.notation.layer_names.get(_FONT.sub("", sub))
        if role is None or role == "hidden" and self.model.L != 2:
            return None
        core = {"input": 0, "output": self.model.L}.get(role, 1)
        return str(core + self.notation.layer_offset)

    def layer_from_letters(self, kind: str, sub: str, column: int) -> str | None:
        """The layer a symbol without a layer script names through its index letter alone (source-first
        texts and Bishop: i input units, j hidden units, k output units), in the profile's numbering;
        None when the profile does not tell layers by letters or the letters say nothing."""
        roles = self.notation.index_letters
        letters = [char for char in strip_brackets(sub) if char.isalpha()]
        if not (roles or self.notation.unread_letters) or not letters:
            return None
        if kind == "w":
            if len(letters) != 2:
                return None
            letters = letters[1:] if self.notation.conventions.source_first else letters[:1]  # the destination
        if letters[0] in self.notation.unread_letters:
            raise self.error(self.notation.unread_letters[letters[0]], column)
        layer = self._role_layer(roles.get(letters[0]), column)
        if layer is None:
            return None
        offset = self.notation.weight_offset if kind in ("w", "b") else self.notation.layer_offset
        return str(layer + offset)

    def _role_layer(self, role: str | None, column: int) -> int | None:
        if role is None:
            return None
        if role == "input":
            return 0
        if role == "output":
            return self.model.L
        if self.model.L != 2:
            raise self.error(f"the letters tell the hidden layer apart only in a network with one hidden layer; "
                             f"{self.truth.spec.shorthand()} has {self.model.L - 1}: write the layer as a superscript",
                             column)
        return 1

    def _batch_symbol(self, symbol: Sym, kind: str, sup: str | None, sub: str | None) -> Resolved:
        if kind == "Delta" and self.accumulator and sup is not None:  # Ng's Δ^{(l)}, Δ^{(l)}_{ij}
            indices = () if sub is None else self.split_indices(sub, 2, symbol.column)
            return Resolved("Acc", None, indices, symbol.column, strip_brackets(sup))
        layered = kind in ("Delta", "A", "Z")
        if kind == "m" and sub is None and sup is not None and sup.strip("{} ").isdigit():  # m^2 is a power
            return Resolved(kind, None, (), symbol.column, sup.strip("{} "))
        if sub is not None or (sup is not None) != layered:
            node = self.notation.generic_node
            shown = {"Delta": node(r"\Delta"), "A": node("A"), "Z": node("Z")}.get(kind, symbol.letter)
            raise self.error(f"'{symbol.latex()}': the batch's {symbol.letter} is written {shown}: "
                             + ("a layer and no subscript" if layered else "no superscript or subscript"),
                             symbol.column)
        return Resolved(kind, None, (), symbol.column, strip_brackets(sup) if layered else None)

    def core_layer(self, resolved: Resolved, env: dict[str, int]) -> int:
        """The core layer of a resolved symbol, checked against the spec."""
        if resolved.layer_text is None:
            return self.model.L if resolved.kind == "y" else 0
        value = self.affine(resolved.layer_text, env, resolved.column, "layer")
        weight = resolved.kind in ("w", "W", "b", "Acc")
        core = value - (self.notation.weight_offset if weight else self.notation.layer_offset)
        low = 0 if resolved.kind in ("a", "A") else 1
        if not low <= core <= self.model.L:
            shown = self.notation.weight_layer if weight else self.notation.layer
            first, last = shown(low), shown(self.model.L)
            raise self.error(f"layer {value} of '{resolved.kind}' does not exist in {self.truth.spec.shorthand()}: "
                             f"expected {first} to {last} in the {self.notation.name} numbering",
                             resolved.column, OutOfRangeError)
        return core

    def ranges(self, resolved: Resolved, core: int) -> tuple[range, ...]:
        units = self.model.units
        if resolved.kind in ("w", "Acc"):
            ranges = (units(core), units(core - 1))
            return ranges[::-1] if resolved.kind == "w" and self.notation.conventions.source_first else ranges
        if resolved.kind == "x":
            return (units(0),)
        if resolved.kind == "y":
            return (units(self.model.L),)
        return (units(core),)

    def index_values(self, resolved: Resolved, core: int, env: dict[str, int]) -> tuple[int, ...]:
        values = []
        for text, allowed in zip(resolved.indices, self.ranges(resolved, core), strict=False):
            value = self.affine(text, env, resolved.column, "index")
            if value not in allowed:
                raise self.error(f"index {value} ('{text}') is out of range for '{resolved.kind}': expected "
                                 f"{allowed.start} to {allowed.stop - 1} in {self.truth.spec.shorthand()}",
                                 resolved.column, IndexOutOfRangeError)
            values.append(value)
        return tuple(values)

    def entry(self, kind: str, core: int, indices: tuple[int, ...]) -> sp.Expr:
        model = self.model
        if kind == "w":
            return model.w(core, *self.weight_order(indices))
        if kind == "b":
            if not self.truth.spec.bias:
                raise EquationError("the spec has no biases (--no-bias)", self.place)
            return model.b(core, *indices)
        if kind == "x":
            return model.x(*indices)
        if kind == "y":
            return model.y(*indices)
        if kind == "delta":
            return self.notation.conventions.delta_sign * model.delta(core, *indices)
        return {"a": model.a, "z": model.z}[kind](core, *indices)

    def weight_order(self, indices: tuple[int, ...]) -> tuple[int, ...]:
        """A weight's indices as written → (destination, source), the core order."""
        return tuple(indices[::-1]) if self.notation.conventions.source_first else tuple(indices)

    def oriented(self, value: sp.Matrix) -> sp.Matrix:
        """A layer's vector (built as a column) in the profile's orientation: a row for row-vector texts."""
        return value.T if self.notation.conventions.rows else value

    def weight_matrix(self, core: int) -> sp.Matrix:
        """W^l with entry W_{jk} at row j, column k as the profile's index order reads w_{jk}."""
        matrix = sp.Matrix([[self.model.w(core, j, k) for k in self.model.units(core - 1)]
                            for j in self.model.units(core)])
        return matrix.T if self.notation.conventions.source_first else matrix

    def symbol_value(self, symbol: Sym, env: dict[str, int]) -> sp.Expr | sp.Matrix:
        if symbol.bare and symbol.name in self.definitions:
            return self.defined(symbol, env)
        power = self.power_in_script(symbol)
        if power is not None:  # Bishop's z_j^2: the letters tell the layer, so a number above is a power
            return self.symbol_value(replace(symbol, sup=None), env) ** power
        if self.batch and ng_gradient_entry(symbol, self.notation):
            return self.ng_gradient_value(symbol, env)
        sample = None
        if self.batch:
            symbol, sample = unmark(symbol, env)
            if sample is not None and sample_cost(symbol):  # C_x, C_k in a sum over the samples
                return self.batch.sample(self.model.cost_in_outputs(), sample)
        resolved = self.resolve(symbol)
        if resolved.kind in BATCH_KINDS:
            return self.batch_value(resolved, env)
        value = self._one_sample(symbol, resolved, env)
        return self.per_sample(value, sample, symbol) if resolved.kind in PER_SAMPLE else value

    def ng_gradient_value(self, symbol: Sym, env: dict[str, int]) -> sp.Expr | sp.Matrix:
        """Ng's D^{(l)}_{ij} on a right side: entry ij of ∂J/∂Θ^{(l)}, the gradient of the batch cost."""
        from .lhs import true_value

        resolved = self.resolve(replace(symbol, name="Theta"))
        core = self.core_layer(resolved, env)
        indices = self.index_values(resolved, core, env) if resolved.indices else ()
        return true_value(self, resolved.kind, core, indices)

    def defined(self, symbol: Sym, env: dict[str, int]) -> sp.Expr | sp.Matrix:
        """A symbol defined elsewhere in the file, as the value of its definition."""
        if symbol.name in self._expanding:
            raise self.error(f"'{symbol.name}' is defined in terms of itself", symbol.column)
        self._expanding.add(symbol.name)
        try:
            return self.value(self.definitions[symbol.name], env)
        finally:
            self._expanding.discard(symbol.name)

    def per_sample(self, value, sample: int | None, symbol: Sym):
        """One sample's value in a batch equation (per-sample equations: ``value`` itself)."""
        if self.batch is None:
            return value
        if sample is None:
            node = self.notation.generic_node
            batch_delta, delta = node(r"\Delta"), node(r"\delta")
            raise self.error(f"'{symbol.latex()}' is one sample's value, but this is a batch equation (the batch "
                             f"cost is the mean over the m samples): write the batch matrix ({batch_delta}, "
                             f"{node('A')}, {node('Z')}, X, Y), or sum over the samples with the sample in the script, "
                             rf"as in \frac{{1}}{{m}}\sum_{{s=1}}^{{m}} {delta}_{{(s)}}", symbol.column)
        return self.batch.sample(value, sample)

    def batch_value(self, resolved: Resolved, env: dict[str, int]) -> sp.Expr | sp.Matrix:
        """m, or a batch matrix with one row per sample: Δ^l, A^l, Z^l, X, Y."""
        if self.batch is None and resolved.kind == "m" and self.count is not None:
            return sp.Integer(self.count) ** int(resolved.layer_text or 1)
        if self.batch is None:  # is_batch() makes every equation that names one a batch equation
            raise self.error(f"'{resolved.kind}' belongs to a batch equation", resolved.column)
        model, kind = self.model, resolved.kind
        if kind == "m":
            return sp.Integer(SIZE) ** int(resolved.layer_text or 1)
        if kind == "Acc":
            core = self.core_layer(resolved, env)
            matrix = self.batch.accumulator(core)
            if not resolved.indices:
                return matrix
            j, k = self.index_values(resolved, core, env)
            return matrix[j - 1, k - 1]
        if kind in ("X", "Y"):
            row = model.inputs if kind == "X" else model.targets
        else:
            core = self.core_layer(resolved, env)
            symbol = {"Delta": model.delta, "A": model.a, "Z": model.z}[kind]
            row = [symbol(core, j) for j in model.units(core)]
        return self.batch_oriented(sp.Matrix([[self.batch.sample(entry, n) for entry in row]
                                              for n in range(1, SIZE + 1)]))

    def batch_oriented(self, matrix: sp.Matrix) -> sp.Matrix:
        """A batch matrix built with one row per sample, in the text's layout (one column each where it says so)."""
        return matrix.T if self.notation.conventions.samples is Samples.COLUMNS else matrix

    def _one_sample(self, symbol: Sym, resolved: Resolved, env: dict[str, int]) -> sp.Expr | sp.Matrix:
        core = self.core_layer(resolved, env)
        if resolved.kind == "z" and core == 0 or resolved.kind == "delta" and core == 0:
            raise self.error("the input layer has no z or δ", symbol.column, OutOfRangeError)
        if resolved.kind == "W":
            return self.weight_matrix(core)
        if resolved.kind == "D":
            return sp.diag(*[self.derivative(core, self.model.z(core, j), symbol.column)
                             for j in self.model.units(core)])
        if resolved.indices:
            return self.entry(resolved.kind, core, self.index_values(resolved, core, env))
        component = self.component_index(resolved, core, env)
        if component is not None:
            return self.entry(resolved.kind, core, (component,))
        units = self.ranges(resolved, core)[0]
        return self.oriented(sp.Matrix([self.entry(resolved.kind, core, (j,)) for j in units]))

    def component_index(self, resolved: Resolved, core: int, env: dict[str, int]) -> int | None:
        """In a component equation re-read by :meth:`side_value`, the entry a bare vector of a layer the left
        side indexes stands for (σ'(z^L) in an equation about δ^L_j: z^L_j), recorded as a notation slip."""
        letter = self._components.get(core) if resolved.kind in COMPONENT_KINDS else None
        if letter is None or letter not in env:
            return None
        written = {"delta": r"\delta"}.get(resolved.kind, resolved.kind)
        layer = "" if resolved.layer_text is None else f"^{{{resolved.layer_text}}}"
        slip = (f"notation slip: the vector {written}{layer} is written where its component is meant; read as "
                f"the component {written}{layer}_{letter}")
        if slip not in self._slips:
            self._slips.append(slip)
        return env[letter]

    def side_value(self, node: Node, env: dict[str, int], shape: tuple[int, int] | None,
                   components: Mapping[int, str]) -> tuple[sp.Expr | sp.Matrix, tuple[str, ...]]:
        """A right side's value in the left side's ``shape`` where it is 1×1 (a chain of single neurons is
        written with scalars), and the notation slips read past.

        When the left side is one entry (no ``shape``) and the right side as written is a vector or does
        not fit together, it is read again with every bare vector of a layer the left side indexes taken
        as its component (``components``: core layer → index letter); that reading counts only when it
        gives a scalar, and the slips are named.
        """
        self._readings = []
        try:
            value, mismatch = single(self.value(node, env)), None
        except ShapeMismatchError as error:
            value, mismatch = None, error
        read = tuple(self._readings)
        if shape == (1, 1) and value is not None and not isinstance(value, sp.MatrixBase):
            return sp.Matrix([[value]]), read
        if shape is None and components and (value is None or isinstance(value, sp.MatrixBase)):
            self._components, self._slips = components, []
            try:
                retry = single(self.value(node, env))
            except ShapeMismatchError:
                retry = None
            finally:
                self._components = {}
            if retry is not None and not isinstance(retry, sp.MatrixBase) and self._slips:
                return retry, tuple(self._slips)
        if mismatch is not None:
            raise mismatch
        return value, read

    # -- functions ------------------------------------------------------------------------------
    def derivative(self, core: int, argument: sp.Expr, column: int) -> sp.Expr:
        try:
            return self.truth.derivative(core, argument)
        except ValueError:
            raise self.error("σ' of a softmax layer is a Jacobian, not an elementwise derivative; write δ^L "
                             "through ∂C/∂a or in closed form", column, NotElementwiseError) from None

    def function_layer(self, node: Func, argument) -> int:
        symbols = argument.free_symbols
        if self.batch:
            symbols = {self.batch.base_symbol(symbol) for symbol in symbols}
        layers = {core for core in range(1, self.model.L + 1) for j in self.model.units(core)
                  if {self.model.z(core, j), self.model.a(core, j)} & symbols}
        if len(layers) == 1:
            return layers.pop()
        activations = {activation.label() for activation in self.truth.spec.activations}
        if len(activations) == 1:
            return 1
        raise self.error(f"cannot tell which layer's activation {node.name} means here: its argument should "
                         "mention the z (or a) of one layer", node.column)

    def logistic(self, node: Func, activation: str) -> bool:
        """Whether σ(…) is the logistic function rather than the layer's activation: in a text on softplus
        units (whose derivative σ is) and in one whose activation has another letter (Bishop's h)."""
        return node.name == "sigma" and activation != "sigmoid" and (
            activation == "softplus" or self.notation.activation != r"\sigma")

    def function(self, node: Func, env: dict[str, int]):
        argument = self.value(node.arg, env)
        if node.name == "diag":
            if not isinstance(argument, sp.MatrixBase) or argument.shape[1] != 1:
                raise self.error("diag(...) takes a vector", node.column)
            return sp.diag(*argument)
        if node.name in ("exp", "log", "tanh"):
            function = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh}[node.name]
            if node.prime:  # tanh'(z): the derivative of the function itself, 1 − tanh²(z)
                function = sp.Lambda(Z, sp.diff(function(Z), Z))
            return argument.applyfunc(function) if isinstance(argument, sp.MatrixBase) else function(argument)
        core = self.function_layer(node, argument)
        activation = self.truth.activation(core)
        if node.prime:
            def apply(value):
                return self.derivative(core, value, node.column)
        elif activation.elementwise and self.logistic(node, activation.name):
            apply = sigmoid
        elif activation.elementwise:
            def apply(value):
                return activation.expr.xreplace({Z: value})
        else:
            raise self.error("σ of a softmax layer: write a^L instead", node.column)
        return argument.applyfunc(apply) if isinstance(argument, sp.MatrixBase) else apply(argument)

    # -- the tree -------------------------------------------------------------------------------
    def value(self, node: Node, env: dict[str, int]):  # noqa: C901 - one case per node kind
        if type(node) in HANDLERS:  # matrices, Iverson brackets, norms, ⋯, derivatives of expressions
            return structure_value(self, node, env)
        if isinstance(node, Num):
            fraction = Fraction(node.text)
            return sp.Rational(fraction.numerator, fraction.denominator)
        if isinstance(node, Sym):
            return self.symbol_value(node, env)
        if isinstance(node, Func):
            return self.function(node, env)
        if isinstance(node, Partial):
            return self.partial(node, env)
        if isinstance(node, Nabla):
            return self.nabla(node)
        if isinstance(node, Ones):
            if self.batch is None or node.size.strip("{} ") != "m":
                raise self.error(f"\\mathbf{{1}}_{{{node.size}}}: expected \\mathbf{{1}}_m, the column of m ones",
                                 node.column)
            return sp.ones(SIZE, 1)
        if isinstance(node, Component):
            return self.component(node, env)
        if isinstance(node, NodePartial):
            return self.node_partial(node, env)
        if isinstance(node, Indicator):
            left, right = (self.affine(text, env, node.column, "index") for text in (node.left, node.right))
            return sp.Integer(left == right)
        if isinstance(node, Neg):
            return -self.value(node.arg, env)
        if isinstance(node, Transpose):
            inner = self.value(node.arg, env)
            return inner.T if isinstance(inner, sp.MatrixBase) else inner
        if isinstance(node, Power):
            inner = self.value(node.arg, env)
            if isinstance(inner, sp.MatrixBase):
                raise ShapeMismatchError(f"a power of a {_shape(inner)} matrix (column {node.column})")
            return inner ** node.exponent
        if isinstance(node, Sum):
            return self.sum(node, env)
        if isinstance(node, Bin):
            return self.binary(node, self.value(node.left, env), self.value(node.right, env))
        raise TypeError(node)

    def component(self, node: Component, env: dict[str, int]) -> sp.Expr:
        """Entry ``index`` (1-based, as in the mathematics) of a vector in brackets."""
        inner = self.value(node.arg, env)
        if not isinstance(inner, sp.MatrixBase) or 1 not in inner.shape:
            raise ShapeMismatchError(f"(…)_{{{node.index}}} takes an entry of a vector, but the bracket holds "
                                     f"{_shape(inner)} "
                                     f"(column {node.column})")
        index = self.affine(strip_brackets(node.index), env, node.column, "index")
        if not 1 <= index <= len(inner):
            raise self.error(f"index {index} ('{node.index}') is out of range for a vector of {len(inner)}",
                             node.column, IndexOutOfRangeError)
        return inner[index - 1]

    def node_partial(self, node: NodePartial, env: dict[str, int]) -> sp.Expr:
        """∂N/∂D between two network quantities: N written through D's layer, differentiated by D.

        ∂a^L_k/∂z^L_j is δ_kj σ'(z^L_j) (or softmax's a_k(δ_kj − a_j)), ∂z^{l+1}_k/∂z^l_j is
        w^{l+1}_kj σ'(z^l_j), ∂z^l_j/∂w^l_jk is a^{l−1}_k: whatever the person's chain rule says.
        """
        if self.batch:
            raise self.error("a step such as ∂a/∂z is read in one sample's equations only", node.column)
        *_, of = self._one_entry(node.of, env, ("a", "z"))
        kind, core, wrt = self._one_entry(node.wrt, env, ("a", "z", "w", "b"))
        written_through = self.truth.above("a", core - 1) if kind in ("w", "b") else self.truth.above(kind, core)
        return sp.diff(written_through.get(of, of), wrt)

    def _one_entry(self, symbol: Sym, env: dict[str, int], kinds: tuple[str, ...]) -> tuple[str, int, sp.Symbol]:
        resolved = self.resolve(symbol)
        if resolved.kind == "W" and "w" in kinds:  # w^{(L)} of a chain of single neurons
            resolved = replace(resolved, kind="w")
        core = self.core_layer(resolved, env) if resolved.kind in kinds else None
        single_entry = core is not None and all(len(units) == 1 for units in self.ranges(resolved, core))
        if core is None or not (resolved.indices or single_entry):
            raise self.error(f"in ∂N/∂D, expected one entry of {', '.join(kinds)} (with its indices), as in "
                             "∂a^l_k/∂z^l_j", symbol.column)
        if resolved.kind == "z" and core == 0:
            raise self.error("the input layer has no z", symbol.column, OutOfRangeError)
        # a layer of one unit (a chain of single neurons, written with scalars): its one entry
        indices = self.index_values(resolved, core, env) if resolved.indices else \
            (1,) * (2 if resolved.kind == "w" else 1)
        return resolved.kind, core, self.entry(resolved.kind, core, indices)

    def nabla(self, node: Nabla) -> sp.Matrix:
        """∇_a C, the gradient in the output activations (∇_A C of a batch: one row per sample)."""
        wrt = node.wrt.strip()
        if wrt not in ("a", "a^L", "{a^L}", "A"):
            raise self.error(f"\\nabla_{{{node.wrt}}} C: expected \\nabla_a C", node.column)
        gradient = [self.truth.output_gradient(j) for j in self.model.units(self.model.L)]
        if wrt == "A" and self.batch:
            return sp.Matrix([[self.batch.sample(entry, n) for entry in gradient] for n in range(1, SIZE + 1)])
        if wrt == "A":
            raise self.error("\\nabla_A C belongs to a batch equation: write \\nabla_a C for one sample", node.column)
        return self.per_sample(self.oriented(sp.Matrix(gradient)), None, Sym(node.column, "\\nabla_a C"))

    def binary(self, node: Bin, left, right):
        left, right = single(left), single(right)
        left_matrix, right_matrix = isinstance(left, sp.MatrixBase), isinstance(right, sp.MatrixBase)
        if node.op in "+-":
            if left_matrix != right_matrix:  # 1 − a: a number against a vector means every entry
                left, right = (left, sp.ones(*left.shape) * right) if left_matrix else \
                    (sp.ones(*right.shape) * left, right)
            elif left_matrix and left.shape != right.shape:
                raise ShapeMismatchError(f"'{node.op}' at column {node.column} joins {_shape(left)} and "
                                         f"{_shape(right)}")
            return left + right if node.op == "+" else left - right
        if node.op == "/":
            if right_matrix and right.shape[1] == 1 and (not left_matrix or left.shape == right.shape):
                # y/ŷ of two vectors: there is no division by a vector but entry by entry, as texts mean it
                numerator = left if left_matrix else sp.ones(*right.shape) * left
                return numerator.multiply_elementwise(right.applyfunc(lambda entry: 1 / entry))
            if right_matrix:
                raise ShapeMismatchError(f"division by a {_shape(right)} matrix at column {node.column}")
            return left / right
        if not (left_matrix and right_matrix):
            return left * right
        if node.op == "hadamard":
            if left.shape != right.shape:
                raise ShapeMismatchError(f"'⊙' at column {node.column} joins {_shape(left)} and {_shape(right)}")
            return left.multiply_elementwise(right)
        if node.written == "*" and left.shape == right.shape or \
                node.written and left.shape == right.shape and left.shape[1] != right.shape[0]:
            return self.elementwise_product(node, left, right)
        if left.shape[1] != right.shape[0]:
            raise ShapeMismatchError(f"the product at column {node.column} of {_shape(left)} and {_shape(right)} "
                                "is undefined")
        return single(left * right)

    def elementwise_product(self, node: Bin, left: sp.MatrixBase, right: sp.MatrixBase) -> sp.MatrixBase:
        """``*`` between two vectors or matrices of one shape (NumPy's ``*``, as code-like texts write ⊙), or
        ``·`` between two of one shape that no matrix product joins: the reading is noted on the verdict."""
        sign = "*" if node.written == "*" else "·"
        self._note(f"'{sign}' at column {node.column} between two {_shape(left)} matrices read as the elementwise "
                   "product")
        return left.multiply_elementwise(right)

    def _note(self, reading: str) -> None:
        """A reading the verdict rests on, said once with it."""
        if reading not in self._readings:
            self._readings.append(reading)

    def sum(self, node: Sum, env: dict[str, int]):
        if node.var in env or SAMPLE + node.var in env or node.var in LAYER_VARIABLES \
                or not re.fullmatch(r"[a-zA-Z]", node.var):
            raise self.error(f"summation index '{node.var}' must be a fresh letter", node.column)
        if node.within:
            self._note(f"the sum over {node.var} ∈ {node.within} at column {node.column} read as over every unit "
                       f"{node.var} runs over")
        key = node.var
        if self.batch and is_sample_sum(node):
            key, values = SAMPLE + node.var, range(1, SIZE + 1)
        elif node.upper is not None and self.width_bound(node, env) is None:
            values = self.sum_range(node, env)  # n, N, K: the number of units the index runs over
        elif node.upper is not None:
            upper = self.width_bound(node, env)
            widest = max(self.truth.spec.sizes)
            if not 1 <= upper <= widest:
                raise self.error(f"upper limit {upper} of the sum over '{node.var}': expected 1 to {widest}, the "
                                 f"widths of {self.truth.spec.shorthand()}", node.column)
            values = range(1, upper + 1)
        else:
            values = self.sum_range(node, env)
        terms = [self.value(node.body, {**env, key: value}) for value in values]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def width_bound(self, node: Sum, env: dict[str, int]) -> int | None:
        """A sum's upper limit as a number: a number or a bound letter (l+1), a layer's width n_l, n_{l+1},
        n^{[l]} (in the profile's numbering); None for a name of a width that says no layer (n, N, K)."""
        text = strip_brackets(node.upper)
        width = _WIDTH.match(text)
        if width:
            layer = self.affine(strip_brackets(width.group(1)), env, node.column, "layer of the width")
            core = layer - self.notation.layer_offset
            if not 0 <= core <= self.model.L:
                raise self.error(f"the width {text} names layer {layer}, which {self.truth.spec.shorthand()} does "
                                 "not have", node.column, OutOfRangeError)
            return self.truth.spec.sizes[core]
        if text in _WIDTH_NAMES and text not in env:
            return None
        return self.affine(text, env, node.column, "upper limit")

    def sum_range(self, node: Sum, env: dict[str, int]) -> range:
        for symbol in _symbols(node.body):
            if symbol.sub is None or node.var not in symbol.sub:
                continue
            resolved = self.resolve(unmark(symbol, env)[0] if self.batch else symbol)
            for text, allowed in zip(resolved.indices, self.ranges(resolved, self.core_layer(resolved, env)),
                                     strict=False):
                if text.strip() == node.var:
                    return allowed
        raise self.error(f"cannot tell the range of '{node.var}': use it as an index in the sum, or write "
                         f"\\sum_{{{node.var}=1}}^{{n}}", node.column)

    def partial(self, node: Partial, env: dict[str, int]):
        """A partial derivative on the right side: its true value."""
        wrt, sample = unmark(node.wrt, env) if self.batch else (node.wrt, None)
        if sample is not None and wrt.name in ("Z", "A"):  # dZ^{[l](i)}: column i of dZ, one sample's ∂C/∂z
            wrt = replace(wrt, name=wrt.name.lower())
        resolved = self.resolve(wrt)
        core = self.core_layer(resolved, env)
        own = cost_sample(node.cost, env) if self.batch else None
        if own is not None and resolved.kind in ("w", "W", "b"):  # ∂C_k/∂w: one sample's gradient
            from .lhs import true_value

            one = Evaluator(self.batch.truth, self.notation, self.place)
            indices = self.index_values(resolved, core, env) if resolved.indices else ()
            return self.batch.sample(true_value(one, resolved.kind, core, indices), own)
        sample = own if sample is None else sample
        if resolved.kind == "a" and 1 <= core <= self.model.L:  # a hidden layer's: Σ_k w_kj δ_k, as it truly is
            def entry(j: int) -> sp.Expr:
                return self.truth.output_gradient(j) if core == self.model.L else \
                    self.truth.activation_gradient(core, j)

            if resolved.indices:
                (j,) = self.index_values(resolved, core, env)
                return self.per_sample(entry(j), sample, wrt)
            gradient = self.oriented(sp.Matrix([entry(j) for j in self.model.units(core)]))
            return self.per_sample(gradient, sample, wrt)
        if resolved.kind == "Z" and node.written == "dZ" and self.batch is not None:  # the course's dZ: the δ's
            return self.batch_value(replace(resolved, kind="Delta"), env)
        if resolved.kind == "z":  # ∂C/∂z, whatever sign the text gives δ
            delta = self.symbol_value(Sym(node.wrt.column, "delta", node.wrt.sup, node.wrt.sub), env)
            return self.notation.conventions.delta_sign * delta
        raise self.error("on the right side only ∂C/∂a^l and ∂C/∂z are understood", node.column)


def _one_input(sup: str) -> str | None:
    """A layer script without the training input it names, in an equation about one input (δ^{x,l} is the
    δ^l of the input x: Nielsen's per-input cost C_x); a batch equation reads the marker (:mod:`.batch`)."""
    parts = [part.strip() for part in strip_brackets(sup).split(",")]
    kept = [part for part in parts if part not in SAMPLE_LETTERS]
    if not kept and len(parts) == 1:  # y(x), y^x: the target of the one input
        return None
    return ",".join(kept) if len(parts) == 2 and len(kept) == 1 else sup


def single(value):
    """A 1×1 matrix as the scalar it holds: a chain of single neurons is written with scalars."""
    if isinstance(value, sp.MatrixBase) and value.shape == (1, 1):
        return value[0, 0]
    return value




def _shape(value) -> str:
    if isinstance(value, sp.MatrixBase):
        return f"{value.shape[0]}×{value.shape[1]}"
    return "a scalar"


def _symbols(node: Node):
    if isinstance(node, Sym):
        yield node
        return
    if isinstance(node, Partial):
        yield node.wrt
        return
    if isinstance(node, NodePartial):
        yield from (node.of, node.wrt)
        return
    for name in ("arg", "left", "right", "body"):
        child = getattr(node, name, None)
        if isinstance(child, Node):
            yield from _symbols(child)
