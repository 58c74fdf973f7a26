"""Other letters for the activation, the cost, targets and outputs; sum bounds; other activations."""

import numpy as np
from netlib import case, dsig, hidden, over, sig, step, weights


def bp1(N):
    return N.delta(N.L)


def bp2_true(N):
    return over(hidden(N), N.delta)


def bp2_rhs(N, dact):
    return over(hidden(N), lambda ell: (N.W(ell + 1).T @ N.delta(ell + 1)) * dact(N.z(ell)))


case("vocab-f-activation")(lambda N: (bp1(N), (N.a(N.L) - N.y()) * dsig(N.z(N.L))))
case("vocab-varphi-hidden")(lambda N: (bp2_true(N), bp2_rhs(N, dsig)))
case("vocab-phi-at-a")(lambda N: (bp1(N), dsig(N.a(N.L)) * (N.a(N.L) - N.y())))
case("vocab-g-hidden")(lambda N: (bp2_true(N), bp2_rhs(N, dsig)))
case("vocab-h-hidden")(lambda N: (bp2_true(N), bp2_rhs(N, dsig)))


def bp4_true(N):
    return over(weights(N), N.gW)


def bp4_rhs(N):
    return over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1)))


case("vocab-E-bp4")(lambda N: (bp4_true(N), bp4_rhs(N)))
case("vocab-L-loss")(lambda N: (bp4_true(N), bp4_rhs(N)))
case("vocab-mathcal-L-bias")(lambda N: (over(weights(N), N.gb), over(weights(N), N.delta)))
case("vocab-Cx-bias")(lambda N: (over(weights(N), N.gb), over(weights(N), N.delta)))
case("vocab-C0-output")(lambda N: (N.dCda(N.L), N.a(N.L) - N.y()))
# Ng's numbering: z^(3) is internal layer 2, the output of 2-3-2
case("vocab-J-theta-delta")(lambda N: (N.delta(2), N.a(2) - N.y()))

case("vocab-targets-t")(lambda N: (bp1(N), (N.a(N.L) - N.y()) * dsig(N.z(N.L))))
case("vocab-targets-t-sign")(lambda N: (bp1(N), (N.y() - N.a(N.L)) * dsig(N.z(N.L))))
case("vocab-yhat")(lambda N: (N.dCda(N.L), N.a(N.L) - N.y()))
case("vocab-yhat-bce")(lambda N: (N.dCda(N.L), -N.y() / N.a(N.L) + (1 - N.y()) / (1 - N.a(N.L))))
case("vocab-output-y-target-t")(lambda N: (N.dCda(N.L), N.a(N.L) - N.y()))

case("vocab-bound-n-next")(lambda N: (bp2_true(N), bp2_rhs(N, dsig)))


@case("vocab-bound-n-wrong")
def _(N):
    def rhs(ell):
        width = len(N.z(ell))  # n_l: the sum stops at the width of layer l
        return dsig(N.z(ell)) * (N.W(ell + 1)[:width].T @ N.delta(ell + 1)[:width])

    assert len(N.z(1)) < len(N.z(2))
    return bp2_true(N), over(hidden(N), rhs)


case("vocab-bound-n-outputs")(lambda N: (N.C(), 0.5 * np.sum((N.y() - N.a(N.L)) ** 2)))
case("vocab-bound-N-outputs")(lambda N: (N.C(), 0.5 * np.sum((N.y() - N.a(N.L)) ** 2)))
case("vocab-bound-nL")(lambda N: (N.dCda(N.L - 1), N.W(N.L).T @ N.delta(N.L)))
case("vocab-sum-s-over-units")(lambda N: (bp2_true(N), bp2_rhs(N, dsig)))

case("vocab-softplus")(lambda N: (bp1(N), (N.a(N.L) - N.y()) * sig(N.z(N.L))))
case("vocab-softplus-wrong")(lambda N: (bp1(N), (N.a(N.L) - N.y()) * dsig(N.z(N.L))))
case("vocab-tanh-squared")(lambda N: (bp1(N), (N.a(N.L) - N.y()) * (1 - np.tanh(N.z(N.L)) ** 2)))
case("vocab-tanh-in-a")(lambda N: (bp1(N), (N.a(N.L) - N.y()) * (1 - N.a(N.L) ** 2)))
case("vocab-tanh-at-a")(lambda N: (bp1(N), (N.a(N.L) - N.y()) * (1 - np.tanh(N.a(N.L)) ** 2)))
case("vocab-tanh-plus")(lambda N: (bp2_true(N), bp2_rhs(N, lambda z: 1 + np.tanh(z) ** 2)))
case("vocab-tanh-sech")(lambda N: (bp1(N), (N.a(N.L) - N.y()) / np.cosh(N.z(N.L)) ** 2))


# -- activation definitions (against the spec's activation) and derivative identities --------------
def act_def(formula, layer=1):
    return lambda N: (N.act_at(layer, N.zgrid()), formula(N.zgrid()))


def act_identity(formula, layer=1):
    return lambda N: (N.act_prime_at(layer, N.zgrid()), formula(N.zgrid()))


case("vocab-sigmoid-def")(act_def(lambda z: 1 / (1 + np.exp(-z))))
case("vocab-sigmoid-def-exp")(act_def(lambda z: 1 / (1 + np.exp(-z))))
case("vocab-sigmoid-def-sign")(act_def(lambda z: 1 / (1 + np.exp(z))))
case("vocab-sigmoid-derivative")(act_identity(lambda z: sig(z) * (1 - sig(z))))
case("vocab-sigmoid-derivative-plus")(act_identity(lambda z: sig(z) * (1 + sig(z))))
case("vocab-sigmoid-derivative-exp")(act_identity(lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2))
case("vocab-sigmoid-derivative-exp-noparen")(act_identity(lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2))
case("vocab-tanh-derivative")(act_identity(lambda z: 1 - np.tanh(z) ** 2))
case("vocab-relu-def")(act_def(lambda z: np.maximum(0, z)))
case("vocab-relu-derivative")(act_identity(step))


def softmax_rhs(N):
    e = np.exp(N.z(N.L))
    return e / e.sum()


case("vocab-softmax-def-exp")(lambda N: (N.a(N.L), softmax_rhs(N)))
case("vocab-softmax-def-e")(lambda N: (N.a(N.L), softmax_rhs(N)))

# ℓ for the layer (f is the logistic here), and ℓ for the neuron summed over beside the layer l
case("vocab-ell-layer-bp2")(lambda N: (bp2_true(N), bp2_rhs(N, dsig)))
case("vocab-ell-layer-bp2-same-layer")(
    lambda N: (bp2_true(N), over(hidden(N), lambda ell: (N.W(ell).T @ N.delta(ell + 1)) * dsig(N.z(ell)))))
case("vocab-ell-layer-bp4")(lambda N: (bp4_true(N), bp4_rhs(N)))
case("vocab-ell-neuron-sum")(lambda N: (bp2_true(N), bp2_rhs(N, dsig)))
case("vocab-ell-neuron-sum-same-layer")(
    lambda N: (bp2_true(N), over(hidden(N), lambda ell: dsig(N.z(ell)) * (N.W(ell).T @ N.delta(ell + 1)))))
