"""Chain-rule steps, ∂C/∂a^L, definitions of the forward pass and the cost, expansions with ⋯,
sums over paths, Iverson brackets, softmax and logistic outputs."""

import numpy as np
from netlib import case, dsig, hidden, over, sig, step, weights


def diag_jac(N, ell):
    return np.diag(N.jac("a", ell, "z", ell))


# -- chain-rule steps -------------------------------------------------------------------------------
case("chain-da-dz-component")(
    lambda N: (over(weights(N), lambda ell: diag_jac(N, ell)), over(weights(N), lambda ell: dsig(N.z(ell))))
)
case("chain-da-dz-at-a")(
    lambda N: (over(weights(N), lambda ell: diag_jac(N, ell)), over(weights(N), lambda ell: dsig(N.a(ell))))
)
case("chain-da-dz-vector")(
    lambda N: (over(weights(N), lambda ell: diag_jac(N, ell)), over(weights(N), lambda ell: dsig(N.z(ell))))
)
case("chain-da-dz-in-a")(lambda N: (diag_jac(N, N.L), N.a(N.L) * (1 - N.a(N.L))))


def from_layers(N):
    return range(0, N.L)  # ∂z^{l+1}/∂a^l for l = 0..L-1 (a^0 = x)


case("chain-dz-da")(
    lambda N: (
        over(from_layers(N), lambda ell: N.jac("z", ell + 1, "a", ell)),
        over(from_layers(N), lambda ell: N.W(ell + 1)),
    )
)
case("chain-dz-da-swapped")(
    lambda N: (
        over(from_layers(N), lambda ell: N.jac("z", ell + 1, "a", ell)),
        over(from_layers(N), lambda ell: N.W(ell + 1).T),
    )
)


def dz_dw_component(N, ell):
    """∂z^l_j/∂w^l_{jk} as the matrix [j, k]."""
    d = N.dz_dW(ell)
    return np.stack([d[j, j] for j in range(d.shape[0])])


def rows_of(vector, n_rows):
    return np.tile(vector, (n_rows, 1))


case("chain-dz-dw")(
    lambda N: (
        over(weights(N), lambda ell: dz_dw_component(N, ell)),
        over(weights(N), lambda ell: rows_of(N.a(ell - 1), len(N.z(ell)))),
    )
)
case("chain-dz-dw-wrong-layer")(
    lambda N: (
        over(weights(N), lambda ell: dz_dw_component(N, ell)),
        over(weights(N), lambda ell: rows_of(N.a(ell), len(N.z(ell)))),
    )
)


@case("chain-dz-db")
def _(N):
    def truth(ell):
        # z^l_j moves one for one with b^l_j: perturb b and recompute z
        base = N.W(ell) @ N.a(ell - 1)
        return np.array(
            [
                ((base + N.b(ell) + 1e-5 * e) - (base + N.b(ell) - 1e-5 * e))[j] / 2e-5
                for j, e in enumerate(np.eye(len(base)))
            ]
        )

    return over(weights(N), truth), over(weights(N), lambda ell: np.ones(len(N.z(ell))))


case("chain-dz-dz")(
    lambda N: (
        over(hidden(N), lambda ell: N.jac("z", ell + 1, "z", ell)),
        over(hidden(N), lambda ell: N.W(ell + 1) * dsig(N.z(ell))[None, :]),
    )
)
case("chain-dz-dz-no-sigma-prime")(
    lambda N: (over(hidden(N), lambda ell: N.jac("z", ell + 1, "z", ell)), over(hidden(N), lambda ell: N.W(ell + 1)))
)


def softmax_jac_rhs(N):
    a = N.a(N.L)
    return a[:, None] * (np.eye(len(a)) - a[None, :])  # [k, j] = a_k([k=j] − a_j)


case("chain-softmax-iverson")(lambda N: (N.jac("a", N.L, "z", N.L), softmax_jac_rhs(N)))
case("chain-softmax-kronecker")(lambda N: (N.jac("a", N.L, "z", N.L), softmax_jac_rhs(N)))
case("chain-softmax-diagonal-only")(
    lambda N: (N.jac("a", N.L, "z", N.L), np.tile(N.a(N.L) * (1 - N.a(N.L)), (len(N.a(N.L)), 1)))
)

# -- ∂C/∂a^L ------------------------------------------------------------------------------------------
case("dCda-quad")(lambda N: (N.dCda(N.L), N.a(N.L) - N.y()))
case("dCda-quad-sign")(lambda N: (N.dCda(N.L), N.y() - N.a(N.L)))
case("dCda-quad-factor")(lambda N: (N.dCda(N.L), 2 * (N.a(N.L) - N.y())))
case("dCda-bce")(lambda N: (N.dCda(N.L), (N.a(N.L) - N.y()) / (N.a(N.L) * (1 - N.a(N.L)))))
case("dCda-bce-split")(lambda N: (N.dCda(N.L), -N.y() / N.a(N.L) + (1 - N.y()) / (1 - N.a(N.L))))
case("dCda-bce-one-sign")(lambda N: (N.dCda(N.L), -N.y() / N.a(N.L) - (1 - N.y()) / (1 - N.a(N.L))))
case("dCda-ce")(lambda N: (N.dCda(N.L), -N.y() / N.a(N.L)))
case("dCda-nabla")(lambda N: (N.dCda(N.L), N.a(N.L) - N.y()))
case("dCda-nabla-sign")(lambda N: (N.dCda(N.L), N.y() - N.a(N.L)))
case("dCda-hidden")(lambda N: (N.dCda(N.L - 1), N.W(N.L).T @ N.delta(N.L)))

# -- definitions: the forward pass (the spec's a^l, z^l against the text's formula) -----------------
case("def-forward-component")(
    lambda N: (over(weights(N), N.a), over(weights(N), lambda ell: sig(N.W(ell) @ N.a(ell - 1) + N.b(ell))))
)
case("def-forward-vector")(
    lambda N: (over(weights(N), N.a), over(weights(N), lambda ell: sig(N.W(ell) @ N.a(ell - 1) + N.b(ell))))
)
case("def-z")(lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell) @ N.a(ell - 1) + N.b(ell))))
case("def-z-no-bias")(lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell) @ N.a(ell - 1))))
case("def-z-no-bias-spec")(lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell) @ N.a(ell - 1))))


@case("def-z-extra-bias")
def _(N):
    assert not N.shape.bias
    extra = np.random.default_rng(11)  # the text's b^l: a parameter this spec does not have
    return over(weights(N), N.z), over(
        weights(N), lambda ell: N.W(ell) @ N.a(ell - 1) + extra.uniform(-1, 1, len(N.z(ell)))
    )


case("def-a-tanh-for-sigmoid")(lambda N: (over(weights(N), N.a), over(weights(N), lambda ell: np.tanh(N.z(ell)))))
case("def-a-tanh")(lambda N: (over(weights(N), N.a), over(weights(N), lambda ell: np.tanh(N.z(ell)))))
case("def-softmax-as-sigmoid")(lambda N: (N.a(N.L), sig(N.z(N.L))))
case("def-softmax-output")(lambda N: (N.a(N.L), np.exp(N.z(N.L)) / np.exp(N.z(N.L)).sum()))
case("def-sigmoid-hidden-of-softmax-net")(lambda N: (N.a(1), sig(N.z(1))))
case("def-relu-hidden")(lambda N: (N.a(1), np.maximum(0, N.z(1))))
case("def-relu-output")(lambda N: (N.a(N.L), np.maximum(0, N.z(N.L))))
case("def-linear-output")(lambda N: (N.a(N.L), N.z(N.L)))
case("def-input")(lambda N: (N.a(0), N.x()))
case("def-z-source-first-nielsen")(
    lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell).T @ N.a(ell - 1) + N.b(ell)))
)
# read source-first, the text's w^l_{kj} (k in layer l-1, j in layer l) is the spec's weight into j from k
case("def-z-source-first-auto")(
    lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell) @ N.a(ell - 1) + N.b(ell)))
)


# -- definitions: costs ---------------------------------------------------------------------------------
def half_sq(N):
    return 0.5 * np.sum((N.y() - N.a(N.L)) ** 2)


case("def-cost-quad-sum")(lambda N: (N.C(), half_sq(N)))
case("def-cost-quad-no-half")(lambda N: (N.C(), 2 * half_sq(N)))
case("def-cost-quad-norm")(lambda N: (N.C(), 0.5 * np.linalg.norm(N.y() - N.a(N.L)) ** 2))
case("def-cost-quad-norm2")(lambda N: (N.C(), 0.5 * np.linalg.norm(N.y() - N.a(N.L)) ** 2))
case("def-cost-quad-norm-no-half")(lambda N: (N.C(), np.linalg.norm(N.y() - N.a(N.L)) ** 2))
case("def-cost-quad-batch-n")(lambda N: (N.C_batch(), np.sum((N.Y - N.A(N.L)) ** 2) / (2 * N.m)))


def bce(a, y):
    return -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))


case("def-cost-bce")(lambda N: (N.C(), bce(N.a(N.L), N.y())))
case("def-cost-bce-as-ce")(lambda N: (N.C(), -np.sum(N.y() * np.log(N.a(N.L)))))
case("def-cost-ce")(lambda N: (N.C(), -np.sum(N.y() * np.log(N.a(N.L)))))
case("def-cost-ce-as-bce")(lambda N: (N.C(), bce(N.a(N.L), N.y())))


# -- expansions -------------------------------------------------------------------------------------------
def expansion(N, ell, with_sigma=True):
    """Σ'(z^l)(w^{l+1})^T Σ'(z^{l+1}) ⋯ (w^L)^T Σ'(z^L) ∇_a C, written as the product it abbreviates."""
    value = N.a(N.L) - N.y()
    if with_sigma:
        value = dsig(N.z(N.L)) * value
    for k in range(N.L - 1, ell - 1, -1):
        value = N.W(k + 1).T @ value
        if with_sigma:
            value = dsig(N.z(k)) * value
    return value


case("expand-sigma-prime-matrices")(
    lambda N: (over(hidden(N), N.delta), over(hidden(N), lambda ell: expansion(N, ell)))
)
case("expand-no-sigma-prime")(
    lambda N: (over(hidden(N), N.delta), over(hidden(N), lambda ell: expansion(N, ell, with_sigma=False)))
)


def paths_w1_11(N, only_j=None):
    d3 = (N.a(3) - N.y()) * dsig(N.z(3))
    total = 0.0
    for j in range(len(N.z(2))) if only_j is None else [only_j]:
        for k in range(len(N.z(3))):
            total += d3[k] * N.W(3)[k, j] * dsig(N.z(2))[j] * N.W(2)[j, 0] * dsig(N.z(1))[0] * N.x()[0]
    return total


case("expand-paths-w1")(lambda N: (N.gW(1)[0, 0], paths_w1_11(N)))
case("expand-paths-w1-one-path")(lambda N: (N.gW(1)[0, 0], paths_w1_11(N, only_j=0)))
case("expand-paths-hidden")(
    lambda N: (N.gW(1), np.outer(dsig(N.z(1)) * (N.W(2).T @ ((N.a(2) - N.y()) * dsig(N.z(2)))), N.x()))
)
case("expand-paths-hidden-one-output")(lambda N: (N.gW(1), np.outer(dsig(N.z(1)) * N.W(2)[0] * N.delta(2)[0], N.x())))


# -- Iverson brackets ------------------------------------------------------------------------------------
def back1(N):
    return N.W(2).T @ N.delta(2)


for key in ["iverson-relu", "iverson-mathbb1", "iverson-mathbb1-subscript"]:
    case(key)(lambda N: (N.delta(1), step(N.z(1)) * back1(N)))
case("iverson-a-positive")(lambda N: (N.delta(1), step(N.a(1)) * back1(N)))
case("iverson-wrong-direction")(lambda N: (N.delta(1), step(-N.z(1)) * back1(N)))
case("iverson-linear-output")(lambda N: (N.delta(2), N.a(2) - N.y()))
case("iverson-hidden-qualified")(
    lambda N: (over(hidden(N), lambda ell: diag_jac(N, ell)), over(hidden(N), lambda ell: step(N.z(ell))))
)
case("iverson-unqualified")(
    lambda N: (over(weights(N), lambda ell: diag_jac(N, ell)), over(weights(N), lambda ell: step(N.z(ell))))
)
case("iverson-leaky")(lambda N: (N.delta(1), back1(N) * (step(N.z(1)) + 0.1 * (N.z(1) <= 0))))
case("iverson-leaky-as-relu")(lambda N: (N.delta(1), step(N.z(1)) * back1(N)))


@case("iverson-two-hidden")
def _(N):
    inner = step(N.z(2)) * (N.W(3).T @ (N.a(3) - N.y()))
    return N.delta(1), step(N.z(1)) * (N.W(2).T @ inner)


# -- softmax and logistic outputs --------------------------------------------------------------------------
case("softmax-delta")(lambda N: (N.delta(N.L), N.a(N.L) - N.y()))
case("softmax-delta-extra-sigma-prime")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) * N.a(N.L) * (1 - N.a(N.L))))
case("softmax-delta-one-term")(lambda N: (N.delta(N.L), N.dCda(N.L) * np.diag(N.jac("a", N.L, "z", N.L))))
case("softmax-delta-sum")(lambda N: (N.delta(N.L), N.jac("a", N.L, "z", N.L).T @ N.dCda(N.L)))
case("softmax-delta-sign")(lambda N: (N.delta(N.L), N.y() - N.a(N.L)))


@case("softmax-delta-chain")
def _(N):
    a, y = N.a(N.L), N.y()
    first = -(np.eye(len(a)) - a[None, :]).T @ y  # −Σ_k y_k([k=j] − a_j), indexed by j
    return N.delta(N.L), [first, a * y.sum() - y, a - y]


case("bce-delta")(lambda N: (N.delta(N.L), N.a(N.L) - N.y()))
case("bce-delta-extra-sigma-prime")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) * dsig(N.z(N.L))))
case("bce-delta-chain")(
    lambda N: (N.delta(N.L), [(N.a(N.L) - N.y()) / (N.a(N.L) * (1 - N.a(N.L))) * dsig(N.z(N.L)), N.a(N.L) - N.y()])
)
