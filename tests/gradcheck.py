"""A generic gradient checker shared by every test (central differences in float64)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


def numeric_gradients(cost: Callable[[dict[str, np.ndarray]], float], params: Mapping[str, np.ndarray],
                      step: float = 1e-6) -> dict[str, np.ndarray]:
    """∂cost/∂p for every entry of every array in ``params`` by central differences."""
    work = {key: np.array(value, dtype=np.float64, copy=True) for key, value in params.items()}
    grads = {}
    for key, array in work.items():
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + step
            upper = cost(work)
            array[index] = original - step
            lower = cost(work)
            array[index] = original
            grad[index] = (upper - lower) / (2 * step)
        grads[key] = grad
    return grads


def max_relative_error(left: Mapping[str, np.ndarray], right: Mapping[str, np.ndarray],
                       floor: float = 1e-8) -> float:
    """The largest |l − r| / max(|l|, |r|, floor) over all keys and entries."""
    assert set(left) == set(right), (sorted(left), sorted(right))
    worst = 0.0
    for key in left:
        a, b = np.asarray(left[key], dtype=np.float64), np.asarray(right[key], dtype=np.float64)
        assert a.shape == b.shape, (key, a.shape, b.shape)
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
        worst = max(worst, float(np.max(np.abs(a - b) / scale)))
    return worst
