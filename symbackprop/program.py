"""The training program of a spec as a small IR: what the code templates are fed.

:func:`build_program` turns the layer-level derivation into a :class:`Program` — the layers,
the buffers every step needs (by batch size), and every formula already printed by the
target's printer (:mod:`symbackprop.printing.numpy`): the activations, each δ^l lowered to
allocation-free ufunc calls after CSE, the row sums, the cost, and the kinks of each σ and of
the cost (their points for the docstring and ``KINKS``, their switches for ``gradient_check``).
Passes applied here, one step each: N_OUT → the output width; stable logarithms for the loss
(log-softmax from the logits, log σ(z) = −softplus(−z)).  The templates only lay this out.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field, replace

import sympy as sp

from . import __version__
from .derivation import N_OUT, E, LayerDerivation, LayerEquations
from .functions import leaky_relu, relu
from .kinks import Kinks
from .passes import LOGP, stable_cost
from .printing.numpy import PRINTERS, REDUCTIONS, NumPyCodePrinter, helper_source, lower
from .printing.text import expression_text, kinks_text
from .registry import A, Y, Z

DTYPES = ("float32", "float64")
BACKENDS = ("numpy", "cupy")
CLASSIFICATION_COSTS = ("cross_entropy", "binary_cross_entropy")


@dataclass
class LayerProgram:
    """One weight layer: forward and backward lines for the template."""

    number: int
    n_in: int
    n_out: int
    activation: str
    init: str  # "he" or "xavier"
    softmax: bool
    forward: list[str]
    forward_formula: str
    backward: list[str]  # lines computing d{l}
    delta_formula: str
    derivative_formula: str
    kinks: str  # where σ is not differentiable, in words ("z = 0"); empty when nowhere


@dataclass
class Program:
    """Everything a code template needs, already printed."""

    version: str
    name: str
    named: bool  # whether the spec gave the network a name of its own
    shorthand: str
    spec_toml: list[str]
    dtype: str
    backend: str
    xp: str
    sizes: tuple[int, ...]
    bias: bool
    layers: list[LayerProgram]
    buffers: list[tuple[str, str]]  # (name, shape) with the batch size as m
    forward: list[str]
    backward: list[str]
    loss_lines: list[str]
    loss_formula: str
    output: str  # the variable holding a^L
    classification: bool
    activation_names: tuple[str, ...]
    inits: tuple[str, ...]
    parameter_keys: tuple[str, ...]
    kink_points: tuple[tuple[float, ...], ...]  # per layer, the located kinks of σ (values of z)
    cost_kinks: str  # where the per-unit cost is not differentiable, in words; empty when nowhere
    kink_switches: list[str]  # lines returning every kink's switch (see _kink_switch_lines)
    helpers: list[str] = field(default_factory=list)

    def view(self) -> dict:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}


def _init(activation_expr: sp.Expr | None) -> str:
    """He for the ReLU family, Xavier (Glorot) otherwise."""
    if activation_expr is not None and activation_expr.has(relu, leaky_relu):
        return "he"
    return "xavier"


def _stable_cost(layers: LayerDerivation) -> sp.Expr:
    output = layers.spec.output
    return stable_cost(layers.spec.cost.expr, output.expr if output.elementwise else None)


def _backward_lines(eq: LayerEquations, names: dict[sp.Symbol, str], width: int, xp: str, backend: str,
                    helpers: set[str], buffers: list[tuple[str, str]]) -> list[str]:
    """δ^l into ``d{l}``: the row sums it needs, then δ itself, as ufunc calls."""
    n, out_width = eq.layer, names.pop(N_OUT)
    delta = eq.delta.xreplace({N_OUT: out_width})
    rows = set()
    lines: list[str] = []
    for k, row in enumerate(r for r in eq.row_sums if r.symbol in delta.free_symbols):
        name = f"s{n}_{k}"
        names[row.symbol] = name
        rows.add(row.symbol)
        buffers.append((name, "(m, 1)"))
        summand = lower(row.summand.xreplace({N_OUT: out_width}), f"u{n}_{k}", names, prefix=f"u{n}_{k}_",
                        backend=backend)
        if summand.result == f"u{n}_{k}":
            buffers.append((f"u{n}_{k}", f"(m, {width})"))
        buffers.extend((temp, "(m, 1)" if shape == "row" else f"(m, {width})") for temp, shape in summand.temporaries)
        helpers |= summand.helpers
        lines += summand.lines + [f"{REDUCTIONS[backend]['sum']}({summand.result}, axis=1, keepdims=True, out={name})"]
    lowered = lower(delta, f"d{n}", names, rows=rows, prefix=f"t{n}_", backend=backend)
    helpers |= lowered.helpers
    buffers.extend((temp, "(m, 1)" if shape == "row" else f"(m, {width})") for temp, shape in lowered.temporaries)
    if lowered.result != f"d{n}":
        return lines + [f"d{n} = {lowered.result}"]
    buffers.append((f"d{n}", f"(m, {width})"))
    return lines + lowered.lines


def _softmax_lines(xp: str, backend: str, n: int) -> list[str]:
    reduce = REDUCTIONS[backend]
    return [f"{reduce['max']}(z{n}, axis=1, keepdims=True, out=zmax{n})",
            f"{xp}.subtract(z{n}, zmax{n}, out=z{n})  # shifted logits: exp cannot overflow",
            f"{xp}.exp(z{n}, out=a{n})",
            f"{reduce['sum']}(a{n}, axis=1, keepdims=True, out=ssum{n})",
            f"{xp}.divide(a{n}, ssum{n}, out=a{n})"]


def build_program(layers: LayerDerivation, *, dtype: str = "float64", backend: str = "numpy") -> Program:
    """The IR of the training module for ``layers`` (a layer-level derivation)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, not {dtype!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    spec = layers.spec
    printer = PRINTERS[backend]()
    xp = printer.alias
    helpers: set[str] = set()
    buffers: list[tuple[str, str]] = []
    programs, forward, outputs = [], [], ["X"]
    for eq in layers.layers:
        n, width = eq.layer, spec.sizes[eq.layer]
        buffers.append((f"z{n}", f"(m, {width})"))
        if n < spec.depth:
            buffers.append((f"e{n}", f"(m, {width})"))
        forward.append(f"{xp}.matmul({outputs[-1]}, params[\"W{n}\"].T, out=z{n})")
        if spec.bias:
            forward.append(f"{xp}.add(z{n}, params[\"b{n}\"], out=z{n})")
        if eq.activation.elementwise:
            lowered = lower(eq.activation.expr, f"a{n}", {Z: f"z{n}"}, prefix=f"f{n}_", backend=backend)
            helpers |= lowered.helpers
            buffers.extend((temp, f"(m, {width})") for temp, _ in lowered.temporaries)
            if lowered.result == f"a{n}":
                buffers.append((f"a{n}", f"(m, {width})"))
            forward += lowered.lines
            outputs.append(lowered.result)
            forward_formula, derivative = expression_text(eq.activation.expr), expression_text(eq.derivative)
        else:
            buffers += [(f"a{n}", f"(m, {width})"), (f"zmax{n}", "(m, 1)"), (f"ssum{n}", "(m, 1)")]
            forward += _softmax_lines(xp, backend, n)
            outputs.append(f"a{n}")
            forward_formula, derivative = "softmax(z)", "(softmax Jacobian)"
        programs.append(LayerProgram(n, spec.sizes[n - 1], width, eq.activation.label(), _init(eq.activation.expr),
                                     not eq.activation.elementwise, [], forward_formula, [],
                                     expression_text(eq.delta.xreplace({N_OUT: spec.sizes[-1]})), derivative,
                                     kinks_text(eq.kinks)))
    backward: list[str] = []
    for eq in reversed(layers.layers):
        n = eq.layer
        names = {A: outputs[n], Y: "Y", Z: f"z{n}", E: f"e{n}", N_OUT: spec.sizes[-1]}
        block = _comment(f"layer {n}: δ = {programs[n - 1].delta_formula}")
        block += _backward_lines(eq, names, spec.sizes[n], xp, backend, helpers, buffers)
        if n == spec.depth:  # every δ is linear in δ^L: scaling it scales every gradient
            if block[-1].startswith(f"d{n} = "):  # δ^L is another buffer: scale a copy
                alias = block.pop().partition(" = ")[2]
                buffers.append((f"d{n}", f"(m, {spec.sizes[n]})"))
                block.append(f"{xp}.multiply({alias}, scale, out=d{n})")
            else:
                block.append(f"{xp}.multiply(d{n}, scale, out=d{n})  # so gW, gb come out scaled")
        block.append(f"{xp}.matmul(d{n}.T, {outputs[n - 1]}, out=gW{n})")
        buffers.append((f"gW{n}", f"({spec.sizes[n]}, {spec.sizes[n - 1]})"))
        if spec.bias:
            block.append(f"{REDUCTIONS[backend]['sum']}(d{n}, axis=0, out=gb{n})")
            buffers.append((f"gb{n}", f"({spec.sizes[n]},)"))
        if n > 1:
            block.append(f"{xp}.matmul(d{n}, params[\"W{n}\"], out=e{n - 1})")
        programs[n - 1].backward = block
        backward += block
    cost = _stable_cost(layers)
    last, width = spec.depth, spec.sizes[-1]
    names = {A: outputs[-1], Y: "Y", Z: f"z{last}", LOGP: f"logp{last}"}
    loss_lines = _comment(f"per-unit cost {sp.sstr(cost)}, summed over units and samples, divided by m")
    if LOGP in cost.free_symbols:  # log softmax = shifted logits − log Σ exp
        buffers += [(f"lse{last}", "(m, 1)"), (f"logp{last}", f"(m, {width})")]
        loss_lines += [f"{xp}.log(ssum{last}, out=lse{last})", f"{xp}.subtract(z{last}, lse{last}, out=logp{last})"]
    lowered = lower(cost, f"c{last}", names, prefix=f"c{last}_", backend=backend)
    helpers |= lowered.helpers
    buffers.extend((temp, f"(m, {width})") for temp, _ in lowered.temporaries)
    if lowered.result == f"c{last}":
        buffers.append((f"c{last}", f"(m, {width})"))
    loss_lines += lowered.lines
    kink_switches = _kink_switch_lines(layers, outputs, printer)
    helpers |= printer.helpers
    buffers = _unique(buffers)
    forward = _unpack(buffers, forward) + forward + [f"return {outputs[-1]}"]
    backward = _unpack(buffers, backward) + backward
    total = f"{REDUCTIONS[backend]['sum']}({lowered.result}, axis=None)"
    loss_lines = _unpack(buffers, loss_lines) + loss_lines + [f"return {total} / m"]
    kink_switches = _unpack(buffers, kink_switches) + kink_switches
    spec_lines = [_docstring(f"    {line}") if line else "" for line in spec.to_toml().strip().splitlines()]
    for layer in programs:
        layer.activation, layer.forward_formula = _docstring(layer.activation), _docstring(layer.forward_formula)
        layer.derivative_formula, layer.delta_formula = (_docstring(layer.derivative_formula),
                                                         _docstring(layer.delta_formula))
        layer.kinks = _docstring(layer.kinks)
    return Program(__version__, spec.name, spec.has_name, spec.shorthand(), spec_lines, dtype, backend, xp,
                   spec.sizes, spec.bias, programs, buffers, forward, backward, loss_lines,
                   _docstring(expression_text(spec.cost.expr)), outputs[-1],
                   classification=spec.cost.name in CLASSIFICATION_COSTS or not spec.output.elementwise,
                   activation_names=tuple(activation.name for activation in spec.activations),
                   inits=tuple(layer.init for layer in programs),
                   parameter_keys=tuple(f"{kind}{n}" for n in range(1, spec.depth + 1)
                                        for kind in ("W", "b") if kind == "W" or spec.bias),
                   kink_points=tuple(tuple(float(point) for point in eq.kinks.points if point.is_number)
                                     for eq in layers.layers),
                   cost_kinks=_docstring(kinks_text(layers.cost_kinks)), kink_switches=kink_switches,
                   helpers=[line for name in sorted(helpers) for line in helper_source(name, backend, xp) + ("", "")])


def _kink_switch_lines(layers: LayerDerivation, outputs: list[str], printer: NumPyCodePrinter) -> list[str]:
    """``return [...]`` of every kink's switch, one array per kink (see :attr:`Kinks.switches`).

    After the forward pass, a switch's sign says on which side of the kink each pre-activation
    (or, for the cost's kinks, each output unit) is; 0 is on the kink.  Located kinks at c give
    z − c; the others their own argument (sin(z) for abs(sin(z))).  Every array is a new one, so
    a later forward pass cannot overwrite it.
    """
    names = {Y: sp.Symbol("Y", real=True)}
    switches = [switch.xreplace({Z: sp.Symbol(f"z{eq.layer}", real=True)})
                for eq in layers.layers for switch in _printable(eq.kinks)]
    names[A] = sp.Symbol(outputs[-1], real=True)
    switches += [switch.xreplace(names) for switch in _printable(layers.cost_kinks)]
    if not switches:
        return []
    printed = [printer.doprint(switch) for switch in switches]
    arrays = [f"{text}.copy()" if isinstance(switch, sp.Symbol) else text
              for text, switch in zip(printed, switches, strict=True)]
    return ["return [" + ", ".join(arrays) + "]"]


def _printable(kinks: Kinks) -> tuple[sp.Expr, ...]:
    """The switches of ``kinks`` with irrational points as 17-digit floats (exact when read back)."""
    points = tuple(point.evalf(17) if point.is_number and not point.is_Rational else point for point in kinks.points)
    return replace(kinks, points=points).switches


def _docstring(text: str) -> str:
    """``text`` safe inside the module's (non-raw) triple-quoted docstring."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _comment(text: str) -> list[str]:
    """``text`` as comment lines that fit the generated code's line length."""
    return [f"# {line}" for line in textwrap.wrap(text, 100, break_long_words=True, break_on_hyphens=False)]


def _unpack(buffers: list[tuple[str, str]], lines: list[str]) -> list[str]:
    """``name = buf["name"]`` for the buffers that ``lines`` mention, in allocation order."""
    text = "\n".join(lines)
    return [f'{name} = buf["{name}"]' for name, _ in buffers if re.search(rf"\b{name}\b", text)]


def _unique(buffers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for name, shape in buffers:
        seen.setdefault(name, shape)
    return list(seen.items())
