"""Scalar chains, row vectors, source-first indices, vectors for components, batches and the 1/m,
samples in columns, layer numbering."""

import numpy as np
from netlib import UNDEFINED, case, dsig, hidden, over, weights


# -- scalar 1-1-1 chains: every quantity is a number --------------------------------------------------
def s(v):
    return float(np.asarray(v).ravel()[0])


case("scalar-111-w2")(lambda N: (s(N.gW(2)), s(N.a(1)) * s(dsig(N.z(2))) * (s(N.a(2)) - s(N.y()))))
case("scalar-111-w1")(
    lambda N: (s(N.gW(1)), s(N.x()) * s(dsig(N.z(1))) * s(N.W(2)) * s(dsig(N.z(2))) * (s(N.a(2)) - s(N.y())))
)
case("scalar-111-w1-missing-weight")(
    lambda N: (s(N.gW(1)), s(N.x()) * s(dsig(N.z(1))) * s(dsig(N.z(2))) * (s(N.a(2)) - s(N.y())))
)
case("scalar-111-b2")(lambda N: (s(N.gb(2)), s(dsig(N.z(2))) * (s(N.a(2)) - s(N.y()))))
case("scalar-111-w2-wrong-layer")(lambda N: (s(N.gW(2)), s(N.a(2)) * s(dsig(N.z(2))) * (s(N.a(2)) - s(N.y()))))
case("scalar-111-delta1")(lambda N: (s(N.delta(1)), s(N.W(2)) * s(N.delta(2)) * s(dsig(N.z(1)))))
case("scalar-111-in-a")(lambda N: (s(N.gW(2)), (s(N.a(2)) - s(N.y())) * s(N.a(2)) * (1 - s(N.a(2))) * s(N.a(1))))
case("scalar-111-factor-2")(lambda N: (s(N.dCda(2)), 2 * (s(N.a(2)) - s(N.y()))))
case("scalar-111-cost-no-half")(lambda N: (N.C(), (s(N.a(2)) - s(N.y())) ** 2))
# the video lecture's (L) is the last layer, (L−1) the one before: relative numbering
case("scalar-video-cost")(lambda N: (N.C(), (s(N.a(N.L)) - s(N.y())) ** 2))
case("scalar-video-dCda")(lambda N: (s(N.dCda(N.L)), 2 * (s(N.a(N.L)) - s(N.y()))))
case("scalar-video-weight")(
    lambda N: (s(N.gW(N.L)), s(N.a(N.L - 1)) * s(dsig(N.z(N.L))) * 2 * (s(N.a(N.L)) - s(N.y())))
)


@case("scalar-video-chain-product")
def _(N):
    L = N.L
    dz_dw = s(N.dz_dW(L))  # ∂z^{(L)}/∂w^{(L)}
    da_dz = s(N.jac("a", L, "z", L))  # ∂a^{(L)}/∂z^{(L)}
    return s(N.gW(L)), dz_dw * da_dz * s(N.dCda(L))


case("scalar-video-previous-activation")(
    lambda N: (s(N.dCda(N.L - 1)), s(N.W(N.L)) * s(dsig(N.z(N.L))) * 2 * (s(N.a(N.L)) - s(N.y())))
)
case("scalar-video-bias")(lambda N: (s(N.gb(N.L)), s(dsig(N.z(N.L))) * 2 * (s(N.a(N.L)) - s(N.y()))))
case("scalar-video-deeper-missing-weight")(
    lambda N: (
        s(N.gW(N.L - 1)),
        s(N.a(N.L - 2)) * s(dsig(N.z(N.L - 1))) * s(dsig(N.z(N.L))) * 2 * (s(N.a(N.L)) - s(N.y())),
    )
)
case("scalar-video-against-half")(
    lambda N: (s(N.gW(N.L)), s(N.a(N.L - 1)) * s(dsig(N.z(N.L))) * 2 * (s(N.a(N.L)) - s(N.y())))
)

# -- row vectors -----------------------------------------------------------------------------------------
# Ng's δ^{(l)} for hidden l = 2..L-1 is internal δ^{l-1}; Θ^{(l)} is internal W^l (from layer l-1 to l)
case("row-ng")(
    lambda N: (
        over(hidden(N), N.delta),
        over(hidden(N), lambda ell: (N.delta(ell + 1) @ N.W(ell + 1)) * dsig(N.z(ell))),
    )
)


@case("row-ng-under-columns")
def _(N):
    # columns: δ^{(l+1)} (n×1) times Θ^{(l)} (n×m) is no product (3×1 · 3×3, 2×1 · 2×3)
    return over(hidden(N), N.delta), UNDEFINED


case("row-nielsen-bp2")(
    lambda N: (
        over(hidden(N), N.delta),
        over(hidden(N), lambda ell: (N.delta(ell + 1) @ N.W(ell + 1)) * dsig(N.z(ell))),
    )
)
case("row-nielsen-bp4")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: N.delta(ell)[:, None] @ N.a(ell - 1)[None, :]))
)
# row vectors with a source-first W^{(l)}: the text's W^{(l)} is the spec's W^l transposed
case("row-source-first-forward")(
    lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.a(ell - 1) @ N.W(ell).T + N.b(ell)))
)
case("row-source-first-gradient")(
    lambda N: (
        over(weights(N), lambda ell: N.gW(ell).T),
        over(weights(N), lambda ell: np.outer(N.a(ell - 1), N.delta(ell))),
    )
)


@case("row-source-first-gradient-transposed")
def _(N):
    def rhs(ell):
        d, y = N.delta(ell)[None, :], N.a(ell - 1)[:, None]  # a row δ, a column (y)^T
        return d @ y if d.shape[1] == y.shape[0] else np.full((1, 1), np.inf)

    return over(weights(N), lambda ell: N.gW(ell).T), over(weights(N), rhs)


# -- source-first indices: w^{(l)}_{ij} from unit i of layer l-1 to unit j of layer l = W^l[j, i] ------
case("sf-bp4")(
    lambda N: (
        over(weights(N), lambda ell: N.gW(ell).T),
        over(weights(N), lambda ell: np.outer(N.a(ell - 1), N.delta(ell))),
    )
)
case("sf-bp4-nielsen-order")(
    lambda N: (
        over(weights(N), N.gW),  # the text's w^l_{kj}, Nielsen: W^l[k, j]
        over(weights(N), lambda ell: np.outer(N.a(ell - 1), N.delta(ell))),
    )
)
case("sf-bp2")(
    lambda N: (
        over(hidden(N), N.delta),
        over(hidden(N), lambda ell: dsig(N.z(ell)) * (N.W(ell + 1).T @ N.delta(ell + 1))),
    )
)
case("sf-bp2-destination-order")(
    lambda N: (
        over(hidden(N), N.delta),
        over(hidden(N), lambda ell: dsig(N.z(ell)) * (N.W(ell + 1) @ N.delta(ell + 1))),
    )
)
case("sf-output")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) * dsig(N.z(N.L))))
case("sf-output-sign")(lambda N: (N.delta(N.L), (N.y() - N.a(N.L)) * dsig(N.z(N.L))))
# letters: i inputs (layer 0), j hidden (layer 1), k outputs (layer 2); w_{jk} = W^2[k, j], w_{ij} = W^1[j, i]
case("sf-letters-output-weight")(lambda N: (N.gW(2).T, np.outer(N.a(1), N.delta(2))))
case("sf-letters-input-weight")(lambda N: (N.gW(1).T, np.outer(N.x(), N.delta(1))))
case("sf-letters-hidden-delta")(lambda N: (N.delta(1), N.a(1) * (1 - N.a(1)) * (N.W(2).T @ N.delta(2))))
case("sf-letters-hidden-delta-other-order")(lambda N: (N.delta(1), N.a(1) * (1 - N.a(1)) * (N.W(2) @ N.delta(2))))
case("sf-letters-output-delta")(lambda N: (N.delta(2), (N.a(2) - N.y()) * N.a(2) * (1 - N.a(2))))
case("sf-forward")(lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell) @ N.a(ell - 1) + N.b(ell))))
case("sf-cost")(lambda N: (N.C(), 0.5 * np.sum((N.a(N.L) - N.y()) ** 2)))

# -- a vector where its component is meant: the component equation is what is checked --------------------
case("vfc-bp1")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) * dsig(N.z(N.L))))
case("vfc-bp1-sign")(lambda N: (N.delta(N.L), (N.y() - N.a(N.L)) * dsig(N.z(N.L))))
# Ng numbering on 2-3-3-2: δ^{(3)} is internal δ^2, Θ^{(3)} internal W^3, δ^{(4)} internal δ^3
case("vfc-ng-g-prime")(lambda N: (N.delta(2), (N.W(3).T @ N.delta(3)) * dsig(N.z(2))))
case("vfc-ng-a-form")(lambda N: (N.delta(2), (N.W(3).T @ N.delta(3)) * N.a(2) * (1 - N.a(2))))
case("vfc-ng-f-prime-at-a")(lambda N: (N.delta(2), (N.W(3).T @ N.delta(3)) * dsig(N.a(2))))
case("vfc-bp4")(lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1)))))


# -- batches: C is the mean over the m samples of the draw ---------------------------------------------------
def sum_outer(N, ell):
    return sum(np.outer(N.delta(ell, s_), N.a(ell - 1, s_)) for s_ in range(N.m))


case("batch-bias-n")(
    lambda N: (
        over(weights(N), N.gb_batch),
        over(weights(N), lambda ell: sum(N.delta(ell, s_) for s_ in range(N.m)) / N.m),
    )
)
case("batch-weight-mean")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: sum_outer(N, ell) / N.m))
)
case("batch-weight-missing-mean")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: sum_outer(N, ell)))
)
case("batch-matrix-rows")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: N.Delta(ell).T @ N.A(ell - 1) / N.m))
)
case("batch-matrix-transposed")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: N.A(ell - 1).T @ N.Delta(ell) / N.m))
)
case("batch-mean-twice")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: N.Delta(ell).T @ N.A(ell - 1) / N.m**2))
)
case("batch-m-for-mean")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: N.m * N.Delta(ell).T @ N.A(ell - 1)))
)
case("batch-bias-ones")(
    lambda N: (over(weights(N), N.gb_batch), over(weights(N), lambda ell: N.Delta(ell).T @ np.ones(N.m) / N.m))
)


@case("batch-softmax-dZ")
def _(N):
    # ∂C_batch/∂Z^L: row s is ∂(mean cost)/∂z^{L}_{(s)} = δ^L_{(s)} / m
    return np.stack([N.delta(N.L, s_) / N.m for s_ in range(N.m)]), (N.A(N.L) - N.Y) / N.m


case("batch-softmax-Delta-mean")(lambda N: (N.Delta(N.L), (N.A(N.L) - N.Y) / N.m))
case("batch-softmax-Delta")(lambda N: (N.Delta(N.L), N.A(N.L) - N.Y))
case("batch-one-sample-mean")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) * dsig(N.z(N.L)) / N.m))
case("batch-cost")(lambda N: (N.C_batch(), np.mean([0.5 * np.sum((N.Y[s_] - N.A(N.L)[s_]) ** 2) for s_ in range(N.m)])))
case("batch-cost-sum")(lambda N: (N.C_batch(), sum(0.5 * np.sum((N.Y[s_] - N.A(N.L)[s_]) ** 2) for s_ in range(N.m))))

# -- samples in columns: dZ^{[l]} is n_l × m with the samples' δ as columns; dW = ∂J/∂W, J the mean ----------
case("cols-dZ-output")(lambda N: (N.Delta(2).T, N.A(2).T - N.Y.T))
case("cols-dW")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: N.Delta(ell).T @ N.A(ell - 1) / N.m))
)
case("cols-db")(
    lambda N: (over(weights(N), N.gb_batch), over(weights(N), lambda ell: N.Delta(ell).T.sum(axis=1) / N.m))
)
case("cols-dZ-hidden")(lambda N: (N.Delta(1).T, (N.W(2).T @ N.Delta(2).T) * dsig(N.Z(1).T)))
case("cols-dW-missing-mean")(lambda N: (N.gW_batch(2), N.Delta(2).T @ N.A(1)))

# -- layer numbering ------------------------------------------------------------------------------------------
case("numbering-nielsen-input")(lambda N: (N.gW(1), np.outer(N.delta(1), N.x())))
case("numbering-higham-input")(lambda N: (N.gW(1), np.outer(N.delta(1), N.x())))  # Higham's W^{[2]} is W^1
case("numbering-ng-input")(lambda N: (N.gW(1), np.outer(N.delta(1), N.x())))  # Ng's Θ^{(1)}, δ^{(2)}
# a^{[2]}_k is internal a^1_k; k runs over the 2 inputs, so the first two hidden units
case("numbering-higham-wrong-layer")(lambda N: (N.gW(1), np.outer(N.delta(1), N.a(1)[:2])))
case("numbering-nielsen-output")(lambda N: (N.delta(2), (N.a(2) - N.y()) * dsig(N.z(2))))
case("numbering-ng-output")(lambda N: (N.delta(2), N.a(2) - N.y()))


@case("numbering-ng-output-wrong-layer")
def _(N):
    # Ng's δ^{(2)} is the hidden layer's δ (3 units); a^{(2)} − y subtracts a 2-vector from a 3-vector
    assert len(N.a(1)) != len(N.y())
    return N.delta(1), UNDEFINED


# -- more furniture and readings -----------------------------------------------------------------------
case("extra-bp2-dots-qualifier")(
    lambda N: (
        over(hidden(N), N.delta),
        over(hidden(N), lambda ell: (N.W(ell + 1).T @ N.delta(ell + 1)) * dsig(N.z(ell))),
    )
)
case("extra-higham-bp4-tight-qualifier")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1))))
)


@case("extra-row-bp4-under-columns")
def _(N):
    # columns: (δ^l)^T is 1×n_l and a^{l-1} is n_{l-1}×1, no product for n_l ≠ n_{l-1} (layer 2 of 2-3-2)
    return over(weights(N), N.gW), UNDEFINED
