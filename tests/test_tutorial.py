"""examples/tutorial.ipynb: committed without outputs, and run start to finish on a real IPython kernel.

The executed notebook's outputs are read back: the displays are there (HTML and LaTeX with the
layer-indexed symbols), the proof holds, the digits are learnt, and the hand derivation's mistake is
found and diagnosed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("sklearn")

TUTORIAL = Path(__file__).resolve().parent.parent / "examples" / "tutorial.ipynb"
#: Test accuracy the 64-32-10 tanh/softmax network reaches on the held-out quarter of the digits.
MIN_ACCURACY = 0.9


def test_tutorial_is_committed_without_outputs():
    notebook = nbformat.read(TUTORIAL, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert notebook.metadata.kernelspec.name == "python3"


def _outputs(notebook) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def _data(outputs: list[dict], mime: str) -> list[str]:
    return [output["data"][mime] for output in outputs if mime in output.get("data", {})]


def test_tutorial_runs_and_shows_what_it_says(tmp_path, monkeypatch):
    # the kernel is this Python, whatever "python" means on PATH
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    notebook = nbformat.read(TUTORIAL, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = _outputs(notebook)
    assert not [output for output in outputs if output.output_type == "error"]
    assert os.listdir(tmp_path) == []  # the notebook writes nothing where it runs

    html, latex = "\n".join(_data(outputs, "text/html")), "\n".join(_data(outputs, "text/latex"))
    for shown in (html, latex):
        assert r"\delta^{2}_{j} = a^{2}_{j} - y_{j}" in shown  # the derivation, in Nielsen's notation
        assert r"\delta^{(3)}_{j} = a^{(3)}_{j} - y_{j}" in shown  # and in Ng's
        assert r"\frac{\partial C}{\partial w^{1}_{11}}" in shown  # one weight's paths
    assert "Proof of 2-3-2:" in html and "every equation holds" in html
    assert re.search(r"<td>1</td><td>\\\(w\^\{1\}_\{11\} \\to z\^\{1\}_\{1\} \\to z\^\{2\}_\{1\} \\to C", html)
    assert '<span class="k">def</span> <span class="f">train</span>' in html  # the module, highlighted
    assert _data(outputs, "image/png") or "LaTeX source" in html  # the document: its first page, or its source

    text = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    accuracy = float(re.search(r"final test accuracy: (\d\.\d+)", text).group(1))
    assert accuracy > MIN_ACCURACY
    assert "training loss" in text or _data(outputs, "image/png")  # the loss curve, drawn or listed

    assert "[1] CORRECT\n[2] CORRECT\n[3] CORRECT\n[4] INCORRECT\n    swapped indices" in text
    assert "3 of 4 correct" in html and '<span class="bad">INCORRECT</span>' in html
    assert "the first index of a weight is the destination neuron" in html
