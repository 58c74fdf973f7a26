"""Convolutional networks as tables: a spec's layers, and a derivation's equations with their verdicts.

Provides :func:`conv_spec_table` and :func:`conv_derivation_table`; the formulas are the plain
text of the ``derive`` summary (:mod:`symbackprop.conv.report`), one line per statement.
"""

from __future__ import annotations

from ..conv.driver import ConvDerivation
from ..conv.report import EQUATIONS, shape_text
from ..conv.spec import Conv2d, ConvSpec, Pool2d
from .markup import Code, Table, Text, cell


def conv_spec_table(spec: ConvSpec) -> Table:
    rows = [(cell("0 (input)"), cell("image"), cell(shape_text(spec.input_shape)), cell(""))]
    for number, layer in enumerate(spec.layers, start=1):
        if isinstance(layer, Conv2d):
            what = (f"conv2d, kernel {shape_text(layer.kernel)}, stride {shape_text(layer.stride)}, padding "
                    f"{shape_text(layer.padding)}, {layer.activation.label()}")
        elif isinstance(layer, Pool2d):
            what = f"{layer.kind}, kernel {shape_text(layer.kernel)}, stride {shape_text(layer.stride)}"
        else:
            what = f"dense, {layer.activation.label()}"
        keys = [f"{key} {shape_text(shape)}" for key, shape in spec.parameter_shapes().items()
                if int(key[1:]) == number]
        rows.append((cell(str(number)), cell(what), cell(shape_text(spec.shapes[number])), cell(", ".join(keys))))
    name = f"{spec.name}: " if spec.has_name else ""
    title = cell(f"Network {name}{spec.shorthand()}: {spec.depth} layers, {spec.parameter_count} parameters; "
                 f"cost {spec.cost.label()}; a conv layer is a cross-correlation, indices from 0")[0]
    return Table(title, ("layer", "kind", "shape", "parameters"), tuple(rows))


def conv_derivation_table(d: ConvDerivation) -> Table:
    proof = d.proof
    rows = tuple((cell(name), cell(Text(proof.summary(key), "bad" if not all(v.holds for v in proof.for_equation(key))
                                        else "good")))
                 for key, name in EQUATIONS if proof.for_equation(key))
    failure = proof.first_failure()
    title = (Text(f"Backpropagation for {d.spec.shorthand()}: "),
             Text("every equation holds", "good") if failure is None else Text(failure.line(), "bad"))
    notes = tuple((Code(note),) for note in proof.notes)
    return Table(title, ("equation", "verdict"), rows, notes)
