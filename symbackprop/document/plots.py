"""Plots of σ and σ' for one activation, as geometry both printers read.

Provides :func:`activation_plot`: two panels (σ(z) and σ'(z) over |z| ≤ 6) with their axes,
ticks and curves in cm (y up), the band where σ' is below 1% of its supremum shaded and the
supremum dashed.  The curves are the document's own expressions evaluated on a grid
(:func:`~symbackprop.learning.curve`); ``derivation.tex.j2`` prints them as TikZ and
``plot.svg.j2`` as SVG.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..learning import ActivationFacts, curve
from ..notation import Notation

Z_RANGE = 6.0
SAMPLES = 241
PANEL_WIDTH, PANEL_HEIGHT, PANEL_GAP = 5.6, 3.2, 1.4  # cm
Z_TICKS = (-6, -3, 0, 3, 6)


def _cm(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _nice_ticks(low: float, high: float) -> list[float]:
    """Three to six round values covering [low, high]."""
    span = high - low
    raw = span / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(power * m for m in (1, 2, 2.5, 5, 10) if power * m >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step + 1e-9) + 1)]


def _label(value: float) -> str:
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def _panel(values: np.ndarray, zs: np.ndarray, left: float, title: str) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    low, high = (min(0.0, float(finite.min())), max(0.0, float(finite.max()))) if finite.size else (0.0, 1.0)
    if high - low < 1e-9:
        low, high = low - 1.0, high + 1.0
    ticks = _nice_ticks(low, high)
    low, high = min(low, ticks[0]), max(high, ticks[-1])

    def x_of(z: float) -> float:
        return left + (z + Z_RANGE) / (2 * Z_RANGE) * PANEL_WIDTH

    def y_of(v: float) -> float:
        return (v - low) / (high - low) * PANEL_HEIGHT

    segments, current = [], []
    for z, value in zip(zs, values, strict=True):
        if np.isfinite(value):
            current.append(f"{_cm(x_of(z))},{_cm(y_of(value))}")
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    return {"left": _cm(left), "right": _cm(left + PANEL_WIDTH), "top": _cm(PANEL_HEIGHT), "title": title,
            "title_x": _cm(left + PANEL_WIDTH / 2), "segments": segments,
            "zero_y": _cm(y_of(0.0)), "zero_x": _cm(x_of(0.0)),
            "x_ticks": [{"at": _cm(x_of(z)), "label": str(z)} for z in Z_TICKS],
            "y_ticks": [{"at": _cm(y_of(v)), "label": _label(v)} for v in ticks],
            "x_of": x_of, "y_of": y_of, "low": low, "high": high}


def activation_plot(facts: ActivationFacts, n: Notation) -> dict[str, Any]:
    """The geometry of Figure "σ and σ' of <activation>"."""
    zs = np.linspace(-Z_RANGE, Z_RANGE, SAMPLES)
    s = n.activation_letter
    value = _panel(curve(facts.activation.expr, zs), zs, 0.0, f"{s}(z)")
    slope = _panel(curve(facts.derivative, zs), zs, PANEL_WIDTH + PANEL_GAP, f"{s}'(z)")
    bands = []
    for low, high in facts.saturated.intervals:
        low, high = max(low, -Z_RANGE), min(high, Z_RANGE)
        if high > low:
            bands.append({"x1": _cm(slope["x_of"](low)), "x2": _cm(slope["x_of"](high)),
                          "width": _cm(slope["x_of"](high) - slope["x_of"](low))})
    supremum = None
    if facts.supremum is not None and slope["low"] <= float(facts.supremum) <= slope["high"]:
        supremum = _cm(slope["y_of"](float(facts.supremum)))
    panels = []
    for panel in (value, slope):
        panel = {key: item for key, item in panel.items() if key not in ("x_of", "y_of", "low", "high")}
        panels.append(panel)
    return {"panels": panels, "bands": bands, "supremum": supremum, "height": _cm(PANEL_HEIGHT),
            "width": _cm(2 * PANEL_WIDTH + PANEL_GAP)}
