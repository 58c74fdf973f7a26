"""The committed examples in ``generated/``: a few specs, their training modules and derivations.

:data:`EXAMPLES` lists them; :func:`regenerate` writes ``generated/<stem>.py`` and the
derivation as ``<stem>.tex``, ``<stem>.html`` and ``<stem>.md`` with the Markdown's SVG figures
(``<stem>-network.svg``, ``<stem>-plot-<activation>.svg``), or, with ``check=True``, only lists the
files that differ from a fresh generation.  ``symbackprop regenerate`` runs it.  The screenshot
``derivation-3-4-2-web.png`` is not among them: a browser's rendering is not byte-stable across
machines, so ``tools/web_screenshot.py`` makes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .conv.derivation import derive_conv_layers
from .conv.spec import ConvSpec
from .derivation import derive_layers
from .driver import derive
from .fileio import write_atomic
from .spec import Spec
from .training_module import check_module, generate_module


@dataclass(frozen=True)
class Example:
    """One committed example: a spec given as CLI shorthand and options, and how to generate it."""

    stem: str
    shorthand: str
    options: dict[str, Any] = field(default_factory=dict)
    dtype: str = "float64"
    backend: str = "numpy"
    document: bool = True

    def spec(self) -> Spec | ConvSpec:
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
    Example("digits_cnn", "1x8x8-conv16k3p1-maxpool2-10", {"activation": "relu", "output_activation": "softmax",
                                                            "cost": "cross_entropy", "name": "digits"},
            dtype="float32", document=False),
)


def _document_builders() -> dict[str, Callable[..., Any]] | None:
    """``symbackprop.document``'s builders (LaTeX, HTML, Markdown), or None without that module."""
    try:
        from .document import build_document, build_html, build_markdown
    except ImportError:
        return None
    return {"tex": build_document, "html": build_html, "markdown": build_markdown}


def outputs(example: Example) -> dict[str, Callable[[], str]]:
    """File name → a function producing its fresh contents.

    The documents (``.tex``, ``.html``, ``.md`` and the ``.svg`` figures the Markdown links) share
    one derivation, made on first use.
    """
    spec = example.spec()
    layers = derive_layers if isinstance(spec, Spec) else derive_conv_layers
    files = {f"{example.stem}.py": lambda: generate_module(layers(spec), dtype=example.dtype,
                                                          backend=example.backend)}
    builders = _document_builders()
    if not example.document or builders is None:
        return files
    options = dict(notation="nielsen", highlight=None, expand=True, weights=None, max_parameters=60)

    @cache
    def derivation():
        # no proof budget: what the committed documents say must not depend on the machine's speed
        return derive(spec, max_parameters=60, proof_budget=None)

    @cache
    def markdown() -> dict[str, str]:
        return builders["markdown"](spec, stem=example.stem, derivation=derivation(), **options)

    files[f"{example.stem}.tex"] = lambda: builders["tex"](spec, pdf=False, derivation=derivation(), **options)
    files[f"{example.stem}.html"] = lambda: builders["html"](spec, derivation=derivation(), **options)
    for name in _markdown_names(example, spec):
        files[name] = lambda name=name: markdown()[name]
    return files


def _markdown_names(example: Example, spec: Spec) -> list[str]:
    """The Markdown file and its figures: the network, and one plot per distinct elementwise activation."""
    from .document.web import figure_file

    activations = dict.fromkeys(activation.name for activation in spec.activations if activation.elementwise)
    return ([f"{example.stem}.md", figure_file(example.stem, "fig:network")]
            + [figure_file(example.stem, f"fig:plot-{name}") for name in activations])


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
