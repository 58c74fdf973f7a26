"""How one equation was read, stage by stage, for ``check --explain``.

The checker's verdict rests on a chain of readings: the snippet found in the source (its place,
tag and qualifier, the furniture taken off), the mathematical tree the parser built (products,
sums, scripts, functions as nodes), the claim that tree makes, and what each symbol means in the
notation (which quantity, which layer, which indices). :func:`reading` retraces that chain for
one equation and returns it as lines, so that a person who disagrees with a verdict can see where
the reading and their intent part.
"""

from __future__ import annotations

from dataclasses import fields

from ..errors import EquationError
from ..notation import Notation
from .batch import batch_for, is_batch, ng_gradient
from .claims import Kind, classify, symbols
from .lhs import cost_of, instances, target_of
from .parser import (
    Apply,
    Bin,
    Compare,
    Component,
    Derivative,
    Dots,
    Equation,
    Func,
    FunctionPower,
    Indicator,
    Iverson,
    Matrix,
    Nabla,
    Neg,
    Node,
    NodePartial,
    Norm,
    Num,
    Ones,
    Partial,
    Power,
    Question,
    Relation,
    Sum,
    Sym,
    Transpose,
    Unknown,
    parse_equation,
)
from .resolve import Evaluator, Resolved
from .source import Snippet
from .truth import Truth

#: Binary operators as the explanation writes them (a product is always explicit).
OPERATORS = {"+": " + ", "-": " − ", "*": " · ", "/": " / ", "hadamard": " ⊙ "}
#: Relations as the explanation writes them.
RELATIONS = {Relation.EQUIVALENT: "≡", Relation.APPROXIMATELY: "≈", Relation.MAPS_TO: "→",
             Relation.ASSIGNED_FROM: "←"}
#: What a resolved kind is, in words.
QUANTITIES = {"w": "a weight", "W": "a weight matrix", "b": "a bias", "a": "an activation",
              "z": "a weighted input", "delta": "an error δ = ∂C/∂z", "Delta": "a batch of errors",
              "x": "the input", "y": "the target", "D": "a diagonal of σ′ (or Ng's gradient accumulator)",
              "A": "a batch of activations", "Z": "a batch of weighted inputs", "X": "the batch of inputs",
              "Y": "the batch of targets", "m": "the number of samples"}


def reading(truth: Truth, profile: Notation, number: int, snippet: Snippet,
            definitions: dict[str, Node] | None = None) -> tuple[str, ...]:
    """The stages of reading equation ``number``, one line each (the last says where it stopped)."""
    lines = [_found(snippet)]
    place = f"equation {number}"
    try:
        equation = parse_equation(snippet.text, place)
    except EquationError as error:
        return (*lines, f"parsed: not read ({error.message})")
    lines.append("parsed: " + render_equation(equation))
    accumulator = ng_gradient(equation.sides[0], profile)
    batch = is_batch(equation, profile)
    evaluator = Evaluator(batch_for(truth) if batch else truth, profile, place, accumulator, definitions)
    try:
        claim = classify(equation, evaluator)
    except EquationError as error:
        return (*lines, f"claim: not named ({error.message})")
    lines.append(f"claim: {claim.kind.value}" + (f" ({claim.reason})" if claim.reason else "")
                 + ("; read over a batch of samples" if batch else ""))
    lines += [f"symbol {text}" for text in _meanings(evaluator, equation)]
    if claim.kind is Kind.GRADIENT:
        lines.append(_instances(evaluator, equation) + (", then those the qualifier keeps" if snippet.qualifier
                                                         else ""))
    return tuple(lines)


def _instances(evaluator: Evaluator, equation: Equation) -> str:
    """How many instances of a gradient's left side are checked, and over which free letters."""
    try:
        target = target_of(evaluator, equation.sides[0])
        found, free = instances(evaluator, target, "J" if evaluator.accumulator else cost_of(equation.sides[0]))
    except EquationError as error:
        return f"instances: not read ({error.message})"
    letters = sorted({letter for instance in found for letter in instance.env})
    if not free or not letters:
        return "instances: 1 (no free letter)"
    return f"instances: {len(found)}, every value the spec allows of {', '.join(letters)}"


def _found(snippet: Snippet) -> str:
    where = snippet.place or "given with --equation"
    extra = [f"qualifier '{snippet.qualifier.text}'" if snippet.qualifier else "",
             "inline" if snippet.inline else ""]
    return f"found: {where}" + "".join(f"; {part}" for part in extra if part)


def _meanings(evaluator: Evaluator, equation: Equation) -> list[str]:
    """Each distinct symbol with the quantity the notation makes of it."""
    seen: dict[str, str] = {}
    for side in equation.sides:
        for symbol in symbols(side):
            text = symbol.latex()
            if text not in seen:
                seen[text] = _meaning(evaluator, symbol)
    return [f"{text}: {meaning}" for text, meaning in seen.items()]


def _meaning(evaluator: Evaluator, symbol: Sym) -> str:
    try:
        resolved = evaluator.resolve(symbol)
    except EquationError as error:
        return f"not a network quantity here ({error.message})"
    return describe(resolved)


def describe(resolved: Resolved) -> str:
    """A resolved symbol in words: ``a weight; layer l; indices j, k``."""
    parts = [QUANTITIES.get(resolved.kind, resolved.kind)]
    if resolved.layer_text is not None:
        parts.append(f"layer {resolved.layer_text}")
    elif resolved.layer is not None:
        parts.append(f"layer {resolved.layer}")
    if resolved.indices:
        parts.append("index " + ", ".join(resolved.indices) if len(resolved.indices) == 1
                     else "indices " + ", ".join(resolved.indices))
    if resolved.derivative:
        parts.append("written as ∂C/∂z")
    return "; ".join(parts)


def render_equation(equation: Equation) -> str:
    """The tree as text with every operation explicit: products as ·, sums as Σ, relations as written."""
    text = render(equation.sides[0])
    for relation, side in zip(equation.relations, equation.sides[1:], strict=False):
        text += f" {RELATIONS.get(relation, relation.value)} {render(side)}"
    return text


def render(node: Node) -> str:
    """One node as explicit text (see :func:`render_equation`)."""
    for kinds, show in _RENDERERS:
        if isinstance(node, kinds):
            return show(node)
    inner = ", ".join(str(getattr(node, f.name)) for f in fields(node) if f.name != "column")
    return f"{type(node).__name__}({inner})"


def _bin(node: Bin) -> str:
    return f"({render(node.left)}{OPERATORS.get(node.op, f' {node.op} ')}{render(node.right)})"


def _function(node: Func | Apply) -> str:
    args = (node.arg,) if isinstance(node, Func) else node.args
    name = Sym(node.column, node.name).letter
    return f"{name}{'′' if node.prime else ''}({', '.join(render(arg) for arg in args)})"


def _sum(node: Sum) -> str:
    return f"Σ_{node.var}{'^' + node.upper if node.upper else ''} [{render(node.body)}]"


def _dots(node: Dots) -> str:
    joint = " · " if node.op == "*" else " + "
    return "(" + joint.join([*(render(item) for item in node.before), "⋯",
                             *(render(item) for item in node.after)]) + ")"


def _matrix(node: Matrix) -> str:
    return "[" + "; ".join(", ".join(render(entry) for entry in row) for row in node.rows) + "]"


_RENDERERS = (
    (Sym, lambda node: node.latex()),
    (Num, lambda node: node.text),
    (Bin, _bin),
    (Neg, lambda node: f"−{render(node.arg)}"),
    ((Func, Apply), _function),
    (Sum, _sum),
    (Partial, lambda node: f"∂{node.cost}/∂{node.wrt.latex()}"),
    (NodePartial, lambda node: f"∂{node.of.latex()}/∂{node.wrt.latex()}"),
    (Derivative, lambda node: f"∂[{render(node.expr)}]/∂{node.wrt.latex()}"),
    (Nabla, lambda node: f"∇_{node.wrt} C"),
    (Transpose, lambda node: f"({render(node.arg)})ᵀ"),
    (Power, lambda node: f"({render(node.arg)})^{node.exponent}"),
    (FunctionPower, lambda node: f"[{render(node.arg)}]^{node.exponent}"),
    (Norm, lambda node: f"‖{render(node.arg)}‖" + (f"_{node.p}" if node.p else "")),
    (Ones, lambda node: f"1_{node.size}"),
    (Indicator, lambda node: f"[{node.left} = {node.right}]"),
    (Iverson, lambda node: f"[{render(node.condition)}]"),
    (Compare, lambda node: f"{render(node.left)} {node.op} {render(node.right)}"),
    (Component, lambda node: f"({render(node.arg)})_{node.index}"),
    (Matrix, _matrix),
    (Dots, _dots),
    (Question, lambda node: "?"),
    (Unknown, lambda node: f"<unknown {node.name}>"),
)
