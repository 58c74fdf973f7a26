"""Outputs are written atomically and never clobber a file symbackprop did not write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from symbackprop import fileio
from symbackprop.cli import main
from symbackprop.errors import OutputError
from symbackprop.fileio import GENERATED_MARKER, write_atomic

HAND_WRITTEN = "# my own careful work\nprint('hello')\n"


def _leftovers(directory: Path, keep: set[str]) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name not in keep)


def test_writes_new_file_and_returns_path(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.py"
    assert write_atomic(target, f"# {GENERATED_MARKER}\nx = 1\n") == target
    assert target.read_text() == f"# {GENERATED_MARKER}\nx = 1\n"
    assert _leftovers(target.parent, {"out.py"}) == []


def test_bytes_are_written_verbatim(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    write_atomic(target, b"%PDF-1.5 symbackprop\x00\xff")
    assert target.read_bytes() == b"%PDF-1.5 symbackprop\x00\xff"


@pytest.mark.parametrize("failing", ["replace", "fsync"])
@pytest.mark.parametrize("existing", [None, "generated", "hand"])
def test_failure_mid_write_leaves_target_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   failing: str, existing: str | None) -> None:
    target = tmp_path / "model.py"
    before = {"generated": f"# {GENERATED_MARKER}\nold = 1\n", "hand": HAND_WRITTEN}.get(existing)
    if before is not None:
        target.write_text(before)

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OutputError, match="No space left"):
        write_atomic(target, f"# {GENERATED_MARKER}\nnew = 2\n" * 1000, force=True)
    monkeypatch.undo()
    if before is None:
        assert not target.exists()
    else:
        assert target.read_text() == before
    assert _leftovers(tmp_path, {"model.py"}) == []


def test_interrupt_mid_write_leaves_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "doc.tex"
    target.write_text(f"% {GENERATED_MARKER}\nold\n")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == f"% {GENERATED_MARKER}\nold\n"
    assert _leftovers(tmp_path, {"doc.tex"}) == []


def test_hand_written_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text(HAND_WRITTEN)
    with pytest.raises(OutputError, match="--force"):
        write_atomic(target, f"# {GENERATED_MARKER}\n")
    assert target.read_text() == HAND_WRITTEN
    write_atomic(target, f"# {GENERATED_MARKER}\n", force=True)
    assert target.read_text() == f"# {GENERATED_MARKER}\n"


def test_generated_file_is_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text(f'"""Training module {GENERATED_MARKER} 0.1."""\n')
    write_atomic(target, f"# {GENERATED_MARKER}\nnew\n")
    assert target.read_text().endswith("new\n")


@pytest.mark.parametrize(("name", "content"), [("doc.pdf", b"%PDF-1.5\n" + b"0" * 100_000),
                                               ("doc.tex", b"\\documentclass{article}"),
                                               ("empty.py", b"")])
def test_other_files_are_protected(tmp_path: Path, name: str, content: bytes) -> None:
    target = tmp_path / name
    target.write_bytes(content)
    with pytest.raises(OutputError):
        write_atomic(target, "x")
    assert target.read_bytes() == content


def test_directory_and_unwritable_targets_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="directory"):
        write_atomic(tmp_path, "x")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(blocker / "inside.py", "x")


def test_symlink_target_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text(f"{GENERATED_MARKER}\nprecious\n")
    link = tmp_path / "out.py"
    link.symlink_to(victim)
    write_atomic(link, f"# {GENERATED_MARKER}\nnew\n")
    assert victim.read_text() == f"{GENERATED_MARKER}\nprecious\n"
    assert not link.is_symlink() and link.read_text().endswith("new\n")


# --- through the command line, once the code generator exists ---------------------------


def test_cli_codegen_respects_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("symbackprop.codegen")
    target = tmp_path / "model.py"
    target.write_text(HAND_WRITTEN)
    assert main(["codegen", "2-2", "-o", str(target)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("symbackprop: error:") and "--force" in error[0]
    assert target.read_text() == HAND_WRITTEN
    assert main(["codegen", "2-2", "-o", str(target), "--force"]) == 0
    generated = target.read_text()
    assert GENERATED_MARKER in generated[:4096]
    assert main(["codegen", "2-3-2", "-o", str(target)]) == 0  # our own file: no --force needed
    assert target.read_text() != generated
    assert _leftovers(tmp_path, {"model.py"}) == []


def test_cli_codegen_failure_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("symbackprop.codegen")
    target = tmp_path / "model.py"

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", boom)
    assert main(["codegen", "2-2", "-o", str(target)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "No space left on device" in error[0]
    assert list(tmp_path.iterdir()) == []


def test_cli_latex_does_not_overwrite_hand_written_tex(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("symbackprop.document")
    target = tmp_path / "notes.tex"
    target.write_text("\\documentclass{article}% mine\n")
    assert main(["latex", "1-1", "-o", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == "\\documentclass{article}% mine\n"
    assert main(["latex", "1-1", "-o", str(target), "--force"]) == 0
    assert GENERATED_MARKER in target.read_text()[:4096]
    assert main(["latex", "1-1", "-o", str(target)]) == 0
