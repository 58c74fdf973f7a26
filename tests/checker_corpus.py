"""The checker's corpus: backprop equations written the way the literature writes them.

Each entry is (spec, notation, equation, expected verdict, expected diagnosis).  The verdict
is True for CORRECT; the diagnosis is a phrase the report must contain (None: no diagnosis
is required).  Specs (keys of ``SPECS``):

* ``quad``: 2-3-2, sigmoid, quadratic cost (non-square weight matrices, so transposes show);
* ``bce``: 2-3-2, sigmoid, binary cross-entropy (Ng's course: δ^(L) = a^(L) − y);
* ``softmax``: 2-2-3, sigmoid hidden layer, softmax output, cross-entropy (Σ_j y_j = 1).
"""

SPECS = {
    "quad": ("2-3-2", {"activation": "sigmoid", "cost": "quadratic"}),
    "bce": ("2-3-2", {"activation": "sigmoid", "cost": "binary_cross_entropy"}),
    "softmax": ("2-2-3", {"activation": "sigmoid", "output_activation": "softmax", "cost": "cross_entropy"}),
}

SIGN = "off by a sign"
FACTOR = "off by a constant factor"
AT_A = "σ'(a) where σ'(z)"
TRANSPOSE = "transpose on the wrong side"
SWAPPED = "swapped"
MISSING = "a missing path"
NO_DERIVATIVE = "a missing factor σ'(z)"
WRONG_LAYER = "the wrong layer"
NO_MEAN = "missing the 1/m of the batch average"
M_FOR_MEAN = "multiplies by m where the batch average divides by m"
MEAN_TWICE = "divides by m once too often"

CORPUS = [
    # -- the four equations, Nielsen (ch. 2) -----------------------------------------------------
    ("quad", "nielsen", r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)", True, None),
    ("quad", "nielsen", r"\delta^L = \nabla_a C \odot \sigma'(z^L)", True, None),
    ("quad", "nielsen", r"\delta^L = (a^L - y) \odot \sigma'(z^L)", True, None),
    ("quad", "nielsen", r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)", True, None),
    ("quad", "nielsen", r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)", True, None),
    ("quad", "nielsen", r"\frac{\partial C}{\partial b^l_j} = \delta^l_j", True, None),
    ("quad", "nielsen", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", True, None),
    ("quad", "nielsen", r"\frac{\partial C}{\partial w^{2}_{11}} = (a^{2}_{1} - y_{1})\,\sigma(z^{2}_{1})"
                        r"(1-\sigma(z^{2}_{1}))\,a^{1}_{1}", True, None),
    ("quad", "nielsen", "dC/dw2_11 = a1_1*delta2_1", True, None),
    ("quad", "nielsen", r"\frac{\partial C}{\partial W^l} = \delta^l (a^{l-1})^T", True, None),
    # -- Ng (input layer 1, Θ^(l) maps layer l to l+1), sigmoid + cross-entropy --------------------
    ("bce", "ng", r"\delta^{(L)} = a^{(L)} - y", True, None),
    ("bce", "ng", r"\delta^{(l)} = (\Theta^{(l)})^T \delta^{(l+1)} .* g'(z^{(l)})", True, None),
    ("bce", "ng", r"\delta^{(l)} = (\Theta^{(l)})^T \delta^{(l+1)} .* a^{(l)} .* (1 - a^{(l)})", True, None),
    ("bce", "ng", r"\frac{\partial}{\partial \Theta^{(l)}_{ij}} J(\Theta) = a^{(l)}_j \delta^{(l+1)}_i", True, None),
    ("bce", "ng", r"\frac{\partial J}{\partial b^{(l)}_i} = \delta^{(l+1)}_i", True, None),
    # -- Higham & Higham (input layer 1, D^[l] = diag(σ'(z^[l]))) -----------------------------------
    ("quad", "higham", r"\delta^{[L]} = D^{[L]} (a^{[L]} - y)", True, None),
    ("quad", "higham", r"\delta^{[l]} = D^{[l]} (W^{[l+1]})^T \delta^{[l+1]}", True, None),
    ("quad", "higham", r"\frac{\partial C}{\partial b^{[l]}} = \delta^{[l]}", True, None),
    ("quad", "higham", r"\frac{\partial C}{\partial W^{[l]}} = \delta^{[l]} (a^{[l-1]})^T", True, None),
    ("quad", "higham", r"\frac{\partial C}{\partial w^{[l]}_{jk}} = \delta^{[l]}_j a^{[l-1]}_k", True, None),
    # -- softmax + cross-entropy ---------------------------------------------------------------------
    ("softmax", "nielsen", r"\delta^L_j = a^L_j - y_j", True, None),
    ("softmax", "nielsen", r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)", True, None),
    # -- wrong variants ---------------------------------------------------------------------------------
    ("quad", "nielsen", r"\delta^L_j = (y_j - a^L_j) \sigma'(z^L_j)", False, SIGN),
    ("quad", "nielsen", r"\delta^L_j = (a^L_j - y_j) \sigma'(a^L_j)", False, AT_A),
    ("quad", "nielsen", r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(a^l_j)", False, AT_A),
    ("quad", "nielsen", r"\delta^L_j = 2(a^L_j - y_j) \sigma'(z^L_j)", False, FACTOR),
    ("quad", "nielsen", r"\frac{\partial C}{\partial b^l_j} = \frac{1}{2}\delta^l_j", False, FACTOR),
    ("quad", "nielsen", r"\delta^l = (W^{l+1} \delta^{l+1}) \odot \sigma'(z^l)", False, TRANSPOSE),
    ("quad", "nielsen", r"\frac{\partial C}{\partial W^l} = a^{l-1} (\delta^l)^T", False, TRANSPOSE),
    ("quad", "nielsen", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j \delta^l_k", False, SWAPPED),
    ("quad", "nielsen", r"\delta^l_j = \sum_k w^{l+1}_{jk} \delta^{l+1}_k \sigma'(z^l_j)", False, SWAPPED),
    ("quad", "nielsen", r"\delta^1_1 = w^2_{11} \delta^2_1 \sigma'(z^1_1)", False, MISSING),
    ("quad", "nielsen", r"\frac{\partial C}{\partial w^1_{jk}} = x_k w^2_{1j} \delta^2_1 \sigma'(z^1_j)", False,
     MISSING),
    ("quad", "nielsen", "dC/dw2_11 = 2*a1_1*delta2_1", False, FACTOR),
    ("quad", "nielsen", "dC/dw2_12 = a1_1*delta2_2", False, SWAPPED),
    ("quad", "nielsen", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l}_k \delta^l_j", False, WRONG_LAYER),
    ("bce", "ng", r"\frac{\partial J}{\partial \Theta^{(l)}_{ij}} = a^{(l)}_j \delta^{(l)}_i", False, WRONG_LAYER),
    ("quad", "nielsen", r"\delta^L_j = \frac{(a^L_j - y_j)^2}{2}", False, None),
    ("softmax", "nielsen", r"\delta^L_j = \frac{\partial C}{\partial a^L_j} a^L_j (1 - a^L_j)", False, MISSING),
    ("softmax", "nielsen", r"\delta^L_j = y_j - a^L_j", False, SIGN),
    ("bce", "ng", r"\delta^{(l)} = \Theta^{(l)} \delta^{(l+1)} .* g'(z^{(l)})", False, TRANSPOSE),
    ("bce", "ng", r"\frac{\partial J}{\partial \Theta^{(l)}_{ij}} = a^{(l)}_i \delta^{(l+1)}_j", False, SWAPPED),
    ("bce", "ng", r"\delta^{(l)} = (\Theta^{(l)})^T \delta^{(l+1)} .* g'(a^{(l)})", False, AT_A),
    ("quad", "higham", r"\delta^{[L]} = D^{[L]} (y - a^{[L]})", False, SIGN),
    ("quad", "higham", r"\delta^{[l]} = D^{[l]} W^{[l+1]} \delta^{[l+1]}", False, TRANSPOSE),
    ("quad", "higham", r"\delta^{[l]} = (W^{[l+1]})^T \delta^{[l+1]}", False, NO_DERIVATIVE),
    ("quad", "nielsen", r"\delta^L_j = a^L_j - y_j", False, NO_DERIVATIVE),
    # -- messages in the person's letters: the cost as written (J), the profile's weight (θ, w^{[l]}) ----
    ("bce", "ng", "dJ/dtheta1_12 = a1_1*delta2_2", False,
     r"swapped indices: the right side is \partial J/\partial \theta^{(1)}_{21}, not "
     r"\partial J/\partial \theta^{(1)}_{12}"),
    ("bce", "ng", r"\frac{\partial J}{\partial \theta^{(2)}_{ij}} = a^{(2)}_i \delta^{(3)}_j", False,
     r"\partial J/\partial \theta^{(2)}_{21}, not \partial J/\partial \theta^{(2)}_{12}"),
    ("quad", "higham", "dC/dw2_12 = a1_1*delta2_2", False,
     r"the right side is \partial C/\partial w^{[2]}_{21}, not \partial C/\partial w^{[2]}_{12}"),
    ("softmax", "ng", r"\delta^{(2)}_j = \sum_k \theta^{(2)}_{jk} \delta^{(3)}_k g'(z^{(2)}_j)", False,
     r"swapped indices: \theta^{(2)}_{jk} should be \theta^{(2)}_{kj}"),
    # -- batch forms: m samples, the batch cost their mean (the derivation's, Nielsen's Σ_x, Ng's D = Δ/m) --
    ("quad", "nielsen", r"\frac{\partial C_{\text{batch}}}{\partial W^{l}} = \frac{1}{m} (\Delta^{l})^{T} A^{l-1}",
     True, None),
    ("quad", "nielsen", r"\frac{\partial C_{\text{batch}}}{\partial b^{l}} = \frac{1}{m} \sum_{s=1}^{m} "
                        r"\delta^{l}_{(s)} = \frac{1}{m} (\Delta^{l})^{T} \mathbf{1}_m", True, None),
    ("quad", "nielsen", r"\Delta^{l} = \bigl(\Delta^{l+1} W^{l+1}\bigr) \odot \sigma'(Z^{l})", True, None),
    ("quad", "nielsen", r"\Delta^{L} = \nabla_{A} C \odot \sigma'(Z^{L})", True, None),
    ("quad", "nielsen", r"\frac{\partial C}{\partial b^l_j} = \frac{1}{m}\sum_{x} \delta^{x,l}_j", True, None),
    ("quad", "nielsen", r"\frac{\partial C}{\partial w^l_{jk}} = \frac{1}{m}\sum_x a^{x,l-1}_k \delta^{x,l}_j", True,
     None),
    ("bce", "nielsen", r"\Delta^{L} = A^{L} - Y", True, None),
    ("bce", "ng", r"\frac{\partial C_{\text{batch}}}{\partial \Theta^{(l-1)}} = "
                  r"\frac{1}{m} (\Delta^{(l)})^{T} A^{(l-1)}", True, None),
    ("bce", "ng", r"D^{(l)} = \frac{1}{m}\Delta^{(l)}", True, None),
    ("bce", "ng", r"D^{(l)}_{ij} = \frac{1}{m}\Delta^{(l)}_{ij}", True, None),
    ("bce", "ng", r"\frac{\partial J}{\partial \Theta^{(l)}_{ij}} = \frac{1}{m}\sum_{t=1}^{m} a^{(l)(t)}_j "
                  r"\delta^{(l+1)(t)}_i", True, None),
    ("quad", "higham", r"\frac{\partial C_{\text{batch}}}{\partial W^{[l]}} = \frac{1}{m} (\Delta^{[l]})^{T} A^{[l-1]}",
     True, None),
    ("quad", "higham", r"\frac{\partial C_{\text{batch}}}{\partial b^{[l]}} = \frac{1}{m} (\Delta^{[l]})^{T} "
                       r"\mathbf{1}_m", True, None),
    ("quad", "nielsen", r"\frac{\partial C}{\partial W^{l}} = (\Delta^{l})^{T} A^{l-1}", False, NO_MEAN),
    ("quad", "nielsen", r"\frac{\partial C}{\partial W^{l}} = m (\Delta^{l})^{T} A^{l-1}", False, M_FOR_MEAN),
    ("quad", "nielsen", r"\frac{\partial C}{\partial b^l_j} = \frac{1}{m^2}\sum_{x} \delta^{x,l}_j", False, MEAN_TWICE),
    ("quad", "nielsen", r"\frac{\partial C}{\partial W^l} = \frac{1}{m} \Delta^l A^{l-1}", False,
     r"a transpose on the wrong side: \Delta^{l} should be transposed"),
    ("bce", "nielsen", r"\Delta^{L} = Y - A^{L}", False, SIGN),
    ("bce", "ng", r"D^{(l)} = \Delta^{(l)}", False, NO_MEAN),
    ("bce", "ng", r"D^{(l)} = m\Delta^{(l)}", False, M_FOR_MEAN),
    ("bce", "ng", r"\frac{\partial J}{\partial \Theta^{(l)}_{ij}} = \sum_{t=1}^{m} a^{(l)(t)}_j \delta^{(l+1)(t)}_i",
     False, NO_MEAN),
    ("quad", "higham", r"\frac{\partial C_{\text{batch}}}{\partial b^{[l]}} = \sum_{s=1}^{m} \delta^{[l]}_{(s)}", False,
     NO_MEAN),
    ("quad", "higham", r"\frac{\partial C_{\text{batch}}}{\partial W^{[l]}} = m (\Delta^{[l]})^{T} A^{[l-1]}", False,
     M_FOR_MEAN),
]

#: Input that cannot be understood (exit 2): (equation, phrases the message must contain).
MALFORMED = [
    (r"\delta^{L_j = a^L_j - y_j", ("unbalanced '{'", "column 8")),
    (r"\delta^L_j = (a^L_j - y_j", ("expected ')'", "end of the equation")),
    (r"\delta^L_j = q^L_j", ("unknown symbol 'q'", "column 14")),
    (r"\delta^2_7 = a^2_7 - y_7", ("index 7", "out of range", "expected 1 to 2")),
    (r"\delta^5_1 = a^5_1 - y_1", ("layer 5", "does not exist", "expected 1 to 2")),
    (r"\delta^L_j", ("expected '='",)),
    (r"\delta^L_j = \foo{a}", ("unknown command '\\foo'",)),
    (r"\delta^L = \frac{1}{m}\sum_x \delta^{x,L}", ("one sample's error \\delta^{l}", "about a batch",
                                                "the 1/m of the batch average belongs in the gradients")),
    (r"\frac{\partial C_{\text{batch}}}{\partial b^l} = \delta^l", ("'\\delta^{l}' is one sample's value",
                                                                   "batch equation", r"\delta^{l}_{(s)}")),
    (r"\frac{\partial C}{\partial b^2} = \frac{1}{m}\mathbf{1}_k", ("expected \\mathbf{1}_m",)),
    (r"\frac{\partial C}{\partial W^2} = \frac{1}{m} \Delta^2_1 A^1", ("'\\Delta^{2}_{1}'", "written \\Delta^{l}",)),
    (r"\delta^L_j = a^L_k - y_k", ("index 'k'", "not bound")),
    (r"D^{1} = \frac{1}{m}\Delta^{1}", ("the left side must be", "Ng's D^{(l)} in the ng notation")),
]

#: More ways of writing the same equations (all correct on ``quad``, Nielsen numbering).
SPELLINGS = [
    r"\delta^l = \sigma'(z^l) \odot (W^{l+1})^{\mathsf{T}} \delta^{l+1}",
    r"\delta^l = \left[(W^{l+1})^{\top}\delta^{l+1}\right] \circ \sigma^{\prime}(z^l)",
    r"\frac{\partial C}{\partial z^L_j} = (a^L_j - y_j)\, a^L_j (1 - a^L_j)",
    r"\frac{\partial C}{\partial b^l} = \delta^l",
    r"\delta^l_j = \sum_{k=1}^{2} w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)",
    "δ^L_j = (a^L_j − y_j) σ′(z^L_j)",
    "delta1 = (W2' * delta2) .* sigma'(z1)",
    r"\frac{\partial C}{\partial w^{1}_{21}} = x_1 \delta^1_2",
    r"\nabla_{W^l} C = \delta^l (a^{l-1})^T",
    r"\nabla_{b^l} C = \delta^l",
]
