"""The command line: a thin layer over the Python API.

``symbackprop derive|codegen|latex|html|markdown|check|regenerate|demo``.  Every user mistake becomes one
line on stderr and exit code 2; ``check`` exits 1 when an equation is incorrect; SIGINT and
SIGTERM end a command with ``symbackprop: interrupted`` and exit code 130 or 143, once the
clean-ups on the way out (TeX's process group, temporary files) have run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import UserError
from .interrupts import Interrupted, interruptible, swallowed
from .notation import AUTO, CHOICES
from .spec import Spec

DEMO_SPEC = "3-4-2"


def _spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="widths joined by '-' (e.g. 784-100-10), layers such as "
                        "1x8x8-conv16k3p1-maxpool2-10 (defaults: relu, softmax output, cross_entropy), "
                        "or a TOML spec file")
    parser.add_argument("--activation", help="hidden-layer activation: a built-in name, "
                        "leaky_relu:SLOPE, or NAME=EXPR in z (default: sigmoid)")
    parser.add_argument("--output-activation", help="output-layer activation (default: --activation)")
    parser.add_argument("--cost", help="quadratic, binary_cross_entropy, cross_entropy, or NAME=EXPR in a "
                        "and y (default: quadratic)")
    parser.add_argument("--no-bias", dest="bias", action="store_false", default=None, help="no bias terms")
    parser.add_argument("--name", help="network name (an identifier)")


def spec_from_arguments(arguments: argparse.Namespace) -> Spec:
    """The spec named on the command line, with only the options the user gave."""
    options = {key: getattr(arguments, key) for key in ("activation", "output_activation", "cost", "bias", "name")
               if getattr(arguments, key) is not None}
    return Spec.parse(arguments.spec, **options)


def _derive(arguments: argparse.Namespace) -> int:
    from .driver import Derivation, derive
    from .report import derivation_summary

    derivation = derive(spec_from_arguments(arguments), max_parameters=arguments.max_weights,
                        proof_budget=arguments.proof_budget, memory_budget=arguments.memory_budget)
    if isinstance(derivation, Derivation):
        print(derivation_summary(derivation))
    else:  # a network with convolution or pooling layers
        from .conv.report import conv_summary

        print(conv_summary(derivation))
    return 0 if derivation.proof.holds else 1


def _demo(arguments: argparse.Namespace) -> int:
    arguments.spec = DEMO_SPEC
    for key in ("activation", "output_activation", "cost", "bias", "name"):
        setattr(arguments, key, None)
    print(f"symbackprop demo: deriving the built-in example {DEMO_SPEC} (sigmoid, quadratic cost)\n")
    return _derive(arguments)


def _codegen(arguments: argparse.Namespace) -> int:
    from .api import ModuleCheckError, codegen

    if arguments.check and arguments.output is None:
        raise UserError("--check needs -o FILE, the module to compare", "codegen")
    try:
        module = codegen(spec_from_arguments(arguments), backend=arguments.backend, dtype=arguments.dtype,
                         memory_budget=arguments.memory_budget)
    except ModuleCheckError as failure:
        print(f"symbackprop: no module written: {failure}", file=sys.stderr)
        return 1
    if arguments.check:
        fresh = module.matches(arguments.output)
        print(f"{arguments.output}: {'up to date' if fresh else 'STALE (regenerate it)'}")
        return 0 if fresh else 1
    if arguments.output is None:
        sys.stdout.write(module.source)
        return 0
    module.save(arguments.output, force=arguments.force)
    print(f"wrote {arguments.output}")
    for equation in ("layer-level", "batched"):
        print(f"    {equation + ':':<13}{module.proof.summary(equation)}")
    return 0


def _latex(arguments: argparse.Namespace) -> int:
    from .api import latex

    output = Path(arguments.output) if arguments.output else None
    pdf = arguments.pdf or (output is not None and output.suffix == ".pdf")
    if output is None and pdf:
        raise UserError("a PDF needs -o FILE.pdf", "latex")
    document = latex(spec_from_arguments(arguments), notation=arguments.notation, pdf=pdf,
                     highlight=arguments.highlight, expand=arguments.expand, weights=arguments.weights,
                     max_weights=arguments.max_weights, proof_budget=arguments.proof_budget,
                     memory_budget=arguments.memory_budget)
    if output is None:
        sys.stdout.write(document.tex)
        return 0
    document.save(output, force=arguments.force)
    print(f"wrote {output}")
    return 0


def _web(arguments: argparse.Namespace) -> int:
    """``html`` (one page) and ``markdown`` (the .md and its SVG figures beside it)."""
    from .api import html, markdown

    options = dict(notation=arguments.notation, highlight=arguments.highlight, expand=arguments.expand,
                   weights=arguments.weights, max_weights=arguments.max_weights, proof_budget=arguments.proof_budget,
                   memory_budget=arguments.memory_budget)
    output = Path(arguments.output) if arguments.output else None
    if arguments.command == "html":
        page = html(spec_from_arguments(arguments), **options)
        if output is None:
            sys.stdout.write(page.html)
            return 0
        written = [page.save(output, force=arguments.force)]
    else:
        if output is None:
            raise UserError("Markdown is written with its figures beside it: give -o FILE.md", "markdown")
        document = markdown(spec_from_arguments(arguments), stem=output.name.removesuffix(".md"), **options)
        written = document.save(output, force=arguments.force)
    for path in written:
        print(f"wrote {path}")
    return 0


def _check(arguments: argparse.Namespace) -> int:
    from .api import check

    sources: list[str | Path] = list(arguments.equation or [])
    if arguments.file:
        sources.append(Path(arguments.file))
    if not sources:
        raise UserError("nothing to check: give --equation '...' or --file FILE.tex", "check")
    report = check(spec_from_arguments(arguments), sources, notation=arguments.notation, explain=arguments.explain)
    print(report.text())
    if report.unreadable:
        first = report.unreadable[0]
        print(f"symbackprop: error: {len(report.unreadable)} of {len(report)} equations not understood "
              f"(the first, [{first.number}]: {first.reason})", file=sys.stderr)
    return report.exit_code


def _regenerate(arguments: argparse.Namespace) -> int:
    from .api import regenerate

    stale = regenerate(arguments.directory, check=arguments.check)
    for path in stale:
        print(f"{'STALE' if arguments.check else 'wrote'} {path}")
    return 1 if arguments.check and stale else 0


PROOF_BUDGET = 30.0  # seconds; the same as driver.DEFAULT_PROOF_BUDGET (not imported: it pulls in SymPy)
MEMORY_BUDGET = 256.0  # MiB; the same as numeric.DEFAULT_MEMORY_BUDGET_MIB (likewise)


def _limit(name: str, zero: bool):
    """An argparse type: a number of ``name`` (0 only where ``zero``), or inf for no limit (None)."""

    def limit(text: str) -> float | None:
        value = float(text)
        if not (value >= 0 if zero else value > 0):
            raise ValueError(text)
        return None if value == float("inf") else value

    limit.__name__ = name  # argparse names the type in its error message
    return limit


def _proof_budget_argument(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """--proof-budget SECONDS: the whole symbolic proof's time limit (0: numeric checks only; inf: none)."""
    parser.add_argument("--proof-budget", type=_limit("number of seconds", zero=True), default=PROOF_BUDGET,
                        metavar="SECONDS",
                        help=help_text or f"seconds for the whole symbolic proof; past them the remaining partials are "
                        f"checked numerically only, and the verdicts say so (default {PROOF_BUDGET:g}; "
                        "0: numeric checks only; inf: no limit)")


def _memory_budget_argument(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """--memory-budget MIB: the memory of the numeric check of the matrix and batched forms."""
    parser.add_argument("--memory-budget", type=_limit("positive number of MiB", zero=False), default=MEMORY_BUDGET,
                        metavar="MIB",
                        help=help_text or "MiB the numeric check of the matrix and batched forms may use; a network "
                        "that needs more is checked at capped widths, and the verdicts say so "
                        f"(default {MEMORY_BUDGET:g}; inf: no limit)")


def _document_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every derivation document takes (latex, html, markdown)."""
    parser.add_argument("--notation", choices=("nielsen", "ng", "higham"), default="nielsen")
    parser.add_argument("--highlight", help="a weight or bias whose paths to the cost are drawn, named in the "
                        "--notation numbering: w^2_{11} (nielsen), theta^(1)_{21} (ng; also \\theta or w), "
                        "w^[3]_{12} (higham); brackets and braces optional")
    parser.add_argument("--no-expand", dest="expand", action="store_false",
                        help="do not list the expanded chain-rule form of each partial")
    parser.add_argument("--weights", help="which partials to list: all, none, or a comma list like w^2_{11},b^1_2, "
                        "named like --highlight")
    parser.add_argument("--max-weights", type=int, default=60, metavar="N",
                        help="list partials per weight only up to N parameters (default 60)")
    _proof_budget_argument(parser)
    _memory_budget_argument(parser)
    parser.add_argument("--force", action="store_true", help="overwrite a file not generated by symbackprop")


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line (exit 2), like every other user error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def _get_values(self, action: argparse.Action, arg_strings: list[str]):
        # argparse drops a "--" given as an option's value (--activation=--) and hands [] on as the
        # value; keep it a string, so it fails like any other bad value instead of with a traceback.
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symbackprop", description="Derive backpropagation for your network "
                                     "symbolically: proof, LaTeX, NumPy training code, and a checker.")
    parser.add_argument("--version", action="version", version=f"symbackprop {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str,
                spec: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if spec:
            _spec_arguments(sub)
        sub.set_defaults(handler=handler)
        return sub

    derive_parser = command("derive", _derive, "derive and prove the backprop equations of a network")
    derive_parser.add_argument("--max-weights", type=int, default=120, metavar="N",
                               help="list and prove partials per weight up to N parameters (default 120)")
    _proof_budget_argument(derive_parser)
    _memory_budget_argument(derive_parser)
    demo = command("demo", _demo, f"derive the built-in example {DEMO_SPEC}", spec=False)
    demo.add_argument("--max-weights", type=int, default=120, help=argparse.SUPPRESS)
    _proof_budget_argument(demo, argparse.SUPPRESS)
    _memory_budget_argument(demo, argparse.SUPPRESS)

    codegen = command("codegen", _codegen, "generate a standalone NumPy (CuPy, JAX) training module")
    codegen.add_argument("-o", "--output", help="the .py file to write (default: stdout)")
    codegen.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    codegen.add_argument("--backend", choices=("numpy", "cupy", "jax"), default="numpy")
    codegen.add_argument("--check", action="store_true", help="only say whether -o FILE is up to date")
    codegen.add_argument("--force", action="store_true", help="overwrite a file not generated by symbackprop")
    _memory_budget_argument(codegen)

    latex = command("latex", _latex, "write the derivation as a LaTeX document (or PDF)")
    latex.add_argument("-o", "--output", help="the .tex or .pdf file to write (default: .tex on stdout)")
    latex.add_argument("--pdf", action="store_true", help="compile to PDF with a TeX engine")
    _document_arguments(latex)
    html = command("html", _web, "write the derivation as one self-contained HTML page (MathML, SVG)")
    html.add_argument("-o", "--output", help="the .html file to write (default: stdout)")
    _document_arguments(html)
    markdown = command("markdown", _web, "write the derivation as Markdown ($ math) with SVG figures beside it")
    markdown.add_argument("-o", "--output", help="the .md file to write; figures go beside it as NAME-*.svg")
    _document_arguments(markdown)

    check = command("check", _check, "check hand-derived backprop equations")
    check.add_argument("--equation", action="append", help="an equation in LaTeX or plain form (repeatable)")
    check.add_argument("--file", help="a .tex, .md or .txt file; every equation found in it is checked")
    check.add_argument("--notation", choices=CHOICES, default=AUTO,
                       help="the notation profile, or auto (the default): inferred from the equations")
    check.add_argument("--explain", action="store_true",
                       help="show how each equation was read: where it was found, the tree parsed, the claim, "
                       "what each symbol means")

    regenerate = command("regenerate", _regenerate, "rewrite the committed examples in generated/", spec=False)
    regenerate.add_argument("directory", nargs="?", default="generated")
    regenerate.add_argument("--check", action="store_true", help="only list stale files (exit 1 if any)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; SIGINT and SIGTERM stop it cleanly (one line, exit status 130 or 143)."""
    with interruptible():
        try:
            arguments = build_parser().parse_args(argv)
            status = arguments.handler(arguments)
        except UserError as error:
            print(f"symbackprop: error: {error.message}", file=sys.stderr)
            return 2
        except (Interrupted, KeyboardInterrupt) as error:
            return _interrupted(error.exit_code if isinstance(error, Interrupted) else 130)
        # a signal whose exception a library caught and dropped still ends the run as interrupted
        return status if swallowed() is None else _interrupted(128 + swallowed())


def _interrupted(status: int) -> int:
    print("symbackprop: interrupted", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
