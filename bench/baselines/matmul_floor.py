"""The floor: only the matrix multiplications of one SGD step, into preallocated arrays.

Per layer l (W_l of shape (n_l, n_{l-1})): forward ``Z_l = A_{l-1} @ W_l.T``; backward
``G_l = D_l.T @ A_{l-1}`` and, for l > 1, ``D_{l-1} = D_l @ W_l`` (the gradient with respect
to the input X is not needed by a training step, so it is not counted). All arrays are float32
and written with ``out=``; no activation, bias, loss or update work is done, so the
time is a lower bound for any implementation that uses the same BLAS (cuBLAS for ``cupy``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _array_module, _syncer, initial


class MatmulFloor:
    """Preallocated operands for the matmuls of one step."""

    name = "floor"

    def __init__(self, sizes: tuple[int, ...], params: dict[str, np.ndarray], backend: str, seed: int) -> None:
        self.sizes = sizes
        self.xp = _array_module(backend)
        self._sync = _syncer(backend)
        self.layers = len(sizes) - 1
        self.W = [None] + [self.xp.asarray(params[f"W{k}"]) for k in range(1, self.layers + 1)]
        self.batch = 0
        self.seed = seed

    def _allocate(self, m: int) -> None:
        """Output buffers for a batch of ``m`` rows; the output delta is fixed random data."""
        xp, f32 = self.xp, np.float32
        rng = np.random.default_rng(self.seed)
        self.Z = [None] + [xp.empty((m, n), f32) for n in self.sizes[1:]]
        self.D = [None] + [xp.empty((m, n), f32) for n in self.sizes[1:]]
        self.D[-1][...] = xp.asarray(rng.standard_normal((m, self.sizes[-1])).astype(f32) / m)
        self.G = [None] + [xp.empty_like(w) for w in self.W[1:]]
        self.batch = m

    def prepare(self, X: np.ndarray, Y: np.ndarray) -> tuple[Any, Any]:
        self._allocate(X.shape[0])
        return self.xp.asarray(np.ascontiguousarray(X, np.float32)), self.xp.asarray(Y)

    def sgd_step(self, X: Any, Y: Any, lr: float) -> None:
        """Forward and backward matmuls only; ``Y`` and ``lr`` are unused."""
        matmul, W, Z, D, G = self.xp.matmul, self.W, self.Z, self.D, self.G
        if X.shape[0] != self.batch:
            self._allocate(X.shape[0])
        A = [X, *Z[1:]]
        for layer in range(1, self.layers + 1):
            matmul(A[layer - 1], W[layer].T, out=Z[layer])
        for layer in range(self.layers, 0, -1):
            matmul(D[layer].T, A[layer - 1], out=G[layer])
            if layer > 1:
                matmul(D[layer], W[layer], out=D[layer - 1])

    def sync(self) -> None:
        self._sync()

    def params(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for layer in range(1, self.layers + 1):
            w = self.W[layer]
            out[f"W{layer}"] = np.array(w.get() if hasattr(w, "get") and not isinstance(w, np.ndarray) else w)
        return out


def make(sizes: tuple[int, ...], hidden: str = "sigmoid", seed: int = 0, *,
         params: dict[str, Any] | None = None, backend: str = "numpy") -> MatmulFloor:
    """A :class:`MatmulFloor` (``hidden`` does not matter: no activation is computed)."""
    return MatmulFloor(tuple(sizes), initial(tuple(sizes), seed, params), backend, seed)
