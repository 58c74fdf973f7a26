"""Matrices written out, aligned chains, :=, derivatives of expressions as middle sides, other
spellings of fractions and transposes."""

import numpy as np
from netlib import case, dsig, over, weights

case("struct-bmatrix-bias-gradient")(lambda N: (N.gb(2), N.delta(2)))
case("struct-bmatrix-weight-gradient")(lambda N: (N.gW(2), np.outer(N.delta(2), N.a(1))))
case("struct-bmatrix-weight-gradient-transposed")(lambda N: (N.gW(2), np.outer(N.a(1), N.delta(2))))


def hidden_delta_entries(N, swap_second=False):
    W, d, sp = N.W(2), N.delta(2), dsig(N.z(1))
    entries = [sp[j] * (W[0, j] * d[0] + W[1, j] * d[1]) for j in range(3)]
    if swap_second:  # w^2_{21}δ^2_1 + w^2_{12}δ^2_2 written in the second row
        entries[1] = sp[1] * (W[1, 0] * d[0] + W[0, 1] * d[1])
    return np.array(entries)


case("struct-pmatrix-hidden-delta")(lambda N: (N.delta(1), hidden_delta_entries(N)))
case("struct-pmatrix-hidden-delta-one-swap")(lambda N: (N.delta(1), hidden_delta_entries(N, swap_second=True)))
case("struct-array-bias-gradient")(lambda N: (N.gb(1), N.delta(1)))


def dz_db(N, ell):
    return np.ones(len(N.z(ell)))  # z^l_j = … + b^l_j


case("struct-aligned-chain")(lambda N: (N.gb(N.L), [N.delta(N.L) * dz_db(N, N.L), N.delta(N.L)]))
case("struct-split-chain-bad-link")(
    lambda N: (N.gW(N.L), [np.outer(N.delta(N.L), N.a(N.L - 1)), np.outer(N.delta(N.L), N.a(N.L))])
)
case("struct-colon-equals-definition")(
    lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell) @ N.a(ell - 1) + N.b(ell)))
)


def diag_jac(N, ell):
    return np.diag(N.jac("a", ell, "z", ell))


def act_prime_by_differences(N, ell):
    """∂σ(z^l_j)/∂z^l_j: the derivative of the expression, by central differences of σ itself."""
    return N.act_prime_at(ell, N.z(ell))


case("struct-middle-derivative")(
    lambda N: (
        over(weights(N), lambda ell: diag_jac(N, ell)),
        [over(weights(N), lambda ell: act_prime_by_differences(N, ell)), over(weights(N), lambda ell: dsig(N.z(ell)))],
    )
)
case("struct-middle-derivative-bad-link")(
    lambda N: (
        over(weights(N), lambda ell: diag_jac(N, ell)),
        [over(weights(N), lambda ell: act_prime_by_differences(N, ell)), over(weights(N), lambda ell: dsig(N.a(ell)))],
    )
)


def d_half_sum(N, sign=1.0):
    """∂/∂a_j of ½Σ_k (a_k − y_k)², by central differences of that expression."""
    a, y, h = N.a(N.L), N.y(), 1e-5
    out = []
    for j in range(len(a)):
        e = np.eye(len(a))[j] * h
        out.append((0.5 * np.sum((a + e - y) ** 2) - 0.5 * np.sum((a - e - y) ** 2)) / (2 * h))
    return np.array(out) * sign


case("struct-d-of-half-sum")(lambda N: (N.dCda(N.L), [d_half_sum(N), N.a(N.L) - N.y()]))
case("struct-d-of-half-sum-bad-link")(lambda N: (N.dCda(N.L), [d_half_sum(N), N.y() - N.a(N.L)]))
case("struct-partial-of-square")(lambda N: (N.dCda(N.L), [d_half_sum(N), N.a(N.L) - N.y()]))
case("struct-partial-operator-first")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1))))
)
case("struct-transpose-in-superscript")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1))))
)
case("struct-raise-hbox-cost")(lambda N: (N.C(), 0.5 * np.sum((N.y() - N.a(N.L)) ** 2)))
case("struct-raise-hbox-gradient")(lambda N: (N.dCda(N.L), 0.5 * 2 * (N.a(N.L) - N.y())))
for key in ["struct-dfrac", "struct-slash-fraction"]:
    case(key)(lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1)))))
case("struct-plain-ascii")(lambda N: (N.gW(2)[0, 0], N.delta(2)[0] * N.a(1)[0]))
case("struct-plain-ascii-factor")(lambda N: (N.gb(2)[0], 2 * N.delta(2)[0]))
