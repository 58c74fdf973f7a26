"""The Python API behind every command: what ``symbackprop latex|codegen|check|regenerate`` do.

Provides (``derive`` itself lives in :mod:`~symbackprop.driver`):

* :func:`latex` → :class:`Document` (``.tex``, ``.pdf_bytes()``, ``.save(path)``);
* :func:`html` → :class:`WebPage` (``.html``, ``.save(path)``) and :func:`markdown` →
  :class:`MarkdownDocument` (``.text``, ``.files``, ``.save(path)`` with its figures beside it);
* :func:`codegen` → :class:`Module` (``.source``, ``.save(path)``, ``.load()``), or
  :class:`ModuleCheckError` when a check the module relies on fails;
* :func:`check` → :class:`Report` (``.all_correct``, one :class:`ReportItem` per equation);
* :func:`regenerate` -- the committed examples in ``generated/``.

Each result displays itself in Jupyter (:mod:`symbackprop.display`).  The stages behind them
(the document, the code generator, the checker, TeX) are imported on first use, so
``import symbackprop`` costs no more than the spec and derivation stages it always loads.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .conv.driver import ConvDerivation
from .conv.spec import ConvSpec
from .driver import DEFAULT_PROOF_BUDGET, Derivation, derive
from .errors import UserError
from .numeric import DEFAULT_MEMORY_BUDGET_MIB
from .proof import Proof, Verdict
from .rich_display import RichDisplay
from .spec import Spec

__all__ = ["Document", "MarkdownDocument", "Module", "ModuleCheckError", "Report", "ReportItem", "WebPage", "check",
           "codegen", "html", "latex", "markdown", "regenerate"]

PathLike = str | os.PathLike[str]


# -- latex ----------------------------------------------------------------------------------------------
class Document:
    """A derivation document: its LaTeX source, and the PDF compiled from it on demand.

    ``as_pdf`` (from ``latex(..., pdf=True)``) makes :meth:`save` write the PDF whatever the
    file's suffix; otherwise a ``.pdf`` path gets the PDF and any other the ``.tex``.
    """

    def __init__(self, tex: str, spec: Spec, notation: str, *, as_pdf: bool = False) -> None:
        self.tex = tex
        self.spec = spec
        self.notation = notation
        self.as_pdf = as_pdf
        self._pdf: bytes | None = None
        self._png: bytes | None = None

    def pdf_bytes(self) -> bytes:
        """The compiled PDF (pdflatex in the sandbox of :mod:`symbackprop.tex`; compiled once)."""
        if self._pdf is None:
            from . import tex

            self._pdf = tex.compile_pdf(self.tex)
        return self._pdf

    def save(self, path: PathLike, *, force: bool = False) -> Path:
        """Write the document atomically; a file symbackprop did not write needs ``force``."""
        from .fileio import write_atomic

        target = Path(path)
        data = self.pdf_bytes() if self.as_pdf or target.suffix == ".pdf" else self.tex
        return write_atomic(target, data, force=force)

    def png(self) -> bytes | None:
        """The first page as a PNG, or None where no TeX engine or no ``pdftoppm`` is installed."""
        from . import tex

        if self._png is None and shutil.which("pdftoppm") is not None:
            try:
                tex.find_engine()
            except UserError:
                return None
            self._png = tex.pdf_first_page_png(self.pdf_bytes())
        return self._png

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, object]:
        from .display import document_bundle

        return document_bundle(self)

    def __repr__(self) -> str:
        return (f"<Document: the derivation of {self.spec.shorthand()} in the {self.notation} notation, "
                f"{self.tex.count(chr(10))} lines of LaTeX>")


def _derived(spec_or_derivation: Spec | ConvSpec | Derivation | ConvDerivation | str, notation: str | None,
             max_weights: int, proof_budget: float | None,
             memory_budget: float | None) -> tuple[Derivation | ConvDerivation, str]:
    """The derivation a document is written from (derived here for a spec), and its notation."""
    if isinstance(spec_or_derivation, Derivation | ConvDerivation):
        return spec_or_derivation, notation or spec_or_derivation.notation
    spec = _spec(spec_or_derivation)
    derivation = derive(spec, max_parameters=max_weights, proof_budget=proof_budget, memory_budget=memory_budget)
    return derivation, notation or "nielsen"


def latex(spec_or_derivation: Spec | Derivation, notation: str | None = None, pdf: bool = False, *,
          highlight: str | None = None, expand: bool = True, weights: str | None = None, max_weights: int = 60,
          proof_budget: float | None = DEFAULT_PROOF_BUDGET,
          memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB) -> Document:
    """The derivation document of a spec (derived here) or of a derivation already made.

    ``notation`` defaults to the derivation's own (Nielsen's for a spec); ``highlight`` and
    ``weights`` name parameters as that notation writes them (``theta^(1)_{21}`` for ``ng``).
    ``pdf=True`` compiles at once, so a missing TeX or a TeX error is raised here.
    ``proof_budget`` and ``memory_budget`` are :func:`~symbackprop.driver.derive`'s.
    """
    from .document import build_document

    derivation, chosen = _derived(spec_or_derivation, notation, max_weights, proof_budget, memory_budget)
    text = build_document(derivation.spec, notation=chosen, highlight=highlight, expand=expand, weights=weights,
                          max_parameters=max_weights, derivation=derivation)
    document = Document(text, derivation.spec, chosen, as_pdf=pdf)
    if pdf:
        document.pdf_bytes()
    return document


# -- html and markdown ----------------------------------------------------------------------------------
class WebPage:
    """The derivation as one self-contained HTML page (MathML, inline SVG, no script)."""

    def __init__(self, page: str, spec: Spec, notation: str) -> None:
        self.html = page
        self.spec = spec
        self.notation = notation

    def save(self, path: PathLike, *, force: bool = False) -> Path:
        """Write the page atomically; a file symbackprop did not write needs ``force``."""
        from .fileio import write_atomic

        return write_atomic(path, self.html, force=force)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<WebPage: the derivation of {self.spec.shorthand()} in the {self.notation} notation>"


class MarkdownDocument:
    """The derivation as Markdown with ``$…$`` math, and the SVG figures it links beside it.

    ``files`` maps each file name (``<stem>.md``, ``<stem>-network.svg``, …) to its text;
    :meth:`save` writes them all into the folder of the ``.md`` path, figures first.
    """

    def __init__(self, files: dict[str, str], stem: str, spec: Spec, notation: str) -> None:
        self.files = files
        self.stem = stem
        self.spec = spec
        self.notation = notation

    @property
    def text(self) -> str:
        return self.files[f"{self.stem}.md"]

    def save(self, path: PathLike, *, force: bool = False) -> list[Path]:
        """Write the Markdown at ``path`` (named ``<stem>.md``) and its figures beside it, atomically."""
        from .fileio import write_atomic

        target = Path(path)
        if target.name not in (f"{self.stem}.md", self.stem):
            raise UserError(f"{target}: this document links its figures as {self.stem}-*.svg; save it as "
                            f"{self.stem}.md or make it with markdown(..., stem={target.name.removesuffix('.md')!r})",
                            "markdown")
        names = sorted(self.files, key=lambda name: name.endswith(".md"))  # figures first
        made: list[Path] = []  # files new to the folder: removed again if a later one cannot be written
        try:
            for name in names:
                new = not (target.parent / name).exists()
                made += [write_atomic(target.parent / name, self.files[name], force=force)] if new else []
        except BaseException:
            for path in made:
                path.unlink(missing_ok=True)
            raise
        return [target.parent / name for name in names]

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (f"<MarkdownDocument: the derivation of {self.spec.shorthand()} in the {self.notation} notation, "
                f"{len(self.files) - 1} figures>")


def html(spec_or_derivation: Spec | Derivation | str, notation: str | None = None, *, highlight: str | None = None,
         expand: bool = True, weights: str | None = None, max_weights: int = 60,
         proof_budget: float | None = DEFAULT_PROOF_BUDGET,
         memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB) -> WebPage:
    """The derivation as one HTML page; the options are :func:`latex`'s."""
    from .document import build_html

    derivation, chosen = _derived(spec_or_derivation, notation, max_weights, proof_budget, memory_budget)
    page = build_html(derivation.spec, notation=chosen, highlight=highlight, expand=expand, weights=weights,
                      max_parameters=max_weights, derivation=derivation)
    return WebPage(page, derivation.spec, chosen)


def markdown(spec_or_derivation: Spec | Derivation | str, notation: str | None = None, *,
             stem: str = "derivation", highlight: str | None = None, expand: bool = True,
             weights: str | None = None, max_weights: int = 60,
             proof_budget: float | None = DEFAULT_PROOF_BUDGET,
             memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB) -> MarkdownDocument:
    """The derivation as Markdown named ``<stem>.md``, with its figures; the options are :func:`latex`'s."""
    from .document import build_markdown

    derivation, chosen = _derived(spec_or_derivation, notation, max_weights, proof_budget, memory_budget)
    files = build_markdown(derivation.spec, stem=stem, notation=chosen, highlight=highlight, expand=expand,
                           weights=weights, max_parameters=max_weights, derivation=derivation)
    return MarkdownDocument(files, stem, derivation.spec, chosen)


def _spec(value: Spec | ConvSpec | str) -> Spec | ConvSpec:
    """A spec as given, or read from a shorthand or TOML path (``"3-4-2"``, ``"net.toml"``)."""
    if isinstance(value, Spec | ConvSpec):
        return value
    if isinstance(value, str | os.PathLike):
        return Spec.parse(os.fspath(value))
    raise UserError(f"expected a Spec, a Derivation, a shorthand or a TOML path, got {type(value).__name__}")


# -- codegen --------------------------------------------------------------------------------------------
class ModuleCheckError(Exception):
    """A check the training module relies on failed, so no module was made (``verdict`` says which)."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__(verdict.line())


class Module:
    """A generated training module: its source, and the checks it was generated after."""

    def __init__(self, source: str, spec: Spec, backend: str, dtype: str, proof: Proof) -> None:
        self.source = source
        self.spec = spec
        self.backend = backend
        self.dtype = dtype
        self.proof = proof

    def save(self, path: PathLike, *, force: bool = False) -> Path:
        """Write the source atomically; a file symbackprop did not write needs ``force``."""
        from .fileio import write_atomic

        return write_atomic(path, self.source, force=force)

    def matches(self, path: PathLike) -> bool:
        """Whether the file at ``path`` is this module byte for byte (``codegen --check``)."""
        from .training_module import check_module

        return check_module(path, self.source)

    def load(self) -> ModuleType:
        """The module imported from its source, without writing a file anywhere.

        Each call gives a fresh module (its own buffers), registered in ``sys.modules`` under a
        name made from the network's name and a hash of the source, so pickling its functions works.
        """
        from .training_module import load_module

        return load_module(self.source, self.spec.name)

    def _repr_html_(self) -> str:
        from .display import module_html

        return module_html(self)

    def __repr__(self) -> str:
        return (f"<Module: {self.backend} {self.dtype} training module for {self.spec.shorthand()}, "
                f"{self.source.count(chr(10))} lines>")


def codegen(spec: Spec | ConvSpec | Derivation | ConvDerivation | str, backend: str = "numpy",
            dtype: str = "float64", *, memory_budget: float | None = DEFAULT_MEMORY_BUDGET_MIB) -> Module:
    """The standalone training module of ``spec``, after the checks it relies on.

    Those are the σ' rewrites and the matrix forms against central differences, at full width
    where that fits ``memory_budget`` MiB (a :class:`~symbackprop.driver.Derivation` passed in
    has them in its proof already); a failure raises :class:`ModuleCheckError`.
    """
    from .conv.driver import derive_conv_layer_level
    from .driver import derive_layer_level
    from .training_module import BACKENDS, DTYPES, generate_module

    if backend not in BACKENDS:
        raise UserError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}", "backend")
    if dtype not in DTYPES:
        raise UserError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}", "dtype")
    if isinstance(spec, Derivation | ConvDerivation):
        derivation = spec
    else:
        network = _spec(spec)
        derivation = (derive_layer_level(network, memory_budget=memory_budget) if isinstance(network, Spec)
                      else derive_conv_layer_level(network, memory_budget=memory_budget))
    failure = derivation.proof.first_failure()
    if failure is not None:
        raise ModuleCheckError(failure)
    source = generate_module(derivation, dtype=dtype, backend=backend)
    return Module(source, derivation.spec, backend, dtype, derivation.proof)


# -- check ----------------------------------------------------------------------------------------------
CORRECT, INCORRECT, NOT_UNDERSTOOD, SKIPPED = "CORRECT", "INCORRECT", "NOT UNDERSTOOD", "skipped"
CONSISTENT, INCONSISTENT = "CONSISTENT", "INCONSISTENT"  # a definition, against the spec
TARGETS_SUM_TO_ONE = "Assumed: the targets sum to one (Σ_j y_j = 1); the last target is eliminated."


@dataclass(frozen=True)
class ReportItem:
    """The verdict on one equation (one side of a chained equation), as the report states it.

    A definition (forward pass, cost, activation) is CONSISTENT or INCONSISTENT with the spec.
    For an INCORRECT or INCONSISTENT one: the instance where it fails, the true right-hand side (LaTeX), the
    point, the values there of the symbols both sides use, both sides' values and the
    diagnoses; for one NOT UNDERSTOOD or skipped, ``reason``.
    """

    number: str
    equation: str
    verdict: str
    how: str = ""
    instance: str = ""
    true_rhs: str = ""
    point: str = ""
    nodes: str = ""
    values: str = ""
    diagnoses: tuple[str, ...] = ()
    reason: str = ""
    line: int | None = None  # the line of the equation's left side in ``origin``
    tag: str = ""  # the equation's tag or label there ("BP1", "22"), "" for none
    origin: str = ""  # the file's name, or "equation" for one given as text
    reading: tuple[str, ...] = ()  # with explain=True: how the equation was read, stage by stage

    @property
    def correct(self) -> bool:
        """The claim holds (CORRECT, or a definition CONSISTENT with the spec)."""
        return self.verdict in (CORRECT, CONSISTENT)

    @property
    def diagnosis(self) -> str:
        """The first diagnosis, or "" when none fits (or the equation is correct)."""
        return self.diagnoses[0] if self.diagnoses else ""


class Report(RichDisplay):
    """The checker's verdicts on hand-derived equations: iterate for one :class:`ReportItem` each."""

    def __init__(self, checked, items: tuple[ReportItem, ...], notes: tuple[str, ...] = ()) -> None:
        self._checked = checked
        self.items = items
        self.notes = notes  # what the verdicts assume
        self.spec: Spec = checked.spec
        self.notation: str = checked.notation.name
        self.against: str = checked.against()  # the spec and notation, in a few words
        self.conventions: str = checked.conventions()  # how layers and indices are numbered ($…$ math)

    @property
    def all_correct(self) -> bool:
        """Every equation that is a claim was understood and is correct."""
        return self.exit_code == 0

    @property
    def exit_code(self) -> int:
        """0 all correct, 1 one is incorrect, 2 one was not understood (``symbackprop check``)."""
        return self._checked.exit_code

    @property
    def unreadable(self) -> tuple[ReportItem, ...]:
        return tuple(item for item in self.items if item.verdict == NOT_UNDERSTOOD)

    def text(self) -> str:
        """The report as ``symbackprop check`` prints it."""
        return self._checked.text()

    def __iter__(self) -> Iterator[ReportItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> ReportItem:
        return self.items[index]

    def __repr__(self) -> str:
        return f"<Report: {self.text().splitlines()[-1]}>"


def _report(checked) -> Report:
    """The one place that reads the checker's report (``checker.CheckReport``)."""
    items = []
    for result in checked.results:
        common = {"number": result.number, "equation": result.text, "line": result.line, "tag": result.tag,
                  "origin": result.origin, "reading": result.reading}
        if result.unreadable:
            items.append(ReportItem(**common, verdict=NOT_UNDERSTOOD, reason=result.unreadable))
        elif result.skipped:
            items.append(ReportItem(**common, verdict=SKIPPED, reason=result.skipped))
        elif result.correct:
            items.append(ReportItem(**common, verdict=result.verdict, how=result.how, diagnoses=result.notes))
        else:
            failure = result.failure
            items.append(ReportItem(**common, verdict=result.verdict, instance=failure.instance,
                                    true_rhs=failure.true_rhs, point=failure.point, nodes=failure.nodes,
                                    values=failure.values, diagnoses=failure.diagnoses + result.notes))
    notes = (TARGETS_SUM_TO_ONE,) if checked.targets_sum_to_one else ()
    return Report(checked, tuple(items), notes)


def check(spec: Spec | str, equations_or_path: str | PathLike | Sequence[str | PathLike],
          notation: str = "auto", explain: bool = False) -> Report:
    """Check hand-derived equations against the true derivatives of ``spec``.

    ``equations_or_path`` is one equation, a list of them, or a ``.tex``/``.md``/``.txt`` file (a
    ``Path``, or a string with no ``=`` naming a file); a list may mix equations and files.  Tags,
    labels, punctuation and qualifiers are read off each equation (a qualifier restricts the
    instances checked), and each item says where its equation stands (``line``, ``tag``,
    ``origin``).  From a file every equation is read on its own: one that is not a gradient or δ
    is skipped, one that cannot be read is NOT UNDERSTOOD and the others are still checked.  Given
    directly, an equation that cannot be read raises :class:`~symbackprop.errors.EquationError`.
    ``notation`` is a profile (``nielsen``, ``ng``, ``higham``, ``source-first``, ``bishop``) or ``auto``:
    inferred from the equations themselves, the report saying what and from which equation.
    ``explain``: each item's ``reading`` (and the printed report) says how its equation was read:
    where it was found, the tree parsed, the claim named, what each symbol means.
    """
    from .checker import check_equations, snippets_from_equation, snippets_from_file

    given = [equations_or_path] if isinstance(equations_or_path, str | os.PathLike) else list(equations_or_path)
    equations = []
    from_file = False
    for entry in given:
        if isinstance(entry, os.PathLike) or "=" not in entry and os.path.isfile(entry):
            equations += snippets_from_file(os.fspath(entry))
            from_file = True
        else:
            equations += snippets_from_equation(entry)
    if not equations:
        raise UserError("nothing to check: give an equation or a .tex/.md/.txt file", "check")
    network = _spec(spec)
    if isinstance(network, ConvSpec):
        from .checker.conv import check_conv
        from .notation import AUTO
        from .notation import notation as notation_profile

        # the conv checker reads the layer's own array indices, whatever the profile
        profile = notation_profile("nielsen" if notation == AUTO else notation)
        return _report(check_conv(network, equations, profile, keep_going=from_file))
    return _report(check_equations(network, equations, notation=notation, keep_going=from_file, explain=explain))


# -- regenerate -----------------------------------------------------------------------------------------
def regenerate(directory: PathLike = "generated", check: bool = False) -> list[Path]:
    """Rewrite the committed examples in ``directory``; with ``check``, only list the stale files."""
    from .examples import regenerate as write_examples

    return write_examples(Path(directory), check=check)
