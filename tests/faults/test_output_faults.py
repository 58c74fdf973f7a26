"""Outputs that cannot be written: a full disk, a target that is a directory, a symlink or
read-only.  Each ends in one line and exit code 2 (or, for a symlink, replaces the link and not
what it points to), with nothing half-written and nothing left behind."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path

import pytest
from harness import files_in, one_line

from symbackprop import cli, fileio
from symbackprop.fileio import GENERATED_MARKER

COMMANDS = {"codegen": ["codegen", "3-4-2"], "latex": ["latex", "3-4-2", "--proof-budget", "0"]}


def _main(capsys, command: str, target: Path, *extra: str) -> tuple[int, str]:
    code = cli.main([*COMMANDS[command], "-o", str(target), *extra])
    captured = capsys.readouterr()
    return code, captured.err


@contextlib.contextmanager
def _tmpfs(directory: Path, size: str, read_only: bool = False):
    """A small tmpfs at ``directory`` (as root, where mounting is allowed), else skip the test."""
    directory.mkdir(exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", str(directory)], check=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_for_real(tmp_path: Path, capsys, command: str) -> None:
    with _tmpfs(tmp_path / "disk", "64k") as disk:
        filler = disk / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as handle:  # fill it to the last few KiB
            handle.write(b"x" * (64 - 8) * 1024)
        code, err = _main(capsys, command, disk / "out" / "result")
        assert code == 2
        assert one_line(err).startswith("symbackprop: error: ") and "No space left on device" in err
        assert files_in(disk) == ["filler"]


@pytest.mark.parametrize("failing", ["write", "flush", "close"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_injected(tmp_path: Path, capsys, monkeypatch, command: str, failing: str) -> None:
    """Where no tmpfs can be mounted: the writer's file raises ENOSPC as a full disk does."""
    real_fdopen = os.fdopen

    def full(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        if failing == "close":
            return _FailingClose(handle)
        original = getattr(handle, failing)

        def fail(*args, **kwargs):
            original(*args, **kwargs)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        setattr(handle, failing, fail)
        return handle

    monkeypatch.setattr(fileio.os, "fdopen", full)
    target = tmp_path / "out.x"
    target.write_text(f"{GENERATED_MARKER}\nthe previous version\n")
    code, err = _main(capsys, command, target)
    monkeypatch.undo()
    assert code == 2 and "No space left on device" in one_line(err)
    assert target.read_text() == f"{GENERATED_MARKER}\nthe previous version\n"
    assert files_in(tmp_path) == ["out.x"]


class _FailingClose:
    """A file whose close fails as it does on a full NFS or quota-limited disk."""

    def __init__(self, handle) -> None:
        self._handle = handle

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._handle.close()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("command", COMMANDS)
def test_a_directory_as_target(tmp_path: Path, capsys, command: str) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    for target in (tmp_path / "out", tmp_path / "link"):
        code, err = _main(capsys, command, target)
        assert code == 2 and one_line(err).endswith("is a directory, not a file")
    assert files_in(tmp_path) == ["elsewhere", "link", "out"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_symlink_is_replaced_not_followed(tmp_path: Path, capsys, command: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text(f"{GENERATED_MARKER}\nprecious\n")
    for name, points_to in (("out", victim), ("dangling", tmp_path / "nowhere")):
        link = tmp_path / name
        link.symlink_to(points_to)
        code, _ = _main(capsys, command, link)
        assert code == 0
        assert not link.is_symlink() and GENERATED_MARKER in link.read_text()[:4096]
    assert victim.read_text() == f"{GENERATED_MARKER}\nprecious\n"
    assert files_in(tmp_path) == ["dangling", "out", "victim.txt"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_file_is_left_alone(tmp_path: Path, capsys, command: str) -> None:
    target = tmp_path / "out"
    target.write_text(f"{GENERATED_MARKER}\nkeep me\n")
    target.chmod(0o444)
    for extra in ((), ("--force",)):
        code, err = _main(capsys, command, target, *extra)
        assert code == 2 and "is read-only" in one_line(err)
    assert target.read_text() == f"{GENERATED_MARKER}\nkeep me\n"
    assert files_in(tmp_path) == ["out"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_directory(tmp_path: Path, capsys, command: str) -> None:
    if os.geteuid() == 0:  # root writes through permission bits: make the file system read-only
        context = _tmpfs(tmp_path / "ro", "64k", read_only=True)
    else:
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o555)
        context = contextlib.nullcontext(tmp_path / "ro")
    with context as directory:
        code, err = _main(capsys, command, directory / "sub" / "out")
        assert code == 2
        assert any(reason in one_line(err) for reason in ("Read-only file system", "Permission denied"))
        assert files_in(directory) == []
