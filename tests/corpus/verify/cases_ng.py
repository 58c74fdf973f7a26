"""Ng's course notation on 2-3-3-2 (and 2-2-2-2): Ng's layer l is internal layer l-1, Θ^{(l)} is
internal W^l (from Ng's layer l to l+1), b^{(l)} internal b^l, δ^{(l)} internal δ^{l-1}."""

import numpy as np
from netlib import UNDEFINED, Instances, case, dsig, hidden, over, sig, weights


def bce_mean(N):
    A, Y = N.A(N.L), N.Y
    return -np.mean(np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=1))


case("ng-forward-input")(lambda N: (N.a(0), N.x()))
case("ng-forward-z2")(lambda N: (N.z(1), N.W(1) @ N.a(0) + N.b(1)))
case("ng-forward-a2")(lambda N: (N.a(1), sig(N.z(1))))
case("ng-hypothesis-chain")(lambda N: (N.a(N.L), [N.a(N.L), sig(N.z(N.L))]))
case("ng-cost")(lambda N: (N.C_batch(), bce_mean(N)))
case("ng-cost-no-mean")(lambda N: (N.C_batch(), N.m * bce_mean(N)))
case("ng-cost-one-example")(lambda N: (N.C(), -np.sum(N.y() * np.log(N.a(N.L)) + (1 - N.y()) * np.log(1 - N.a(N.L)))))

case("ng-delta-output")(lambda N: (N.delta(N.L), N.a(N.L) - N.y()))
case("ng-delta-3")(lambda N: (N.delta(2), (N.W(3).T @ N.delta(3)) * dsig(N.z(2))))
case("ng-delta-3-a-form")(lambda N: (N.delta(2), (N.W(3).T @ N.delta(3)) * N.a(2) * (1 - N.a(2))))
case("ng-delta-3-g-prime-at-a")(lambda N: (N.delta(2), (N.W(3).T @ N.delta(3)) * dsig(N.a(2))))
case("ng-delta-2-no-transpose")(lambda N: (N.delta(1), (N.W(2) @ N.delta(2)) * dsig(N.z(1))))
case("ng-delta-general")(
    lambda N: (
        over(hidden(N), N.delta),
        over(hidden(N), lambda ell: (N.W(ell + 1).T @ N.delta(ell + 1)) * dsig(N.z(ell))),
    )
)
case("ng-delta-output-mean")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) / N.m))
case("ng-g-prime")(lambda N: (np.diag(N.jac("a", 2, "z", 2)), N.a(2) * (1 - N.a(2))))
case("ng-delta-output-chain")(lambda N: (N.delta(N.L), [N.a(N.L) - N.y(), N.a(N.L) - N.y()]))

case("ng-grad-one-example")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1))))
)
case("ng-grad-swapped")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.a(ell - 1), N.delta(ell))))
)
case("ng-grad-wrong-layer")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell))))
)
case("ng-bias-grad")(lambda N: (over(weights(N), N.gb), over(weights(N), N.delta)))


@case("ng-bias-grad-wrong-layer")
def _(N):
    # Ng's δ^{(l)} is internal δ^{l-1}; at l = 1 it would be the input layer's, which does not exist
    sides = [UNDEFINED[0, 0]] + [N.delta(ell - 1) for ell in range(2, N.L + 1)]
    return over(weights(N), N.gb), Instances(np.asarray(v, float) for v in sides)


case("ng-grad-matrix")(
    lambda N: (over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1))))
)
case("ng-theta-lowercase")(lambda N: (N.gW(2), np.outer(N.delta(2), N.a(1))))


def accumulated(N, ell):
    return sum(np.outer(N.delta(ell, t), N.a(ell - 1, t)) for t in range(N.m))


case("ng-D")(lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: accumulated(N, ell) / N.m)))
case("ng-D-missing-mean")(lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: accumulated(N, ell))))
case("ng-D-m-for-mean")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: N.m * accumulated(N, ell)))
)
case("ng-grad-batch")(lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: accumulated(N, ell) / N.m)))
case("ng-grad-batch-no-mean")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: accumulated(N, ell)))
)
