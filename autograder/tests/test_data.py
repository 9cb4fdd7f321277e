"""Tests for autograder.data (fetching MNIST / FashionMNIST into a data root)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torchvision

from autograder import data

REPO = Path(__file__).resolve().parents[2]
MIRROR = REPO.parent / "shared" / "datasets"

needs_mirror = pytest.mark.skipif(
    not all((MIRROR / name / "raw").is_dir() for name in data.DATASETS),
    reason=f"offline dataset mirror not found at {MIRROR}",
)

CORRUPT = "t10k-labels-idx1-ubyte.gz"


def _corrupt_mirror(tmp_path: Path) -> Path:
    """A copy of the real MNIST mirror with one file damaged (copied, not linked)."""
    fake = tmp_path / "bad-mirror"
    shutil.copytree(MIRROR / "MNIST", fake / "MNIST")
    target = fake / "MNIST" / "raw" / CORRUPT
    target.chmod(0o644)
    with open(target, "ab") as fh:
        fh.write(b"garbage")
    return fake


def test_resources_come_from_torchvision():
    assert data.DATASETS == ("MNIST", "FashionMNIST")
    for name in data.DATASETS:
        assert data.resources(name) == list(getattr(torchvision.datasets, name).resources)


@needs_mirror
@pytest.mark.parametrize(
    ("name", "n_train", "n_test"), [("MNIST", 60000, 10000), ("FashionMNIST", 60000, 10000)]
)
def test_fetch_from_mirror(tmp_path, name, n_train, n_test):
    root = tmp_path / "data"
    path = data.fetch(name, root, mirror=MIRROR)
    assert path == root.resolve() / name
    cls = getattr(torchvision.datasets, name)
    assert len(cls(root, train=True, download=False)) == n_train
    assert len(cls(root, train=False, download=False)) == n_test
    for filename, _ in cls.resources:
        assert (root / name / "raw" / filename).is_file()
    assert not list((root / name / "raw").glob(".*part")), "temporary files left behind"


@needs_mirror
def test_second_fetch_is_noop(tmp_path):
    root = tmp_path / "data"
    data.fetch("MNIST", root, mirror=MIRROR)
    raw = root / "MNIST" / "raw"
    before = {p.name: p.stat().st_mtime_ns for p in raw.iterdir()}
    # A mirror that does not exist, and no download allowed: still fine, nothing to do.
    assert data.fetch("MNIST", root, mirror=tmp_path / "nowhere", download=False) == root.resolve() / "MNIST"
    assert {p.name: p.stat().st_mtime_ns for p in raw.iterdir()} == before


@needs_mirror
def test_bad_checksum_refused(tmp_path):
    fake = _corrupt_mirror(tmp_path)
    root = tmp_path / "data"
    with pytest.raises(data.DataError) as info:
        data.fetch("MNIST", root, mirror=fake)
    msg = str(info.value)
    assert CORRUPT in msg
    assert "md5" in msg
    expected = dict(torchvision.datasets.MNIST.resources)[CORRUPT]
    assert expected in msg
    assert "Re-download" in msg or "re-download" in msg
    raw = root / "MNIST" / "raw"
    assert not (raw / CORRUPT).exists()
    if raw.exists():
        assert not [p for p in raw.iterdir() if CORRUPT in p.name]


@needs_mirror
def test_missing_mirror_file_refused(tmp_path):
    fake = _corrupt_mirror(tmp_path)
    (fake / "MNIST" / "raw" / CORRUPT).unlink()
    with pytest.raises(data.DataError, match="missing") as info:
        data.fetch("MNIST", tmp_path / "data", mirror=fake)
    assert CORRUPT in str(info.value)


def test_no_network_no_mirror(tmp_path, monkeypatch, capsys):
    # A closed local port: refused at once, so the test is fast and offline.
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    root = tmp_path / "data"
    with pytest.raises(data.DataError) as info:
        data.fetch("MNIST", root, mirror=None)
    msg = str(info.value)
    assert "download of MNIST failed" in msg
    assert "127.0.0.1:9" in msg  # torchvision's download really was tried
    assert "MNIST/raw" in msg
    assert str(root.resolve() / "MNIST" / "raw") in msg
    for filename, _ in torchvision.datasets.MNIST.resources:
        assert filename in msg
    assert "KIT_DATA_MIRROR" in msg
    assert "--mirror" in msg
    assert capsys.readouterr().out == ""  # torchvision's prints were kept off stdout


def test_download_disabled(tmp_path):
    with pytest.raises(data.DataError, match="downloading is disabled"):
        data.fetch("MNIST", tmp_path / "data", download=False)


def test_unknown_dataset(tmp_path):
    with pytest.raises(ValueError):
        data.fetch("CIFAR10", tmp_path)


@needs_mirror
def test_cli_ok(tmp_path, capsys):
    root = tmp_path / "data"
    assert data.main(["--root", str(root), "--mirror", str(MIRROR), "--dataset", "MNIST"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"MNIST ready in {root.resolve() / 'MNIST'}"
    assert len(torchvision.datasets.MNIST(root, train=False)) == 10000


@needs_mirror
def test_cli_corrupt_mirror(tmp_path, capsys):
    fake = _corrupt_mirror(tmp_path)
    rc = data.main(["--root", str(tmp_path / "data"), "--mirror", str(fake), "--dataset", "MNIST"])
    assert rc == 2
    captured = capsys.readouterr()
    assert CORRUPT in captured.err and "md5" in captured.err
    assert "ready" not in captured.out


@needs_mirror
def test_cli_uses_env(tmp_path, monkeypatch, capsys):
    root = tmp_path / "envroot"
    monkeypatch.setenv("KIT_DATA_ROOT", str(root))
    monkeypatch.setenv("KIT_DATA_MIRROR", str(MIRROR))
    assert data.main(["--dataset", "MNIST"]) == 0
    assert (root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()


def test_default_mirror(tmp_path, monkeypatch):
    monkeypatch.delenv("KIT_DATA_MIRROR", raising=False)
    assert data.default_mirror() is None
    monkeypatch.setenv("KIT_DATA_MIRROR", "")
    assert data.default_mirror() is None
    monkeypatch.setenv("KIT_DATA_MIRROR", str(tmp_path))
    assert data.default_mirror() == tmp_path.resolve()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KIT_DATA_MIRROR", "mirror")
    assert data.default_mirror() == tmp_path.resolve() / "mirror"


def test_default_root(monkeypatch, tmp_path):
    monkeypatch.delenv("KIT_DATA_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert data.default_root() == REPO / "data"
    monkeypatch.setenv("KIT_DATA_ROOT", str(tmp_path))
    assert data.default_root() == tmp_path.resolve()
