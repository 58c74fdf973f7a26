"""Texts without layer scripts, where the index letter names the layer (one hidden layer: i inputs,
j hidden units, k outputs; internal layers 0, 1, 2).

Bishop's letters: a = the input sum (internal z), z = h(a) the unit's output (internal a), w_{ji}
destination-first (W^l[j, i]).  Encyclopaedia and handout letters: o, h, y the units' outputs
(internal a), net and s the input sums (internal z), t the targets, w_{ij} and v_{jk} source-first:
the weight from unit i to unit j is W^l[j, i], so a source-first gradient matrix [i, j] is gW(l).T.
"""

import numpy as np
from netlib import REGISTRY, case, dsig, over, sig, weights


def dtanh(z):
    return 1 - np.tanh(z) ** 2


# -- Bishop (bishop_tanh_232: tanh hidden units, linear outputs) --------------------------------------
case("ll-bishop-input-sum")(lambda N: (N.z(1), N.W(1) @ N.x() + N.b(1)))
case("ll-bishop-unit-output")(lambda N: (N.a(1), np.tanh(N.z(1))))
case("ll-bishop-output-delta")(lambda N: (N.delta(2), N.a(2) - N.y()))
case("ll-bishop-output-delta-sign")(lambda N: (N.delta(2), N.y() - N.a(2)))
case("ll-bishop-hidden-delta")(lambda N: (N.delta(1), dtanh(N.z(1)) * (N.W(2).T @ N.delta(2))))
case("ll-bishop-hidden-delta-missing-prime")(lambda N: (N.delta(1), (N.W(2).T @ N.delta(2)) * np.tanh(N.z(1))))
case("ll-bishop-gradient")(lambda N: (N.gW(1), np.outer(N.delta(1), N.x())))
case("ll-bishop-gradient-output-layer")(lambda N: (N.gW(2), np.outer(N.a(2) - N.y(), N.a(1))))
case("ll-bishop-gradient-output-layer-input")(lambda N: (N.gW(2), np.outer(N.a(2) - N.y(), N.z(1))))

# -- encyclopaedia: o_j = φ(net_j), w_{ij} from i to j (quad_232: logistic units) ---------------------
case("ll-net-output-delta")(lambda N: (N.delta(2), (N.a(2) - N.y()) * N.a(2) * (1 - N.a(2))))
case("ll-net-output-delta-sign")(lambda N: (N.delta(2), (N.y() - N.a(2)) * N.a(2) * (1 - N.a(2))))
case("ll-net-output-delta-prime-of-net")(lambda N: (N.delta(2), (N.a(2) - N.y()) * dsig(N.z(2))))
case("ll-net-output-delta-prime-of-o")(lambda N: (N.delta(2), (N.a(2) - N.y()) * dsig(N.a(2))))
case("ll-net-hidden-delta")(lambda N: (N.delta(1), (N.W(2).T @ N.delta(2)) * N.a(1) * (1 - N.a(1))))
case("ll-net-hidden-delta-no-derivative")(lambda N: (N.delta(1), (N.W(2).T @ N.delta(2)) * N.a(1)))
case("ll-net-gradient")(lambda N: (N.gW(1).T, np.outer(N.x(), N.delta(1))))
case("ll-net-gradient-own-output")(lambda N: (N.gW(1).T, np.outer(np.ones_like(N.x()), N.a(1) * N.delta(1))))
case("ll-net-dE-do")(lambda N: (N.dCda(1), N.W(2).T @ N.delta(2)))
case("ll-net-unit")(lambda N: (N.a(1), sig(N.z(1))))
# net_j = Σ_k w_{kj} o_k + b_j for every neuron j: the hidden and the output layer
case("ll-net-input-sum")(
    lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell) @ N.a(ell - 1) + N.b(ell))))
case("ll-net-error")(lambda N: (N.C(), 0.5 * np.sum((N.y() - N.a(2)) ** 2)))
case("ll-net-error-no-half")(lambda N: (N.C(), np.sum((N.y() - N.a(2)) ** 2)))

# -- handouts: x_i, h_j, y_k; w_{ij} into the hidden layer, v_{jk} out of it (source-first) ----------
case("ll-handout-hidden")(lambda N: (N.a(1), sig(N.W(1) @ N.x() + N.b(1))))
case("ll-handout-hidden-no-bias")(lambda N: (N.a(1), sig(N.W(1) @ N.x())))
case("ll-handout-output")(lambda N: (N.a(2), sig(N.W(2) @ N.a(1) + N.b(2))))
case("ll-handout-error")(lambda N: (N.C(), 0.5 * np.sum((N.y() - N.a(2)) ** 2)))
case("ll-handout-output-delta")(lambda N: (N.delta(2), (N.a(2) - N.y()) * N.a(2) * (1 - N.a(2))))
case("ll-handout-output-delta-sign")(lambda N: (N.delta(2), (N.y() - N.a(2)) * N.a(2) * (1 - N.a(2))))
case("ll-handout-output-delta-prime-of-y")(lambda N: (N.delta(2), (N.a(2) - N.y()) * dsig(N.a(2))))
case("ll-handout-output-delta-prime-of-s")(lambda N: (N.delta(2), (N.a(2) - N.y()) * dsig(N.z(2))))
case("ll-handout-hidden-delta")(lambda N: (N.delta(1), N.a(1) * (1 - N.a(1)) * (N.W(2).T @ N.delta(2))))
case("ll-handout-hidden-delta-missing-prime")(lambda N: (N.delta(1), N.W(2).T @ N.delta(2)))
# quad_222: v_{kj} as a source-first entry is W^2[j, k], so Σ_k v_{kj} δ_k = (W^2 δ^2)_j
case("ll-handout-hidden-delta-swapped")(lambda N: (N.delta(1), N.a(1) * (1 - N.a(1)) * (N.W(2) @ N.delta(2))))
case("ll-handout-output-weight")(lambda N: (N.gW(2).T, np.outer(N.a(1), N.delta(2))))
case("ll-handout-output-weight-input")(lambda N: (N.gW(2).T, np.outer(N.x(), N.delta(2))))
case("ll-handout-input-weight")(lambda N: (N.gW(1).T, np.outer(N.x(), N.delta(1))))
case("ll-handout-hidden-bias")(lambda N: (N.gb(1), N.delta(1)))
case("ll-handout-output-sum")(lambda N: (N.z(2), N.W(2) @ N.a(1) + N.b(2)))

# -- a pattern index p (E^p, y^p_j): one training pattern, the sample checked ---------------------------
case("ll-pattern-gradient")(lambda N: (N.gW(2).T, np.outer(N.a(1), N.delta(2))))
case("ll-pattern-output-delta")(lambda N: (N.delta(2), (N.a(2) - N.y()) * N.a(2) * (1 - N.a(2))))
case("ll-pattern-output-delta-sign")(lambda N: (N.delta(2), (N.y() - N.a(2)) * N.a(2) * (1 - N.a(2))))


# -- documents/layerless_article.md (quad_232) ------------------------------------------------------
D = "layerless_article#"
REUSED = {
    "unit-hidden": "ll-net-unit",
    "net-output": "ll-handout-output-sum",
    "error": "ll-handout-error",
    "delta-output": "ll-handout-output-delta",
    "gradient-output-weight": "ll-handout-output-weight",
    "dE-do-hidden": "ll-net-dE-do",
    "delta-hidden": "ll-net-hidden-delta",
    "gradient-hidden-weight": "ll-net-gradient",
    "gradient-hidden-bias": "ll-handout-hidden-bias",
    "summary-output": "ll-net-output-delta",
    "slip-prime-of-output": "ll-handout-output-delta-prime-of-y",
    "slip-sign": "ll-handout-output-delta-sign",
    "slip-no-half": "ll-net-error-no-half",
}
for claim, source in REUSED.items():
    case(D + claim)(REGISTRY[source])

case(D + "net-hidden")(lambda N: (N.z(1), N.W(1) @ N.x() + N.b(1)))
case(D + "input")(lambda N: (N.a(0), N.x()))
case(D + "logistic")(lambda N: (N.act_at(1, N.zgrid()), 1 / (1 + np.exp(-N.zgrid()))))
case(D + "logistic-derivative")(lambda N: (N.act_prime_at(1, N.zgrid()), sig(N.zgrid()) * (1 - sig(N.zgrid()))))
case(D + "unit-output")(lambda N: (N.a(2), sig(N.z(2))))
case(D + "output-is-y")(lambda N: (N.a(2), N.a(2)))
# ∂E/∂w_{jk} (source-first: [j, k] = gW(2).T) = ∂E/∂o_k · ∂o_k/∂net_k · ∂net_k/∂w_{jk}
case(D + "chain-output-weight")(lambda N: (N.gW(2).T, np.outer(N.a(1), N.dCda(2) * dsig(N.z(2)))))
case(D + "dE-do-output")(lambda N: (N.dCda(2), N.a(2) - N.y()))
case(D + "do-dnet-output")(lambda N: (np.diag(N.jac_a_z(2)), N.a(2) * (1 - N.a(2))))
# ∂net_k/∂w_{jk} = o_j for every j, k: the entries of dz/dW of the output layer
@case(D + "dnet-dw")
def _(N):
    own = np.array([[N.dz_dW(2)[k, k, j] for j in range(len(N.a(1)))] for k in range(len(N.a(2)))])
    return own, np.tile(N.a(1), (len(N.a(2)), 1))

case(D + "gradient-output-bias")(lambda N: (N.gb(2), N.delta(2)))
case(D + "summary-inner")(lambda N: (N.delta(1), dsig(N.z(1)) * (N.W(2).T @ N.delta(2))))
# δ_i o_j with i the sending and j the receiving unit of w_{ij}: [i, j] = δ^1_i o^2_j is no such matrix
case(D + "slip-swapped")(lambda N: (N.gW(1).T, np.outer(N.delta(1), N.a(2))))

# -- ℓ ∈ L, the units a hidden unit j feeds (quad_232: the output units; w_{jℓ} from j to ℓ) -------------
case("ll-ell-in-set")(lambda N: (N.delta(1), (N.W(2).T @ N.delta(2)) * N.a(1) * (1 - N.a(1))))
case("ll-ell-in-set-no-o")(lambda N: (N.delta(1), (N.W(2).T @ N.delta(2)) * (1 - N.a(1))))
