"""Check equations about convolutional networks, written with the layer's own indices.

Claims about δ^l_{c,i,j}, ∂C/∂b^l_c and ∂C/∂w^l_{c,d,p,q} (every index from 0, as
:mod:`symbackprop.conv.model` numbers them; layer 0 is the input x) are read by the checker's
parser, then evaluated at random points of the network in 30-digit arithmetic beside the truth:
the chain rule applied to the layers' own definitions (cross-correlation with zero padding,
window max or mean, dense layers on the flattened image), never the derived forms being checked.
Inside a sum, an entry outside its array is zero (the zero padding, or a term that does not exist);
a sum without bounds runs over every value its index takes where it stands alone.

A wrong side is diagnosed by the values it matches: the truth times a constant (a sign, a
factor), the error pushed back through the kernel unflipped (a correlation where the backward
pass is a convolution), the kernel offset flipped in ∂C/∂w, the factor σ'(z) left out; a weight
gradient with position indices left unbound is missing its sum over positions (weight sharing).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import sympy as sp

from ..conv.model import ConvModel
from ..conv.spec import Conv2d, ConvSpec, Pool2d
from ..errors import EquationError
from ..notation import Notation
from ..registry import Z
from .parser import Bin, Func, Neg, Node, Num, Partial, Power, Sum, Sym, parse_equation
from .report import CheckReport, Failure, Result
from .source import Snippet, snippets_from_equation

DIGITS = 30
POINTS = 3
#: The checker builds the network's values in SymPy: beyond this many neurons it asks for a smaller spec.
MAX_UNITS = 4000
#: The instances of a left side checked per layer at most (spread evenly over its entries).
MAX_INSTANCES = 48
ACTIVATION_LETTERS = {"sigma", "g", "f", "h", "phi", "varphi"}
_FLOOR = re.compile(r"\\lfloor\s*([^{}]+?)\s*/\s*(\d+)\s*\\rfloor|⌊([^⌊⌋]+?)/(\d+)⌋")
_INDEX_TERM = re.compile(r"\s*([+-]?)\s*(\d*)\s*(?:\\cdot|\*)?\s*([A-Za-z]?)\s*")


class _OutsideError(Exception):
    """An entry outside its array: zero inside a sum, an error elsewhere."""


# -- the truth at one point ---------------------------------------------------------------------
@dataclass
class Point:
    """Every node value of the network at one random point, with the true δ and gradient."""

    values: dict[sp.Symbol, sp.Float] = field(default_factory=dict)
    delta: dict[sp.Symbol, sp.Float] = field(default_factory=dict)
    gradient: dict[sp.Symbol, sp.Float] = field(default_factory=dict)


def _number(expr: sp.Expr) -> sp.Float:
    return sp.Float(sp.N(expr, DIGITS), DIGITS)


def random_point(model: ConvModel, rng: random.Random) -> Point:
    """Random inputs, targets and parameters; the forward pass; then the chain rule, layer by layer."""
    point = Point()
    values = point.values
    for symbol in (*model.inputs, *(model.symbol(parameter) for parameter in model.parameters)):
        values[symbol] = sp.Float(rng.uniform(-1, 1), DIGITS)
    targets = [sp.Float(rng.uniform(0.1, 1), DIGITS) for _ in model.targets]
    scale = sp.Add(*targets) if model.spec.cost.name == "cross_entropy" else 1  # softmax targets sum to one
    for symbol, value in zip(model.targets, targets, strict=True):
        values[symbol] = _number(value / scale)
    for layer in range(1, model.L + 1):
        for index in model.units(layer):
            if not model.is_pool(layer):
                values[model.z(layer, index)] = _number(model.z_definition(layer, index).xreplace(values))
        for index in model.units(layer):
            values[model.a(layer, index)] = _number(model.a_definition(layer, index).xreplace(values))
    _backward(model, point)
    return point


def _backward(model: ConvModel, point: Point) -> None:
    values = point.values
    cost = model.cost_in_outputs()
    error = {model.a(model.L, index): _number(sp.diff(cost, model.a(model.L, index)).xreplace(values))
             for index in model.units(model.L)}
    parameters = {model.symbol(parameter) for parameter in model.parameters}
    for layer in range(model.L, 0, -1):
        for index in model.units(layer):
            point.delta[model.delta(layer, index)] = _delta(model, layer, index, error, values)
        error = {model.a(layer - 1, index): sp.Float(0, DIGITS) for index in model.units(layer - 1)}
        for index in model.units(layer):
            delta = point.delta[model.delta(layer, index)]
            local = (model.a_definition(layer, index) if model.is_pool(layer)
                     else model.z_definition(layer, index))
            for symbol in local.free_symbols:
                slope = _number(sp.diff(local, symbol).xreplace(values))
                if symbol in error:
                    error[symbol] += delta * slope
                elif symbol in parameters:
                    point.gradient[symbol] = point.gradient.get(symbol, sp.Float(0, DIGITS)) + delta * slope


def _delta(model: ConvModel, layer: int, index: tuple[int, ...], error: dict, values: dict) -> sp.Float:
    """∂C/∂z^l at ``index`` from ∂C/∂a^l (for a pooling layer, whose z is its a: ∂C/∂a^l itself)."""
    if model.is_pool(layer):
        return error[model.a(layer, index)]
    z = model.z(layer, index)
    outputs = model.units(layer) if not model.spec.layer(layer).activation.elementwise else [index]
    return sum((error[model.a(layer, other)] * _number(sp.diff(model.a_definition(layer, other), z).xreplace(values))
                for other in outputs), sp.Float(0, DIGITS))


# -- reading indices --------------------------------------------------------------------------
def index_value(text: str, env: dict[str, int], place: str) -> int:
    """``2i+p-1``, ``u-p``, ``L``, ``\\lfloor u/2 \\rfloor``: a whole-number combination of bound letters and
    floors of their quotients (an average-pooling window's position)."""
    text = text.strip().strip("{}").replace("−", "-").replace("–", "-")
    floor = _FLOOR.search(text)
    while floor is not None:
        inner, divisor = (floor.group(1), floor.group(2)) if floor.group(1) else (floor.group(3), floor.group(4))
        value = index_value(inner, env, place) // int(divisor)
        text = f"{text[:floor.start()]}{value:+d}{text[floor.end():]}".lstrip("+")
        floor = _FLOOR.search(text)
    position, total = 0, 0
    while position < len(text):
        match = _INDEX_TERM.match(text, position)
        sign, digits, letter = match.groups()
        if match.end() == position or not (digits or letter):
            raise EquationError(f"cannot read the index '{text}': expected sums of numbers and letters such as "
                                "i+p or 2i-1", place)
        position = match.end()
        factor = int(digits) if digits else 1
        if letter:
            if letter not in env:
                raise EquationError(f"index '{letter}' in '{text}' is not bound: it is neither on the left side "
                                    "nor a summation index", place)
            factor *= env[letter]
        total += -factor if sign == "-" else factor
    return total


def split_indices(text: str | None) -> list[str]:
    """``c,i,j`` or ``cij`` (single letters or digits) into its indices."""
    if text is None:
        return []
    text = text.strip().strip("{}")
    if "," in text:
        return [part.strip() for part in text.split(",")]
    return list(text.replace(" ", "")) if re.fullmatch(r"[A-Za-z0-9 ]+", text) else [text]


def letters(text: str | None) -> set[str]:
    return set(re.findall(r"(?<![\\A-Za-z])[A-Za-z](?![A-Za-z])", text or ""))


# -- the evaluator ----------------------------------------------------------------------------
@dataclass
class ConvEvaluator:
    """Values of the parsed right side at one point of the network, for one binding of its letters."""

    model: ConvModel
    point: Point
    place: str
    depth: int = 0  # how many sums enclose the node being evaluated

    def shape(self, name: str, layer: int | None) -> tuple[int, ...]:
        model = self.model
        if name in ("delta", "a", "z", "x"):
            return model.shapes[0 if name == "x" else layer]
        if name == "y":
            return model.shapes[-1]
        spec_layer = model.spec.layer(layer)
        if name == "b":
            return (spec_layer.channels if isinstance(spec_layer, Conv2d) else model.shapes[layer][0],)
        if isinstance(spec_layer, Conv2d):
            return (spec_layer.channels, model.shapes[layer - 1][0], *spec_layer.kernel)
        previous = model.shapes[layer - 1]
        return (model.shapes[layer][0], int(sp.prod(previous)))

    def layer_of(self, symbol: Sym, env: dict[str, int]) -> int | None:
        if symbol.name in ("x", "y"):
            return None
        if symbol.sup is None:
            raise EquationError(f"'{symbol.latex()}' needs its layer as a superscript", self.place)
        sup = symbol.sup.strip().strip("{}()[]")
        layer = index_value(sup, {**env, "L": self.model.L}, self.place)
        if not 0 <= layer <= self.model.L or (symbol.name in ("w", "b", "z", "delta") and layer == 0):
            raise _OutsideError(f"layer {layer}")
        if symbol.name in ("w", "b") and self.model.is_pool(layer):
            raise _OutsideError(f"layer {layer} pools: it has no weights")
        return layer

    def entry(self, symbol: Sym, env: dict[str, int]) -> tuple[str, int | None, tuple[int, ...]]:
        if symbol.name not in ("delta", "a", "z", "x", "y", "w", "b"):
            raise EquationError(f"unknown symbol '{symbol.latex()}' in an equation about a convolutional network",
                                self.place)
        layer = self.layer_of(symbol, env)
        shape = self.shape(symbol.name, layer)
        parts = split_indices(symbol.sub)
        if len(parts) != len(shape):
            raise _OutsideError(f"'{symbol.latex()}' has {len(parts)} indices where layer {layer} has {len(shape)}")
        index = tuple(index_value(part, env, self.place) for part in parts)
        if not all(0 <= value < size for value, size in zip(index, shape, strict=True)):
            raise _OutsideError(f"'{symbol.latex()}' at {index} lies outside its array of shape {shape}")
        return symbol.name, layer, index

    def symbol(self, node: Sym, env: dict[str, int]) -> sp.Float:
        name, layer, index = self.entry(node, env)
        model, point = self.model, self.point
        if name == "delta":
            return point.delta[model.delta(layer, index)]
        if name in ("w", "b"):
            return point.values[model.w(layer, index) if name == "w" else model.b(layer, index[0])]
        lookup = {"a": lambda: model.a(layer, index), "z": lambda: model.z(layer, index),
                  "x": lambda: model.x(index), "y": lambda: model.y(index[0])}
        return point.values[lookup[name]()]

    def function(self, node: Func, env: dict[str, int]) -> sp.Float:
        argument = self.value(node.arg, env)
        if node.name in ("exp", "log", "tanh"):
            if node.prime:
                raise EquationError(f"write the derivative of {node.name} out", self.place)
            return _number({"exp": sp.exp, "log": sp.log, "tanh": sp.tanh}[node.name](argument))
        if node.name not in ACTIVATION_LETTERS or not isinstance(node.arg, Sym) or node.arg.name not in ("z", "a"):
            raise EquationError(f"{node.name}(...) of an expression: write the activation of one layer's z, as "
                                r"\sigma'(z^{l}_{c,i,j})", self.place)
        layer = self.layer_of(node.arg, env)
        spec_layer = self.model.spec.layer(layer)
        if isinstance(spec_layer, Pool2d) or not spec_layer.activation.elementwise:
            raise _OutsideError(f"layer {layer} has no elementwise activation for {node.name}")
        expr = spec_layer.activation.expr
        return _number((sp.diff(expr, Z) if node.prime else expr).xreplace({Z: argument}))

    def sum(self, node: Sum, env: dict[str, int]) -> sp.Float:
        if node.upper is not None:
            raise EquationError(f"write the sum over {node.var} without bounds: it runs over every value the index "
                                "takes where it stands alone (entries outside an array are zero)", self.place)
        names = [name.strip() for name in node.var.split(",")]
        for name in names:
            if name in env or not re.fullmatch(r"[A-Za-z]", name):
                raise EquationError(f"summation index '{name}' must be a fresh letter", self.place)
        ranges = [self.sum_range(name, node.body, env) for name in names]
        total = sp.Float(0, DIGITS)
        self.depth += 1
        try:
            for values in itertools.product(*ranges):
                try:
                    total += self.value(node.body, {**env, **dict(zip(names, values, strict=True))})
                except _OutsideError:
                    continue
        finally:
            self.depth -= 1
        return total

    def sum_range(self, name: str, body: Node, env: dict[str, int]) -> range:
        """The values of ``name`` where it stands alone as an index; none at this instance when the
        symbol it indexes has another number of indices here (the right side is about other layers)."""
        mismatch = None
        for symbol in _symbols(body):
            parts = [part.strip("{} ") for part in split_indices(symbol.sub)]
            if name not in parts:
                continue
            layer = self.layer_of(symbol, env)
            shape = self.shape(symbol.name, layer)
            if len(shape) == len(parts):
                return range(shape[parts.index(name)])
            mismatch = f"'{symbol.latex()}' has {len(parts)} indices where layer {layer} has {len(shape)}"
        if mismatch:
            raise _OutsideError(mismatch)
        raise EquationError(f"cannot tell the range of '{name}': use it alone as an index in the sum", self.place)

    def value(self, node: Node, env: dict[str, int]) -> sp.Float:  # noqa: C901 - one case per node kind
        if isinstance(node, Num):
            fraction = Fraction(node.text)
            return sp.Float(sp.Rational(fraction.numerator, fraction.denominator), DIGITS)
        if isinstance(node, Sym):
            return self.symbol(node, env)
        if isinstance(node, Func):
            return self.function(node, env)
        if isinstance(node, Neg):
            return -self.value(node.arg, env)
        if isinstance(node, Power):
            return self.value(node.arg, env) ** node.exponent
        if isinstance(node, Sum):
            return self.sum(node, env)
        if isinstance(node, Partial) and node.wrt.name == "z":
            return self.symbol(Sym(node.wrt.column, "delta", node.wrt.sup, node.wrt.sub), env)
        if isinstance(node, Bin):
            left, right = self.value(node.left, env), self.value(node.right, env)
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op in ("*", "hadamard"):
                return left * right
            return left / right
        raise EquationError(f"'{type(node).__name__}' is not understood in an equation about a convolutional "
                            "network (write it entry by entry, with the layer's indices)", self.place)


def _symbols(node: Node) -> Iterator[Sym]:
    if isinstance(node, Sym):
        yield node
        return
    if isinstance(node, Partial):
        yield node.wrt
    for child in vars(node).values():
        if isinstance(child, Node):
            yield from _symbols(child)


# -- left sides and their instances -------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """What the left side is: δ, ∂C/∂b or ∂C/∂w, written as the symbol ``symbol``."""

    kind: str
    symbol: Sym


def target_of(lhs: Node, place: str) -> Target:
    if isinstance(lhs, Sym) and lhs.name == "delta":
        return Target("delta", lhs)
    if isinstance(lhs, Partial) and lhs.wrt.name in ("w", "b", "z"):
        return Target("delta" if lhs.wrt.name == "z" else lhs.wrt.name,
                      Sym(lhs.wrt.column, "delta", lhs.wrt.sup, lhs.wrt.sub) if lhs.wrt.name == "z" else lhs.wrt)
    raise EquationError(r"the left side must be an error \delta^{l}_{c,i,j}, \partial C/\partial b^{l}_{c} or "
                        r"\partial C/\partial w^{l}_{c,d,p,q} (the claims of convolutional networks the checker reads)",
                        place)


def _lhs_letters(target: Target) -> list[str]:
    found = [part for part in split_indices(target.symbol.sub) if re.fullmatch(r"[A-Za-z]", part)]
    layer = [letter for letter in letters(target.symbol.sup) if letter != "L"]
    return layer + [letter for letter in found if letter not in layer]


def instances(evaluator: ConvEvaluator, target: Target) -> list[dict[str, int]]:
    """Every binding of the left side's letters that names an entry of the network (evenly thinned per layer)."""
    names = _lhs_letters(target)
    layer_names = [name for name in names if name in letters(target.symbol.sup)]
    found: list[dict[str, int]] = []
    for layer in range(1, evaluator.model.L + 1) if layer_names else [None]:
        env = {layer_names[0]: layer} if layer_names else {}
        try:
            current = evaluator.layer_of(target.symbol, env)
            shape = evaluator.shape(target.kind if target.kind != "delta" else "delta", current)
        except _OutsideError:
            continue
        parts = split_indices(target.symbol.sub)
        if len(parts) != len(shape):
            continue
        per_layer = []
        free = [(position, part) for position, part in enumerate(parts) if part in names and part not in env]
        for values in itertools.product(*(range(shape[position]) for position, _ in free)):
            binding = {**env, **{part: value for (_, part), value in zip(free, values, strict=True)}}
            try:
                evaluator.entry(target.symbol, binding)
            except _OutsideError:
                continue
            per_layer.append(binding)
        step = max(1, len(per_layer) // MAX_INSTANCES)
        found += per_layer[::step][:MAX_INSTANCES]
    return found


def true_value(evaluator: ConvEvaluator, target: Target, env: dict[str, int]) -> sp.Float:
    _, layer, index = evaluator.entry(target.symbol, env)
    model, point = evaluator.model, evaluator.point
    if target.kind == "delta":
        return point.delta[model.delta(layer, index)]
    symbol = model.w(layer, index) if target.kind == "w" else model.b(layer, index[0])
    return point.gradient.get(symbol, sp.Float(0, DIGITS))


# -- diagnoses: the wrong forms a side may match ------------------------------------------------
def _unflipped(evaluator: ConvEvaluator, target: Target, env: dict[str, int]) -> sp.Float | None:
    """δ^l_{d,u,v} with the error of a conv layer l+1 pushed back unflipped: Σ w_{c,d,p,q} δ^{l+1}_{c,su+p−P,…}."""
    _, layer, (d, u, v) = evaluator.entry(target.symbol, env)
    model = evaluator.model
    if layer >= model.L or not isinstance(model.spec.layer(layer + 1), Conv2d):
        return None
    following = model.spec.layer(layer + 1)
    (kh, kw), (sh, sw), (ph, pw) = following.kernel, following.stride, following.padding
    _, height, width = model.shapes[layer + 1]
    total = sp.Float(0, DIGITS)
    for c, p, q in itertools.product(range(following.channels), range(kh), range(kw)):
        row, column = sh * u + p - ph, sw * v + q - pw
        if 0 <= row < height and 0 <= column < width:
            total += (evaluator.point.values[model.w(layer + 1, (c, d, p, q))]
                      * evaluator.point.delta[model.delta(layer + 1, (c, row, column))])
    return total if model.is_pool(layer) else total * _slope(evaluator, layer, (d, u, v))


def _slope(evaluator: ConvEvaluator, layer: int, index: tuple[int, ...]) -> sp.Float:
    expr = evaluator.model.spec.layer(layer).activation.expr
    return _number(sp.diff(expr, Z).xreplace({Z: evaluator.point.values[evaluator.model.z(layer, index)]}))


def _flipped_offset(evaluator: ConvEvaluator, target: Target, env: dict[str, int]) -> sp.Float | None:
    """∂C/∂w^l_{c,d,p,q} with the kernel offset flipped: Σ δ_{c,i,j} a^{l−1}_{d, s·i+(k−1−p)−P, …}."""
    _, layer, (c, d, p, q) = evaluator.entry(target.symbol, env)
    (kh, kw) = evaluator.model.spec.layer(layer).kernel
    return evaluator.point.gradient.get(evaluator.model.w(layer, (c, d, kh - 1 - p, kw - 1 - q)))


def _without_slope(evaluator: ConvEvaluator, target: Target, env: dict[str, int]) -> sp.Float | None:
    _, layer, index = evaluator.entry(target.symbol, env)
    if evaluator.model.is_pool(layer) or not evaluator.model.spec.layer(layer).activation.elementwise:
        return None
    slope = _slope(evaluator, layer, index)
    return evaluator.point.delta[evaluator.model.delta(layer, index)] / slope if slope != 0 else None


CANDIDATES: tuple[tuple[str, str, Callable], ...] = (
    ("delta", "a missing flip: a conv layer's error goes back through its kernel flipped, "
              r"\sum_{c,p,q} w^{l+1}_{c,d,p,q} \delta^{l+1}_{c,u-p,v-q} (a convolution, where the forward pass is a "
              "correlation)", _unflipped),
    ("w", "the kernel offset flipped: the forward pass is a cross-correlation, so the weight's gradient reads "
          r"a^{l-1}_{d,s i+p-P,s j+q-P}, not a flipped offset", _flipped_offset),
    ("delta", "a missing factor σ'(z): the error δ^l is ∂C/∂a^l times σ'(z^l)", _without_slope),
)


# -- checking ----------------------------------------------------------------------------------
class ConvCheckReport(CheckReport):
    """The report of a convolutional network: its layers and the index conventions, then the verdicts."""

    def against(self) -> str:
        spec = self.spec
        return f"{spec.shorthand()} (cost {spec.cost.label()}), a convolutional network"

    def conventions(self) -> str:
        return ("Layer 0 is the input x; every index starts at 0, as in the arrays: $\\delta^{l}_{c,i,j}$ (channel, "
                "row, column), $w^{l}_{c,d,p,q}$ (to channel c from channel d at kernel offset p, q), $b^{l}_{c}$. A "
                "conv layer is a cross-correlation with zero padding; inside a sum an entry outside its array is zero.")

    def head(self) -> list[str]:
        return [f"checking against {self.against()}.", self.conventions().replace("$", "")]


def check_conv(spec: ConvSpec, equations: Sequence[Snippet | str], notation: Notation, *,
               keep_going: bool = False) -> ConvCheckReport:
    """Check equations of a convolutional network (see the module's docstring)."""
    return ConvCheckReport(spec, notation, tuple(check_conv_equations(spec, equations, keep_going=keep_going)))


def check_conv_equations(spec: ConvSpec, equations: Sequence[Snippet | str], *, keep_going: bool = False,
                         seed: int = 0) -> list[Result]:
    """One result per right side; an unreadable equation raises, or with ``keep_going`` is NOT UNDERSTOOD."""
    model = ConvModel(spec)
    units = sum(len(model.units(layer)) for layer in range(model.L + 1))
    if units > MAX_UNITS:
        raise EquationError(f"the network has {units} neurons; equations of convolutional networks are checked on "
                            f"networks of at most {MAX_UNITS}: check them on a smaller spec with the same layers "
                            "(the formulas do not depend on the sizes)", "check")
    rng = random.Random(seed)
    points = [random_point(model, rng) for _ in range(POINTS)]
    snippets = [piece for entry in equations
                for piece in (snippets_from_equation(entry) if isinstance(entry, str) else [entry])]
    results: list[Result] = []
    for number, snippet in enumerate(snippets, start=1):
        where = {"line": snippet.line, "tag": snippet.tag, "origin": snippet.origin}
        try:
            results += [replace(result, **where) for result in _check_one(model, points, number, snippet.text)]
        except EquationError as error:
            if not keep_going:
                raise
            results.append(Result(str(number), snippet.text, False, "", unreadable=error.message, **where))
    return results


def _check_one(model: ConvModel, points: list[Point], number: int, text: str) -> list[Result]:
    place = f"equation {number}"
    equation = parse_equation(text, place)
    target = target_of(equation.sides[0], place)
    results = []
    for side, rhs in enumerate(equation.sides[1:], start=1):
        label = str(number) if len(equation.sides) == 2 else f"{number}.{side}"
        results.append(_check_side(model, points, target, rhs, label, text, place))
    return results


def _unbound(target: Target, rhs: Node) -> list[str]:
    bound = set(_lhs_letters(target)) | {"L"}
    summed: set[str] = set()
    free: set[str] = set()

    def walk(node: Node) -> None:
        if isinstance(node, Sum):
            summed.update(name.strip() for name in node.var.split(","))
        for symbol in ([node] if isinstance(node, Sym) else []):
            free.update(letters(symbol.sub) | letters(symbol.sup))
        for child in vars(node).values():
            if isinstance(child, Node):
                walk(child)
            if isinstance(child, Sym) and isinstance(node, Partial):
                walk(child)

    walk(rhs)
    return sorted(free - bound - summed)


def _check_side(model: ConvModel, points: list[Point], target: Target, rhs: Node, label: str, text: str,
                place: str) -> Result:
    unbound = _unbound(target, rhs)
    if unbound and target.kind in ("w", "b"):
        return Result(label, text, False, "", Failure(
            "every layer with these indices", r"a sum over every output position \sum_{i,j}",
            diagnoses=(f"a missing sum over positions ({', '.join(unbound)}): the kernel is shared by every position "
                       "of the layer, so its gradient adds δ·a over all of them (weight sharing)",)))
    evaluators = [ConvEvaluator(model, point, place) for point in points]
    found = instances(evaluators[0], target)
    if not found:
        raise EquationError("no layer of the spec has the left side's indices: a conv layer's δ has three "
                            "(channel, row, column), a kernel four, a bias one", place)
    checked = 0
    for env in found:
        pairs = []
        try:
            for evaluator in evaluators:
                pairs.append((true_value(evaluator, target, env), evaluator.value(rhs, env)))
        except _OutsideError:
            continue  # the right side names a layer this instance does not have (e.g. w^{l+1} after the last)
        checked += 1
        if any(abs(mine - true) > sp.Float(10, DIGITS) ** (8 - DIGITS) * (1 + abs(true)) for true, mine in pairs):
            return Result(label, text, False, "", _failure(evaluators, target, env, rhs, pairs))
    if not checked:
        raise EquationError("the right side refers to layers or entries that no instance of the left side has", place)
    return Result(label, text, True, f"verified at {POINTS} random points, {DIGITS}-digit arithmetic; "
                                     f"{checked} instance{'s' if checked > 1 else ''} of the free indices")


def _offset(stride: int, index: str, offset: str, padding: int) -> str:
    """``s·i + p − P`` as LaTeX with the layer's numbers."""
    return (f"{stride if stride > 1 else ''}{index}+{offset}" + (f"-{padding}" if padding else ""))


def true_form(model: ConvModel, kind: str, layer: int) -> str:
    """The true right side of layer ``layer``'s δ, ∂C/∂b or ∂C/∂w, with the layer's stride and padding."""
    if kind == "b":
        return rf"\sum_{{i,j}} \delta^{{{layer}}}_{{c,i,j}}"
    if kind == "w":
        spec_layer = model.spec.layer(layer)
        (sh, sw), (ph, pw) = spec_layer.stride, spec_layer.padding
        rows, columns = _offset(sh, "i", "p", ph), _offset(sw, "j", "q", pw)
        return rf"\sum_{{i,j}} \delta^{{{layer}}}_{{c,i,j}} a^{{{layer - 1}}}_{{d,{rows},{columns}}}"
    if len(model.shapes[layer]) == 1:
        return rf"\partial C/\partial z^{{{layer}}}_{{j}}"
    following = model.spec.layer(layer + 1) if layer < model.L else None
    slope = "" if model.is_pool(layer) else rf"\sigma'(z^{{{layer}}}_{{d,u,v}}) "
    if isinstance(following, Conv2d):
        (sh, sw), (ph, pw) = following.stride, following.padding
        rows, columns = _offset(sh, "i", "p", ph), _offset(sw, "j", "q", pw)
        return (slope + rf"\sum_{{c,p,q,i,j:\ {rows}=u,\ {columns}=v}} w^{{{layer + 1}}}_{{c,d,p,q}} "
                rf"\delta^{{{layer + 1}}}_{{c,i,j}}")
    return slope + rf"\partial C/\partial a^{{{layer}}}_{{d,u,v}}"


def _failure(evaluators: list[ConvEvaluator], target: Target, env: dict[str, int], rhs: Node,
             pairs: list[tuple[sp.Float, sp.Float]]) -> Failure:
    true, mine = pairs[0]
    instance = ", ".join(f"{name} = {value}" for name, value in env.items()) or "the only instance"
    _, layer, _ = evaluators[0].entry(target.symbol, env)
    return Failure(instance, true_form(evaluators[0].model, target.kind, layer),
                   values=(f"at a random point (inputs, targets and parameters uniform in (-1, 1)): left side (true) "
                           f"{sp.N(true, 8)}, right side (as written) {sp.N(mine, 8)}"),
                   diagnoses=_diagnoses(evaluators, target, env, pairs))


def _diagnoses(evaluators: list[ConvEvaluator], target: Target, env: dict[str, int],
               pairs: list[tuple[sp.Float, sp.Float]]) -> tuple[str, ...]:
    tolerance = sp.Float(10, DIGITS) ** (8 - DIGITS)
    ratios = [mine / true for true, mine in pairs if abs(true) > tolerance]
    vanishing = all(abs(mine) <= tolerance for true, mine in pairs if abs(true) <= tolerance)  # a dead relu unit
    constant = ratios and all(abs(ratio - ratios[0]) < 1e-12 * (1 + abs(ratios[0])) for ratio in ratios)
    if constant and vanishing and abs(ratios[0]) > tolerance:
        if abs(ratios[0] + 1) < 1e-12:
            return ("off by a sign",)
        return (f"off by a constant factor: the right side is {sp.nsimplify(sp.N(ratios[0], 12), rational=True)} "
                "times the true value",)
    found = []
    for kind, words, candidate in CANDIDATES:
        if kind != target.kind:
            continue
        values = [candidate(evaluator, target, env) for evaluator in evaluators]
        if all(value is not None and abs(value - mine) <= tolerance * (1 + abs(mine))
               for value, (_, mine) in zip(values, pairs, strict=True)):
            found.append(words)
    return tuple(found)
