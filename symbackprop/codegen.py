"""Standalone training modules: a derivation → the training program → passes → printed lines → a template.

:func:`build_module` is the whole pipeline and returns every stage (:class:`Module`): the pure
program (:func:`symbackprop.program.build_program`); for NumPy and CuPy the in-place program
after :func:`~symbackprop.lowering.fold_scale` and :func:`~symbackprop.lowering.lower_in_place`
and its buffers (:func:`~symbackprop.lowering.allocate`); the view-model, printed by the
backend's program printer; and the source, rendered from ``templates/module.py.j2`` (NumPy,
CuPy) or ``templates/module_jax.py.j2`` (JAX, which extends it).  It is deterministic, so
:func:`check_module` can tell whether a file on disk is stale by comparing bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from . import __version__
from .derivation import LayerDerivation
from .errors import UserError
from .ir import Array, Program
from .lowering import allocate, fold_scale, lower_in_place
from .printing.numpy import HELPERS, PrintingError, helper_source
from .printing.program import PRINTERS, InPlacePrinter, shared_values
from .program import build_program
from .render import render

DTYPES = ("float32", "float64")
BACKENDS = ("numpy", "cupy", "jax")
TEMPLATES = {"numpy": "module.py.j2", "cupy": "module.py.j2", "jax": "module_jax.py.j2"}
CLASSIFICATION_COSTS = ("cross_entropy", "binary_cross_entropy")

#: What the shared template writes differently per backend: array types, host copies, loss values.
_IN_PLACE = {"host_output": "forward(params, X)", "host_copy": "value.copy()", "loss_value": "loss(work, X, Y)"}
BACKEND_VIEW: dict[str, dict[str, str]] = {
    "numpy": {"array_type": "np.ndarray", "asarray": "np.asarray", **_IN_PLACE},
    "cupy": {"array_type": "cp.ndarray", "asarray": "cp.asarray", **_IN_PLACE},
    # JAX: data stays where it is (host or device); the finite differences perturb host copies
    "jax": {"array_type": "_ARRAYS", "asarray": "np.asarray", "host_output": "_host(forward(params, X))",
            "host_copy": "np.array(value)", "loss_value": "float(loss(work, X, Y))"},
}


@dataclass(frozen=True)
class Module:
    """Every stage of one generated module, for tests and readers."""

    program: Program  # pure
    lowered: Program | None  # in place (NumPy, CuPy)
    buffers: tuple[Array, ...]
    view: dict[str, Any]
    source: str


def _layers(derivation) -> LayerDerivation:
    """The layer-level derivation of a :class:`~symbackprop.driver.Derivation` (or one given as is)."""
    return derivation if isinstance(derivation, LayerDerivation) else derivation.layers


def build_module(derivation, *, dtype: str = "float64", backend: str = "numpy") -> Module:
    """All stages of the training module for ``derivation`` (a Derivation or a LayerDerivation)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, not {dtype!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    layers = _layers(derivation)
    program = build_program(layers)
    printer = PRINTERS[backend]()
    lowered, buffers = None, ()
    if isinstance(printer, InPlacePrinter):
        lowered = lower_in_place(fold_scale(program))
        buffers = allocate(lowered)
        blocks = {name: printer.block(lowered, name, buffers) for name in ("forward", "loss", "backward")}
    else:
        blocks = {name: printer.block(program, name) for name in ("forward", "loss", "backward")}
    view = _view(layers, program, dtype, backend, printer.xp, blocks, buffers, sorted(printer.helpers))
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
                    "delta_formula": _docstring(layer.delta_formula)} for layer in program.layers],
        "buffers": [(array.name, array.shape_text()) for array in buffers],
        "values": [array.name for array in shared_values(program)],
        "forward": blocks["forward"], "backward": blocks["backward"], "loss_lines": blocks["loss"],
        "loss_formula": _docstring(sp.sstr(spec.cost.expr)),
        "classification": spec.cost.name in CLASSIFICATION_COSTS or not spec.output.elementwise,
        "activation_names": tuple(activation.name for activation in spec.activations),
        "inits": tuple(layer.init for layer in program.layers),
        "parameter_keys": tuple(key for key, _ in program.gradients),
        "helpers": [line for name in helpers if name in HELPERS
                    for line in helper_source(name, backend, xp) + ("", "")],
    }


def _docstring(text: str) -> str:
    """``text`` safe inside the module's (non-raw) triple-quoted docstring."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def check_module(path: str | os.PathLike[str], fresh_source: str) -> bool:
    """Whether the file at ``path`` is byte for byte ``fresh_source`` (False if missing)."""
    try:
        return Path(path).read_bytes() == fresh_source.encode("utf-8")
    except OSError:
        return False
