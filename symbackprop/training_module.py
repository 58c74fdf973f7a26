"""Standalone training modules: a derivation → the IR → printed lines → a Jinja template.

:func:`generate_module` is the whole pipeline (:func:`symbackprop.program.build_program`, then
``templates/module.py.j2`` through :func:`symbackprop.render.render`); it is deterministic, so
:func:`check_module` can tell whether a file on disk is stale by comparing bytes.
:func:`load_module` imports a generated source without writing it to a file.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

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
