"""The committed examples in ``generated/``: a few specs, their training modules and derivations.

:data:`EXAMPLES` lists them; :func:`regenerate` writes ``generated/<stem>.py`` (and, once
:mod:`symbackprop.document` is available, ``generated/<stem>.tex``) or, with ``check=True``,
only lists the files that differ from a fresh generation.  ``symbackprop regenerate`` runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codegen import check_module, generate_module
from .derivation import derive_layers
from .driver import derive
from .fileio import write_atomic
from .spec import Spec


@dataclass(frozen=True)
class Example:
    """One committed example: a spec given as CLI shorthand and options, and how to generate it."""

    stem: str
    shorthand: str
    options: dict[str, Any] = field(default_factory=dict)
    dtype: str = "float64"
    backend: str = "numpy"
    document: bool = True

    def spec(self) -> Spec:
        return Spec.parse(self.shorthand, **self.options)


EXAMPLES: tuple[Example, ...] = (
    Example("mnist_sigmoid_softmax", "784-100-10", {"activation": "sigmoid", "output_activation": "softmax",
                                                    "cost": "cross_entropy", "name": "mnist"}, dtype="float32"),
    Example("mazur_2_2_2", "2-2-2", {"activation": "sigmoid", "cost": "quadratic", "name": "mazur"}),
    Example("moons_tanh_bce", "2-8-1", {"activation": "tanh", "output_activation": "sigmoid",
                                       "cost": "binary_cross_entropy", "name": "moons"}),
    Example("regression_relu", "4-16-16-1", {"activation": "relu", "output_activation": "identity",
                                             "cost": "quadratic", "name": "regression"}),
    Example("swish_custom", "3-4-2", {"activation": "swish=z*sigmoid(z)", "output_activation": "softmax",
                                      "cost": "cross_entropy", "name": "swish"}),
    Example("mnist_relu_cupy", "784-256-10", {"activation": "relu", "output_activation": "softmax",
                                              "cost": "cross_entropy", "name": "mnist_gpu"},
            dtype="float32", backend="cupy", document=False),
    Example("mnist_jax", "784-100-10", {"activation": "sigmoid", "output_activation": "softmax",
                                        "cost": "cross_entropy", "name": "mnist_jax"},
            dtype="float32", backend="jax", document=False),
)


def _document_builder() -> Callable[..., str] | None:
    """``symbackprop.document.build_document``, or None while that module does not exist."""
    try:
        from .document import build_document
    except ImportError:
        return None
    return build_document


def outputs(example: Example) -> dict[str, Callable[[], str]]:
    """File name → a function producing its fresh contents."""
    spec = example.spec()
    files = {f"{example.stem}.py": lambda: generate_module(derive_layers(spec), dtype=example.dtype,
                                                          backend=example.backend)}
    build_document = _document_builder()
    if example.document and build_document is not None:
        # no proof budget: what the committed documents say must not depend on the machine's speed
        files[f"{example.stem}.tex"] = lambda: build_document(
            spec, notation="nielsen", highlight=None, expand=True, weights=None, pdf=False, max_parameters=60,
            derivation=derive(spec, max_parameters=60, proof_budget=None))
    return files


def regenerate(directory: Path, check: bool = False) -> list[Path]:
    """Write every example into ``directory``; with ``check``, only return the stale paths.

    Returns the paths written (or, with ``check``, those missing or differing from a fresh
    generation).
    """
    directory = Path(directory)
    touched = []
    for example in EXAMPLES:
        for name, produce in outputs(example).items():
            path = directory / name
            source = produce()
            if check:
                if not check_module(path, source):
                    touched.append(path)
                continue
            write_atomic(path, source)
            touched.append(path)
    return touched
