"""Index letters that name layers: derivations written without layer scripts (δ_j, net_j, w_{ij}, v_{jk}).

Texts such as Bishop's §5.3, encyclopaedia articles and lecture handouts tell layers apart by the
index letter alone.  Which layer a letter names is read from the equation's own symbols first, then
from the document's definitions, then from the usual letters of a network with one hidden layer:

* evidence: a target t_k or an output y_k names the output layer, an input x_i the input layer,
  a handout's hidden unit h_j the hidden layer;
* a weight joins its two letters: the source's layer is one below the destination's (w_{ij} from i
  to j source-first, w_{ji} destination-first);
* the document's definitions (h_j = σ(Σ_i w_{ij} x_i + b_j)) settle letters for its other equations,
  and bind a weight letter to one weight layer where the text uses two letters (w into the hidden
  layer, v out of it);
* i, j, k as input, hidden and output units, where no weight in the equation contradicts it;
* otherwise the one assignment the equation's weights allow; where several fit, the letter is
  unread, with the reason, so the checker says NOT UNDERSTOOD rather than guessing.

Beyond one hidden layer only evidence names a layer (input or output): the letters of hidden layers
are relative and this module cannot tell which hidden layer they mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from itertools import product

from ..notation import Notation
from .parser import PATTERN, Equation, Sym

#: Kinds as the resolver reads a letter without a profile's own meaning (Nielsen's letters).
_CORE = {"a": "a", "z": "z", "delta": "delta", "b": "b", "w": "w", "theta": "w", "x": "x", "y": "y"}
#: Letters a text may use for a unit's quantities without layer scripts (any profile's).
UNIT_NAMES = {"a", "z", "delta", "o", "net", "h", "s", "y", "b", "w", "v", "u"}
#: Hidden-unit letters: the profile's letter of a hidden unit's output (a handout's h_j).
_HIDDEN_UNITS = {"handout": {"h"}}
#: The usual letters of a network with one hidden layer.
USUAL = {"i": 0, "j": 1, "k": 2}
#: Scripts above a symbol that are no layer: a power, a prime, a transpose.
_NOT_LAYER = {"T", "\\top", "\\prime", "'", "*"}


class Source(Enum):
    """Where a letter's layer comes from, for the report."""

    EVIDENCE = "evidence"
    WEIGHT = "weight"
    DOCUMENT = "document"
    USUAL = "usual"
    ONLY = "only"


@dataclass(frozen=True)
class Facts:
    """What one equation's symbols say about its letters."""

    fixed: dict[str, set[int]] = field(default_factory=dict)  # letter → layers its evidence names
    clues: dict[str, str] = field(default_factory=dict)  # letter → the symbol that names it (t_k)
    links: list[tuple[str, str]] = field(default_factory=list)  # (source, destination) of each weight
    low: dict[str, int] = field(default_factory=dict)  # letter → the lowest layer its quantities have
    weights: list[tuple[str, str, str]] = field(default_factory=list)  # (weight letter, source, destination)


@dataclass(frozen=True)
class Layers:
    """The layer (core numbering) of each index letter of one equation, why, and the letters left unread."""

    found: dict[str, int]
    why: dict[str, str]
    unread: dict[str, str]
    #: where several assignments of the unread letters fit the equation's weights: each of them (a definition
    #: net_j = Σ_k w_{kj} o_k holds for every layer j, or for none)
    options: list[dict[str, int]] = field(default_factory=list)


def layer_script(sup: str | None) -> bool:
    """Whether a superscript names a layer (not a power z_j^2, a prime or a transpose)."""
    text = (sup or "").strip("{} ")
    return bool(text) and not text.isdigit() and text not in _NOT_LAYER and text.strip("()") != PATTERN


def index_letters(sub: str | None, arity: int) -> tuple[str, ...] | None:
    """The single-letter indices of a subscript (``jk``, ``{j,k}``, ``j``), None for numbers or names."""
    text = (sub or "").strip("{}() ").replace(" ", "")
    parts = tuple(text.split(",")) if "," in text else tuple(text)
    if len(parts) != arity or not all(len(part) == 1 and part.isalpha() for part in parts):
        return None
    return parts


def kind(profile: Notation, name: str) -> str | None:
    return profile.kind_of(name) or _CORE.get(name)


def _symbols(equation: Equation) -> Iterator[Sym]:
    from .infer import nodes  # one tree walker, in :mod:`.infer`

    for side in equation.sides:
        yield from (node for node in nodes(side) if isinstance(node, Sym))


def facts(profile: Notation, equation: Equation, depth: int) -> Facts:
    """The evidence, the weights' links and the lowest layers of the letters of ``equation``."""
    found = Facts()
    hidden = _HIDDEN_UNITS.get(profile.name, set())
    for symbol in _symbols(equation):
        role = kind(profile, symbol.name)
        if role is None or layer_script(symbol.sup):
            continue
        if role == "w":
            pair = index_letters(symbol.sub, 2)
            if pair:
                source, destination = pair if profile.conventions.source_first else pair[::-1]
                found.weights.append((symbol.name, source, destination))
                if symbol.name not in profile.weight_letters:
                    found.links.append((source, destination))
            continue
        letters = index_letters(symbol.sub, 1)
        if letters is None:
            continue
        letter = letters[0]
        layer = {"y": depth, "out": depth, "x": 0}.get(role)
        if symbol.name in hidden and depth == 2:
            layer = 1
        if layer is not None:
            found.fixed.setdefault(letter, set()).add(layer)
            found.clues.setdefault(letter, symbol.latex())
        elif role in ("a", "z", "delta", "b"):
            lowest = 0 if role == "a" else 1
            found.low[letter] = max(found.low.get(letter, 0), lowest)
    return found


def _fits(facts_: Facts, found: Mapping[str, int], depth: int) -> bool:
    """Whether layers ``found`` respect the weights' links and the lowest layers, where both ends are known."""
    if any(not 0 <= layer <= depth or layer < facts_.low.get(letter, 0) for letter, layer in found.items()):
        return False
    return all(found[source] == found[destination] - 1 for source, destination in facts_.links
               if source in found and destination in found)


def _propagate(facts_: Facts, found: dict[str, int], why: dict[str, str], depth: int) -> None:
    """Fill letters a weight joins to a known one, while the layer fits."""
    changed = True
    while changed:
        changed = False
        for source, destination in facts_.links:
            for known, other, shift in ((source, destination, 1), (destination, source, -1)):
                if known in found and other not in found:
                    layer = found[known] + shift
                    if 0 <= layer <= depth and layer >= facts_.low.get(other, 0):
                        found[other], why[other] = layer, f"{Source.WEIGHT.value}:{known}"
                        changed = True


def _letters_of(facts_: Facts) -> list[str]:
    seen = list(facts_.fixed) + list(facts_.low) + [letter for link in facts_.links for letter in link]
    return list(dict.fromkeys(seen))


def solve(facts_: Facts, depth: int, known: Mapping[str, int] | None = None) -> Layers:
    """The layer of each letter ``facts_`` mention (see the module's order), ``known`` the document's."""
    found: dict[str, int] = {}
    why: dict[str, str] = {}
    unread: dict[str, str] = {}
    for letter, layers in facts_.fixed.items():
        if len(layers) == 1:
            found[letter], why[letter] = next(iter(layers)), f"{Source.EVIDENCE.value}:{facts_.clues[letter]}"
        else:
            unread[letter] = f"the index {letter} names two layers ({', '.join(map(str, sorted(layers)))})"
    if depth != 2:
        for letter in _letters_of(facts_):
            if letter not in found and letter not in unread:
                unread[letter] = (f"the index letter {letter} does not say which of the {depth - 1} hidden layers it "
                                  "names: write the layer as a superscript")
        return Layers(found, why, unread)
    _propagate(facts_, found, why, depth)
    for letter, layer in (known or {}).items():
        if letter in _letters_of(facts_) and letter not in found and letter not in unread:
            trial = {**found, letter: layer}
            if _fits(facts_, trial, depth):
                found[letter], why[letter] = layer, Source.DOCUMENT.value
                _propagate(facts_, found, why, depth)
    rest = [letter for letter in _letters_of(facts_) if letter not in found and letter not in unread]
    options = _assign_rest(facts_, depth, rest, found, why, unread)
    return Layers(found, why, unread, options)


def _assign_rest(facts_: Facts, depth: int, rest: list[str], found: dict[str, int], why: dict[str, str],
                 unread: dict[str, str]) -> list[dict[str, int]]:
    """The usual i, j, k where they fit; else the one assignment that fits; else the usual letters, the
    equation's weights being its mistake; else unread, with the assignments that fit (returned)."""
    if not rest:
        return []
    usual = {letter: USUAL[letter] for letter in rest if letter in USUAL}
    if len(usual) == len(rest) and _fits(facts_, {**found, **usual}, depth):
        found.update(usual)
        why.update(dict.fromkeys(usual, Source.USUAL.value))
        return []
    fitting = [dict(zip(rest, layers, strict=True)) for layers in product(range(depth + 1), repeat=len(rest))
               if _fits(facts_, {**found, **dict(zip(rest, layers, strict=True))}, depth)]
    if len(fitting) == 1:
        found.update(fitting[0])
        why.update(dict.fromkeys(rest, Source.ONLY.value))
        return []
    if not fitting and len(usual) == len(rest):
        found.update(usual)
        why.update(dict.fromkeys(usual, Source.USUAL.value))
        return []
    for letter in rest:
        options = sorted({option[letter] for option in fitting})
        unread[letter] = (f"the index letter {letter} could name layer {' or '.join(map(str, options))}: nothing in "
                          "the equation or the text's definitions says which" if options else
                          f"no layer fits the index letter {letter} with the weights of the equation")
    return fitting


def role(layer: int, depth: int) -> str:
    """The resolver's name of a core layer: input, hidden (one hidden layer only) or output."""
    return "input" if layer == 0 else "output" if layer == depth else "hidden"


def roles(layers: Layers, depth: int) -> dict[str, str]:
    return {letter: role(layer, depth) for letter, layer in layers.found.items()}


def describe(letter: str, layer: int, depth: int, why: str, where: str = "") -> str:
    """``j: the hidden layer, from equation 2 (h_{j})``: one letter's reading, for reports."""
    text = f"{letter}: the {role(layer, depth)} layer" + (f", from {where}" if where else "")
    source, _, detail = why.partition(":")
    if source == Source.EVIDENCE.value:
        return f"{text} ({detail})"
    if source == Source.WEIGHT.value:
        return f"{text} (a weight joins it to {detail})"
    if source == Source.DOCUMENT.value:
        return f"{text} (as the text's definitions say)"
    if source == Source.USUAL.value:
        return f"{text} (the usual i, j, k of a network with one hidden layer)"
    return f"{text} (the only layers the equation's weights allow)"


def summary(found: Mapping[str, int], why: Mapping[str, str], depth: int) -> str:
    """The letters' readings in one line, those with the same kind of reason together:
    ``i: the input layer, j: the hidden layer (the usual i, j, k …); k: the output layer (t_{k})``."""
    groups: dict[str, list[str]] = {}
    for letter, layer in found.items():
        text = describe(letter, layer, depth, why[letter])
        head, _, reason = text.partition(" (")
        groups.setdefault(reason, []).append(head)
    return "; ".join(", ".join(heads) + f" ({reason}" for reason, heads in groups.items())


def weight_bindings(definitions: Iterable[tuple[Facts, Layers]]) -> dict[str, int]:
    """Weight letters the definitions bind to one weight layer (core number: the destination's layer), where
    they use two or more letters (w_{ij} and v_{jk}); none where one letter serves every layer (Bishop's w)."""
    seen: dict[str, set[int]] = {}
    for facts_, layers in definitions:
        for letter, _source, destination in facts_.weights:
            if destination in layers.found:
                seen.setdefault(letter, set()).add(layers.found[destination])
    if len(seen) < 2 or any(len(found) != 1 for found in seen.values()):
        return {}
    return {letter: next(iter(found)) for letter, found in seen.items()}


#: Letters a text may square without a layer script in mind (z_j^2, o_j^2, h_j^2); the others' digits are layers.
_SQUARED = {"a", "z", "o", "h", "y"}


#: A handout's second weight letters: the weights out of the hidden layer (w_{ij} in, v_{jk} out).
_SECOND = {"handout": ("v", "u")}


def second_letters(profile: Notation, equations: Iterable[Equation], depth: int) -> dict[str, int]:
    """Where the profile names the weights out of the hidden layer by a second letter (a handout's v_{jk}) and a
    text with one hidden layer uses it: that letter bound to weight layer 2, and w to weight layer 1."""
    second = _SECOND.get(profile.name, ())
    used = {symbol.name for equation in equations for symbol in _symbols(equation)
            if index_letters(symbol.sub, 2) is not None}
    letters = [letter for letter in second if letter in used]
    if depth != 2 or len(letters) != 1:
        return {}
    return {letters[0]: 2, "w": 1}


def layerless(profile: Notation, equations: Iterable[Equation]) -> bool:
    """Whether a text tells layers by index letters only: some unit quantity has a letter subscript and no
    superscript, none has a layer superscript (δ^2_j, w^1_{jk}, a^{(l)}), and a digit above a, z, o, h or y
    is a power only beside such unscripted quantities (1 − z_j^2 next to w_{kj} δ_k)."""
    bare = False
    for equation in equations:
        for symbol in _symbols(equation):
            if symbol.name not in UNIT_NAMES:
                continue
            text = (symbol.sup or "").strip("{} ")
            if layer_script(symbol.sup) or text.isdigit() and symbol.name not in _SQUARED:
                return False
            lettered = index_letters(symbol.sub, 1) is not None or index_letters(symbol.sub, 2) is not None
            bare = bare or lettered and (not text or text.strip("()") == PATTERN)
    return bare
