"""Bishop's letters on a network with one hidden layer: i inputs, j hidden units (internal layer 1),
k outputs (internal layer 2); a = the input sum (internal z), z = h(a) the unit's output (internal a)."""

import numpy as np
from netlib import case, dsig, sig

case("bishop-output-delta")(lambda N: (N.delta(2), N.a(2) - N.y()))
case("bishop-hidden-delta")(lambda N: (N.delta(1), dsig(N.z(1)) * (N.W(2).T @ N.delta(2))))
case("bishop-hidden-delta-at-z")(lambda N: (N.delta(1), dsig(N.a(1)) * (N.W(2).T @ N.delta(2))))
case("bishop-gradient-general")(lambda N: (N.gW(1), np.outer(N.delta(1), N.x())))
case("bishop-gradient-second-layer")(lambda N: (N.gW(2), np.outer(N.delta(2), N.a(1))))
case("bishop-gradient-first-layer")(lambda N: (N.gW(1), np.outer(N.delta(1), N.x())))
case("bishop-gradient-first-layer-wrong")(lambda N: (N.gW(1), np.outer(N.delta(1) * N.a(1), np.ones(len(N.x())))))
case("bishop-definition-chain")(lambda N: (N.delta(1), [N.delta(1), N.jac("z", 2, "z", 1).T @ N.delta(2)]))
case("bishop-tanh-hidden-delta")(lambda N: (N.delta(1), (1 - N.a(1) ** 2) * (N.W(2).T @ N.delta(2))))
case("bishop-tanh-hidden-delta-wrong")(lambda N: (N.delta(1), (1 - N.z(1) ** 2) * (N.W(2).T @ N.delta(2))))
case("bishop-error")(lambda N: (N.C(), 0.5 * np.sum((N.a(2) - N.y()) ** 2)))
case("bishop-forward-hidden")(lambda N: (N.a(1), np.tanh(N.z(1))))
case("bishop-forward-input-sum")(lambda N: (N.z(1), N.W(1) @ N.x() + N.b(1)))
case("bishop-forward-output")(lambda N: (N.a(2), N.W(2) @ N.a(1) + N.b(2)))
case("bishop-forward-output-sigmoid")(lambda N: (N.a(2), sig(N.z(2))))
