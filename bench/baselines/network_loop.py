"""Per-sample loop baseline in the style of Michael Nielsen's textbook ``network.py``.

Column vectors, one backpropagation per sample of the mini-batch, the nablas summed and the
step ``w -= lr/m * nabla_w`` applied at the end. Hidden sigmoid or relu, softmax output with
cross-entropy (so the output delta is ``a - y``), float32 throughout, NumPy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import HIDDEN, initial

F32 = np.float32


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return F32(1.0) / (F32(1.0) + np.exp(-z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid."""
    s = sigmoid(z)
    return s * (F32(1.0) - s)


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0)."""
    return np.maximum(z, F32(0.0))


def relu_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of relu (0 at z = 0)."""
    return (z > 0).astype(F32)


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax of a column vector."""
    e = np.exp(z - z.max())
    return e / e.sum()


ACTIVATIONS = {"sigmoid": (sigmoid, sigmoid_prime), "relu": (relu, relu_prime)}


class Network:
    """Nielsen-style network: ``weights[l]`` is (n_{l+1}, n_l), ``biases[l]`` is (n_{l+1}, 1)."""

    name = "loop"

    def __init__(self, sizes: tuple[int, ...], hidden: str, params: dict[str, np.ndarray]) -> None:
        if hidden not in HIDDEN:
            raise ValueError(f"hidden activation must be one of {HIDDEN}, not {hidden!r}")
        self.sizes = tuple(sizes)
        self.num_layers = len(sizes)
        self.act, self.act_prime = ACTIVATIONS[hidden]
        n = self.num_layers - 1
        self.weights = [params[f"W{k}"].astype(F32).copy() for k in range(1, n + 1)]
        self.biases = [params[f"b{k}"].astype(F32).reshape(-1, 1).copy() for k in range(1, n + 1)]

    def prepare(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.ascontiguousarray(X, dtype=F32), np.ascontiguousarray(Y, dtype=F32)

    def sync(self) -> None:
        pass

    def params(self) -> dict[str, np.ndarray]:
        out = {}
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True), start=1):
            out[f"W{k}"], out[f"b{k}"] = w.copy(), b.reshape(-1).copy()
        return out

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        """Output of the network for the column vector ``a``."""
        for b, w in zip(self.biases[:-1], self.weights[:-1], strict=True):
            a = self.act(w @ a + b)
        return softmax(self.weights[-1] @ a + self.biases[-1])

    def sgd_step(self, X: np.ndarray, Y: np.ndarray, lr: float) -> float:
        """``update_mini_batch``: one SGD step on the rows of X, Y; returns the mean loss."""
        nabla_b = [np.zeros(b.shape, F32) for b in self.biases]
        nabla_w = [np.zeros(w.shape, F32) for w in self.weights]
        loss = 0.0
        for x, y in zip(X, Y, strict=True):
            delta_nabla_b, delta_nabla_w, sample_loss = self.backprop(x.reshape(-1, 1), y.reshape(-1, 1))
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b, strict=True)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w, strict=True)]
            loss += sample_loss
        eta = F32(lr / len(X))
        self.weights = [w - eta * nw for w, nw in zip(self.weights, nabla_w, strict=True)]
        self.biases = [b - eta * nb for b, nb in zip(self.biases, nabla_b, strict=True)]
        return loss / len(X)

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], float]:
        """Gradient of the cross-entropy for one sample, and its loss."""
        nabla_b: list[Any] = [None] * len(self.biases)
        nabla_w: list[Any] = [None] * len(self.weights)
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases[:-1], self.weights[:-1], strict=True):
            z = w @ activation + b
            zs.append(z)
            activation = self.act(z)
            activations.append(activation)
        z = self.weights[-1] @ activation + self.biases[-1]
        zs.append(z)
        shifted = z - z.max()
        log_softmax = shifted - np.log(np.exp(shifted).sum())
        activations.append(np.exp(log_softmax))
        sample_loss = float(-(y * log_softmax).sum())
        delta = activations[-1] - y  # softmax + cross-entropy
        nabla_b[-1] = delta
        nabla_w[-1] = delta @ activations[-2].T
        for layer in range(2, self.num_layers):
            sp = self.act_prime(zs[-layer])
            delta = (self.weights[-layer + 1].T @ delta) * sp
            nabla_b[-layer] = delta
            nabla_w[-layer] = delta @ activations[-layer - 1].T
        return nabla_b, nabla_w, sample_loss


def make(sizes: tuple[int, ...], hidden: str = "sigmoid", seed: int = 0, *,
         params: dict[str, Any] | None = None, backend: str = "numpy") -> Network:
    """A :class:`Network` (NumPy only: ``backend`` must be ``numpy``)."""
    if backend != "numpy":
        raise ValueError("the per-sample loop baseline runs on NumPy only")
    return Network(tuple(sizes), hidden, initial(tuple(sizes), seed, params))
