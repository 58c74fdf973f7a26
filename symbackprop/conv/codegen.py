"""Training modules of convolutional networks: the derivation → the program → passes → printed lines → a template.

:func:`build_conv_module` is the pipeline :func:`symbackprop.training_module.build_module` runs
for a convolutional network: the pure program (:func:`~symbackprop.conv.program.build_conv_program`),
for NumPy and CuPy the in-place program after :func:`~symbackprop.lowering.fold_scale` and
:func:`~symbackprop.lowering.lower_in_place` and its buffers, the blocks printed by the backend's
printer (:mod:`symbackprop.printing.conv_program`), and ``templates/module_conv.py.j2`` (NumPy,
CuPy) or ``module_conv_jax.py.j2`` (JAX: the pure program, no passes), which extend the dense
modules' templates (same API) with the image shapes, the initialisation by fan-in and the input
images (``_conv_module.py.j2``).
"""

from __future__ import annotations

import sympy as sp

from ..ir import Program, Windows
from ..lowering import allocate, fold_scale, lower_in_place
from ..printing.conv_program import CONV_PRINTERS
from ..printing.numpy import PRINTERS as EXPRESSION_PRINTERS
from ..printing.numpy import PrintingError
from ..printing.program import shared_values
from ..printing.text import expression_text
from ..registry import A, Y, Z
from ..render import render
from ..training_module import Module, _docstring, _printable, _view
from .derivation import ConvLayerDerivation, axes
from .program import build_conv_program
from .report import shape_text
from .spec import Conv2d, Pool2d, units

TEMPLATES = {"numpy": "module_conv.py.j2", "cupy": "module_conv.py.j2", "jax": "module_conv_jax.py.j2"}
BACKENDS = tuple(CONV_PRINTERS)


def build_conv_module(layers: ConvLayerDerivation, *, dtype: str = "float64", backend: str = "numpy") -> Module:
    """All stages of the training module of a convolutional network."""
    if backend not in CONV_PRINTERS:
        raise PrintingError(f"no {backend} training module for convolutional networks yet "
                            f"(backends: {', '.join(CONV_PRINTERS)})")
    program = build_conv_program(layers)
    printer, expressions = CONV_PRINTERS[backend](), EXPRESSION_PRINTERS[backend]()
    if backend == "jax":  # pure: XLA fuses the statements and owns the buffers
        lowered, buffers = None, ()
        switches, read = _kink_switches(layers, program, None, expressions)
        blocks = {name: printer.block(program, name, read) for name in ("forward", "loss", "backward")}
        available, source = shared_values(program, read), "values"
    else:
        lowered = lower_in_place(fold_scale(program))
        buffers = allocate(lowered)
        switches, read = _kink_switches(layers, program, buffers, expressions)
        blocks = {name: printer.block(lowered, name, buffers) for name in ("forward", "loss", "backward")}
        available, source = buffers, "buf"
    unpack = [f'{array.name} = {source}["{array.name}"]' for array in available if array.name in read]
    blocks["kink_switches"] = unpack + switches if switches else []
    view = _view(layers.elementwise, program, dtype, backend, printer.xp, blocks, buffers,
                 sorted(printer.helpers | expressions.helpers))
    view.update(_conv_view(layers, program))
    return Module(program, lowered, buffers, view, render(TEMPLATES[backend], view))


def _conv_view(layers: ConvLayerDerivation, program: Program) -> dict:
    """What the conv template shows beyond the dense one's view (which has the activations of a dense twin)."""
    spec = layers.spec
    shapes = spec.parameter_shapes()
    return {"shorthand": spec.shorthand(), "input_shape": spec.input_shape,
            "spec_toml": [_docstring(f"    {line}") if line else "" for line in spec.to_toml().strip().splitlines()],
            "activation_names": tuple(layer.kind if isinstance(layer, Pool2d) else layer.activation.name
                                      for layer in spec.layers),
            "has_maxpool": any(isinstance(layer, Pool2d) and layer.mode == "max" for layer in spec.layers),
            "parameter_shapes": list(shapes.items()), "parameter_keys": tuple(shapes),
            "fans": [_fans(spec, int(key[1:]), program) for key in shapes if key[0] == "W"],
            "conv_layers": [_describe(layers, layer) for layer in program.layers]}


def _fans(spec, number: int, program: Program) -> tuple[str, str, int, int]:
    layer, shape = spec.layer(number), spec.parameter_shapes()[f"W{number}"]
    receptive = shape[2] * shape[3] if isinstance(layer, Conv2d) else 1
    return f"W{number}", program.layers[number - 1].init, shape[1] * receptive, shape[0] * receptive


def _describe(layers: ConvLayerDerivation, layer) -> dict:
    """One layer of the docstring: what it computes, its σ', its δ and how its error goes back."""
    spec, n = layers.spec, layer.number
    spec_layer, below, shape = spec.layer(n), spec.shapes[n - 1], spec.shapes[n]
    size = f"{shape_text(below)} -> {shape_text(shape)}"
    if isinstance(spec_layer, Conv2d):
        text = (f"conv2d {size}, kernel {shape_text(spec_layer.kernel)}, stride {shape_text(spec_layer.stride)}, "
                f"padding {shape_text(spec_layer.padding)}, {_docstring(layer.activation)}")
    elif isinstance(spec_layer, Pool2d):
        text = (f"{spec_layer.kind} {size}, kernel {shape_text(spec_layer.kernel)}, "
                f"stride {shape_text(spec_layer.stride)}")
    else:
        text = f"dense {units(below)} -> {spec_layer.size}, {_docstring(layer.activation)}"
    lines = [] if isinstance(spec_layer, Pool2d) else [f"a = {_docstring(layer.forward_formula)}",
                                                       f"σ'(z) = {_docstring(layer.derivative_formula)}"]
    lines.append(f"δ = {_docstring(layer.delta_formula)}")
    if layer.kinks:
        lines.append(f"kinks (σ not differentiable): {_docstring(layer.kinks)}")
    if n > 1:
        lines += [f"e of layer {n - 1}: {text}" if index == 0 else f"    {text}"
                  for index, text in enumerate(_crossing_text(layers, n))]
    return {"number": n, "text": text, "lines": lines}


def _crossing_text(layers: ConvLayerDerivation, n: int) -> list[str]:
    """How the error crosses layer n back, in the module's docstring (one or two lines)."""
    crossing = layers.layer(n).crossing
    if crossing.kind == "conv":
        layer = layers.spec.layer(n)
        forms = [crossing.index_map.correlation(axis) for axis in axes(layer, layers.spec.shapes[n])]
        return [f"the full correlation of δ, dilated by {forms[0].dilation}×{forms[1].dilation} and padded by "
                f"{forms[0].front}×{forms[1].front}, with the kernel flipped",
                f"(the window that reads u at offset p: i = {expression_text(crossing.index_map.backward)})"]
    return [{"dense": "(W^T δ)", "flatten": "(W^T δ) unflattened to the image",
             "maxpool": "δ routed to each window's first maximum", "avgpool": "δ spread evenly over each window"}[
        crossing.kind]]


def _image(program: Program, n: int, buffers) -> str:
    """What pooling layer n reads after a forward pass, (C, m, H, W): a buffer or value, or the input X read
    as that when it has one channel and the in-place program reads X itself, through a view."""
    windows = next(s for s in program.forward if isinstance(s, Windows) and s.out.name == f"win{n}")
    if buffers is None or windows.source in buffers:
        return windows.source.name
    _, _, height, width = windows.source.shape
    return f"X.reshape(1, -1, {height}, {width})"


def _kink_switches(layers: ConvLayerDerivation, program: Program, buffers, expressions) -> tuple[list[str], set[str]]:
    """``return [...]`` of every kink's switch after a forward pass, one (m, -1) array each, and the arrays it
    reads: the activations' kinks at every pre-activation, the cost's at the outputs, and for every
    max-pooling layer the differences of each window's entries (their sign is the window's order).
    ``buffers`` is None for the pure (JAX) program, whose arrays are values that nothing overwrites."""
    switches: list[str] = []
    read: set[str] = set()
    for equations in layers.layers:
        n, layer = equations.layer, equations.spec_layer
        if isinstance(layer, Pool2d):
            if layer.mode == "max":
                source = _image(program, n, buffers)
                switches.append(f"_pairs({source}, {layer.kernel}, {layer.stride})")
                read.add(source)
            continue
        for switch in _printable(equations.equations.kinks):
            named = switch.xreplace({Z: sp.Symbol(f"z{n}", real=True)})
            if isinstance(layer, Conv2d):  # (C, m, H, W) to one row per sample (a copy)
                switches.append(f"({expressions.doprint(named)}).transpose(1, 0, 2, 3).reshape(X.shape[0], -1)")
            else:  # a later forward pass overwrites z
                copy = ".copy()" if isinstance(named, sp.Symbol) and buffers is not None else ""
                switches.append(expressions.doprint(named) + copy)
            read.add(f"z{n}")
    output = f"a{layers.spec.depth}"
    for switch in _printable(layers.elementwise.cost_kinks):
        named = switch.xreplace({Y: sp.Symbol("Y", real=True), A: sp.Symbol(output, real=True)})
        copy = ".copy()" if isinstance(named, sp.Symbol) and buffers is not None else ""
        switches.append(expressions.doprint(named) + copy)
        read.add(output)
    if not switches:
        return [], set()
    return ["return ["] + [f"    {switch}," for switch in switches] + ["]"], read
