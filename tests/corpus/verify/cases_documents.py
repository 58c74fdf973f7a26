"""The claims of the whole documents (documents/*.expected.toml), keyed 'DOCUMENT#claim-id'.

Where a claim is the same mathematics as a single-equation case on the same kind of network, it
reuses that case's two sides (aliases.toml); the others are written out here.
"""

import tomllib
from pathlib import Path

import numpy as np
from netlib import REGISTRY, case, dsig, hidden, over, sig, weights


def reuse_cases() -> None:
    """Register every claim of aliases.toml with the two sides of its single-equation case."""
    aliases = tomllib.loads((Path(__file__).parent / "aliases.toml").read_text(encoding="utf-8"))
    for document, claims in aliases.items():
        for claim, case_id in claims.items():
            case(f"{document}#{claim}")(REGISTRY[case_id])


reuse_cases()


# -- nielsen_lecture.tex (quad_232) -----------------------------------------------------------------
D = "nielsen_lecture#"


@case(D + "chain-factor-slip")
def _(N):
    # ∂a^l_j/∂z^l_j = σ'(a^l_j), for every layer l the text's free index allows
    return (
        over(weights(N), lambda ell: np.diag(N.jac("a", ell, "z", ell))),
        over(weights(N), lambda ell: dsig(N.a(ell))),
    )


case(D + "cost-average")(lambda N: (N.C_batch(), np.mean([N.C(s) for s in range(N.m)])))


@case(D + "bp1-proof")
def _(N):
    L = N.L
    jac = N.jac("a", L, "z", L)
    return N.delta(L), [jac.T @ N.dCda(L), N.dCda(L) * np.diag(jac)]


@case(D + "bp2-proof")
def _(N):
    def first(ell):
        return N.jac("z", ell + 1, "z", ell).T @ N.delta(ell + 1)  # Σ_k ∂C/∂z^{l+1}_k ∂z^{l+1}_k/∂z^l_j

    return over(hidden(N), N.delta), [over(hidden(N), first), over(hidden(N), first)]


@case(D + "next-weighted-input")
def _(N):
    return (
        over(hidden(N), lambda ell: N.z(ell + 1)),
        over(hidden(N), lambda ell: N.W(ell + 1) @ N.act(ell, N.z(ell)) + N.b(ell + 1)),
    )


case(D + "weighted-input-component")(
    lambda N: (over(weights(N), N.z), over(weights(N), lambda ell: N.W(ell) @ N.a(ell - 1) + N.b(ell)))
)


@case(D + "bp4-proof")
def _(N):
    def chain(ell):
        d = N.dz_dW(ell)  # [j, j', k]
        return N.delta(ell)[:, None] * np.stack([d[j, j] for j in range(d.shape[0])])

    return (
        over(weights(N), N.gW),
        [over(weights(N), chain), over(weights(N), lambda ell: np.outer(N.delta(ell), N.a(ell - 1)))],
    )


@case(D + "hidden-error-example")
def _(N):
    W, d = N.W(2), N.delta(2)
    return N.delta(1)[0], dsig(N.z(1))[0] * (W[0, 0] * d[0] + W[0, 1] * d[1])


# -- ng_theta_blog.md (bce_2332, Ng's numbering: Ng layer l = internal l-1) -------------------------
D = "ng_theta_blog#"

case(D + "z3")(lambda N: (N.z(2), N.W(2) @ N.a(1) + N.b(2)))
case(D + "a3")(lambda N: (N.a(2), sig(N.z(2))))
case(D + "stored-activation")(lambda N: (N.a(2), sig(N.z(2))))
case(D + "z4")(lambda N: (N.z(3), N.W(3) @ N.a(2) + N.b(3)))
case(D + "a4-chain")(lambda N: (N.a(3), [N.a(3), sig(N.z(3))]))


@case(D + "output-chain")
def _(N):
    a, y = N.a(3), N.y()
    return N.delta(3), [N.dCda(3) * dsig(N.z(3)), (a - y) / (a * (1 - a)) * a * (1 - a), a - y]


@case(D + "hidden-chain")
def _(N):
    return N.delta(2), [N.jac("z", 3, "z", 2).T @ N.delta(3), (N.W(3).T @ N.delta(3)) * dsig(N.z(2))]


@case(D + "layer2-no-transpose")
def _(N):
    return N.delta(1), (N.W(2) @ N.delta(2)) * dsig(N.z(1))  # Θ^{(2)} is 3×3 here: a value, a wrong one


@case(D + "D-chain")
def _(N):
    def accumulated(ell):
        return sum(np.outer(N.delta(ell, t), N.a(ell - 1, t)) for t in range(N.m)) / N.m

    return over(weights(N), N.gW_batch), [over(weights(N), accumulated), over(weights(N), accumulated)]


# -- higham_notes.md (quad_2332, Higham's numbering: their layer l = internal l-1) -------------------
D = "higham_notes#"

case(D + "activation")(lambda N: (over(weights(N), N.a), over(weights(N), lambda ell: sig(N.z(ell)))))
case(D + "output-activation")(lambda N: (N.a(N.L), sig(N.z(N.L))))


@case(D + "output-chain")
def _(N):
    L = N.L
    return N.delta(L), [N.dCda(L) * np.diag(N.jac("a", L, "z", L)), (N.a(L) - N.y()) * dsig(N.z(L))]


@case(D + "proof-b")
def _(N):
    def chain(ell):
        return N.jac("z", ell + 1, "z", ell).T @ N.delta(ell + 1)

    def summed(ell):
        return (N.W(ell + 1).T @ N.delta(ell + 1)) * dsig(N.z(ell))

    return over(hidden(N), N.delta), [
        over(hidden(N), chain),
        over(hidden(N), chain),
        over(hidden(N), summed),
        over(hidden(N), summed),
    ]


def output_d(N):
    return dsig(N.z(3)) * (N.a(3) - N.y())


case(D + "delta-3")(lambda N: (N.delta(2), dsig(N.z(2)) * (N.W(3).T @ output_d(N))))
case(D + "delta-2")(lambda N: (N.delta(1), dsig(N.z(1)) * (N.W(2).T @ (N.W(3).T @ output_d(N)))))
case(D + "first-weights-transposed")(lambda N: (N.gW(1), np.outer(N.x(), N.delta(1))))
case(D + "summary-sign")(lambda N: (N.delta(N.L), dsig(N.z(N.L)) * (N.y() - N.a(N.L))))


# -- softmax_unicode.txt (tanh_softmax_343) ------------------------------------------------------------
D = "softmax_unicode#"

case(D + "hidden-activation")(lambda N: (N.a(1), np.tanh(N.z(1))))
case(D + "stored-activation")(lambda N: (N.a(1), np.tanh(N.z(1))))


@case(D + "output-chain")
def _(N):
    a, y, L = N.a(N.L), N.y(), N.L
    kj = np.eye(len(a)) - a[None, :]  # [k, j] = [k = j] − a_j
    return N.delta(L), [N.jac("a", L, "z", L).T @ N.dCda(L), -(kj.T @ y), a * y.sum() - y, a - y]


case(D + "bp1-as-elementwise")(lambda N: (N.delta(N.L), N.dCda(N.L) * N.a(N.L) * (1 - N.a(N.L))))


def back(N):
    return N.W(2).T @ N.delta(2)


case(D + "hidden-in-z")(lambda N: (N.delta(1), back(N) * (1 - np.tanh(N.z(1)) ** 2)))
case(D + "hidden-in-a-slip")(lambda N: (N.delta(1), back(N) * (1 - N.a(1)) ** 2))
case(D + "hidden-component")(lambda N: (N.delta(1), (1 - N.a(1) ** 2) * back(N)))
case(D + "output-weight")(lambda N: (N.gW(2), np.outer(N.a(2) - N.y(), N.a(1))))
case(D + "hidden-weight")(lambda N: (N.gW(1), np.outer((1 - N.a(1) ** 2) * (N.W(2).T @ (N.a(2) - N.y())), N.x())))
case(D + "batch-weight")(
    lambda N: (over(weights(N), N.gW_batch), over(weights(N), lambda ell: N.Delta(ell).T @ N.A(ell - 1)))
)
case(D + "batch-hidden")(lambda N: (N.Delta(1), (N.Delta(2) @ N.W(2)) * (1 - N.A(1) * N.A(1))))


# -- source_first_handout.tex (sf_322; letters i, j, k = internal layers 0, 1, 2; w_ij = W^1[j, i],
#    w_jk = W^2[k, j]; the handout's δ is −∂E/∂z, so its δ_j is −δ^1_j and its δ_k is −δ^2_k) --------
D = "source_first_handout#"


def hd(N):
    return -N.delta(1)  # the handout's hidden deltas


def od(N):
    return -N.delta(2)  # the handout's output deltas


case(D + "hidden-net-input")(lambda N: (N.z(1), N.W(1) @ N.x() + N.b(1)))
case(D + "hidden-output")(lambda N: (N.a(1), [sig(N.z(1)), 1 / (1 + np.exp(-N.z(1)))]))
case(D + "output-net-input")(lambda N: (N.z(2), N.W(2) @ N.a(1) + N.b(2)))
case(D + "output-output")(lambda N: (N.a(2), sig(N.z(2))))
case(D + "logistic-derivative-in-y")(lambda N: (N.act_prime_at(1, N.z(1)), N.a(1) * (1 - N.a(1))))


@case(D + "output-delta-chain")
def _(N):
    t, y = N.y(), N.a(2)
    return od(N), [-N.dCda(2) * np.diag(N.jac("a", 2, "z", 2)), (t - y) * dsig(N.z(2)), (t - y) * y * (1 - y)]


@case(D + "output-weight-chain")
def _(N):
    d = N.dz_dW(2)  # ∂z_k/∂w_jk = d[k, k, j]
    dz_dw = np.stack([d[k, k] for k in range(d.shape[0])])  # [k, j]
    return N.gW(2), [N.delta(2)[:, None] * dz_dw, -np.outer(od(N), N.a(1))]


@case(D + "hidden-delta-chain")
def _(N):
    through = N.jac("z", 2, "a", 1).T @ N.delta(2) * np.diag(N.jac("a", 1, "z", 1))
    return hd(N), [-through, dsig(N.z(1)) * (N.W(2).T @ od(N))]


case(D + "input-weight-gradient")(lambda N: (N.gW(1), -np.outer(hd(N), N.x())))
case(D + "hidden-bias-gradient")(lambda N: (N.gb(1), -hd(N)))
case(D + "output-bias-sign")(lambda N: (N.gb(2), od(N)))
# w_{kj} read in the handout's order would be from output k to hidden j: with the square 2×2 layer its
# value is the entry the other way round, W^2[j, k]
case(D + "lab-hidden-delta")(lambda N: (hd(N), N.a(1) * (1 - N.a(1)) * (N.W(2) @ od(N))))
case(D + "lab-output-delta")(lambda N: (od(N), (N.y() - N.a(2)) * dsig(N.a(2))))
# row vectors: W^{(1)} has one row per input (W^1 transposed), W^{(2)} one row per hidden unit (W^2
# transposed), so (W^{(2)})^T is W^2 itself
case(D + "vector-hidden-net-input")(lambda N: (N.z(1), N.x() @ N.W(1).T + N.b(1)))
case(D + "vector-output-delta")(lambda N: (od(N), (N.y() - N.a(2)) * N.a(2) * (1 - N.a(2))))
case(D + "vector-hidden-delta")(lambda N: (hd(N), (od(N) @ N.W(2)) * N.a(1) * (1 - N.a(1))))
case(D + "vector-output-weights")(lambda N: (N.gW(2).T, -np.outer(N.a(1), od(N))))
case(D + "vector-input-weights")(lambda N: (N.gW(1).T, -np.outer(hd(N), N.x())))


# -- scalar_chain_post.md (chain_1111_sq: one neuron per layer, layers 0..3, cost (a − y)²) --------------
D = "scalar_chain_post#"


def s1(v):
    return float(np.asarray(v).ravel()[0])


def out_factor(N):
    return s1(dsig(N.z(N.L))) * 2 * (s1(N.a(N.L)) - s1(N.y()))


case(D + "weighted-input")(lambda N: (s1(N.z(N.L)), s1(N.W(N.L)) * s1(N.a(N.L - 1)) + s1(N.b(N.L))))
case(D + "activation")(lambda N: (s1(N.a(N.L)), s1(sig(N.z(N.L)))))
case(D + "da-dz")(lambda N: (s1(N.jac("a", N.L, "z", N.L)), s1(dsig(N.z(N.L)))))
case(D + "dz-dw")(lambda N: (s1(N.dz_dW(N.L)), s1(N.a(N.L - 1))))
case(D + "last-weight-at-a")(
    lambda N: (s1(N.gW(N.L)), s1(N.a(N.L - 1)) * s1(dsig(N.a(N.L))) * 2 * (s1(N.a(N.L)) - s1(N.y())))
)


@case(D + "dz-db")
def _(N):
    def z_of(bias):
        return s1(N.W(N.L) @ N.a(N.L - 1)) + bias

    h, b = 1e-5, s1(N.b(N.L))
    return (z_of(b + h) - z_of(b - h)) / (2 * h), 1.0


case(D + "last-bias-in-a")(
    lambda N: (s1(N.gb(N.L)), 2 * (s1(N.a(N.L)) - s1(N.y())) * s1(N.a(N.L)) * (1 - s1(N.a(N.L))))
)
case(D + "previous-weight")(
    lambda N: (s1(N.gW(N.L - 1)), s1(N.a(N.L - 2)) * s1(dsig(N.z(N.L - 1))) * s1(N.dCda(N.L - 1)))
)
case(D + "previous-bias")(lambda N: (s1(N.gb(N.L - 1)), s1(dsig(N.z(N.L - 1))) * s1(N.W(N.L)) * out_factor(N)))


@case(D + "first-weight")
def _(N):
    w = [None] + [s1(N.W(ell)) for ell in range(1, 4)]
    sp = [None] + [s1(dsig(N.z(ell))) for ell in range(1, 4)]
    # as written: w^{(1)} where the path from layer 1 to layer 2 has w^{(2)}
    return s1(N.gW(1)), s1(N.x()) * sp[1] * w[1] * sp[2] * w[3] * sp[3] * 2 * (s1(N.a(3)) - s1(N.y()))


case(D + "cost-average")(lambda N: (N.C_batch(), np.mean([N.C(k) for k in range(N.m)])))
case(D + "gradient-average")(lambda N: (N.gW_batch(N.L), np.mean([N.gW(N.L, k) for k in range(N.m)], axis=0)))
