"""PyTorch eager baseline: ``nn.Linear`` layers, ``F.cross_entropy`` with one-hot targets.

The mean loss over the batch is backpropagated by autograd and applied with
``torch.optim.SGD`` (no momentum, no weight decay), in float32, on the CPU (``backend="numpy"``)
or on CUDA (``backend="cupy"``). Importing this module raises :class:`TorchUnavailableError` (an
``ImportError``) with a readable message when torch cannot be imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import HIDDEN, initial


class TorchUnavailableError(ImportError):
    """torch (or CUDA for the GPU backend) is not available."""


try:
    import torch
    from torch import nn
    from torch.nn import functional
except ImportError as error:  # pragma: no cover - depends on the environment
    raise TorchUnavailableError(
        f"torch is not importable ({error}); install torch==2.13.0 to run this baseline") from error


class TorchRunner:
    """A ``nn.Sequential`` MLP trained by ``torch.optim.SGD``."""

    name = "torch"

    def __init__(self, sizes: tuple[int, ...], hidden: str, params: dict[str, np.ndarray], device: str) -> None:
        if hidden not in HIDDEN:
            raise ValueError(f"hidden activation must be one of {HIDDEN}, not {hidden!r}")
        self.device = torch.device(device)
        layers: list[nn.Module] = []
        for layer in range(1, len(sizes)):
            linear = nn.Linear(sizes[layer - 1], sizes[layer])
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(params[f"W{layer}"]))
                linear.bias.copy_(torch.from_numpy(params[f"b{layer}"]))
            layers.append(linear)
            if layer < len(sizes) - 1:
                layers.append(nn.Sigmoid() if hidden == "sigmoid" else nn.ReLU())
        self.model = nn.Sequential(*layers).to(self.device, torch.float32)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01)

    def prepare(self, X: np.ndarray, Y: np.ndarray) -> tuple[Any, Any]:
        return (torch.from_numpy(np.ascontiguousarray(X, np.float32)).to(self.device),
                torch.from_numpy(np.ascontiguousarray(Y, np.float32)).to(self.device))

    def sgd_step(self, X: Any, Y: Any, lr: float) -> Any:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.zero_grad(set_to_none=True)
        loss = functional.cross_entropy(self.model(X), Y)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def params(self) -> dict[str, np.ndarray]:
        linears = [m for m in self.model if isinstance(m, nn.Linear)]
        out = {}
        for layer, linear in enumerate(linears, start=1):
            out[f"W{layer}"] = linear.weight.detach().cpu().numpy().copy()
            out[f"b{layer}"] = linear.bias.detach().cpu().numpy().copy()
        return out


def make(sizes: tuple[int, ...], hidden: str = "sigmoid", seed: int = 0, *,
         params: dict[str, Any] | None = None, backend: str = "numpy") -> TorchRunner:
    """A :class:`TorchRunner` on the CPU (``numpy``) or CUDA (``cupy``)."""
    device = "cuda" if backend == "cupy" else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise TorchUnavailableError(f"torch {torch.__version__} has no CUDA device")
    torch.manual_seed(seed)
    return TorchRunner(tuple(sizes), hidden, initial(tuple(sizes), seed, params), device)


def describe() -> dict[str, Any]:
    """Version and thread facts about this torch."""
    info: dict[str, Any] = {"torch": torch.__version__, "torch_threads": torch.get_num_threads()}
    if torch.cuda.is_available():
        info["torch_cuda"] = torch.version.cuda
    return info
