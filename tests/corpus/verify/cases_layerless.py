"""Texts without layer scripts, where the index letter names the layer (one hidden layer: i inputs,
j hidden units, k outputs; internal layers 0, 1, 2).

Bishop's letters: a = the input sum (internal z), z = h(a) the unit's output (internal a), w_{ji}
destination-first (W^l[j, i]).  Encyclopaedia and handout letters: o, h, y the units' outputs
(internal a), net and s the input sums (internal z), t the targets, w_{ij} and v_{jk} source-first:
the weight from unit i to unit j is W^l[j, i], so a source-first gradient matrix [i, j] is gW(l).T.
"""

import numpy as np
from netlib import case, dsig, over, sig, weights


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
