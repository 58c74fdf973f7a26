"""Nielsen's four equations (BP1–BP4) and the document furniture around them.

Each function gets one random draw N and returns (true value of the left side, the right side as
written), both over every instance the equation's free indices allow. Internal numbering: the
input is layer 0 (Nielsen's own), arrays destination-first.
"""

from netlib import UNDEFINED, case, dsig, hidden, over, sig, weights


def bp1_true(N):
    return N.delta(N.L)


def quad_out(N):
    return N.a(N.L) - N.y()


@case("nielsen-bp1-component")
def _(N):
    return bp1_true(N), N.dCda(N.L) * dsig(N.z(N.L))


@case("nielsen-bp1-hadamard")
def _(N):
    return bp1_true(N), N.dCda(N.L) * dsig(N.z(N.L))


for key in [
    "nielsen-bp1-quadratic-tag-number",
    "nielsen-bp1-unicode-minus",
    "nielsen-bp1-mathbf-wrap",
    "nielsen-bp1-left-curly",
]:
    case(key)(lambda N: (bp1_true(N), quad_out(N) * dsig(N.z(N.L))))

for key in ["nielsen-bp1-comma-left-right", "nielsen-bp1-prime-command"]:
    case(key)(lambda N: (bp1_true(N), N.dCda(N.L) * dsig(N.z(N.L))))

for key in [
    "nielsen-bp1-mathrm",
    "nielsen-bp1-en-dash",
    "nielsen-bp1-star",
    "nielsen-bp1-period-product",
    "nielsen-bp1-bigl",
    "nielsen-bp1-dot-sigma",
    "nielsen-bp1-mathbb-wrap",
]:
    case(key)(lambda N: (bp1_true(N), quad_out(N) * dsig(N.z(N.L))))


@case("nielsen-bp1-sign")
def _(N):
    return bp1_true(N), (N.y() - N.a(N.L)) * dsig(N.z(N.L))


@case("nielsen-bp1-sigma-prime-at-a")
def _(N):
    return bp1_true(N), quad_out(N) * dsig(N.a(N.L))


@case("nielsen-bp1-no-sigma-prime")
def _(N):
    return bp1_true(N), quad_out(N)


@case("nielsen-bp1-factor-2")
def _(N):
    return bp1_true(N), 2 * quad_out(N) * dsig(N.z(N.L))


@case("nielsen-bp1-sign-and-sigma-at-a")
def _(N):
    return bp1_true(N), (N.y() - N.a(N.L)) * dsig(N.a(N.L))


@case("nielsen-bp1-sigmoid-in-a")
def _(N):
    a = N.a(N.L)
    return bp1_true(N), quad_out(N) * a * (1 - a)


@case("nielsen-bp1-sigmoid-in-z")
def _(N):
    z = N.z(N.L)
    return bp1_true(N), quad_out(N) * sig(z) * (1 - sig(z))


# -- BP2 ---------------------------------------------------------------------------------------------
def bp2_true(N):
    return over(hidden(N), N.delta)


def bp2(N, ell):
    return (N.W(ell + 1).T @ N.delta(ell + 1)) * dsig(N.z(ell))


for key in [
    "nielsen-bp2-matrix",
    "nielsen-bp2-component",
    "nielsen-bp2-qualifier-text",
    "nielsen-bp2-boldsymbol-label",
    "nielsen-bp2-in-R",
    "nielsen-bp2-ldots-qualifier",
]:
    case(key)(lambda N: (bp2_true(N), over(hidden(N), lambda ell: bp2(N, ell))))


@case("nielsen-bp2-no-transpose")
def _(N):
    return bp2_true(N), over(hidden(N), lambda ell: (N.W(ell + 1) @ N.delta(ell + 1)) * dsig(N.z(ell)))


@case("nielsen-bp2-no-transpose-nonsquare")
def _(N):
    assert N.W(2).shape[1] != N.delta(2).shape[0]  # w^2 δ^2 does not exist for 2-3-2
    return bp2_true(N), UNDEFINED


@case("nielsen-bp2-swapped")
def _(N):
    return bp2_true(N), over(hidden(N), lambda ell: (N.W(ell + 1) @ N.delta(ell + 1)) * dsig(N.z(ell)))


@case("nielsen-bp2-sigma-at-a")
def _(N):
    return bp2_true(N), over(hidden(N), lambda ell: (N.W(ell + 1).T @ N.delta(ell + 1)) * dsig(N.a(ell)))


@case("nielsen-bp2-no-sigma-prime")
def _(N):
    return bp2_true(N), over(hidden(N), lambda ell: N.W(ell + 1).T @ N.delta(ell + 1))


@case("nielsen-bp2-wrong-layer")
def _(N):
    return bp2_true(N), over(hidden(N), lambda ell: (N.W(ell).T @ N.delta(ell + 1)) * dsig(N.z(ell)))


@case("nielsen-bp2-transpose-and-sigma-at-a")
def _(N):
    return bp2_true(N), over(hidden(N), lambda ell: (N.W(ell + 1) @ N.delta(ell + 1)) * dsig(N.a(ell)))


# -- BP3, BP4 -----------------------------------------------------------------------------------------
def bp3_true(N):
    return over(weights(N), N.gb)


for key in [
    "nielsen-bp3",
    "nielsen-bp3-vector",
    "nielsen-bp3-rm",
    "nielsen-bp3-tag-no-comma",
    "nielsen-bp3-forall",
    "nielsen-bp3-rightarrow-label",
]:
    case(key)(lambda N: (bp3_true(N), over(weights(N), N.delta)))


@case("nielsen-bp3-times-output")
def _(N):
    a = N.a(N.L)
    return N.gb(N.L), (a - N.y()) * a * (1 - a)


def bp4_true(N):
    return over(weights(N), N.gW)


def bp4(N, ell):
    return N.delta(ell)[:, None] * N.a(ell - 1)[None, :]


for key in [
    "nielsen-bp4",
    "nielsen-bp4-matrix",
    "nielsen-bp4-double-braces",
    "nielsen-bp4-cdot",
    "nielsen-bp4-rightarrow-A",
]:
    case(key)(lambda N: (bp4_true(N), over(weights(N), lambda ell: bp4(N, ell))))


@case("nielsen-bp4-swapped")
def _(N):
    return bp4_true(N), over(weights(N), lambda ell: N.a(ell - 1)[:, None] * N.delta(ell)[None, :])


@case("nielsen-bp4-wrong-layer")
def _(N):
    return bp4_true(N), over(weights(N), lambda ell: N.delta(ell)[:, None] * N.a(ell)[None, :])


@case("nielsen-bp4-matrix-transposed")
def _(N):
    return bp4_true(N), over(weights(N), lambda ell: N.a(ell - 1)[:, None] * N.delta(ell)[None, :])


@case("nielsen-bp4-sign-and-swapped")
def _(N):
    return bp4_true(N), over(weights(N), lambda ell: -N.a(ell - 1)[:, None] * N.delta(ell)[None, :])
