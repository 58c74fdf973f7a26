"""The closing summary of the derivation document: what the proof established.

Provides :func:`verification_section`: one verdict per equation family (BP1–BP4, matrix and
batched forms), the proof's notes, and the assumptions a simplification relied on.
"""

from __future__ import annotations

from typing import Any

from .blocks import items, paragraph, section
from .context import Context
from .formulas import tex_escape


def verification_section(c: Context) -> dict[str, Any]:
    proof = c.d.proof
    names = {"BP1": "BP1", "BP2": "BP2", "BP3": "BP3", "BP4": "BP4", "layer-level": "matrix forms",
             "batched": "batched forms"}
    rows = [f"{name}: {tex_escape(proof.summary(key))}." for key, name in names.items() if proof.for_equation(key)]
    blocks = [items(rows)]
    assumptions = [f"${a.latex}$: {tex_escape(a.text)}" for a in c.d.layers.assumptions]
    if assumptions:
        blocks.append(paragraph("Assumptions used: " + "; ".join(assumptions) + "."))
    blocks += [paragraph(tex_escape(note)) for note in proof.notes]
    return section("Verification", "sec:verification", blocks)
