"""A small NumPy network for checking the corpus by numbers, independent of symbackprop.

Internally layers are numbered as in Nielsen (the input is layer 0, weight layers 1..L) and arrays
are destination-first and 0-based: ``W(l)[j, k]`` joins unit k of layer l-1 to unit j of layer l.
Every true derivative (``delta``, ``dCda``, ``gW``, ``gb``, the batch gradients, Jacobians) is
computed by central differences of the cost itself, never by a backpropagation formula, so a case's
right side written by hand in ``cases_*.py`` is compared with the mathematics, not with a formula.

The per-sample cost sums over the output units; the batch cost is the mean over the m samples.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property, wraps
from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parent.parent
STEP = 1e-5  # central differences in float64: truncation ~1e-10, rounding ~1e-11


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def dsig(z):
    return sig(z) * (1.0 - sig(z))


def relu(z):
    return np.maximum(z, 0.0)


def step(z):
    return (np.asarray(z) > 0).astype(float)


def softplus(z):
    return np.logaddexp(0.0, z)


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def leaky(slope):
    return lambda z: np.where(z > 0, z, slope * z)


ACTIVATIONS = {
    "sigmoid": sig,
    "tanh": np.tanh,
    "relu": relu,
    "identity": lambda z: np.asarray(z, float),
    "softplus": softplus,
    "softmax": softmax,
}

# per-output-unit costs c(a, y); the per-sample cost is their sum over the output units
COSTS = {
    "quadratic": lambda a, y: 0.5 * (a - y) ** 2,
    "binary_cross_entropy": lambda a, y: -(y * np.log(a) + (1 - y) * np.log(1 - a)),
    "cross_entropy": lambda a, y: -y * np.log(a),
    "(a - y)**2": lambda a, y: (a - y) ** 2,
}


def remembered(method):
    """Compute a (costly, central-difference) value once per draw; hand out copies."""

    @wraps(method)
    def wrapper(self, *args):
        key = (method.__name__, args)
        if key not in self._memo:
            self._memo[key] = method(self, *args)
        return np.copy(self._memo[key])

    return wrapper


def load_specs() -> dict[str, dict]:
    return tomllib.loads((CORPUS / "specs.toml").read_text(encoding="utf-8"))


def _activation(name: str):
    if name.startswith("leaky_relu"):
        return leaky(float(name.split(":")[1]) if ":" in name else 0.01)
    return ACTIVATIONS[name]


@dataclass(frozen=True)
class Shape:
    """What a specs.toml entry says: widths, one activation per weight layer, the cost, bias."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    cost: str
    bias: bool

    @classmethod
    def of(cls, entry: dict) -> Shape:
        sizes = tuple(int(n) for n in entry["shorthand"].split("-"))
        hidden = entry.get("activation", "sigmoid")
        output = entry.get("output_activation", hidden)
        cost = entry["cost"]
        cost = cost.split("=", 1)[1].strip() if "=" in cost else cost
        acts = tuple([hidden] * (len(sizes) - 2) + [output])
        return cls(sizes, acts, cost, bool(entry.get("bias", True)))


class Net:
    """One random draw: parameters, a batch of m samples (sample 0 is 'the' sample), targets."""

    def __init__(self, entry: dict, seed: int, m: int = 3):
        self.shape = Shape.of(entry)
        rng = np.random.default_rng(seed)
        n = self.shape.sizes
        self.L = len(n) - 1
        self.m = m
        self._W = {ell: rng.uniform(-1.5, 1.5, (n[ell], n[ell - 1])) for ell in range(1, self.L + 1)}
        self._b = {
            ell: (rng.uniform(-1.0, 1.0, n[ell]) if self.shape.bias else np.zeros(n[ell]))
            for ell in range(1, self.L + 1)
        }
        self.X = rng.uniform(-1.5, 1.5, (m, n[0]))
        if self.shape.cost == "cross_entropy":
            self.Y = rng.dirichlet(np.ones(n[-1]), size=m)
        else:
            self.Y = rng.uniform(0.05, 0.95, (m, n[-1]))
        self.acts = {ell: _activation(self.shape.activations[ell - 1]) for ell in range(1, self.L + 1)}
        self._memo: dict = {}

    # -- the spec's mathematics ------------------------------------------------------------------
    def act(self, ell: int, z):
        return self.acts[ell](np.asarray(z, float))

    def unit_cost(self, a, y):
        return COSTS[self.shape.cost](a, y)

    def cost_of_output(self, aL, y):
        return float(np.sum(self.unit_cost(aL, y)))

    def run(self, x, W=None, b=None, start: int = 0, start_value=None, start_kind: str = "a"):
        """Forward pass; optionally from z^start or a^start replaced by ``start_value``."""
        W = W or self._W
        b = b or self._b
        zs, as_ = {}, {0: np.asarray(x, float)}
        if start_value is not None:
            if start_kind == "z":
                zs[start] = np.asarray(start_value, float)
                as_[start] = self.act(start, zs[start])
            else:
                as_[start] = np.asarray(start_value, float)
        for ell in range(start + 1, self.L + 1):
            zs[ell] = W[ell] @ as_[ell - 1] + b[ell]
            as_[ell] = self.act(ell, zs[ell])
        return zs, as_

    @cached_property
    def _passes(self):
        return [self.run(self.X[s]) for s in range(self.m)]

    # -- values at the draw (sample s; 0 unless said) ---------------------------------------------
    def x(self, s: int = 0):
        return self.X[s]

    def y(self, s: int = 0):
        return self.Y[s]

    def a(self, ell: int, s: int = 0):
        return self._passes[s][1][ell]

    def z(self, ell: int, s: int = 0):
        return self._passes[s][0][ell]

    def W(self, ell: int):
        return self._W[ell]

    def b(self, ell: int):
        return self._b[ell]

    def C(self, s: int = 0):
        return self.cost_of_output(self.a(self.L, s), self.y(s))

    def C_batch(self):
        return float(np.mean([self.C(s) for s in range(self.m)]))

    def A(self, ell: int):
        return np.stack([self.a(ell, s) for s in range(self.m)])

    def Z(self, ell: int):
        return np.stack([self.z(ell, s) for s in range(self.m)])

    # -- the truth, by central differences ---------------------------------------------------------
    def _diff(self, f, v):
        v = np.array(v, float)
        out = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            up, down = v.copy(), v.copy()
            up[i] += STEP
            down[i] -= STEP
            out[i] = (f(up) - f(down)) / (2 * STEP)
        return out

    @remembered
    def delta(self, ell: int, s: int = 0):
        """∂C/∂z^l of sample s."""
        y = self.y(s)
        return self._diff(
            lambda v: self.cost_of_output(self.run(None, start=ell, start_value=v, start_kind="z")[1][self.L], y),
            self.z(ell, s),
        )

    @remembered
    def dCda(self, ell: int, s: int = 0):
        """∂C/∂a^l of sample s (a^0 = x)."""
        y = self.y(s)
        return self._diff(
            lambda v: self.cost_of_output(self.run(None, start=ell, start_value=v)[1][self.L], y), self.a(ell, s)
        )

    def _param_grad(self, which: str, ell: int, samples):
        def cost(v):
            W, b = dict(self._W), dict(self._b)
            (W if which == "W" else b)[ell] = v
            return np.mean([self.cost_of_output(self.run(self.X[s], W, b)[1][self.L], self.Y[s]) for s in samples])

        return self._diff(cost, (self._W if which == "W" else self._b)[ell])

    @remembered
    def gW(self, ell: int, s: int = 0):
        return self._param_grad("W", ell, [s])

    @remembered
    def gb(self, ell: int, s: int = 0):
        return self._param_grad("b", ell, [s])

    @remembered
    def gW_batch(self, ell: int):
        return self._param_grad("W", ell, range(self.m))

    @remembered
    def gb_batch(self, ell: int):
        return self._param_grad("b", ell, range(self.m))

    def Delta(self, ell: int):
        """The batch of errors: one row δ^l per sample."""
        return np.stack([self.delta(ell, s) for s in range(self.m)])

    def jac_a_z(self, ell: int, s: int = 0):
        """∂a^l_k/∂z^l_j as a matrix [k, j]."""
        z = self.z(ell, s)
        return np.stack([self._diff(lambda v, k=k: self.act(ell, v)[k], z) for k in range(len(z))])

    @remembered
    def jac(self, out_kind: str, out_l: int, in_kind: str, in_l: int, s: int = 0):
        """∂(out_kind^out_l)_k / ∂(in_kind^in_l)_j as a matrix [k, j], by running the net forward."""
        start = self.z(in_l, s) if in_kind == "z" else self.a(in_l, s)

        def value(v, k):
            zs, as_ = self.run(None, start=in_l, start_value=v, start_kind=in_kind)
            if out_kind == "z" and out_l == in_l and in_kind == "a":
                raise ValueError("z^l does not depend on a^l")
            return (zs if out_kind == "z" else as_)[out_l][k]

        width = len(self.z(out_l, s)) if out_kind == "z" else len(self.a(out_l, s))
        return np.stack([self._diff(lambda v, k=k: value(v, k), start) for k in range(width)])

    @remembered
    def dz_dW(self, ell: int, s: int = 0):
        """∂z^l_j/∂w^l_{j'k} as an array [j, j', k]."""

        def z_of(v, j):
            W = dict(self._W)
            W[ell] = v
            return (W[ell] @ self.a(ell - 1, s) + self._b[ell])[j]

        return np.stack([self._diff(lambda v, j=j: z_of(v, j), self._W[ell]) for j in range(self._W[ell].shape[0])])

    def act_at(self, ell: int, zgrid):
        """The spec's activation of layer l, elementwise at the points ``zgrid``."""
        return (
            np.array([self.act(ell, np.array([t]))[0] for t in zgrid])
            if ell != self.L or self.shape.activations[-1] != "softmax"
            else None
        )

    def act_prime_at(self, ell: int, zgrid):
        """The derivative of layer l's (elementwise) activation at ``zgrid``, by central differences."""
        f = self.acts[ell]
        return np.array([(f(np.array([t + STEP]))[0] - f(np.array([t - STEP]))[0]) / (2 * STEP) for t in zgrid])

    def zgrid(self):
        """Points to compare activation definitions at (away from 0, where ReLU has its kink)."""
        g = np.random.default_rng(7).uniform(-3, 3, 9)
        return g[np.abs(g) > 1e-3]


def layers(lo: int, hi: int):
    return range(lo, hi + 1)


class Instances(tuple):
    """The values of a claim at each instance of a free layer index, each keeping its shape."""


def over(ls, f):
    """f(l) for every l in ls (a claim with a free layer index)."""
    return Instances(np.asarray(f(ell), float) for ell in ls)


REGISTRY: dict[str, object] = {}


def case(key: str):
    """Register the hand-written two sides of a case (an equations.toml id or 'DOC#claim-id')."""

    def register(fn):
        if key in REGISTRY:
            raise ValueError(f"two verifications for {key}")
        REGISTRY[key] = fn
        return fn

    return register


UNDEFINED = np.full((1, 1, 1), np.inf)  # a side whose product is not even defined for the spec's widths


def hidden(N: Net):
    """The hidden layers 1..L-1 (internal numbering)."""
    return range(1, N.L)


def weights(N: Net):
    """The weight layers 1..L."""
    return range(1, N.L + 1)
