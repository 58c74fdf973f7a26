"""Higham & Higham's notation: their layer l is internal layer l-1 (the input is their layer 1),
W^{[l]} internal W^{l-1}, δ^{[l]} internal δ^{l-1}, D^{[l]} = diag(σ'(z^{[l]}))."""

import numpy as np
from netlib import case, dsig, hidden, over, sig, weights


def bp2(N, ell):
    return dsig(N.z(ell)) * (N.W(ell + 1).T @ N.delta(ell + 1))


def unrolled(N, ell, with_d=True, sign=1.0):
    """D^{[l]}(W^{[l+1]})^T ⋯ D^{[L-1]}(W^{[L]})^T D^{[L]}(a^{[L]} − y) in internal numbering."""
    value = sign * (N.a(N.L) - N.y())
    value = dsig(N.z(N.L)) * value if with_d else value
    for k in range(N.L - 1, ell - 1, -1):
        value = N.W(k + 1).T @ value
        value = dsig(N.z(k)) * value if with_d else value
    return value


case("higham-bp1")(lambda N: (N.delta(N.L), dsig(N.z(N.L)) * (N.a(N.L) - N.y())))
case("higham-bp1-sigma-at-a")(lambda N: (N.delta(N.L), dsig(N.a(N.L)) * (N.a(N.L) - N.y())))
case("higham-bp2-qualified")(lambda N: (over(hidden(N), N.delta), over(hidden(N), lambda ell: bp2(N, ell))))
case("higham-bp2-wrong-layer")(
    lambda N: (over(hidden(N), N.delta), over(hidden(N), lambda ell: dsig(N.z(ell)) * (N.W(ell).T @ N.delta(ell + 1))))
)
case("higham-bp3")(lambda N: (over(weights(N), N.gb), over(weights(N), N.delta)))
case("higham-bp4")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1))))
)
case("higham-bp4-wrong-layer")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell))))
)
case("higham-bp4-matrix")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1))))
)
case("higham-D-bp1")(lambda N: (N.delta(N.L), np.diag(dsig(N.z(N.L))) @ (N.a(N.L) - N.y())))
case("higham-D-bp2")(
    lambda N: (
        over(hidden(N), N.delta),
        over(hidden(N), lambda ell: np.diag(dsig(N.z(ell))) @ N.W(ell + 1).T @ N.delta(ell + 1)),
    )
)
case("higham-D-no-transpose")(
    lambda N: (
        over(hidden(N), N.delta),
        over(hidden(N), lambda ell: np.diag(dsig(N.z(ell))) @ N.W(ell + 1) @ N.delta(ell + 1)),
    )
)
case("higham-expansion")(lambda N: (over(hidden(N), N.delta), over(hidden(N), lambda ell: unrolled(N, ell))))
case("higham-expansion-no-D")(
    lambda N: (over(hidden(N), N.delta), over(hidden(N), lambda ell: unrolled(N, ell, with_d=False)))
)
case("higham-expansion-sign")(
    lambda N: (over(hidden(N), N.delta), over(hidden(N), lambda ell: unrolled(N, ell, sign=-1.0)))
)
case("higham-forward")(
    lambda N: (over(weights(N), N.a), over(weights(N), lambda ell: sig(N.W(ell) @ N.a(ell - 1) + N.b(ell))))
)
case("higham-input")(lambda N: (N.a(0), N.x()))
case("higham-cost")(lambda N: (N.C_batch(), np.mean([0.5 * np.sum((N.Y[i] - N.A(N.L)[i]) ** 2) for i in range(N.m)])))
