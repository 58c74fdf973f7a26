"""The generated module within memory: init_params and load refuse, in one line and before
allocating, a network that will not fit; train reads memory-mapped data a batch at a time."""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from symbackprop import Spec
from symbackprop.derivation import derive_layers
from symbackprop.training_module import generate_module

_count = itertools.count()


def _module(tmp_path: Path, shorthand: str, dtype: str = "float64", **options):
    path = tmp_path / f"net_{next(_count)}.py"
    path.write_text(generate_module(derive_layers(Spec.parse(shorthand, **options)), dtype=dtype))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def _classification_data(n: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.5)


def test_init_params_and_load_refuse_a_network_that_will_not_fit_before_allocating(tmp_path, monkeypatch) -> None:
    big, _ = _module(tmp_path, "100000-100000-10", dtype="float32")
    tracemalloc.start()
    try:
        with pytest.raises(MemoryError) as raised:
            big.init_params(0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    message = str(raised.value)
    assert "\n" not in message
    needed = big._size((100000 * 100000 + 100000 * 10 + 100010) * 4 + 8 * 100000 * 100000)
    assert needed == "111.8 GiB"
    assert message.startswith(f"init_params: the 100000-100000-10 network's float32 parameters need {needed} of "
                              "memory, but only ")
    assert message.endswith("is available; pass check_memory=False (--no-memory-check) to try anyway")
    with pytest.raises(MemoryError, match="^load: the 100000-100000-10 network's float32 parameters need 111.8 GiB"):
        big.load(tmp_path / "never-read.npz")

    small, _ = _module(tmp_path, "4-3-2")
    monkeypatch.setattr(small, "_available_memory", lambda: 100)
    with pytest.raises(MemoryError, match=r"need 280 bytes of memory, but only 100 bytes is available"):
        small.init_params(0)
    params = small.init_params(0, check_memory=False)
    small.save(params, tmp_path / "p.npz")
    with pytest.raises(MemoryError):
        small.load(tmp_path / "p.npz")
    assert all(np.array_equal(small.load(tmp_path / "p.npz", check_memory=False)[k], params[k]) for k in params)


def test_available_memory_follows_the_address_space_limit(tmp_path) -> None:
    module, path = _module(tmp_path, "2-2")
    available = module._available_memory()
    meminfo = dict(line.split(":") for line in Path("/proc/meminfo").read_text().splitlines())
    assert 0 < available <= int(meminfo["MemAvailable"].split()[0]) * 1024 * 1.1
    limit = 3 * 2**30
    script = (f"import resource, runpy; resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit})); "
              f"m = runpy.run_path({str(path)!r}); print(m['_available_memory']())")
    limited = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                 timeout=60).stdout)
    assert 0 < limited < limit


class _Recorded:
    """An array that records how many rows each read takes (and passes everything else on)."""

    def __init__(self, array: np.ndarray, reads: list[int]) -> None:
        self.array, self.reads = array, reads
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim

    def __getitem__(self, index):
        rows = self.array[index]
        self.reads.append(len(rows))
        return rows


def test_train_on_memory_mapped_data_reads_a_batch_at_a_time_and_matches_in_memory(tmp_path) -> None:
    module, _ = _module(tmp_path, "6-5-3", output_activation="softmax", cost="cross_entropy")
    X, labels = _classification_data()
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Y.npy", labels)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r"), np.load(tmp_path / "Y.npy", mmap_mode="r")
    options = {"epochs": 3, "batch_size": 16, "lr": 0.5, "seed": 1, "verbose": False}
    in_memory = module.init_params(0)
    expected = module.train(in_memory, X, labels, X_val=X[:50], Y_val=labels[:50], **options)
    reads: list[int] = []
    streamed = module.init_params(0)
    history = module.train(streamed, _Recorded(mapped[0], reads), _Recorded(mapped[1], reads),
                           X_val=mapped[0][:50], Y_val=mapped[1][:50], **options)
    assert history == expected
    assert all(np.array_equal(streamed[key], in_memory[key]) for key in in_memory)
    chunk = module._CHUNK // sum(module.SIZES)
    assert reads and max(reads) <= max(16, min(chunk, len(X)))
    assert reads.count(16) >= 3 * (len(X) // 16) * 2  # every batch of X and of Y, each epoch


def test_train_with_momentum_on_mapped_data_and_a_small_chunk(tmp_path, monkeypatch) -> None:
    module, _ = _module(tmp_path, "6-5-3", output_activation="softmax", cost="cross_entropy")
    X, labels = _classification_data()
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Y.npy", labels)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r"), np.load(tmp_path / "Y.npy", mmap_mode="r")
    options = {"epochs": 2, "batch_size": 32, "lr": 0.1, "momentum": 0.9, "l2": 1e-3, "verbose": False}
    expected = module.train(module.init_params(0), X, labels, **options)
    monkeypatch.setattr(module, "_CHUNK", 7 * sum(module.SIZES))  # evaluated 7 rows at a time
    history = module.train(module.init_params(0), *mapped, **options)
    assert [record["loss"] for record in history] == [record["loss"] for record in expected]
    assert history[-1]["accuracy"] == expected[-1]["accuracy"]


def test_bad_data_is_found_in_any_chunk(tmp_path) -> None:
    module, _ = _module(tmp_path, "4000-3-3", output_activation="softmax", cost="cross_entropy")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3000, 4000)), rng.integers(0, 3, 3000)
    assert module._CHUNK // sum(module.SIZES) < 2900
    X[2900, 7] = np.nan  # past the first chunk
    params = module.init_params(0)
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        module.train(params, X, Y, 1, 100, 0.1, verbose=False)
    X[2900, 7] = 0.0
    Y[2999] = 3
    with pytest.raises(ValueError, match=r"Y holds class labels outside 0..2"):
        module.train(params, X, Y, 1, 100, 0.1, verbose=False)
    with pytest.raises(ValueError, match=r"Y has shape \(2999,\); expected \(3000, 3\)"):
        module.train(params, X, Y[:-1], 1, 100, 0.1, verbose=False)


def _run(path: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_command_line_trains_on_a_directory_and_on_npz_files(tmp_path) -> None:
    module, path = _module(tmp_path, "6-5-3", output_activation="softmax", cost="cross_entropy")
    X, labels = _classification_data()
    (tmp_path / "data").mkdir()
    for name, array in (("X", X), ("Y", labels), ("X_val", X[:40]), ("Y_val", labels[:40])):
        np.save(tmp_path / "data" / f"{name}.npy", array)
    np.savez(tmp_path / "plain.npz", X=X, Y=labels, X_val=X[:40], Y_val=labels[:40])
    np.savez_compressed(tmp_path / "packed.npz", X=X, Y=labels, X_val=X[:40], Y_val=labels[:40])
    outputs = set()
    for data in ("data", "plain.npz", "packed.npz"):
        done = _run(path, "train", data, "--epochs", "2", "--lr", "0.5", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "val_accuracy" in done.stdout
        outputs.add(done.stdout)
    assert len(outputs) == 1  # the same training whichever way the data is stored

    arrays, held = module._arrays(tmp_path / "plain.npz", ("X", "Y"))
    assert held == ["X", "X_val", "Y", "Y_val"]
    assert all(isinstance(arrays[key], np.memmap) for key in ("X", "Y"))
    assert np.array_equal(arrays["X"], X) and np.array_equal(arrays["Y"], labels)
    packed, _ = module._arrays(tmp_path / "packed.npz", ("X",))
    assert not isinstance(packed["X"], np.memmap) and np.array_equal(packed["X"], X)

    np.savez(tmp_path / "fortran.npz", X=np.asfortranarray(X), Y=labels)
    fortran, _ = module._arrays(tmp_path / "fortran.npz", ("X",))
    assert np.array_equal(fortran["X"], X)

    assert _run(path, "train", "fortran.npz", "--epochs", "1", cwd=tmp_path).returncode == 0
    (tmp_path / "notzip.npz").write_text("not a zip file")
    np.savez(tmp_path / "no_y.npz", X=X)
    for data, message in (("notzip.npz", "neither an .npz file nor a directory"), ("missing.npz", "No such file"),
                          ("no_y.npz", "has no array 'Y' (it holds ['X'])")):
        done = _run(path, "train", data, "--epochs", "1", cwd=tmp_path)
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and message in done.stderr


def test_command_line_says_when_the_network_will_not_fit(tmp_path) -> None:
    _, path = _module(tmp_path, "100000-100000-10")
    limit = 2 * 2**30
    script = (f"import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit})); "
              f"sys.argv = [{str(path)!r}, 'gradcheck']; runpy.run_path({str(path)!r}, run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: init_params: the 100000-100000-10 network's float64 parameters need "
                                  "149.0 GiB of memory, but only ")


def test_npz_members_with_pickles_are_refused_unread(tmp_path) -> None:
    module, _ = _module(tmp_path, "2-2")
    np.savez(tmp_path / "objects.npz", X=np.array([object()], dtype=object), Y=np.zeros((1, 2)))
    with zipfile.ZipFile(tmp_path / "objects.npz") as archive:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    with pytest.raises(ValueError, match="Python objects"):
        module._arrays(tmp_path / "objects.npz", ("X",))
