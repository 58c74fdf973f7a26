"""The claims of the whole documents (documents/*.expected.toml), keyed 'DOCUMENT#claim-id'.

Where a claim is the same mathematics as a single-equation case on the same kind of network, it
reuses that case's two sides (``same``); the others are written out here.
"""

import numpy as np

from netlib import REGISTRY, case, dsig, hidden, over, weights


def same(key: str, case_id: str) -> None:
    case(key)(REGISTRY[case_id])


# -- nielsen_lecture.tex (quad_232) -----------------------------------------------------------------
D = "nielsen_lecture#"
for claim, source in {
    "forward-component": "def-forward-component",
    "forward-vector": "def-forward-vector",
    "weighted-input": "def-z",
    "input": "def-input",
    "cost-batch": "def-cost-quad-batch-n",
    "cost-one-input": "def-cost-quad-sum",
    "bp1": "nielsen-bp1-component",
    "bp2": "nielsen-bp2-matrix",
    "bp3": "nielsen-bp3",
    "bp4": "nielsen-bp4",
    "grad-a-quadratic": "dCda-nabla",
    "bp1a": "nielsen-bp1-quadratic-tag-number",
    "sigmoid-derivative": "vocab-sigmoid-derivative",
    "dz-dz": "chain-dz-dz",
    "bp2-component": "nielsen-bp2-component",
    "dz-db": "chain-dz-db",
    "bp4-matrix": "nielsen-bp4-matrix",
    "bp3-vector": "nielsen-bp3-vector",
    "w2-gradient-matrix": "struct-bmatrix-weight-gradient",
    "batch-bias": "batch-bias-n",
    "batch-weight": "batch-weight-missing-mean",
}.items():
    same(D + claim, source)


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
