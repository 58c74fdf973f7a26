"""Printers of the image nodes of the training program (:mod:`symbackprop.ir`), one per backend.

* :class:`ConvInPlacePrinter` (NumPy) and :class:`ConvCuPyInPlacePrinter` — the in-place form:
  windows as a strided view (``sliding_window_view``) copied into a preallocated buffer, one
  ``matmul`` per contraction, every result written with ``out=``;

Each adds one ``_print_<Node>`` per image node to the dense printers of
:mod:`symbackprop.printing.program`; shapes come from the arrays, "m" printed as -1.
"""

from __future__ import annotations

from ..ir import (
    Array,
    Contract,
    Dilate,
    FlipKernel,
    Gather,
    KernelGradient,
    Parameter,
    Pool,
    Relayout,
    Route,
    Windows,
)
from .program import CuPyInPlacePrinter, InPlacePrinter


def shape_text(shape: tuple[int | str, ...]) -> str:
    """A shape for ``reshape``: the batch size m as -1."""
    inner = ", ".join("-1" if size == "m" else str(size) for size in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _slice(front: int, step: int, count: int) -> str:
    """The slice of ``count`` positions from ``front`` every ``step``."""
    end = front + step * (count - 1) + 1
    return f"{front}:{end}" + (f":{step}" if step > 1 else "")


def _flips(flip: tuple[bool, bool]) -> str:
    return ", ".join(["::-1" if flip[0] else ":", "::-1" if flip[1] else ":"])


def _matrix(printer, kernel) -> str:
    """A contraction's kernel as a (K, C_out) matrix: a weight (C_out, C_in, kh, kw) reshaped and transposed."""
    if isinstance(kernel, Parameter):
        return f"{printer.operand(kernel)}.reshape({kernel_rows(kernel)}, -1).T"
    return printer.operand(kernel)


def kernel_rows(kernel: Parameter) -> str:
    """The output channels of a conv weight, read from the array at run time (the printers know no shapes)."""
    return f'params["{kernel.name}"].shape[0]'


class ConvInPlace:
    """The in-place form of the image nodes (mixed into a dense in-place printer)."""

    windows_function = "np.lib.stride_tricks.sliding_window_view"

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
            (ph, pw), (_, rows, columns, _) = node.padding, node.padded.shape
            lines.append(f"{self.xp}.copyto({node.padded.name}[:, {ph}:{rows - ph}, {pw}:{columns - pw}], {source})")
            source = node.padded.name
        (sh, sw) = node.stride
        view = f"{self.windows_function}({source}, {node.kernel}, axis=(1, 2))"
        picks = [f"::{sh}" if sh > 1 else ":", f"::{sw}" if sw > 1 else ":"]
        if node.crop is not None:
            picks = [f":{node.crop[0]}", f":{node.crop[1]}"]
        if picks != [":", ":"]:
            view += f"[:, {picks[0]}, {picks[1]}]"
        return lines + [f"{self.xp}.copyto({node.out.name}, {view})"]

    def _print_Contract(self, node: Contract) -> list[str]:
        out, width = node.out.name, node.out.shape[-1]
        rows = node.windows.shape[-3] * node.windows.shape[-2] * node.windows.shape[-1]
        lines = [f"{self.xp}.matmul({node.windows.name}.reshape(-1, {rows}), {_matrix(self, node.kernel)}, "
                 f"out={out}.reshape(-1, {width}))"]
        if node.bias is not None:
            lines.append(f"{self.xp}.add({out}, {self.operand(node.bias)}, out={out})")
        return lines

    def _print_Dilate(self, node: Dilate) -> list[str]:
        (_, rows, columns, _) = node.source.shape
        picks = f"{_slice(node.front[0], node.dilation[0], rows)}, {_slice(node.front[1], node.dilation[1], columns)}"
        return [f"{self.xp}.copyto({node.out.name}[:, {picks}], {self.operand(node.source)})"]

    def _print_FlipKernel(self, node: FlipKernel) -> list[str]:
        weight = self.operand(node.weight)
        target = f"{node.out.name}.reshape({weight}.shape[0], {weight}.shape[2], {weight}.shape[3], -1)"
        return [f"{self.xp}.copyto({target}, {weight}[:, :, {_flips(node.flip)}].transpose(0, 2, 3, 1))"]

    def _print_KernelGradient(self, node: KernelGradient) -> list[str]:
        channels = node.out.shape[0]
        rows = node.out.shape[1] * node.out.shape[2] * node.out.shape[3]
        delta = f"{self.operand(node.delta)}.reshape(-1, {channels})"
        lines = [f"{self.xp}.matmul({delta}.T, {node.windows.name}.reshape(-1, {rows}), "
                 f"out={node.out.name}.reshape({channels}, {rows}))"]
        if node.bias_out is not None:
            lines.append(f"{self.reductions['sum']}({delta}, axis=0, out={node.bias_out.name})")
        return lines

    def _entries(self, windows: Array) -> str:
        """The windows as (m, H', W', C, kh·kw)."""
        (_, rows, columns, channels, kh, kw) = windows.shape
        return f"{windows.name}.reshape(-1, {rows}, {columns}, {channels}, {kh * kw})"

    def _print_Pool(self, node: Pool) -> list[str]:
        entries, out = self._entries(node.windows), node.out.name
        if node.mode == "max":
            return [f"{self.reductions['max']}({entries}, axis=4, out={out})",
                    f"{self.xp}.argmax({entries}, axis=4, out={node.argmax.name})  # the first maximum"]
        count = node.windows.shape[-1] * node.windows.shape[-2]
        return [f"{self.reductions['sum']}({entries}, axis=4, out={out})",
                f"{self.xp}.multiply({out}, {1 / count!r}, out={out})"]

    def _print_Route(self, node: Route) -> list[str]:
        out, delta, count = node.out.name, self.operand(node.delta), node.out.shape[-1]
        if node.mode == "max":
            return [f"{self.xp}.equal({self.xp}.arange({count}), {node.argmax.name}[..., None], out={out})",
                    f"{self.xp}.multiply({out}, {delta}[..., None], out={out})"]
        return [f"{self.xp}.copyto({out}, {delta}[..., None])", f"{self.xp}.multiply({out}, {1 / count!r}, out={out})"]

    def _print_Gather(self, node: Gather) -> list[str]:
        (_, rows, columns, channels, _), (kh, kw), (sh, sw) = node.routed.shape, node.kernel, node.stride
        out, routed = node.out.name, node.routed.name
        (_, height, width, _) = node.out.shape
        if (sh, sw) == (kh, kw) and (height, width) == (rows * kh, columns * kw):  # windows tile the input
            return [f"{self.xp}.copyto({out}.reshape(-1, {rows}, {kh}, {columns}, {kw}, {channels}), "
                    f"{routed}.reshape(-1, {rows}, {columns}, {channels}, {kh}, {kw}).transpose(0, 1, 4, 2, 5, 3))"]
        lines = [f"{self.xp}.copyto({out}, 0.0)"]
        for p in range(kh):
            for q in range(kw):
                part = f"{out}[:, {_slice(p, sh, rows)}, {_slice(q, sw, columns)}]"
                lines.append(f"{self.xp}.add({part}, {routed}[..., {p * kw + q}], out={part})")
        return lines


class ConvInPlacePrinter(ConvInPlace, InPlacePrinter):
    """NumPy: the dense in-place printer and the image nodes."""


class ConvCuPyInPlacePrinter(ConvInPlace, CuPyInPlacePrinter):
    """CuPy: the same with CuPy's module and reductions."""

    windows_function = "cp.lib.stride_tricks.sliding_window_view"


CONV_PRINTERS = {"numpy": ConvInPlacePrinter, "cupy": ConvCuPyInPlacePrinter}
