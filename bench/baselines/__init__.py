"""Step runners: one uniform interface over the generated module and the baselines.

Every implementation is built by ``make(sizes, hidden="sigmoid", seed=0, *, params=None,
backend="numpy")`` and returns a :class:`StepRunner`:

* ``prepare(X, Y)`` turns float32 NumPy arrays (``X`` of shape (m, n_0), one-hot ``Y`` of
  shape (m, n_L)) into the runner's own array type, once, outside the timed region;
* ``sgd_step(X, Y, lr)`` does one full SGD step in place on prepared data and returns the
  mean cross-entropy loss (possibly as a device scalar; ``float()`` it when needed);
* ``sync()`` waits for queued device work (a no-op on the CPU);
* ``params()`` returns the current parameters as NumPy float32 arrays ``W1..Wn`` of shape
  (n_l, n_{l-1}) and ``b1..bn`` of shape (n_l,).

``params`` given to ``make`` (the same dict layout) sets the initial values, so that all
implementations can start from the generated module's ``init_params(seed)``; without it the
runner uses :func:`init_params`. Hidden activations are ``sigmoid`` or ``relu``; the output is
softmax with cross-entropy. ``backend`` is ``numpy`` (CPU), ``cupy`` (GPU) or ``jax`` (JAX's
default device), the generated module's.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

HIDDEN = ("sigmoid", "relu")
#: Implementations by name; each module has ``make`` with the signature described above.
IMPLS = {
    "generated": None,
    "torch": "bench.baselines.torch_step",
    "jax": "bench.baselines.jax_step",
    "loop": "bench.baselines.network_loop",
    "floor": "bench.baselines.matmul_floor",
}


class StepRunner(Protocol):
    """One implementation of a full SGD step (see the module docstring)."""

    name: str

    def prepare(self, X: np.ndarray, Y: np.ndarray) -> tuple[Any, Any]: ...

    def sgd_step(self, X: Any, Y: Any, lr: float) -> Any: ...

    def sync(self) -> None: ...

    def params(self) -> dict[str, np.ndarray]: ...


def to_numpy(array: Any) -> np.ndarray:
    """A float32 NumPy copy of a NumPy, CuPy or torch array."""
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    elif hasattr(array, "get") and not isinstance(array, np.ndarray) and not hasattr(array, "block_until_ready"):
        array = array.get()
    return np.array(array, dtype=np.float32)


def init_params(sizes: tuple[int, ...], seed: int = 0) -> dict[str, np.ndarray]:
    """Default initial parameters: W_l ~ N(0, 1/n_{l-1}), b_l ~ N(0, 1), float32."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for layer in range(1, len(sizes)):
        fan_in = sizes[layer - 1]
        out[f"W{layer}"] = (rng.standard_normal((sizes[layer], fan_in)) / np.sqrt(fan_in)).astype(np.float32)
        out[f"b{layer}"] = rng.standard_normal(sizes[layer]).astype(np.float32)
    return out


def initial(sizes: tuple[int, ...], seed: int, params: dict[str, Any] | None) -> dict[str, np.ndarray]:
    """``params`` as NumPy float32 arrays (biases flattened), or :func:`init_params`."""
    if params is None:
        return init_params(sizes, seed)
    out = {k: to_numpy(v) for k, v in params.items()}
    for layer in range(1, len(sizes)):
        out[f"W{layer}"] = out[f"W{layer}"].reshape(sizes[layer], sizes[layer - 1])
        out[f"b{layer}"] = out[f"b{layer}"].reshape(sizes[layer])
    return out


def make_data(sizes: tuple[int, ...], batch: int, seed: int = 0, count: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` random mini-batches: X uniform in [0, 1), one-hot Y from random labels."""
    rng = np.random.default_rng(seed + 12345)
    eye = np.eye(sizes[-1], dtype=np.float32)
    return [(rng.random((batch, sizes[0]), dtype=np.float32), eye[rng.integers(0, sizes[-1], batch)])
            for _ in range(count)]


def load_module(path: str | Path) -> ModuleType:
    """Import a generated module from a file path."""
    path = Path(path)
    name = f"_symbackprop_generated_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class GeneratedRunner:
    """Adapter from a generated module's contract to :class:`StepRunner`."""

    name = "generated"

    def __init__(self, module: ModuleType, seed: int = 0, backend: str = "numpy") -> None:
        self.module = module
        self.state = module.init_params(seed)
        self.xp = _array_module(backend)
        self._sync = _syncer(backend, lambda: self.state)

    def prepare(self, X: np.ndarray, Y: np.ndarray) -> tuple[Any, Any]:
        return self.xp.asarray(X), self.xp.asarray(Y)

    def sgd_step(self, X: Any, Y: Any, lr: float) -> Any:
        return self.module.sgd_step(self.state, X, Y, lr)

    def sync(self) -> None:
        self._sync()

    def params(self) -> dict[str, np.ndarray]:
        return {k: to_numpy(v).reshape(-1) if k.startswith("b") else to_numpy(v) for k, v in self.state.items()}

    def compiled_step(self, X: Any, Y: Any, lr: float) -> Any:
        """The JAX module's compiled update for these shapes (XLA's cost analysis reads it)."""
        return self.module._sgd_update.lower(dict(self.state), X, Y, lr).compile()


def _array_module(backend: str) -> ModuleType:
    """``numpy`` or ``cupy``."""
    if backend == "numpy":
        return np
    if backend == "cupy":
        import cupy

        return cupy
    if backend == "jax":
        import jax.numpy

        return jax.numpy
    raise ValueError(f"unknown backend {backend!r}")


def _syncer(backend: str, state: Any = None) -> Any:
    """A function that waits for the backend's queued work (for JAX: until ``state()`` is computed)."""
    if backend == "cupy":
        import cupy

        return cupy.cuda.get_current_stream().synchronize
    if backend == "jax" and state is not None:
        import jax

        return lambda: jax.block_until_ready(state())
    return lambda: None


def make_runner(impl: str, sizes: tuple[int, ...], hidden: str, seed: int = 0, *,
                module: ModuleType | None = None, backend: str = "numpy") -> StepRunner:
    """Build the runner ``impl``; baselines start from ``module.init_params(seed)`` if given."""
    if impl == "generated":
        if module is None:
            raise ValueError("the generated runner needs a module")
        return GeneratedRunner(module, seed, backend)
    if impl not in IMPLS:
        raise ValueError(f"unknown implementation {impl!r}; choose from {', '.join(IMPLS)}")
    params = module.init_params(seed) if module is not None else None
    maker = importlib.import_module(IMPLS[impl]).make
    return maker(sizes, hidden, seed, params=params, backend=backend)
