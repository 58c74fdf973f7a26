"""Networks with convolution and pooling layers, stage by stage as for dense networks.

:mod:`~symbackprop.conv.spec` (layers, shapes, the TOML and shorthand), :mod:`~symbackprop.conv.model`
(a symbol for every weight, bias and neuron), :mod:`~symbackprop.conv.derivation` (δ of every layer
and how the error crosses each layer back, at generic sizes), :mod:`~symbackprop.conv.partials` and
:mod:`~symbackprop.conv.driver` (per-weight partials and their proof), :mod:`~symbackprop.conv.numeric`
(the batched forms in float64) and :mod:`~symbackprop.conv.report` (the ``derive`` summary).
``symbackprop.derive`` hands a :class:`~symbackprop.conv.spec.ConvSpec` to
:func:`~symbackprop.conv.driver.derive_conv`.
"""
