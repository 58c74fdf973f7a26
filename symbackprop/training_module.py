"""Standalone training modules: a derivation → the training program → passes → printed lines → a template.

:func:`build_module` is the whole pipeline and returns every stage (:class:`Module`): the pure
program (:func:`symbackprop.program.build_program`); for NumPy and CuPy the in-place program
after :func:`~symbackprop.lowering.fold_scale` and :func:`~symbackprop.lowering.lower_in_place`
and its buffers (:func:`~symbackprop.lowering.allocate`); the view-model, printed by the
backend's program printer; and the source, rendered from ``templates/module.py.j2`` (NumPy,
CuPy) or ``templates/module_jax.py.j2`` (JAX, which extends it).  It is deterministic, so
:func:`check_module` can tell whether a file on disk is stale by comparing bytes.
:func:`load_module` imports a generated source without writing it to a file.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import sympy as sp

from . import __version__
from .conv.derivation import ConvLayerDerivation
from .derivation import LayerDerivation
from .errors import UserError
from .ir import Array, Program
from .kinks import Kinks
from .lowering import allocate, fold_scale, lower_in_place
from .printing.numpy import HELPERS, PrintingError, helper_source
from .printing.numpy import PRINTERS as EXPRESSION_PRINTERS
from .printing.program import PRINTERS, InPlacePrinter, shared_values
from .printing.text import expression_text, kinks_text
from .program import build_program
from .registry import A, Y, Z
from .render import render

DTYPES = ("float32", "float64")
BACKENDS = ("numpy", "cupy", "jax")
TEMPLATES = {"numpy": "module.py.j2", "cupy": "module.py.j2", "jax": "module_jax.py.j2"}
CLASSIFICATION_COSTS = ("cross_entropy", "binary_cross_entropy")

#: What the shared template writes differently per backend: array types, host copies, loss values.
_IN_PLACE = {"host_output": "forward(params, X)", "host_copy": "value.copy()", "loss_function": "loss"}
BACKEND_VIEW: dict[str, dict[str, str]] = {
    "numpy": {"array_type": "np.ndarray", "asarray": "np.asarray", **_IN_PLACE},
    "cupy": {"array_type": "cp.ndarray", "asarray": "cp.asarray", **_IN_PLACE},
    # JAX: data stays where it is (host or device); the finite differences perturb host copies
    "jax": {"array_type": "_ARRAYS", "asarray": "np.asarray", "host_output": "_host(forward(params, X))",
            "host_copy": "np.array(value)", "loss_function": "_loss_value"},
}


@dataclass(frozen=True)
class Module:
    """Every stage of one generated module, for tests and readers."""

    program: Program  # pure
    lowered: Program | None  # in place (NumPy, CuPy)
    buffers: tuple[Array, ...]
    view: dict[str, Any]
    source: str


def _layers(derivation) -> LayerDerivation | ConvLayerDerivation:
    """The layer-level derivation of a :class:`~symbackprop.driver.Derivation` (or one given as is)."""
    return derivation if isinstance(derivation, LayerDerivation | ConvLayerDerivation) else derivation.layers


def build_module(derivation, *, dtype: str = "float64", backend: str = "numpy") -> Module:
    """All stages of the training module for ``derivation`` (a Derivation or a LayerDerivation)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, not {dtype!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    layers = _layers(derivation)
    if isinstance(layers, ConvLayerDerivation):  # a network with convolution or pooling layers
        from .conv.codegen import build_conv_module

        return build_conv_module(layers, dtype=dtype, backend=backend)
    program = build_program(layers)
    printer = PRINTERS[backend]()
    expressions = EXPRESSION_PRINTERS[backend]()
    switches, switched = _kink_switches(layers, program, expressions)
    lowered, buffers = None, ()
    if isinstance(printer, InPlacePrinter):
        lowered = lower_in_place(fold_scale(program))
        buffers = allocate(lowered)
        blocks = {name: printer.block(lowered, name, buffers) for name in ("forward", "loss", "backward")}
        available, source = buffers, "buf"
    else:
        blocks = {name: printer.block(program, name, switched) for name in ("forward", "loss", "backward")}
        available, source = shared_values(program, switched), "values"
    if switches:
        switches = [f'{a.name} = {source}["{a.name}"]' for a in available if a.name in switched] + switches
    blocks["kink_switches"] = switches
    view = _view(layers, program, dtype, backend, printer.xp, blocks, buffers,
                 sorted(printer.helpers | expressions.helpers))
    return Module(program, lowered, buffers, view, render(TEMPLATES[backend], view))


def generate_module(derivation, *, dtype: str = "float64", backend: str = "numpy") -> str:
    """The source of a training module for ``derivation`` (a Derivation or a LayerDerivation)."""
    try:
        return build_module(derivation, dtype=dtype, backend=backend).source
    except PrintingError as error:
        shorthand = _layers(derivation).spec.shorthand()
        raise UserError(f"cannot generate {backend} code for {shorthand}: {error}", "codegen") from None


def _view(layers: LayerDerivation, program: Program, dtype: str, backend: str, xp: str, blocks: dict[str, list[str]],
          buffers: tuple[Array, ...], helpers: list[str]) -> dict[str, Any]:
    """The template's view-model: plain values and printed lines, nothing to compute."""
    spec = layers.spec
    return {
        **BACKEND_VIEW[backend],
        "version": __version__, "name": spec.name, "shorthand": spec.shorthand(),
        "spec_toml": [_docstring(f"    {line}") if line else "" for line in spec.to_toml().strip().splitlines()],
        "dtype": dtype, "backend": backend, "xp": xp, "sizes": spec.sizes, "bias": spec.bias,
        "layers": [{**vars(layer), "activation": _docstring(layer.activation),
                    "forward_formula": _docstring(layer.forward_formula),
                    "derivative_formula": _docstring(layer.derivative_formula),
                    "delta_formula": _docstring(layer.delta_formula), "kinks": _docstring(layer.kinks)}
                   for layer in program.layers],
        "buffers": [(array.name, array.shape_text(), array.fill) for array in buffers],
        "values": [array.name for array in shared_values(program)],
        "forward": blocks["forward"], "backward": blocks["backward"], "loss_lines": blocks["loss"],
        "kink_switches": blocks["kink_switches"], "named": spec.has_name,
        "kink_points": tuple(tuple(float(point) for point in eq.kinks.points if point.is_number)
                             for eq in layers.layers),
        "cost_kinks": _docstring(kinks_text(layers.cost_kinks)),
        "loss_formula": _docstring(expression_text(spec.cost.expr)),
        "classification": spec.cost.name in CLASSIFICATION_COSTS or not spec.output.elementwise,
        "activation_names": tuple(activation.name for activation in spec.activations),
        "inits": tuple(layer.init for layer in program.layers),
        "parameter_keys": tuple(key for key, _ in program.gradients),
        "helpers": [line for name in helpers if name in HELPERS
                    for line in helper_source(name, backend, xp) + ("", "")],
    }


def _kink_switches(layers: LayerDerivation, program: Program, printer) -> tuple[list[str], set[str]]:
    """``return [...]`` of every kink's switch after a forward pass, and the arrays it reads.

    A switch's sign says on which side of a kink each pre-activation (or, for the cost's kinks,
    each output unit) is, 0 on it: z − c for a kink located at c, else the switching argument
    itself (sin(z) for abs(sin(z))).  Every array is a new one, so a later forward pass cannot
    overwrite it.
    """
    output = program.output.name
    switches = [switch.xreplace({Z: sp.Symbol(f"z{eq.layer}", real=True)})
                for eq in layers.layers for switch in _printable(eq.kinks)]
    switches += [switch.xreplace({Y: sp.Symbol("Y", real=True), A: sp.Symbol(output, real=True)})
                 for switch in _printable(layers.cost_kinks)]
    if not switches:
        return [], set()
    arrays = [f"{printer.doprint(switch)}.copy()" if isinstance(switch, sp.Symbol) else printer.doprint(switch)
              for switch in switches]
    read = {symbol.name for switch in switches for symbol in switch.free_symbols} - {"Y"}
    return ["return [" + ", ".join(arrays) + "]"], read


def _printable(kinks: Kinks) -> tuple[sp.Expr, ...]:
    """The switches of ``kinks`` with irrational points as 17-digit floats (exact when read back)."""
    points = tuple(point.evalf(17) if point.is_number and not point.is_Rational else point for point in kinks.points)
    return replace(kinks, points=points).switches


def _docstring(text: str) -> str:
    """``text`` safe inside the module's (non-raw) triple-quoted docstring."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def check_module(path: str | os.PathLike[str], fresh_source: str) -> bool:
    """Whether the file at ``path`` is byte for byte ``fresh_source`` (False if missing)."""
    try:
        return Path(path).read_bytes() == fresh_source.encode("utf-8")
    except OSError:
        return False


class _SourceLoader(importlib.abc.SourceLoader):
    """Loads one module from source text held in memory (tracebacks still show its lines)."""

    def __init__(self, source: str, path: str) -> None:
        self.source = source
        self.path = path

    def get_filename(self, fullname: str) -> str:
        return self.path

    def get_data(self, path: str) -> bytes:
        return self.source.encode("utf-8")

    def path_stats(self, path: str):
        raise OSError("held in memory")  # so no bytecode is cached for a module without a file


def load_module(source: str, network: str) -> ModuleType:
    """A fresh module imported from ``source``, named after the ``network`` and a hash of the source,
    and registered in ``sys.modules`` (pickling needs it)."""
    name = f"symbackprop_generated_{network}_{hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}"
    loader = _SourceLoader(source, f"{name}.py")
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader, origin=loader.path))
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
