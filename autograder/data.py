"""Put the course's datasets (MNIST and FashionMNIST) under a data root.

The files end up in torchvision's own layout, so that the notebooks and the
autograder can simply call ``torchvision.datasets.MNIST(ROOT)``::

    ROOT/MNIST/raw/train-images-idx3-ubyte.gz      (+ the extracted files)
    ROOT/FashionMNIST/raw/train-images-idx3-ubyte.gz  ...

Usage::

    python -m autograder.data                       # both datasets into ./data
    python -m autograder.data --root /tmp/data --dataset MNIST
    python -m autograder.data --mirror /path/to/datasets   # offline machines
    KIT_DATA_MIRROR=/path/to/datasets python -m autograder.data

Where the files come from, in this order:

1. Nothing is done if torchvision already finds both splits under the root.
2. With a mirror (``--mirror DIR`` or the environment variable
   ``KIT_DATA_MIRROR``), a local folder laid out as ``DIR/<name>/raw/<file>.gz``,
   every file's md5 is checked against the md5 torchvision expects *before*
   anything is copied; the files are then copied into
   ``ROOT/<name>/raw/`` and torchvision verifies and extracts them without
   touching the network.
3. Otherwise torchvision's normal download is used. If it fails (no internet
   access), a :class:`DataError` says which files to put where.

The data root defaults to ``KIT_DATA_ROOT`` or else the repository's ``data/``
folder. The file names and md5 values are always taken from torchvision
itself (``torchvision.datasets.MNIST.resources``), never re-typed here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import torchvision.datasets
from torchvision.datasets.utils import calculate_md5

from autograder.assignments import DATASETS as NEEDED_BY
from autograder.paths import DATA_ENV as ROOT_ENV
from autograder.paths import data_root

__all__ = [
    "DATASETS",
    "DataError",
    "default_mirror",
    "default_root",
    "fetch",
    "fetch_all",
    "main",
    "prepare",
    "resources",
]

DATASETS: tuple[str, ...] = ("MNIST", "FashionMNIST")

MIRROR_ENV = "KIT_DATA_MIRROR"

# Per-socket-operation timeout while torchvision downloads, so that a network
# that silently drops packets fails in a minute instead of hanging forever.
_DOWNLOAD_TIMEOUT_S = 60


class DataError(RuntimeError):
    """A dataset could not be made ready; the message says what to do."""


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def _dataset_class(name: str) -> type:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    return getattr(torchvision.datasets, name)


def resources(name: str) -> list[tuple[str, str]]:
    """The ``(filename, md5)`` pairs torchvision expects for dataset ``name``."""
    return [(str(f), str(m)) for f, m in _dataset_class(name).resources]


def _raw_dir(root: Path, name: str) -> Path:
    return root / name / "raw"


def _md5(path: Path) -> str | None:
    """md5 of ``path``, or None when it is not a readable regular file."""
    try:
        if not path.is_file():
            return None
        return calculate_md5(path)
    except OSError:
        return None


@contextlib.contextmanager
def _quiet_torchvision() -> Iterator[io.StringIO]:
    """Swallow torchvision's 'Downloading…/Extracting…' prints on stdout."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        yield buf


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _is_ready(root: Path, name: str) -> bool:
    """True when torchvision loads both splits of ``name`` from ``root`` offline."""
    cls = _dataset_class(name)
    try:
        with _quiet_torchvision():
            for train in (True, False):
                cls(str(root), train=train, download=False)
    except Exception:  # missing, truncated or otherwise unreadable files
        return False
    return True


def _torchvision_prepare(root: Path, name: str) -> None:
    """Let torchvision verify (md5) and extract, downloading what is missing."""
    cls = _dataset_class(name)
    with _quiet_torchvision(), _socket_timeout(_DOWNLOAD_TIMEOUT_S):
        for train in (True, False):
            cls(str(root), train=train, download=True)


def _file_list(name: str) -> str:
    return ", ".join(f for f, _ in resources(name))


def _where_to_put(root: Path, name: str) -> str:
    return (
        f"Put the files {_file_list(name)} (the originals, with the md5 values "
        f"listed in torchvision.datasets.{name}.resources) into {_raw_dir(root, name)}/ "
        f"and run the command again, or point the kit at a folder that already holds "
        f"them, laid out as <DIR>/{name}/raw/<file>.gz, with `--mirror DIR` or the "
        f"environment variable {MIRROR_ENV}=DIR."
    )


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _place(src: Path, dest: Path, md5: str) -> None:
    """Copy ``src`` to ``dest`` via a temporary name, checking the md5 last.

    A copy, never a hard link: the data root must not share inodes with a
    read-only mirror that other courses (or CI) rely on.
    """
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        shutil.copyfile(src, tmp)
        found = _md5(tmp)
        if found != md5:
            raise DataError(
                f"Copying {src} to {dest.parent}/ produced a file with md5 {found}, but "
                f"torchvision expects md5 {md5} for {dest.name}; nothing was kept. Check "
                f"the disk (space, permissions) and run the command again."
            )
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _fetch_from_mirror(root: Path, name: str, mirror: Path) -> None:
    raw = _raw_dir(root, name)
    src_dir = mirror / name / "raw"
    if not src_dir.is_dir():
        raise DataError(
            f"The mirror folder {mirror} has no {name}/raw/ folder (looked for {src_dir}). "
            f"A mirror must be laid out as <DIR>/{name}/raw/<file>.gz with the files "
            f"{_file_list(name)}. Fix --mirror / {MIRROR_ENV}, or unset it to let "
            f"torchvision download the files."
        )

    # Which files are still needed, and is the mirror's copy of each of them intact?
    # Everything is checked before anything is copied.
    todo: list[tuple[Path, Path, str]] = []
    for filename, md5 in resources(name):
        dest = raw / filename
        if _md5(dest) == md5:
            continue
        src = src_dir / filename
        found = _md5(src)
        if found != md5:
            state = "is missing" if found is None else f"has md5 {found}"
            raise DataError(
                f"The mirror's {name} file {src} {state}, but torchvision expects md5 "
                f"{md5} for {filename}: the file is missing, damaged or incomplete, so "
                f"nothing was copied into {raw}/. Re-download {filename} (from one of "
                f"{', '.join(_dataset_class(name).mirrors)}), replace it in the mirror "
                f"and run the command again, or drop --mirror / {MIRROR_ENV} on a machine "
                f"with internet access."
            )
        todo.append((src, dest, md5))

    raw.mkdir(parents=True, exist_ok=True)
    for src, dest, md5 in todo:
        _place(src, dest, md5)

    try:
        _torchvision_prepare(root, name)
    except Exception as exc:
        raise DataError(
            f"torchvision could not extract {name} in {raw}/ after the files were "
            f"copied from the mirror {mirror} ({_one_line(exc)}). Delete {root / name}/ "
            f"and run the command again."
        ) from exc


def _fetch_download(root: Path, name: str) -> None:
    print(f"Downloading {name} with torchvision into {root / name} ...", file=sys.stderr)
    try:
        _torchvision_prepare(root, name)
    except Exception as exc:
        raise DataError(
            f"The download of {name} failed ({_one_line(exc)}); this machine probably "
            f"has no internet access. " + _where_to_put(root, name)
        ) from exc


# --------------------------------------------------------------------------- #
# public API
# --------------------------------------------------------------------------- #
def default_mirror() -> Path | None:
    """The mirror folder from ``KIT_DATA_MIRROR`` (absolute), or None when unset/empty."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    if not value:
        return None
    return Path(value).expanduser().resolve()


def default_root() -> Path:
    """The data root notebooks use (:func:`autograder.paths.data_root`): ``KIT_DATA_ROOT``
    when set, else the nearest ``data/`` holding ``bonus.csv``, else the repository's."""
    return data_root()


def fetch(
    name: str,
    root: str | os.PathLike[str],
    mirror: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> Path:
    """Make dataset ``name`` loadable by torchvision from ``root``; return ``root/name``.

    Does nothing when torchvision already finds both splits. Otherwise copies the
    files from ``mirror`` (md5-checked first) or, without a mirror and with
    ``download`` true, uses torchvision's own download. Raises :class:`DataError`
    with instructions when neither works.
    """
    _dataset_class(name)
    root = Path(root).expanduser().resolve()
    if _is_ready(root, name):
        return root / name
    with _fetch_lock(root):  # parallel graders may fetch into the same root at once
        if not _is_ready(root, name):
            _fetch(name, root, mirror, download)
    return root / name


@contextlib.contextmanager
def _fetch_lock(root: Path) -> Iterator[None]:
    """One fetching process at a time per data root (an advisory lock file beside the datasets)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".kit-fetch.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fetch(name: str, root: Path, mirror, download: bool) -> None:
    if mirror is not None and str(mirror) != "":
        _fetch_from_mirror(root, name, Path(mirror).expanduser().resolve())
    elif download:
        _fetch_download(root, name)
    else:
        raise DataError(
            f"{name} was not found under {root} and downloading is disabled. "
            + _where_to_put(root, name)
        )

    if not _is_ready(root, name):
        raise DataError(
            f"{name} is still not loadable from {root / name} after fetching it; the "
            f"extracted files may be damaged. Delete {root / name}/ and run the command again."
        )


def prepare(assignments: Iterable[str], root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Make the datasets that these assignments' notebooks read loadable from ``root`` (default:
    :func:`default_root`), from ``KIT_DATA_MIRROR`` or by downloading; return their folders.

    The graders call it before a student kernel starts, since the sandboxed kernel may read the
    data root but not write to it (a notebook's own ``download=True`` would fail there).
    """
    root = Path(root) if root is not None else default_root()
    names = sorted({name for assignment in assignments for name in NEEDED_BY.get(assignment, ())})
    return [fetch(name, root, mirror=default_mirror()) for name in names]


def fetch_all(
    root: str | os.PathLike[str], mirror: str | os.PathLike[str] | None = None
) -> None:
    """Fetch every dataset in :data:`DATASETS` into ``root`` (see :func:`fetch`)."""
    for name in DATASETS:
        fetch(name, root, mirror=mirror)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns 0 on success and 2 on a :class:`DataError`."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.data",
        description="Put MNIST and FashionMNIST under a data root in torchvision's layout.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help=f"data root (default: ${ROOT_ENV}, else the nearest data/ folder holding bonus.csv)",
    )
    parser.add_argument(
        "--mirror",
        type=Path,
        default=None,
        help=f"local folder laid out as DIR/<name>/raw/<file>.gz (default: ${MIRROR_ENV})",
    )
    parser.add_argument(
        "--dataset",
        action="extend",
        nargs="+",
        choices=DATASETS,
        default=None,
        help="dataset(s) to fetch (default: all)",
    )
    args = parser.parse_args(argv)

    root = args.root if args.root is not None else default_root()
    mirror = args.mirror if args.mirror is not None else default_mirror()
    names = list(dict.fromkeys(args.dataset or DATASETS))
    try:
        for name in names:
            path = fetch(name, root, mirror=mirror)
            print(f"{name} ready in {path}")
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
