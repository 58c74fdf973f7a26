"""What an equation claims, from its left side: the kinds of claim a careful reader checks.

:func:`classify` names the :class:`Kind` of an equation: a gradient or an error δ (checked by
:mod:`.check` through :mod:`.lhs`), ∂C/∂a (the gradient in a layer's activations), a chain-rule
step ∂N/∂D between two network quantities, a definition of the forward pass, the cost or the
activation (CONSISTENT or INCONSISTENT with the spec, :mod:`.definitions`), the activation's
derivative, or no claim at all (an update rule, an accumulation, the definition of the symbol δ,
a question, a numerical approximation: skipped, with the reason).

For every kind but the first this module also gives the instances of the left side (every binding
of its free layer and indices the spec allows) and each one's true value, so that the right side
can be compared with it as a gradient is.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, fields, replace
from enum import Enum

import sympy as sp

from ..errors import EquationError
from .lexer import tokenize
from .parser import (
    CLAIMS,
    RELATIONS,
    Bin,
    Component,
    Equation,
    Func,
    Matrix,
    Nabla,
    Neg,
    Node,
    NodePartial,
    Num,
    Parser,
    Partial,
    Power,
    Sum,
    Sym,
    Transpose,
    children,
)
from .resolve import ALIASES, Evaluator, OutOfRangeError, Resolved

#: Letters a text uses for the cost (C_x, C_0, E_n, J keep their subscripts).
COST_LETTERS = frozenset({"C", "E", "J", "L"})
#: Function names that are mathematics, not the network's activation.
MATHEMATICAL = frozenset({"exp", "log", "tanh", "diag"})
#: Of those, the ones whose derivative a text may state by name (tanh'(z) = 1 − tanh²(z)): a fact of
#: the function, true or false whatever the spec's activation is.
DIFFERENTIABLE = frozenset({"exp", "log", "tanh"})
_FREE = re.compile(r"[a-zA-KM-Z]")
#: Relations (as the parser spells them) that join no sides to compare: ≈, and → / ← of an update.
APPROXIMATE = frozenset({"approx", "≈"})
ASSIGNING = frozenset({"->", "<-", "→", "←"})
UPDATE = "an update rule, not a claim about the gradient"
#: Letters texts give the learning rate: η (most texts), α (Ng's course).  The network has none.
LEARNING_RATES = frozenset({"eta", "alpha"})
#: Letters of a network's parameters in every notation (w, W, b; θ, Θ in Ng's).
PARAMETERS = frozenset({"w", "W", "b", "theta", "Theta"})


class Kind(Enum):
    """What the left side of an equation claims."""

    GRADIENT = "a gradient or an error δ"
    ACTIVATION_GRADIENT = "the gradient ∂C/∂a of the cost in a layer's activations"
    STEP = "a step of the chain rule, ∂N/∂D between two network quantities"
    FORWARD = "a definition of the forward pass"
    COST = "a definition of the cost"
    ACTIVATION = "a definition of the activation"
    DERIVATIVE = "the activation's derivative"
    NO_CLAIM = "no claim about the network"

    @property
    def definition(self) -> bool:
        """Definitions are CONSISTENT or INCONSISTENT with the spec, the others CORRECT or INCORRECT."""
        return self in (Kind.FORWARD, Kind.COST, Kind.ACTIVATION)


@dataclass(frozen=True)
class Classified:
    kind: Kind
    reason: str = ""  # for NO_CLAIM: why it is skipped


# -- classification ---------------------------------------------------------------------------------
def classify(equation: Equation, evaluator: Evaluator) -> Classified:
    """The kind of claim ``equation`` makes (``evaluator`` reads its symbols in the notation)."""
    reason = no_claim(equation, evaluator)
    if reason:
        return Classified(Kind.NO_CLAIM, reason)
    return Classified(kind_of(equation.sides[0], evaluator))


def kind_of(lhs: Node, evaluator: Evaluator) -> Kind:
    """The kind of a left side; GRADIENT also for the left sides :mod:`.lhs` reads (and its errors)."""
    if isinstance(lhs, Nabla):
        return Kind.ACTIVATION_GRADIENT
    if isinstance(lhs, Partial):
        resolved = _resolved(evaluator, lhs.wrt)
        return Kind.ACTIVATION_GRADIENT if resolved is not None and resolved.kind == "a" else Kind.GRADIENT
    if isinstance(lhs, NodePartial):
        return Kind.STEP
    derivative = derivative_parts(lhs)
    if derivative is not None:  # d/dz σ(z) is the activation's derivative, ∂σ(z^l)/∂z^l a step
        return Kind.DERIVATIVE if derivative[1].bare else Kind.STEP
    function = function_parts(lhs)
    if function is not None and function[0] not in MATHEMATICAL:
        return Kind.DERIVATIVE if function[1] else Kind.ACTIVATION
    if function is not None and function[1] and function[0] in DIFFERENTIABLE:  # tanh'(z) = 1 − tanh²(z)
        return Kind.DERIVATIVE
    if isinstance(lhs, Sym):
        if is_cost(lhs):
            return Kind.COST
        resolved = _resolved(evaluator, lhs)
        if resolved is not None and resolved.kind in ("a", "z", "A", "Z"):  # A^l, Z^l: a batch's forward pass
            return Kind.FORWARD
    return Kind.GRADIENT


def function_parts(node: Node) -> tuple[str, bool, tuple[Node, ...]] | None:
    """A function applied (σ(z), σ'(z), ReLU(z), max(0, z)): its name, whether primed, its arguments."""
    if isinstance(node, Func):
        return node.name, node.prime, (node.arg,)
    args = getattr(node, "args", None)
    if isinstance(getattr(node, "name", None), str) and isinstance(args, tuple) and hasattr(node, "prime"):
        return node.name, bool(node.prime), args
    return None


def derivative_parts(node: Node) -> tuple[Node, Sym] | None:
    """An expression differentiated by a quantity (d/dz tanh z, ∂σ(z^l)/∂z^l): the expression and by what."""
    expr, wrt = getattr(node, "expr", None), getattr(node, "wrt", None)
    if isinstance(expr, Node) and isinstance(wrt, Sym):
        return expr, wrt
    return None


def is_cost(symbol: Sym) -> bool:
    """C, E, J, L (with a subscript as written: C_x, C_0, E_n), not a layered quantity."""
    return symbol.name in COST_LETTERS and symbol.sup is None


def _resolved(evaluator: Evaluator, symbol: Sym) -> Resolved | None:
    try:
        return evaluator.resolve(symbol)
    except EquationError:
        return None


def no_claim_in_form(equation: Equation) -> str:
    """Why ``equation`` claims nothing, seen from its form alone: a question ``= ?``, an approximation
    ≈, an update written with → or ← ("" when its form claims something)."""
    relations = {getattr(relation, "value", relation) for relation in getattr(equation, "relations", ())}
    if getattr(equation, "question", False):
        return "a question: no right side"
    if relations & APPROXIMATE:
        return "a numerical approximation (≈) for checking, not an equation"
    if relations & ASSIGNING:
        return UPDATE
    return ""


def no_claim(equation: Equation, evaluator: Evaluator) -> str:
    """Why ``equation`` claims nothing about the network ("" when it does)."""
    reason = no_claim_in_form(equation) or updates_parameter(equation, evaluator)
    if reason:
        return reason
    reason = numbers_only(equation, evaluator) or defines_operation(equation, evaluator) \
        or other_function(equation, evaluator)
    if reason:
        return reason
    lhs = equation.sides[0]
    if isinstance(lhs, Sym):
        if _names_new_or_old(lhs) or _reassigned(lhs, equation.sides[1:]):
            if _is_sum_onto(lhs, equation.sides[1:]):
                return "an accumulation step (an assignment), not an equation"
            return UPDATE
        if len(equation.sides) == 2 and _defines_delta(lhs, equation.sides[1], evaluator):
            return "defines the symbol δ; claims nothing about this network"
        if len(equation.sides) == 2 and _defines_diagonal(lhs, equation.sides[1], evaluator):
            return f"defines the symbol {lhs.latex()}; claims nothing about this network"
    return ""


def unread_no_claim(text: str, place: str) -> str:
    """Why an equation whose right side cannot be parsed claims nothing, from what can be read: the
    relation after its left side (→, ←: an update; ≈: an approximation), or a parameter or its change
    on the left with the learning rate among the words ("" when it may be a claim)."""
    try:
        parser = Parser(text, place)
        lhs = parser.expr()
        tokens = tokenize(text, place)
    except EquationError:
        return ""
    if not parser.at_op(*RELATIONS):
        return ""
    relation = RELATIONS[parser.token.text]
    if relation not in CLAIMS:
        return no_claim_in_form(Equation(text, (lhs, lhs), (relation,)))
    factors = _factors(lhs)
    changed = len(factors) >= 2 and isinstance(factors[0], Sym) and factors[0].name == "Delta" and factors[0].bare
    parameter = factors[int(changed)] if len(factors) > int(changed) else None
    rate = any(token.kind == "NAME" and token.text in LEARNING_RATES for token in tokens)
    if isinstance(parameter, Sym) and parameter.name in PARAMETERS and (changed or rate):
        return UPDATE
    return ""


def updates_parameter(equation: Equation, evaluator: Evaluator) -> str:
    """An update written with ``=``: the change of a parameter on the left (Δw_{ij} = η δ_j x_i,
    Δθ = −α ∂J/∂θ), or a parameter on the left and the learning rate on the right
    (w^{t+1} = w^t − η ∇C, w_{ij}(t+1) = …).  The network has no learning rate, so neither can be a
    claim about it ("" when the equation is neither)."""
    factors = _factors(equation.sides[0])
    if len(factors) >= 2 and isinstance(factors[0], Sym) and factors[0].name == "Delta" and factors[0].bare \
            and _is_parameter(evaluator, factors[1]):
        return "the change of a parameter in a training step (an update rule), not a claim about the gradient"
    if factors and _is_parameter(evaluator, factors[0]) and any(
            symbol.name in LEARNING_RATES for side in equation.sides[1:] for symbol in symbols(side)):
        return UPDATE
    return ""


def _factors(node: Node) -> list[Node]:
    """The factors of a product written by juxtaposition or ``\\cdot``, left to right."""
    if isinstance(node, Bin) and node.op == "*":
        return _factors(node.left) + _factors(node.right)
    return [node]


def _is_parameter(evaluator: Evaluator, node: Node) -> bool:
    """A weight or bias as a symbol (w^l_{jk}, W^{[l]}, b, θ_j, Θ^{(l)}), whatever its scripts say
    (an iteration t+1, ``new``) — not a gradient, not a δ."""
    if not isinstance(node, Sym) or node.name not in PARAMETERS:
        return False
    resolved = _resolved(evaluator, node)
    return resolved is None or resolved.kind in ("w", "W", "b")


def numbers_only(equation: Equation, evaluator: Evaluator) -> str:
    """Arithmetic on numbers alone (an example of ⊙ with numeric vectors): no symbol, so no claim about
    the network; the reason says whether the arithmetic holds where it can be worked out exactly."""
    if any(True for side in equation.sides for _ in symbols(side)) or not all(
            _numeric(side) for side in equation.sides):
        return ""
    reason = "arithmetic with numbers only (an example of the notation), no claim about the network"
    try:
        values = [evaluator.value(side, {}) for side in equation.sides]
    except (EquationError, ArithmeticError, ValueError, TypeError, sp.ShapeError):
        return reason
    first = values[0]
    for value in values[1:]:
        if _shape(value) != _shape(first) or not _exactly_equal(first, value):
            return reason + f"; the arithmetic does not hold ({_shown(first)} is not {_shown(value)})"
    return reason + "; the arithmetic holds"


def _numeric(node: Node) -> bool:
    """Only numbers, matrices of numbers and arithmetic on them."""
    if isinstance(node, Num):
        return True
    if isinstance(node, (Bin, Neg, Power, Transpose, Matrix)):
        return all(_numeric(child) for child in children(node))
    return False


def _shape(value) -> tuple[int, int] | None:
    return value.shape if isinstance(value, sp.MatrixBase) else None


def _exactly_equal(left, right) -> bool:
    difference = left - right
    entries = list(difference) if isinstance(difference, sp.MatrixBase) else [difference]
    return all(sp.nsimplify(entry) == 0 for entry in entries)


def _shown(value) -> str:
    if isinstance(value, sp.MatrixBase):
        rows = ["(" + ", ".join(str(entry) for entry in value.row(r)) + ")" for r in range(value.rows)]
        return "(" + ", ".join(rows) + ")" if value.cols > 1 else "(" + ", ".join(str(e) for e in value) + ")"
    return str(value)


def defines_operation(equation: Equation, evaluator: Evaluator) -> str:
    """The definition of an operation on placeholder vectors, as (u ∘ v)_i = u_i v_i: the left side
    applies an operation to letters that name nothing in the network, and the right side uses only
    those letters ("" otherwise)."""
    lhs = equation.sides[0]
    if isinstance(lhs, Sym) or not _has_operation(lhs):
        return ""
    left = {symbol.name for symbol in symbols(lhs)}
    if not left or any(_network_letter(evaluator, symbol) or is_cost(symbol)
                       for side in equation.sides for symbol in symbols(side)):
        return ""
    if not all(symbol.name in left for side in equation.sides[1:] for symbol in symbols(side)):
        return ""
    if any(not isinstance(node, (Sym, Num, Bin, Neg, Component, Matrix, Power, Transpose, Sum))
           for side in equation.sides for node in _nodes(side)):
        return ""
    names = ", ".join(sorted(left))
    return f"defines an operation for any vectors ({names}); claims nothing about this network"


def other_function(equation: Equation, evaluator: Evaluator) -> str:
    """tanh'(z) = 1 − tanh²(z) in a network without tanh units: a fact about the function, not about
    this network ("" when the function is one of the spec's activations, or the left side is no such
    derivative)."""
    function = function_parts(equation.sides[0])
    if function is None or not function[1] or function[0] not in DIFFERENTIABLE:
        return ""
    model = evaluator.model
    if any(evaluator.truth.activation(core).name == function[0] for core in range(1, model.L + 1)):
        return ""
    return f"states the derivative of {function[0]}, which this network's units do not use: no claim about it"


def _network_letter(evaluator: Evaluator, symbol: Sym) -> bool:
    """The letter names a quantity of the network in this notation (a, z, w, δ, …), scripts or not."""
    return evaluator.notation.kind_of(symbol.name) is not None or symbol.name in ALIASES


def _has_operation(node: Node) -> bool:
    return any(isinstance(item, Bin) for item in _nodes(node))


def _nodes(node: Node):
    yield node
    for child in children(node):
        yield from _nodes(child)


def _names_new_or_old(symbol: Sym) -> bool:
    scripts = " ".join(text for text in (symbol.sub, symbol.sup) if text)
    return bool(re.search(r"\b(new|old)\b", scripts))


def _same_quantity(left: Sym, right: Sym) -> bool:
    return left.name == right.name and _squash(left.sup) == _squash(right.sup) \
        and _squash(left.sub) == _squash(right.sub)


def _squash(text: str | None) -> str:
    return "".join((text or "").split()).strip("{}")


def _reassigned(lhs: Sym, sides: tuple[Node, ...]) -> bool:
    """The left side's own quantity, with the same scripts, stands in a right side: w := w − η ∂C/∂w."""
    return any(_same_quantity(lhs, symbol) for side in sides for symbol in symbols(side))


def _is_sum_onto(lhs: Sym, sides: tuple[Node, ...]) -> bool:
    """Δ := Δ + …: something added onto the quantity itself."""
    return any(isinstance(side, Bin) and side.op == "+" and isinstance(side.left, Sym)
               and _same_quantity(lhs, side.left) for side in sides)


def _defines_delta(lhs: Sym, rhs: Node, evaluator: Evaluator) -> bool:
    """δ^l_j = ∂C/∂z^l_j (or −∂E/∂z) with the same layer and index: the definition of the symbol."""
    resolved = _resolved(evaluator, lhs)
    if resolved is None or resolved.kind != "delta":
        return False
    inner = rhs.arg if isinstance(rhs, Neg) else rhs
    if not isinstance(inner, Partial):
        return False
    wrt = _resolved(evaluator, inner.wrt)
    return wrt is not None and wrt.kind == "z" and wrt.layer_text == resolved.layer_text \
        and tuple(map(_squash, wrt.indices)) == tuple(map(_squash, resolved.indices))


def _defines_diagonal(lhs: Sym, rhs: Node, evaluator: Evaluator) -> bool:
    """D^l = diag(…): the notation for the diagonal matrix of the activation's derivatives."""
    resolved = _resolved(evaluator, lhs)
    return resolved is not None and resolved.kind == "D" and not evaluator.accumulator \
        and isinstance(rhs, Func) and rhs.name == "diag"


# -- the tree --------------------------------------------------------------------------------------
def symbols(node: Node):
    """Every symbol in a tree, those inside partials included."""
    if isinstance(node, Sym):
        yield node
    for child in children(node):
        yield from symbols(child)


def substitute(node: Node, name: str, replacement: Sym) -> Node:
    """``node`` with every bare symbol ``name`` (a dummy variable, as z in σ(z)) replaced."""
    if isinstance(node, Sym):
        return replace(replacement, column=node.column) if node.bare and node.name == name else node
    changes = {}
    for item in fields(node):
        value = getattr(node, item.name)
        if isinstance(value, Node):
            changes[item.name] = substitute(value, name, replacement)
        elif isinstance(value, tuple) and any(isinstance(entry, Node) for entry in value):
            changes[item.name] = tuple(substitute(entry, name, replacement) if isinstance(entry, Node) else entry
                                       for entry in value)
    return replace(node, **changes) if changes else node


# -- instances ------------------------------------------------------------------------------------
def bindings(evaluator: Evaluator, written: list[Sym]) -> tuple[list[dict[str, int]], bool]:
    """Every binding of the free layer and indices of ``written`` the spec allows, and whether any is free."""
    resolved = [evaluator.resolve(symbol) for symbol in written]
    layer_vars = sorted({v for r in resolved for v in _FREE.findall(r.layer_text or "")})
    if len(layer_vars) > 1:
        raise evaluator.error(f"the left side has more than one layer letter ({', '.join(layer_vars)})",
                              written[0].column)
    model = evaluator.model
    layers = [{layer_vars[0]: value} for value in range(-1, model.L + 3)] if layer_vars else [{}]
    found: list[dict[str, int]] = []
    free = bool(layer_vars)
    for env in layers:
        try:
            cores = [evaluator.core_layer(r, env) for r in resolved]
        except OutOfRangeError:
            continue
        ranges: dict[str, range] = {}
        for r, core in zip(resolved, cores, strict=True):
            if r.kind in ("z", "delta") and core == 0:
                break
            for text, allowed in zip(r.indices, evaluator.ranges(r, core), strict=False):
                letter = text.strip()
                if _FREE.fullmatch(letter) and letter not in env:
                    ranges[letter] = _intersect(ranges.get(letter), allowed)
        else:
            free = free or bool(ranges)
            letters = sorted(ranges)
            for values in itertools.product(*(ranges[v] for v in letters)):
                found.append({**env, **dict(zip(letters, values, strict=True))})
    if not found:
        raise evaluator.error(f"no layer of {evaluator.truth.spec.shorthand()} fits the left side",
                              written[0].column)
    return found, free


def _intersect(known: range | None, allowed: range) -> range:
    if known is None:
        return allowed
    return range(max(known.start, allowed.start), min(known.stop, allowed.stop))


def latex(lhs: Node) -> str:
    """A left side as a label shows it: \\partial a^{l}/\\partial z^{l}, C, \\sigma(z)."""
    if isinstance(lhs, Sym):
        return lhs.latex()
    if isinstance(lhs, NodePartial):
        return rf"\partial {lhs.of.latex()}/\partial {lhs.wrt.latex()}"
    if isinstance(lhs, Partial):
        return rf"\partial {lhs.cost}/\partial {lhs.wrt.latex()}"
    if isinstance(lhs, Nabla):
        return rf"\nabla_{{{lhs.wrt}}} C"
    if isinstance(lhs, Func):
        name = rf"\{lhs.name}" if lhs.name == "sigma" else lhs.name
        return f"{name}{chr(39) if lhs.prime else ''}({latex(lhs.arg)})"
    return "the left side"


def instance_label(lhs_text: str, env: dict[str, int]) -> str:
    bound = ", ".join(f"{key}={value}" for key, value in sorted(env.items()))
    return lhs_text + (f" ({bound})" if bound else "")


# -- true values ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Written:
    """The model quantities a written symbol stands for: one entry, or a layer's vector."""

    kind: str
    core: int
    units: tuple[int, ...]
    symbols: tuple[sp.Symbol, ...]
    vector: bool


def written(evaluator: Evaluator, symbol: Sym, env: dict[str, int], kinds: tuple[str, ...]) -> Written:
    resolved = _single_weight(evaluator, evaluator.resolve(symbol), env, kinds)
    if resolved.kind not in kinds:
        raise evaluator.error(f"expected one of {', '.join(kinds)} here, found '{symbol.latex()}'", symbol.column)
    core = evaluator.core_layer(resolved, env)
    if resolved.kind == "w" and not resolved.indices and _one_by_one(evaluator, core):
        return Written("w", core, (1,), (evaluator.entry("w", core, (1, 1)),), False)
    if resolved.kind in ("z", "delta") and core == 0:
        raise evaluator.error("the input layer has no z", symbol.column, OutOfRangeError)
    if resolved.kind == "w" and not resolved.indices:
        raise evaluator.error("write one weight, w^l_{jk}", symbol.column)
    if resolved.indices:
        indices = evaluator.index_values(resolved, core, env)
        unit = indices[0] if len(indices) == 1 else 0
        return Written(resolved.kind, core, (unit,), (evaluator.entry(resolved.kind, core, indices),), False)
    units = tuple(evaluator.ranges(resolved, core)[0])
    return Written(resolved.kind, core, units, tuple(evaluator.entry(resolved.kind, core, (j,)) for j in units),
                   True)


def _single_weight(evaluator: Evaluator, resolved: Resolved, env: dict[str, int], kinds: tuple[str, ...]) -> Resolved:
    """W^l read as its one weight where layers l−1 and l have one unit each (a chain of single
    neurons written with scalars: ∂z^{(L)}/∂w^{(L)})."""
    if resolved.kind != "W" or "w" not in kinds:
        return resolved
    try:
        core = evaluator.core_layer(resolved, env)
    except OutOfRangeError:
        return resolved
    return replace(resolved, kind="w") if _one_by_one(evaluator, core) else resolved


def _one_by_one(evaluator: Evaluator, core: int) -> bool:
    sizes = evaluator.truth.spec.sizes
    return 1 <= core < len(sizes) and sizes[core] == sizes[core - 1] == 1


def step_value(evaluator: Evaluator, node: NodePartial, env: dict[str, int]):
    """The true ∂N/∂D: N written through D's layer and differentiated (a Jacobian for two vectors)."""
    truth = evaluator.truth
    top = written(evaluator, node.of, env, ("a", "z"))
    below = written(evaluator, node.wrt, env, ("a", "z", "w", "b", "x"))
    through = truth.above("a", below.core - 1) if below.kind in ("w", "b") else truth.above(below.kind, below.core)
    matrix = sp.Matrix([[sp.diff(through.get(n, n), d) for d in below.symbols] for n in top.symbols])
    return matrix if top.vector or below.vector else matrix[0, 0]


def activation_gradient_value(evaluator: Evaluator, lhs: Node, env: dict[str, int]):
    """∂C/∂a^l_j (a vector for ∂C/∂a^l and ∇_a C)."""
    truth = evaluator.truth
    if isinstance(lhs, Nabla):
        layer, units, vector = truth.model.L, tuple(truth.model.units(truth.model.L)), True
    else:
        found = written(evaluator, lhs.wrt, env, ("a",))
        if found.core == 0:
            raise evaluator.error("∂C/∂x, the gradient in the inputs, is no step of backpropagation", lhs.column,
                                  OutOfRangeError)
        layer, units, vector = found.core, found.units, found.vector
    values = [truth.activation_gradient(layer, j) for j in units]
    return sp.Matrix(values) if vector else values[0]


def forward_value(evaluator: Evaluator, lhs: Sym, env: dict[str, int]):
    """The spec's definition of a^l_j (in the z's of layer l; x at the input) or z^l_j."""
    model = evaluator.model
    found = written(evaluator, lhs, env, ("a", "z"))
    if found.kind == "a" and found.core == 0:
        values = list(found.symbols)
    else:
        define = model.z_definition if found.kind == "z" else model.a_definition
        values = [define(found.core, j) for j in found.units]
    return sp.Matrix(values) if found.vector else values[0]


def as_written(true, person):
    """The true value as it is (a gradient's shape is the left side's own)."""
    return true


def fit(true, person):
    """The true value in the shape the person wrote it: a scalar for a 1×1 matrix, a layer's vector
    as the row a row-vector text writes (z = x W + b), and an elementwise layer's diagonal Jacobian
    ∂a^l/∂z^l as the vector of its diagonal (σ'(z^l))."""
    if isinstance(true, sp.MatrixBase) and true.shape == (1, 1) and not isinstance(person, sp.MatrixBase):
        return true[0, 0]
    if isinstance(true, sp.MatrixBase) and isinstance(person, sp.MatrixBase) and true.shape[1] == 1 \
            and true.shape[0] > 1 and person.shape == (1, true.shape[0]):
        return true.T
    if isinstance(true, sp.MatrixBase) and isinstance(person, sp.MatrixBase) and true.is_square \
            and true.shape[0] > 1 and person.shape == (true.shape[0], 1) and true.is_diagonal():
        return sp.Matrix(true.diagonal()).reshape(true.shape[0], 1)
    return true
