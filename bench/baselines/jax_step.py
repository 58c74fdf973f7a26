"""JAX reference: what a JAX user writes — ``jax.jit`` of an SGD step through ``jax.grad``.

The forward pass (``x @ W.T + b``, ``jax.nn.sigmoid``/``jax.nn.relu``, ``jax.nn.log_softmax``
and the mean cross-entropy with one-hot targets) is differentiated by ``jax.value_and_grad``
and the update ``p - lr·g`` is compiled with it into one XLA computation, the parameters
donated as in the generated JAX module, in float32 on JAX's default device. Importing this
module raises :class:`JaxUnavailableError` (an ``ImportError``) when JAX cannot be imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import HIDDEN, initial


class JaxUnavailableError(ImportError):
    """JAX is not available."""


try:
    import jax
    import jax.numpy as jnp
except ImportError as error:  # pragma: no cover - depends on the environment
    raise JaxUnavailableError(f"jax is not importable ({error}); pip install jax to run this baseline") from error


def _loss(params: dict[str, Any], X: Any, Y: Any, hidden: str, layers: int) -> Any:
    activation = jax.nn.sigmoid if hidden == "sigmoid" else jax.nn.relu
    a = X
    for layer in range(1, layers):
        a = activation(a @ params[f"W{layer}"].T + params[f"b{layer}"])
    logits = a @ params[f"W{layers}"].T + params[f"b{layers}"]
    return -(Y * jax.nn.log_softmax(logits, axis=1)).sum() / X.shape[0]


class JaxRunner:
    """Parameters as JAX arrays, updated by one jitted step."""

    name = "jax"

    def __init__(self, sizes: tuple[int, ...], hidden: str, params: dict[str, np.ndarray]) -> None:
        if hidden not in HIDDEN:
            raise ValueError(f"hidden activation must be one of {HIDDEN}, not {hidden!r}")
        layers = len(sizes) - 1
        self.state = {key: jnp.asarray(value, jnp.float32) for key, value in params.items()}

        def step(params, X, Y, lr):
            value, grads = jax.value_and_grad(_loss)(params, X, Y, hidden, layers)
            return jax.tree.map(lambda p, g: p - lr * g, params, grads), value

        self._step = jax.jit(step, donate_argnums=(0,))

    def prepare(self, X: np.ndarray, Y: np.ndarray) -> tuple[Any, Any]:
        return jnp.asarray(X, jnp.float32), jnp.asarray(Y, jnp.float32)

    def sgd_step(self, X: Any, Y: Any, lr: float) -> Any:
        self.state, value = self._step(self.state, X, Y, lr)
        return value

    def sync(self) -> None:
        jax.block_until_ready(self.state)

    def params(self) -> dict[str, np.ndarray]:
        return {key: np.asarray(value, np.float32) for key, value in self.state.items()}

    def compiled_step(self, X: Any, Y: Any, lr: float) -> Any:
        """The compiled step for these shapes (XLA's cost analysis reads it)."""
        return self._step.lower(self.state, X, Y, lr).compile()


def make(sizes: tuple[int, ...], hidden: str = "sigmoid", seed: int = 0, *,
         params: dict[str, Any] | None = None, backend: str = "numpy") -> JaxRunner:
    """A :class:`JaxRunner` (JAX picks the device; ``backend`` is the generated module's)."""
    return JaxRunner(tuple(sizes), hidden, initial(tuple(sizes), seed, params))


def describe() -> dict[str, Any]:
    """Version and device facts about this JAX."""
    return {"jax": jax.__version__, "jax_device": str(jax.devices()[0])}
