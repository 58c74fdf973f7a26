"""``--notation auto``: the notation profile and conventions a text follows, inferred from its equations.

A document is consistent with itself, so every equation counts, its definitions (a forward pass
``z = W a + b``, ``a^{(1)} = x``) first.  :func:`infer` is a pure function of the parsed equations:

* the profile from the letters: Θ/θ → ``ng``, ``[l]`` layer scripts → ``higham``, Bishop's input sum
  ``a_j = Σ_i w_{ji} z_i`` or ``z_j = h(a_j)`` or the cost E_n → ``bishop``, the cost E with targets t or
  outputs y^{(l)} → ``source-first``, otherwise ``nielsen``;
* the layer numbering from the input's definition (``a^{(1)} = x`` numbers the input 1, ``a^0 = x`` 0);
* the index order from a forward definition's sum (``z_j = Σ_i w_{ij} y_i``: i is the source) or
  its product (``z = y W + b`` with row vectors is source-first);
* row or column vectors from the products of vectors and matrices (δ^{l+1} Θ^{(l)}, (δ^l)^T a^{l−1}
  are products of rows only; W a, a δ^T of columns);
* δ = −∂E/∂z where a definition says so (the generalised delta rule);
* the activation's and the cost's letters as written.

Only definitions settle the index order: a gradient with its indices exchanged is a mistake in the
profile's order, not evidence of another order.  Each inference keeps the equation it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace

from ..errors import EquationError
from ..notation import PROFILES, Conventions, DeltaSign, IndexOrder, Notation, Samples, Vectors
from . import letters as lettering
from .parser import Bin, Equation, Func, Neg, Node, Partial, Sum, Sym, Transpose, parse_equation

#: Node kinds as the core reads them (the Nielsen letters; a profile's own letters come first).
_VECTOR_KINDS = {"a", "z", "delta", "x", "y", "b"}
_MATRIX_NAMES = {"W", "Theta"}
_ACTIVATIONS = {"sigma": r"\sigma", "g": "g", "f": "f", "h": "h", "phi": r"\phi", "varphi": r"\varphi"}
_KINDS = {"a": "a", "z": "z", "delta": "delta", "x": "x", "y": "y", "b": "b", "w": "w", "theta": "w"}


@dataclass(frozen=True)
class Inferred:
    """What a text's equations say about its notation, and from which equation (1-based numbers)."""

    profile: str
    conventions: Conventions
    layer_offset: int | None  # the input layer's number where a definition says it (None: the profile's)
    activation: str | None
    cost: str | None
    reasons: tuple[str, ...]
    #: layers told by index letters (``--notation auto`` on a text without layer scripts): the letters the
    #: definitions settle (letter → input | hidden | output) and the weight letters they bind to one layer
    letter_roles: dict[str, str] | None = None
    weight_letters: dict[str, int] | None = None
    unread_names: dict[str, str] | None = None
    #: whether a forward definition numbers the weights by the layer they leave (z^{(l+1)} = W^{(l)} a^{(l)},
    #: as Ng's Θ^{(l)}) or by the one they enter (z^l = W^l a^{l-1}); None where none says
    weights_by_source: bool | None = None

    def notation(self) -> Notation:
        """The profile with the inferred conventions, numbering, letters and the reasons for them."""
        base = PROFILES[self.profile]
        changes: dict = {}
        if self.layer_offset is not None and self.layer_offset != base.layer_offset:
            shift = self.layer_offset - base.layer_offset
            changes.update(layer_offset=self.layer_offset, weight_offset=base.weight_offset + shift)
        if self.weights_by_source is not None:
            layer_offset = changes.get("layer_offset", base.layer_offset)
            changes["weight_offset"] = layer_offset - 1 if self.weights_by_source else layer_offset
        if self.activation:
            changes["activation"] = self.activation
        if self.cost:
            changes["cost"] = self.cost
        if self.letter_roles is not None:
            changes.update(index_letters=self.letter_roles, weight_letters=self.weight_letters or {},
                           infers_letters=True, unread_names=self.unread_names or {})
        return replace(base, conventions=self.conventions, reasons=self.reasons, **changes)


def nodes(node: object) -> Iterator[Node]:
    """Every node of a tree, the root first (whatever node types the parser has; rows of matrices too)."""
    if isinstance(node, tuple | list):
        for part in node:
            yield from nodes(part)
        return
    if not isinstance(node, Node):
        return
    yield node
    for item in fields(node):
        yield from nodes(getattr(node, item.name))


def _all(equation: Equation) -> Iterator[Node]:
    for side in equation.sides:
        yield from nodes(side)


def _symbols(equation: Equation) -> Iterator[Sym]:
    return (node for node in _all(equation) if isinstance(node, Sym))


def _is_definition(equation: Equation) -> bool:
    """A forward-pass or input definition: its left side is a bare quantity (z, a, y), no derivative."""
    lhs = equation.sides[0]
    return isinstance(lhs, Sym) and lhs.name not in ("delta", "Delta", "D")


def _ordered(equations: Sequence[Equation]) -> list[tuple[int, Equation]]:
    """The equations numbered from 1, definitions first."""
    numbered = list(enumerate(equations, start=1))
    return [item for item in numbered if _is_definition(item[1])] + \
        [item for item in numbered if not _is_definition(item[1])]


def _profile(numbered: list[tuple[int, Equation]]) -> tuple[str, str]:
    """The profile the letters name, and why."""
    if lettering.layerless(PROFILES["nielsen"], (equation for _, equation in numbered)):
        return _layerless_profile(numbered)
    for number, equation in numbered:
        for symbol in _symbols(equation):
            if symbol.name in ("Theta", "theta"):
                return "ng", f"ng ({symbol.latex()} in equation {number})"
    for number, equation in numbered:
        for symbol in _symbols(equation):
            if symbol.sup and symbol.sup.strip("{} ").startswith("["):
                return "higham", f"higham ({symbol.latex()} in equation {number}: layers in [ ])"
    for number, equation in numbered:
        if _bishop(equation):
            return "bishop", f"bishop (equation {number}: a the input sum, z = h(a) the unit's output, E_n)"
    for number, equation in numbered:
        if _source_first(equation):
            return "source-first", f"source-first (equation {number}: the cost E with targets t or outputs y^{{(l)}})"
    return "nielsen", "nielsen (no letters of another profile)"


def _layerless_profile(numbered: list[tuple[int, Equation]]) -> tuple[str, str]:
    """The profile of a text that tells layers by index letters only: net/o (an encyclopaedia's), a handout's
    h_j, v_{jk}, s_k, Bishop's a = input sum, Nielsen's z = input sum, else the source-first E, y, t."""
    found = [(number, symbol) for number, equation in numbered for symbol in _symbols(equation)]
    why = "the index letters name the layers"
    for number, symbol in found:
        if symbol.name in ("o", "net"):
            return "wikipedia", f"wikipedia ({symbol.latex()} in equation {number}: o a unit's output, net its " \
                f"input; {why})"
    for number, symbol in found:
        pair = lettering.index_letters(symbol.sub, 2) is not None
        if symbol.name == "h" or symbol.name in ("v", "u") and pair or symbol.name == "s" and symbol.sub:
            return "handout", f"handout ({symbol.latex()} in equation {number}: hidden units h_j, weights w_{{ij}}, " \
                f"v_{{jk}}; {why})"
    for number, equation in numbered:
        if _bishop(equation) or _applied_to(equation, "a"):
            return "bishop", f"bishop (equation {number}: a the input sum, z = h(a) the unit's output; {why})"
    for number, equation in numbered:
        if _source_first(equation) or _uses_e_or_t(equation):
            return "source-first", f"source-first (equation {number}: E, the outputs y and targets t; {why})"
    for number, equation in numbered:
        if _applied_to(equation, "z"):
            return "nielsen", f"nielsen (equation {number}: z the input sum, a = σ(z) the unit's output; {why})"
    return "nielsen", f"nielsen (no letters of another profile; {why})"


def _uses_e_or_t(equation: Equation) -> bool:
    """The cost E (as a symbol or under ∂) or the targets t: the source-first letters, where y is an output."""
    costs = {node.cost for node in _all(equation) if isinstance(node, Partial)}
    return "E" in costs or any(symbol.name in ("t", "E") for symbol in _symbols(equation))


#: Where a text without layer scripts never says which of a and z is the input sum.
_OPEN_ROLES = ("the text does not say whether {name} is a unit's input sum (z = Σ w a, a = σ(z), as Nielsen writes) "
               "or its output (a = Σ w z, z = h(a), as Bishop writes): pass --notation nielsen or --notation bishop")


def _open_roles(name: str, numbered: list[tuple[int, Equation]]) -> dict[str, str]:
    """a and z, where the profile was not chosen for what they mean and the text uses them as units."""
    if name not in ("nielsen", "source-first") or any(
            _bishop(equation) or _applied_to(equation, "a") or _applied_to(equation, "z") for _, equation in numbered):
        return {}
    used = {symbol.name for _, equation in numbered for symbol in _symbols(equation)
            if lettering.index_letters(symbol.sub, 1) is not None}
    return {letter: _OPEN_ROLES.format(name=letter) for letter in ("a", "z") if letter in used}


def _applied_to(equation: Equation, name: str) -> bool:
    """Whether the activation (or its derivative) is applied to a quantity named ``name``: σ'(z_j), h'(a_j)."""
    return any(isinstance(node, Func) and node.name in _ACTIVATIONS and isinstance(node.arg, Sym)
               and node.arg.name == name for node in _all(equation))


def _bishop(equation: Equation) -> bool:
    lhs, names = equation.sides[0], {symbol.name for symbol in _symbols(equation)}
    costs = {node.cost for node in _all(equation) if isinstance(node, Partial)}
    if any(cost.replace("{", "").replace("}", "") == "E_n" for cost in costs):
        return True
    if isinstance(lhs, Sym) and lhs.name == "a" and lhs.sup is None and "w" in names and "z" in names:
        return True  # a_j = Σ_i w_{ji} z_i: the input sum
    return isinstance(lhs, Sym) and lhs.name == "z" and any(
        isinstance(node, Func) and node.name in _ACTIVATIONS and any(
            isinstance(inner, Sym) and inner.name == "a" for inner in nodes(node.arg))
        for side in equation.sides[1:] for node in nodes(side))


def _source_first(equation: Equation) -> bool:
    costs = {node.cost for node in _all(equation) if isinstance(node, Partial)}
    symbols = list(_symbols(equation))
    lhs = equation.sides[0]
    uses_e = "E" in costs or isinstance(lhs, Sym) and lhs.name == "E"
    targets_t = any(symbol.name == "t" for symbol in symbols)
    layered_y = any(symbol.name == "y" and symbol.sup is not None for symbol in symbols)
    return uses_e and (targets_t or layered_y) or layered_y and targets_t or _forward_through_y(equation)


def _forward_through_y(equation: Equation) -> bool:
    """z^{(l)} = y^{(l-1)} W^{(l)} + b^{(l)}: a layer's z defined from the y of a layer named by the same
    letter, so y is the units' output (not a target, which has no layer; not a sample's y^{(i)})."""
    lhs = equation.sides[0]
    if not (isinstance(lhs, Sym) and lhs.name == "z" and lhs.sup):
        return False
    letters = set(re.findall(r"[A-Za-z]", lhs.sup))
    outputs = [node for side in equation.sides[1:] for node in nodes(side)
               if isinstance(node, Sym) and node.name == "y"]
    return bool(letters) and any(set(re.findall(r"[A-Za-z]", symbol.sup or "")) == letters for symbol in outputs)


def _kind(profile: Notation, symbol: Sym) -> str | None:
    return profile.kind_of(symbol.name) or _KINDS.get(symbol.name)


def _vector(profile: Notation, node: Node) -> bool:
    return isinstance(node, Sym) and node.sub is None and _kind(profile, node) in _VECTOR_KINDS | {"out"}


def _matrix(node: Node) -> bool:
    return isinstance(node, Sym) and node.sub is None and (node.name in _MATRIX_NAMES or node.name == "w"
                                                           and node.sup is not None)


def _leftmost(node: Node) -> Node:
    while isinstance(node, Bin) and node.op == "*":
        node = node.left
    return node


def _rightmost(node: Node) -> Node:
    while isinstance(node, Bin) and node.op == "*":
        node = node.right
    return node


def _orientation(profile: Notation, equation: Equation) -> tuple[Vectors, IndexOrder | None] | None:
    """What one product of the equation says: a vector left of a matrix, a transposed vector left of a
    vector (rows), or a matrix left of a vector, a vector left of a transposed vector (columns)."""
    for node in _all(equation):
        if not (isinstance(node, Bin) and node.op == "*"):
            continue
        left, right = _rightmost(node.left), _leftmost(node.right)
        plain_right = right.arg if isinstance(right, Transpose) else right
        plain_left = left.arg if isinstance(left, Transpose) else left
        if _vector(profile, left) and _matrix(plain_right):
            return Vectors.ROW, IndexOrder.DESTINATION_FIRST if isinstance(right, Transpose) \
                else IndexOrder.SOURCE_FIRST
        if isinstance(left, Transpose) and _vector(profile, left.arg) and _vector(profile, right):
            return Vectors.ROW, None
        if _matrix(plain_left) and _vector(profile, right):
            return Vectors.COLUMN, IndexOrder.SOURCE_FIRST if isinstance(left, Transpose) \
                else IndexOrder.DESTINATION_FIRST
        if _vector(profile, left) and isinstance(right, Transpose) and _vector(profile, right.arg):
            return Vectors.COLUMN, None
    return None


def _sum_order(profile: Notation, equation: Equation) -> IndexOrder | None:
    """A forward definition's sum: ``z_j = Σ_k w_{jk} a_k`` names the destination first."""
    lhs = equation.sides[0]
    if not (isinstance(lhs, Sym) and lhs.sub and _kind(profile, lhs) == "z"):
        return None
    receiving = lhs.sub.strip("{} ")
    for node in _all(equation):
        if not isinstance(node, Sum):
            continue
        for inner in nodes(node.body):
            if isinstance(inner, Sym) and _kind(profile, inner) == "w" and inner.sub:
                letters = [char for char in inner.sub if char.isalpha()]
                if letters == [receiving, node.var]:
                    return IndexOrder.DESTINATION_FIRST
                if letters == [node.var, receiving]:
                    return IndexOrder.SOURCE_FIRST
    return None


def _input_layer(profile: Notation, equation: Equation) -> int | None:
    """``a^{(1)} = x`` numbers the input layer 1, ``a^0 = x`` 0."""
    lhs = equation.sides[0]
    if len(equation.sides) != 2 or not isinstance(lhs, Sym) or _kind(profile, lhs) != "a" or lhs.sup is None:
        return None
    rhs = equation.sides[1]
    layer = lhs.sup.strip("{}()[] ")
    if isinstance(rhs, Sym) and rhs.name == "x" and layer.isdigit():
        return int(layer)
    return None


def _weights_by_source(profile: Notation, equation: Equation) -> bool | None:
    """Whether the forward definition ``equation`` numbers its weights by the layer they leave: True for
    z^{(l+1)} = W^{(l)} a^{(l)} + b^{(l)}, False for z^l = W^l a^{l-1} + b^l, None where it is neither."""
    lhs = equation.sides[0]
    if len(equation.sides) != 2 or not isinstance(lhs, Sym) or _kind(profile, lhs) != "z" or lhs.sup is None:
        return None
    weights = (profile.weight_letter, profile.weight_matrix_letter, *profile.typed_weight_letters)
    for node in nodes(equation.sides[1]):
        if not (isinstance(node, Bin) and node.op == "*"):
            continue
        factors = [factor.arg if isinstance(factor, Transpose) else factor for factor in (node.left, node.right)]
        weight = next((f for f in factors if isinstance(f, Sym) and f.name in weights and f.sup), None)
        value = next((f for f in factors if isinstance(f, Sym) and _kind(profile, f) in ("a", "x")), None)
        if weight is None or value is None or value.sup is None:
            continue
        layer, source = (_layer_text(symbol.sup) for symbol in (weight, value))
        if layer == _layer_text(lhs.sup) != source:
            return False
        if layer == source != _layer_text(lhs.sup):
            return True
    return None


def _layer_text(script: str) -> str:
    return script.strip("{}()[] ").replace(" ", "")


def _course_notation(profile: Notation, numbered: list[tuple[int, Equation]]) -> tuple[int, str] | None:
    """The first dW^{[l]}, dz^{[l]}, … or g^{[l]}(z^{[l]}), with its layer in [ ]: the notation of the
    deep-learning courses, which number the layers from the input a^{[0]} = x and stack a batch's samples
    as columns (Higham's, the other one with [ ], writes neither)."""
    if profile.layer_offset != 1:
        return None
    for number, equation in numbered:
        for node in _all(equation):
            if isinstance(node, Partial) and node.written and _bracketed(node.wrt.sup):
                return number, f"{node.written}^{{{node.wrt.sup.strip('{}')}}}"
            if isinstance(node, Func) and _bracketed(node.layer):
                return number, f"{node.name}^{{{node.layer.strip('{}')}}}"
    return None


def _bracketed(script: str | None) -> bool:
    return (script or "").strip("{} ").startswith("[")


def _negative_delta(profile: Notation, equation: Equation) -> bool:
    """``δ_j = −∂E/∂z_j``: the text's δ is minus the gradient (the generalised delta rule)."""
    lhs = equation.sides[0]
    if not (isinstance(lhs, Sym) and lhs.name == "delta") or len(equation.sides) < 2:
        return False
    rhs = equation.sides[1]
    return isinstance(rhs, Neg) and isinstance(rhs.arg, Partial) and _kind(profile, rhs.arg.wrt) == "z"


def _letters(numbered: list[tuple[int, Equation]]) -> tuple[str | None, str | None, list[str]]:
    """The activation's and the cost's letters as first written, with the equations they come from."""
    activation = cost = None
    reasons = []
    for number, equation in numbered:
        for node in _all(equation):
            if activation is None and isinstance(node, Func) and node.name in _ACTIVATIONS:
                activation = _ACTIVATIONS[node.name]
                reasons.append(f"activation {activation} (equation {number})")
            if cost is None and isinstance(node, Partial):
                cost = node.cost
                reasons.append(f"cost {cost} (equation {number})")
    return activation, cost, reasons


def _numbered_from_one(profile: Notation, numbered: list[tuple[int, Equation]], depth: int) -> int | None:
    """The equation that numbers the input layer 1 by naming layer ``depth`` + 1 (the output of a network
    of ``depth`` layers, counted from 1) where the profile counts from 0; None when no layer number says so
    or one names layer 0."""
    if profile.layer_offset != 0:
        return None
    found = None
    for number, equation in numbered:
        for symbol in _symbols(equation):
            layer = (symbol.sup or "").strip("{}()[] ")
            if _kind(profile, symbol) not in ("a", "z", "delta") or not layer.isdigit():
                continue
            if int(layer) == 0 or int(layer) > depth + 1:
                return None
            if int(layer) == depth + 1 and found is None:
                found = number
    return found


def infer(equations: Sequence[Equation], depth: int | None = None) -> Inferred:
    """The profile and conventions of a text whose equations (those that could be parsed) are ``equations``;
    ``depth``, the number of weight layers of the network checked against, lets a layer number the network
    has only when counted from 1 (δ^{(3)} of a 2-3-2 network) say that the input is layer 1."""
    numbered = _ordered(equations)
    name, why = _profile(numbered)
    profile = PROFILES[name]
    reasons = [why]
    conventions, offset = profile.conventions, None
    vectors = order = by_source = None
    for number, equation in numbered:
        seen = _orientation(profile, equation)
        if seen and vectors is None:
            vectors = seen[0], number
        if seen and seen[1] is not None and order is None and _is_definition(equation):
            order = seen[1], number
        found = _sum_order(profile, equation) if _is_definition(equation) else None
        if found is not None and order is None:
            order = found, number
        if _negative_delta(profile, equation) and conventions.delta is DeltaSign.GRADIENT:
            conventions = replace(conventions, delta=DeltaSign.NEGATIVE)
            reasons.append(f"δ = −∂E/∂z (equation {number})")
        layer = _input_layer(profile, equation)
        if layer is not None and offset is None:
            offset = layer
            reasons.append(f"input is layer {layer} (equation {number})")
        numbering = _weights_by_source(profile, equation)
        if numbering is not None and by_source is None:
            by_source = numbering, number
    course = _course_notation(profile, numbered)
    if course is not None:
        conventions = replace(conventions, samples=Samples.COLUMNS)
        reasons.append(f"one column per sample in a batch matrix (equation {course[0]}: {course[1]} is a "
                       "deep-learning course's notation, which stacks the samples as columns)")
    if course is not None and offset is None:
        offset = 0
        reasons.append(f"input is layer 0 (equation {course[0]}: {course[1]}; those courses number the input "
                       "[0])")
    counted = _numbered_from_one(profile, numbered, depth) if offset is None and depth else None
    if counted is not None:
        offset = 1
        reasons.append(f"input is layer 1 (equation {counted} names layer {depth + 1}, the output counted from 1)")
    if vectors is not None and vectors[0] is not conventions.vectors:
        conventions = replace(conventions, vectors=vectors[0])
        reasons.append(f"{vectors[0].value} vectors (the products of equation {vectors[1]})")
    if order is not None and order[0] is not conventions.index_order:
        conventions = replace(conventions, index_order=order[0])
        reasons.append(f"{order[0].value} weights (equation {order[1]})")
    source_first_numbers = profile.weight_offset == profile.layer_offset - 1
    if by_source is not None and by_source[0] != source_first_numbers:
        reasons.append(f"weights numbered by the layer they {'leave' if by_source[0] else 'enter'} "
                       f"(equation {by_source[1]})")
    activation, cost, letters = _letters(numbered)
    inferred = Inferred(name, conventions, offset, activation, cost, tuple(reasons + letters),
                        weights_by_source=by_source[0] if by_source else None)
    if depth and lettering.layerless(inferred.notation(), (equation for _, equation in numbered)):
        inferred = _with_letters(inferred, numbered, depth)
    return inferred


def _with_letters(inferred: Inferred, numbered: list[tuple[int, Equation]], depth: int) -> Inferred:
    """The letters the definitions settle (their own evidence and weights), the weight letters they bind to
    one layer, and the reasons, with the equation each came from."""
    profile = inferred.notation()
    settled: dict[str, int] = {}
    reasons: list[str] = []
    solved = []
    for number, equation in numbered:
        if not _is_definition(equation):
            continue
        facts = lettering.facts(profile, equation, depth)
        layers = lettering.solve(facts, depth, settled)
        solved.append((facts, layers))
        for letter, layer in layers.found.items():
            source = layers.why[letter].partition(":")[0]
            if letter not in settled and source in (lettering.Source.EVIDENCE.value, lettering.Source.WEIGHT.value):
                settled[letter] = layer
                reasons.append(lettering.describe(letter, layer, depth, layers.why[letter], f"equation {number}"))
    equations = [equation for _, equation in numbered]
    bound = lettering.weight_bindings(solved) or lettering.second_letters(profile, equations, depth)
    offset = profile.weight_offset
    reasons += [f"{letter}: the weights into the {lettering.role(layer, depth)} layer (the definitions)"
                for letter, layer in bound.items()]
    roles = {letter: lettering.role(layer, depth) for letter, layer in settled.items()}
    return replace(inferred, reasons=inferred.reasons + tuple(reasons), letter_roles=roles,
                   weight_letters={letter: layer + offset for letter, layer in bound.items()},
                   unread_names=_open_roles(inferred.profile, numbered))


@dataclass(frozen=True)
class Reading:
    """How one equation's index letters are read: the notation, the note that says so, and where the letters
    fit several layers, the notation under each (a verdict the same under all of them holds for every layer)."""

    notation: Notation
    note: str | None = None
    alternatives: tuple[tuple[Notation, str], ...] = ()


def equation_notation(profile: Notation, text: str, depth: int) -> Reading:
    """The notation one equation is read in: where the index letters are inferred, the layers its own
    symbols give its letters (t_j: j is the output layer), the text's definitions and the usual i, j, k
    after them; with a note naming the letters the definitions did not settle."""
    if not profile.infers_letters:
        return Reading(profile)
    try:
        equation = parse_equation(text, "")
    except EquationError:
        return Reading(profile)
    known = {letter: _core(role, depth) for letter, role in profile.index_letters.items()}
    layers = lettering.solve(lettering.facts(profile, equation, depth), depth, known)
    notation = replace(profile, index_letters=lettering.roles(layers, depth), unread_letters=layers.unread)
    told = lettering.summary({letter: layer for letter, layer in layers.found.items()
                              if layers.why[letter] != lettering.Source.DOCUMENT.value}, layers.why, depth)
    alternatives = tuple(
        (replace(profile, index_letters=lettering.roles(lettering.Layers({**layers.found, **option}, {}, {}), depth)),
         ", ".join(f"{letter} the {lettering.role(layer, depth)} layer" for letter, layer in option.items()))
        for option in layers.options)
    return Reading(notation, f"index letters: {told}" if told else None, alternatives)


def _core(role: str, depth: int) -> int:
    return {"input": 0, "output": depth}.get(role, 1)


def infer_notation(equations: Sequence[Equation], depth: int | None = None) -> Notation:
    """The notation :func:`infer` finds, ready for the checker."""
    return infer(equations, depth).notation()


def mentions_weights(equation: Equation) -> bool:
    """Whether the index order can change what the equation says: it names a weight or a weight matrix."""
    return any(symbol.name in ("w", "W", "theta", "Theta") for symbol in _symbols(equation))


def other_readings(profile: Notation, weights: bool = True, shapes: bool = True) -> list[tuple[Notation, str]]:
    """The profile under the other index order (where the equation names ``weights``) and under the other
    vectors (where it failed on its ``shapes``: a product of rows read as columns never fits), each with
    the sentence a verdict adds when an equation incorrect in ``profile`` holds under that reading."""
    conventions = profile.conventions
    order = IndexOrder.DESTINATION_FIRST if conventions.source_first else IndexOrder.SOURCE_FIRST
    vectors = Vectors.COLUMN if conventions.rows else Vectors.ROW
    mine = f"{profile.title}'s" if profile.name != "source-first" else "the source-first"
    if order is IndexOrder.SOURCE_FIRST:
        order_text = (f"correct if w_{{ij}} runs from i to j (the source-first index order); incorrect in {mine} "
                      "order, where the first index is the destination")
    else:
        order_text = (f"correct if the first index of w is the destination (w_{{jk}} from k to j, the "
                      f"destination-first index order); incorrect in {mine} order, where w_{{ij}} runs from i to j")
    vectors_text = (f"correct with {vectors.value} vectors; incorrect with the {conventions.vectors.value} vectors "
                    f"of this reading ({profile.name})")
    readings = [(profile.with_conventions(replace(conventions, index_order=order)), order_text)] if weights else []
    if shapes:
        readings.append((profile.with_conventions(replace(conventions, vectors=vectors)), vectors_text))
    return readings


def inferred_order(profile: Notation) -> tuple[Notation, str] | None:
    """Where the index order was inferred against the named profile's (a definition read source-first):
    the profile in the other order, and the note a correct equation adds when it fails in that order."""
    base = PROFILES[profile.name].conventions.index_order
    if profile.conventions.index_order is base:
        return None
    source = next((reason for reason in profile.reasons if "weights (equation" in reason), "")
    where = source[source.index("(equation") + 1:-1] if source else "the text"
    title = PROFILES[profile.name].title
    if profile.conventions.source_first:
        note = f"correct if w_{{ij}} runs from i to j, as {where} defines; incorrect in {title}'s order"
    else:
        note = (f"correct if the first index of w is the destination, as {where} defines; incorrect in the "
                "source-first order")
    return profile.with_conventions(replace(profile.conventions, index_order=base)), note
