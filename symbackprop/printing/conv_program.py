"""Printers of the image nodes of the training program (:mod:`symbackprop.ir`), one per backend.

* :class:`ConvInPlacePrinter` (NumPy) and :class:`ConvCuPyInPlacePrinter` — the in-place form:
  windows as a strided view (``sliding_window_view``), copied into a preallocated buffer where a
  matmul reads them, one ``matmul`` per contraction, pooling and scatters offset by offset on
  strided views, every result written with ``out=``;
* :class:`ConvPurePrinter` — JAX's pure form: the same nodes as new values (``jnp.pad``, strided
  slices offset by offset, ``@``, ``.at[...].add``), fused by XLA.

Each adds one ``_print_<Node>`` per image node to the dense printers of
:mod:`symbackprop.printing.program`; images are (C, m, H, W), shapes come from the arrays.
"""

from __future__ import annotations

from ..ir import (
    Contract,
    KernelGradient,
    KernelProducts,
    Pool,
    Program,
    Relayout,
    Scatter,
    Unpool,
    Windows,
)
from .program import CuPyInPlacePrinter, InPlacePrinter, PurePrinter, shared_values


def shape_text(shape: tuple[int | str, ...]) -> str:
    """A shape for ``reshape``: the batch size m as -1."""
    inner = ", ".join("-1" if size == "m" else str(size) for size in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


class ConvInPlace:
    """The in-place form of the image nodes (mixed into a dense in-place printer)."""

    #: The module's name for ``sliding_window_view`` of its array module (``templates/module_conv.py.j2``).
    windows_function = "_windows"

    def _print_Relayout(self, node: Relayout) -> list[str]:
        source = f"{self.operand(node.source)}.reshape({shape_text(node.shape)})"
        if node.view:
            return [f"{node.out.name} = {source}.reshape({shape_text(node.out.shape)})"]
        target = tuple(node.shape[axis] for axis in node.axes)
        out = node.out.name if target == node.out.shape else f"{node.out.name}.reshape({shape_text(target)})"
        return [f"{self.xp}.copyto({out}, {source}.transpose{node.axes})"]

    def _print_Windows(self, node: Windows) -> list[str]:
        lines, source = [], self.operand(node.source)
        if node.padded is not None:
            (ph, pw), (_, _, rows, columns) = node.padding, node.padded.shape
            lines.append(f"{self.xp}.copyto({node.padded.name}[:, :, {ph}:{rows - ph}, {pw}:{columns - pw}], "
                         f"{source})")
            source = node.padded.name
        (sh, sw) = node.stride
        view = f"{self.windows_function}({source}, {node.kernel}, axis=(2, 3))"
        if (sh, sw) != (1, 1):
            view += f"[:, :, {f'::{sh}' if sh > 1 else ':'}, {f'::{sw}' if sw > 1 else ':'}]"
        if node.view:
            return lines + [f"{node.out.name} = {view}"]
        return lines + [f"{self.xp}.copyto({node.out.name}, {view}.transpose(0, 4, 5, 1, 2, 3))"]

    def _print_Contract(self, node: Contract) -> list[str]:
        out, channels = node.out.name, node.out.shape[0]
        rows = node.windows.shape[0] * node.windows.shape[1] * node.windows.shape[2]
        weight = self.operand(node.kernel)
        lines = [f"{self.xp}.matmul({weight}.reshape({channels}, {rows}), {node.windows.name}.reshape({rows}, -1), "
                 f"out={out}.reshape({channels}, -1))"]
        if node.bias is not None:
            lines.append(f"{self.xp}.add({out}, {self.operand(node.bias)}.reshape(-1, 1, 1, 1), out={out})")
        return lines

    def _print_KernelProducts(self, node: KernelProducts) -> list[str]:
        channels = node.delta.shape[0]
        rows = node.out.shape[0] * node.out.shape[1] * node.out.shape[2]
        weight = self.operand(node.weight)
        return [f"{self.xp}.matmul({weight}.reshape({channels}, {rows}).T, "
                f"{self.operand(node.delta)}.reshape({channels}, -1), out={node.out.name}.reshape({rows}, -1))"]

    def _print_Scatter(self, node: Scatter) -> list[str]:
        out, source = node.out.name, node.source.name
        lines = [f"{self.xp}.copyto({out}, 0.0)"]
        for (p, q), out_rows, out_columns, in_rows, in_columns in node.placements:
            part = f"{out}[:, :, {_slice_text(out_rows)}, {_slice_text(out_columns)}]"
            terms = f"{source}[:, {p}, {q}, :, {_slice_text(in_rows)}, {_slice_text(in_columns)}]"
            lines.append(f"{self.xp}.add({part}, {terms}, out={part})")
        return lines

    def _print_KernelGradient(self, node: KernelGradient) -> list[str]:
        channels = node.out.shape[0]
        rows = node.out.shape[1] * node.out.shape[2] * node.out.shape[3]
        delta = f"{self.operand(node.delta)}.reshape({channels}, -1)"
        lines = [f"{self.xp}.matmul({delta}, {node.windows.name}.reshape({rows}, -1).T, "
                 f"out={node.out.name}.reshape({channels}, {rows}))"]
        if node.bias_out is not None:  # the sum over samples and positions, as a product with ones (BLAS)
            lines.append(f"{self.xp}.matmul({delta}, {node.ones.name}, out={node.bias_out.name})")
        return lines

    def _print_Pool(self, node: Pool) -> list[str]:
        (kh, kw), out = node.windows.shape[-2:], node.out.name
        entries = [f"{node.windows.name}[..., {p}, {q}]" for p in range(kh) for q in range(kw)]
        if node.mode == "avg":
            lines = [f"{self.xp}.add({entries[0]}, {entries[1]}, out={out})"] if len(entries) > 1 else [
                f"{self.xp}.copyto({out}, {entries[0]})"]
            lines += [f"{self.xp}.add({out}, {entry}, out={out})" for entry in entries[2:]]
            return lines + [f"{self.xp}.multiply({out}, {1 / len(entries)!r}, out={out})"]
        index, greater = node.argmax.name, node.greater.name
        lines = [f"{self.xp}.copyto({out}, {entries[0]})", f"{self.xp}.copyto({index}, 0)"]
        for t, entry in enumerate(entries[1:], start=1):  # strictly greater: the first maximum keeps its place
            lines += [f"{self.xp}.greater({entry}, {out}, out={greater})",
                      f"{self.xp}.copyto({index}, {t}, where={greater})",
                      f"{self.xp}.maximum({out}, {entry}, out={out})"]
        return lines

    def _print_Unpool(self, node: Unpool) -> list[str]:
        out, delta = node.out.name, self.operand(node.delta)
        lines = [] if node.tiled else [f"{self.xp}.copyto({out}, 0.0)"]
        kw = max(q for (_, q), *_ in node.placements) + 1
        count = len(node.placements) if node.tiled else None
        for (p, q), out_rows, out_columns, in_rows, in_columns in node.placements:
            part = f"{out}[:, :, {_slice_text(out_rows)}, {_slice_text(out_columns)}]"
            source = f"[:, :, {_slice_text(in_rows)}, {_slice_text(in_columns)}]"
            if node.mode == "max":
                lines.append(f"{self.xp}.equal({node.argmax.name}, {p * kw + q}, out={node.mask.name})")
                value = (f"{node.mask.name}{source}", f"{delta}{source}")
            else:
                value = (f"{delta}{source}", repr(1 / (count or _window(node))))
            if node.tiled:
                lines.append(f"{self.xp}.multiply({value[0]}, {value[1]}, out={part})")
            else:
                lines.append(f"{self.xp}.add({part}, {value[0]} * {value[1]}, out={part})")
        return lines


def _window(node: Unpool) -> int:
    """The number of entries of a window (for the mean), from the offsets its placements use."""
    rows = max(p for (p, _), *_ in node.placements) + 1
    columns = max(q for (_, q), *_ in node.placements) + 1
    return rows * columns


def _slice_text(bounds: tuple[int, int, int]) -> str:
    start, stop, step = bounds
    return f"{start}:{stop}" + (f":{step}" if step > 1 else "")


class ConvInPlacePrinter(ConvInPlace, InPlacePrinter):
    """NumPy: the dense in-place printer and the image nodes."""


class ConvCuPyInPlacePrinter(ConvInPlace, CuPyInPlacePrinter):
    """CuPy: the same with CuPy's module and reductions."""


def shape_of(array, batch: str) -> str:
    """An array's shape with the batch size m written as ``batch`` (an expression of the function)."""
    return "(" + ", ".join(batch if size == "m" else str(size) for size in array.shape) + ")"


class ConvPurePrinter(PurePrinter):
    """JAX: every image node as a new value (``jnp.pad``, slices, ``@``, ``.at[...].add``); XLA fuses them."""

    def block(self, program: Program, name: str, also: set[str] = frozenset()) -> list[str]:
        """The dense pure printer's block, with the forward pass's dict of values one entry per line."""
        lines = super().block(program, name, also)
        if name == "forward":
            head = lines[-1].partition(", {")[0]
            shared = [f'    "{array.name}": {array.name},' for array in shared_values(program, also)]
            lines[-1:] = [f"{head}, {{", *shared, "}"]
        return lines

    def _print_Relayout(self, node: Relayout) -> list[str]:
        text = f"{self.operand(node.source)}.reshape({shape_text(node.shape)})"
        target = tuple(node.shape[axis] for axis in node.axes)
        if node.axes != tuple(range(len(node.axes))) and not node.view:
            text += f".transpose{node.axes}"
        if target != node.out.shape or node.view:
            text += f".reshape({shape_text(node.out.shape)})"
        return [f"{node.out.name} = {text}"]

    def _entries(self, node: Windows) -> tuple[list[str], str]:
        """The lines padding the source, and a comprehension of its k_h·k_w strided slices (offset by offset)."""
        lines, source = [], self.operand(node.source)
        if node.padded is not None:
            (ph, pw) = node.padding
            lines.append(f"{node.padded.name} = jnp.pad({source}, ((0, 0), (0, 0), ({ph}, {ph}), ({pw}, {pw})))")
            source = node.padded.name
        (kh, kw), (sh, sw) = node.kernel, node.stride
        rows, columns = node.out.shape[-2:] if not node.view else node.out.shape[2:4]
        picks = f"[:, :, p:p + {sh * (rows - 1) + 1}{f':{sh}' if sh > 1 else ''}, " \
                f"q:q + {sw * (columns - 1) + 1}{f':{sw}' if sw > 1 else ''}]"
        return lines, f"[{source}{picks} for p in range({kh}) for q in range({kw})]"

    def _print_Windows(self, node: Windows) -> list[str]:
        lines, entries = self._entries(node)
        if node.view:  # the windows' entries, offset by offset, for the pooling that reads them
            return lines + [f"{node.out.name} = {entries}"]
        out = node.out.name
        return lines + [f"{out} = {entries}", f"{out} = jnp.stack({out}, axis=1).reshape({shape_text(node.out.shape)})"]

    def _print_Contract(self, node: Contract) -> list[str]:
        channels = node.out.shape[0]
        rows = node.windows.shape[0] * node.windows.shape[1] * node.windows.shape[2]
        out = node.out.name
        lines = [f"{out} = ({self.operand(node.kernel)}.reshape({channels}, {rows}) @ "
                 f"{node.windows.name}.reshape({rows}, -1)).reshape({shape_text(node.out.shape)})"]
        if node.bias is not None:
            lines.append(f"{out} = {out} + {self.operand(node.bias)}.reshape(-1, 1, 1, 1)")
        return lines

    def _print_KernelProducts(self, node: KernelProducts) -> list[str]:
        channels = node.delta.shape[0]
        rows = node.out.shape[0] * node.out.shape[1] * node.out.shape[2]
        return [f"{node.out.name} = ({self.operand(node.weight)}.reshape({channels}, {rows}).T @ "
                f"{self.operand(node.delta)}.reshape({channels}, -1)).reshape({shape_text(node.out.shape)})"]

    def _print_Scatter(self, node: Scatter) -> list[str]:
        out, source = node.out.name, node.source.name
        lines = [f"{out} = jnp.zeros({shape_of(node.out, 'X.shape[0]')}, {source}.dtype)"]
        for (p, q), out_rows, out_columns, in_rows, in_columns in node.placements:
            lines.append(f"{out} = {out}.at[:, :, {_slice_text(out_rows)}, {_slice_text(out_columns)}].add("
                         f"{source}[:, {p}, {q}, :, {_slice_text(in_rows)}, {_slice_text(in_columns)}])")
        return lines

    def _print_KernelGradient(self, node: KernelGradient) -> list[str]:
        channels = node.out.shape[0]
        rows = node.out.shape[1] * node.out.shape[2] * node.out.shape[3]
        delta = f"{self.operand(node.delta)}.reshape({channels}, -1)"
        scaled = f" * {node.scale.name}" if node.scale is not None else ""
        lines = [f"{node.out.name} = ({delta} @ {node.windows.name}.reshape({rows}, -1).T)"
                 f".reshape({shape_text(node.out.shape)}){scaled}"]
        if node.bias_out is not None:
            lines.append(f"{node.bias_out.name} = jnp.sum({delta}, axis=1){scaled}")
        return lines

    def _print_Pool(self, node: Pool) -> list[str]:
        stacked = f"jnp.stack({node.windows.name})"
        if node.mode == "avg":
            return [f"{node.out.name} = jnp.mean({stacked}, axis=0)"]
        return [f"{node.out.name} = jnp.max({stacked}, axis=0)",
                f"{node.argmax.name} = jnp.argmax({stacked}, axis=0)  # the first maximum"]

    def _print_Unpool(self, node: Unpool) -> list[str]:
        out, delta = node.out.name, self.operand(node.delta)
        lines = [f"{out} = jnp.zeros({shape_of(node.out, 'X.shape[0]')}, {delta}.dtype)"]
        kw = max(q for (_, q), *_ in node.placements) + 1
        for (p, q), out_rows, out_columns, in_rows, in_columns in node.placements:
            source = f"[:, :, {_slice_text(in_rows)}, {_slice_text(in_columns)}]"
            if node.mode == "max":
                value = f"jnp.where({node.argmax.name}{source} == {p * kw + q}, {delta}{source}, 0.0)"
            else:
                value = f"{delta}{source} * {1 / _window(node)!r}"
            method = "set" if node.tiled else "add"
            lines.append(f"{out} = {out}.at[:, :, {_slice_text(out_rows)}, {_slice_text(out_columns)}].{method}("
                         f"{value})")
        return lines


CONV_PRINTERS = {"numpy": ConvInPlacePrinter, "cupy": ConvCuPyInPlacePrinter, "jax": ConvPurePrinter}
