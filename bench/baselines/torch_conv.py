"""PyTorch eager baseline for convolutional networks: the layers of a ConvSpec as ``nn.Conv2d``,
``nn.MaxPool2d``/``nn.AvgPool2d``, ``nn.Flatten`` and ``nn.Linear``, ``F.cross_entropy``, ``torch.optim.SGD``.

:func:`make` builds it from a spec and the generated module's initial parameters (same layout:
``W{l}`` of shape (out, in, kh, kw) or (out, in), ``b{l}``), on the CPU, in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .torch_step import TorchRunner, TorchUnavailableError, describe, nn, torch

__all__ = ["TorchUnavailableError", "describe", "make"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}


def _layers(spec, params: dict[str, np.ndarray]) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for number, layer in enumerate(spec.layers, start=1):
        if layer.kind == "conv2d":
            module = nn.Conv2d(spec.shapes[number - 1][0], layer.channels, layer.kernel, layer.stride,
                               layer.padding, bias=spec.bias)
        elif layer.kind in ("maxpool2d", "avgpool2d"):
            pool = nn.MaxPool2d if layer.kind == "maxpool2d" else nn.AvgPool2d
            layers.append(pool(layer.kernel, layer.stride))
            continue
        else:
            if len(spec.shapes[number - 1]) == 3:
                layers.append(nn.Flatten())
            module = nn.Linear(spec.sizes[number - 1], layer.size, bias=spec.bias)
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(np.asarray(params[f"W{number}"], np.float32)))
            if spec.bias:
                module.bias.copy_(torch.from_numpy(np.asarray(params[f"b{number}"], np.float32)))
        layers.append(module)
        if number < spec.depth:
            layers.append(_ACTIVATIONS[layer.activation.name]())
    return layers


class TorchConvRunner(TorchRunner):
    """A ``nn.Sequential`` CNN trained by ``torch.optim.SGD`` (softmax + cross-entropy output), stepped as
    the dense baseline's."""

    name = "torch"

    def __init__(self, spec, params: dict[str, np.ndarray]) -> None:  # not TorchRunner's: layers from a spec
        self.spec = spec
        self.device = torch.device("cpu")
        self.model = nn.Sequential(*_layers(spec, params)).to(torch.float32)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01)

    def prepare(self, X: np.ndarray, Y: np.ndarray) -> tuple[Any, Any]:
        images = np.ascontiguousarray(X, np.float32).reshape(-1, *self.spec.input_shape)
        return torch.from_numpy(images), torch.from_numpy(np.ascontiguousarray(Y, np.float32))

    def params(self) -> dict[str, np.ndarray]:
        found, modules = {}, [m for m in self.model if isinstance(m, nn.Conv2d | nn.Linear)]
        numbers = [n for n, layer in enumerate(self.spec.layers, start=1) if layer.has_parameters]
        for number, module in zip(numbers, modules, strict=True):
            found[f"W{number}"] = module.weight.detach().numpy().copy()
            if module.bias is not None:
                found[f"b{number}"] = module.bias.detach().numpy().copy()
        return found


def make(spec, params: dict[str, Any], seed: int = 0) -> TorchConvRunner:
    torch.manual_seed(seed)
    return TorchConvRunner(spec, {key: np.asarray(value) for key, value in params.items()})
