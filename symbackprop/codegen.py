"""Standalone training modules: a derivation → the IR → printed lines → a Jinja template.

:func:`generate_module` is the whole pipeline (:func:`symbackprop.program.build_program`, then
``templates/module.py.j2`` through :func:`symbackprop.render.render`); it is deterministic, so
:func:`check_module` can tell whether a file on disk is stale by comparing bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from .derivation import LayerDerivation
from .errors import UserError
from .printing.numpy import PrintingError
from .program import build_program
from .render import render

TEMPLATE = "module.py.j2"


def _layers(derivation) -> LayerDerivation:
    """The layer-level derivation of a :class:`~symbackprop.driver.Derivation` (or one given as is)."""
    return derivation if isinstance(derivation, LayerDerivation) else derivation.layers


def generate_module(derivation, *, dtype: str = "float64", backend: str = "numpy") -> str:
    """The source of a training module for ``derivation`` (a Derivation or a LayerDerivation)."""
    layers = _layers(derivation)
    try:
        program = build_program(layers, dtype=dtype, backend=backend)
    except PrintingError as error:
        raise UserError(f"cannot generate {backend} code for {layers.spec.shorthand()}: {error}", "codegen") from None
    return render(TEMPLATE, program.view())


def check_module(path: str | os.PathLike[str], fresh_source: str) -> bool:
    """Whether the file at ``path`` is byte for byte ``fresh_source`` (False if missing)."""
    try:
        return Path(path).read_bytes() == fresh_source.encode("utf-8")
    except OSError:
        return False
