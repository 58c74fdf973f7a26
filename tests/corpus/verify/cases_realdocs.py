"""The claims of the documents in the styles people publish in: a Q&A thread, a LaTeX handout,
notebook cells (documents/stackexchange_qa.md, matrix_handout.tex, notebook_cells.md).

Layers are numbered here as netlib does (input 0); matrix_handout numbers its input layer 1, so
its layer [l] is netlib's l - 1 and its qualifier 2 <= l <= L-1 is netlib's hidden layers.
"""

import numpy as np
from netlib import UNDEFINED, case, dsig, hidden, over, sig, weights


def diag_jac(N, ell):
    """∂a^l_j/∂z^l_j for each j (the diagonal of the activation's Jacobian)."""
    return np.diag(N.jac("a", ell, "z", ell))


def act_def(formula):
    return lambda N: (N.act_at(1, N.zgrid()), formula(N.zgrid()))


def act_identity(formula):
    return lambda N: (N.act_prime_at(1, N.zgrid()), formula(N.zgrid()))


def forward_z(N):
    return over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell) @ N.a(ell - 1) + N.b(ell))


def forward_a(f):
    return lambda N: (over(weights(N), N.a), over(weights(N), lambda ell: f(N.z(ell))))


def bp2_matrix(N, dact):
    return over(hidden(N), N.delta), over(hidden(N), lambda ell: dact(N.z(ell)) * (N.W(ell + 1).T @ N.delta(ell + 1)))


def bias(N):
    return over(weights(N), N.gb), over(weights(N), N.delta)


def weight(N):
    return over(weights(N), N.gW), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1)))


def half_sq(N):
    return 0.5 * np.sum((N.y() - N.a(N.L)) ** 2)


def dz_db(N):
    """∂z^l_j/∂b^l_j by central differences, against 1."""
    def column(ell):
        b, step = N.b(ell), 1e-6
        z_of = lambda v: N.W(ell) @ N.a(ell - 1) + v  # noqa: E731
        return np.array([(z_of(b + step * e)[j] - z_of(b - step * e)[j]) / (2 * step)
                         for j, e in enumerate(np.eye(len(b)))])

    return over(weights(N), column), over(weights(N), lambda ell: np.ones(len(N.b(ell))))


def dtanh(z):
    return 1 - np.tanh(z) ** 2


# -- stackexchange_qa.md (quad_232) ------------------------------------------------------------------
Q = "stackexchange_qa#"
case(Q + "input")(lambda N: (N.a(0), N.x()))
case(Q + "forward-z")(forward_z)
case(Q + "forward-a")(forward_a(sig))
case(Q + "sigmoid-power")(act_def(lambda z: (1 + np.exp(-z)) ** -1))
case(Q + "cost-double-bar")(lambda N: (N.C(), 0.5 * np.linalg.norm(N.y() - N.a(N.L)) ** 2))
case(Q + "dCda")(lambda N: (N.dCda(N.L), -(N.y() - N.a(N.L))))
case(Q + "chain-factor-slip")(
    lambda N: (over(weights(N), lambda ell: diag_jac(N, ell)),
               [over(weights(N), lambda ell: dsig(N.a(ell))),
                over(weights(N), lambda ell: N.a(ell) * (1 - N.a(ell)))])
)
case(Q + "chain-output")(
    lambda N: (N.delta(N.L), [N.dCda(N.L) * diag_jac(N, N.L), (N.a(N.L) - N.y()) * N.a(N.L) * (1 - N.a(N.L))])
)
# Σ_k w^2_{jk} δ^2_k σ'(z^1_j) for the three hidden j: w^2 is 2 × 3, so w^2_{jk} has no row 3
case(Q + "hidden-swapped")(lambda N: (N.delta(1), UNDEFINED))
case(Q + "bias-question")(bias)
case(Q + "evaluation-bar")(
    lambda N: (over(weights(N), lambda ell: diag_jac(N, ell)),
               [over(weights(N), lambda ell: dsig(N.z(ell))), over(weights(N), lambda ell: dsig(N.z(ell)))])
)
case(Q + "sigmoid-derivative")(
    lambda N: (N.act_prime_at(1, N.zgrid()),
               [np.exp(-N.zgrid()) / (1 + np.exp(-N.zgrid())) ** 2, sig(N.zgrid()) * (1 - sig(N.zgrid()))])
)
case(Q + "bp1-boxed")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) * dsig(N.z(N.L))))
case(Q + "bp2-component")(lambda N: bp2_matrix(N, dsig))
case(Q + "bias-answer")(bias)


case(Q + "dz-db")(dz_db)
case(Q + "weight-subscript-partial")(weight)
case(Q + "bp1-vector")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) * dsig(N.z(N.L))))
case(Q + "bp3-vector")(bias)
# a^l_k δ^l_j: at l = 1, a^1 has three entries where k runs over the two inputs (wrong values);
# at l = 2, k runs over the three hidden units but a^2 has two entries (not even defined)
case(Q + "weight-wrong-layer")(lambda N: (over(weights(N), N.gW), UNDEFINED))


# -- matrix_handout.tex (quad_2332, input layer 1: its [l] is netlib's l - 1) ------------------------
H = "matrix_handout#"
case(H + "input")(lambda N: (N.a(0), N.x()))
case(H + "forward-z")(forward_z)
case(H + "forward-a")(forward_a(sig))
case(H + "cost")(lambda N: (N.C(), half_sq(N)))
case(H + "bp1")(lambda N: (N.delta(N.L), dsig(N.z(N.L)) * (N.a(N.L) - N.y())))
case(H + "bp2")(lambda N: bp2_matrix(N, dsig))
case(H + "bp3")(bias)
case(H + "bp4-empty-group-transpose")(weight)
case(H + "dCda-chain")(lambda N: (N.dCda(N.L), [N.a(N.L) - N.y(), N.a(N.L) - N.y()]))
case(H + "da-dz")(lambda N: (diag_jac(N, N.L), dsig(N.z(N.L))))


@case(H + "hidden-chain")
def _(N):
    def through_next(ell):
        return N.jac("z", ell + 1, "z", ell).T @ N.delta(ell + 1)

    return (over(hidden(N), N.delta),
            [over(hidden(N), through_next),
             over(hidden(N), lambda ell: (N.W(ell + 1).T @ N.delta(ell + 1)) * dsig(N.z(ell)))])


case(H + "dz-db")(dz_db)
case(H + "bp4-component")(weight)


@case(H + "no-transpose")
def _(N):
    # σ'(z^l) ∘ W^{l+1} δ^{l+1}: W^3 (3 × 3) fits at the first hidden layer, W^4 (2 × 3) times δ^4 (2) does not
    return over(hidden(N), N.delta), UNDEFINED


case(H + "dCda-factor")(lambda N: (N.dCda(N.L), 2 * (N.a(N.L) - N.y())))


# -- notebook_cells.md (tanh_232) --------------------------------------------------------------------
B = "notebook_cells#"
case(B + "activation")(act_def(np.tanh))
case(B + "activation-derivative")(act_identity(dtanh))
case(B + "forward-z")(forward_z)
case(B + "forward-a")(forward_a(np.tanh))
case(B + "cost")(lambda N: (N.C(), half_sq(N)))
case(B + "output-chain")(
    lambda N: (N.delta(N.L), [N.dCda(N.L) * diag_jac(N, N.L), (N.a(N.L) - N.y()) * (1 - N.a(N.L) ** 2)])
)
case(B + "hidden-overbrace")(lambda N: bp2_matrix(N, dtanh))
case(B + "unicode-inline")(lambda N: bp2_matrix(N, dtanh))
case(B + "boxed-bp1")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) * dtanh(N.z(N.L))))
case(B + "boxed-bp2")(lambda N: bp2_matrix(N, dtanh))
case(B + "weight-gradient")(lambda N: (N.gW(2), np.outer(N.delta(2), N.a(1))))
case(B + "bias-gradient")(bias)
case(B + "first-version-at-a")(lambda N: (N.delta(1), (N.W(2).T @ N.delta(2)) * dtanh(N.a(1))))
# a^1_j δ^2_k with j over the two outputs and k over the three hidden units: δ^2 has no third entry
case(B + "first-version-weight")(lambda N: (N.gW(2), UNDEFINED))
case(B + "derivative-check")(
                             lambda N: (N.act_prime_at(1, N.zgrid()),
                                         [1 / np.cosh(N.zgrid()) ** 2, dtanh(N.zgrid())]))
case(B + "weight-underbrace")(weight)
case(B + "hidden-slope")(lambda N: (diag_jac(N, 1), [dtanh(N.z(1)), 1 - N.a(1) ** 2]))
case(B + "align-bp1")(lambda N: (N.delta(N.L), (N.a(N.L) - N.y()) * dtanh(N.z(N.L))))
case(B + "align-bp2")(lambda N: bp2_matrix(N, dtanh))
case(B + "dCda-color")(lambda N: (N.dCda(N.L), N.a(N.L) - N.y()))
case(B + "first-version-sign")(lambda N: (N.delta(N.L), (N.y() - N.a(N.L)) * dtanh(N.z(N.L))))

# -- matrix_handout.tex, continued --------------------------------------------------------------------
case(H + "bias-chain")(lambda N: (over(weights(N), N.gb), [over(weights(N), N.delta), over(weights(N), N.delta)]))
case(H + "dz-dz")(lambda N: (over(hidden(N), lambda ell: N.jac("z", ell + 1, "z", ell)),
                             over(hidden(N), lambda ell: N.W(ell + 1) * dsig(N.z(ell))[None, :])))
case(H + "sigmoid-derivative")(act_identity(lambda z: sig(z) * (1 - sig(z))))


@case(H + "unrolled")
def _(N):
    D = [None] + [np.diag(dsig(N.z(ell))) for ell in weights(N)]
    return N.delta(1), D[1] @ N.W(2).T @ D[2] @ N.W(3).T @ D[3] @ (N.a(3) - N.y())


# δ^{[l]}_k a^{[l-1]}_j for w^{[l]}_{jk}: the first index runs over layer l, the second over l - 1, so
# at the first weight layer (3 × 2) k reaches 2 inputs where δ has 3 entries: swapped, and not
# defined at the layers whose widths differ
case(H + "weight-swapped")(lambda N: (over(weights(N), N.gW), UNDEFINED))
