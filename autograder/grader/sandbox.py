"""Student kernels in a sandbox: no network, a read-only system, the course's secrets out of
sight, an unprivileged user and resource limits.  Linux only; built from bubblewrap (Debian's
``bubblewrap``), util-linux's ``setpriv`` and ``prlimit``.

Both graders use it: ``nbgrader_config.py`` names :class:`SandboxedKernelManager` as the
kernel manager of nbgrader's ``Execute`` (so plain ``nbgrader autograde`` is isolated), and
the kit's own grader passes it to its notebook client.  What the kernel can do:

* **network**: none (a new network namespace; the kernel talks to the grader over Unix
  sockets in a folder of its own);
* **files**: everything read-only, except its own scratch folder (the submission's
  ``autograded/<student>/<assignment>/``), its socket folder and a private ``/tmp``; the
  course's ``source/``, ``solutions/``, ``submitted/``, ``autograded/``, ``feedback/``,
  gradebook and exchange, and the kit's ``source/``, ``solutions/``, ``sample_class/``,
  ``build/`` and ``.git`` are replaced by empty folders;
* **limits** (``Sandbox`` traits, or ``KIT_SANDBOX_*`` variables): address space, CPU
  seconds, processes, file size, open files;
* **user**: ``nobody`` when the grader runs as root.

Where bubblewrap is missing or cannot create namespaces (macOS, a locked-down container),
grading still runs, with the resource limits only, and says so once, clearly.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import signal
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode
from traitlets.config import Configurable

from autograder.assignments import DATASETS
from autograder.paths import DATA_ENV, REPO_ROOT, data_root

log = logging.getLogger("autograder.sandbox")
NOBODY = 65534
SANDBOX_UIDS = range(200_000, 260_000)  # one unused uid per sandboxed kernel
_warned = False


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Sandbox(Configurable):
    """Limits and visibility for student kernels (configurable as ``c.Sandbox.*``)."""

    enabled = Bool(os.environ.get("KIT_SANDBOX", "1") != "0", help="Isolate student kernels").tag(config=True)
    memory_bytes = Integer(_env_int("KIT_SANDBOX_MEMORY_GB", 8) * 1024 ** 3, help="address space limit").tag(config=True)
    cpu_seconds = Integer(_env_int("KIT_SANDBOX_CPU_SECONDS", 3600), help="CPU time limit").tag(config=True)
    processes = Integer(_env_int("KIT_SANDBOX_PROCESSES", 512), help="processes and threads of the user").tag(config=True)
    file_bytes = Integer(_env_int("KIT_SANDBOX_FILE_MB", 512) * 1024 ** 2, help="largest file it may write").tag(config=True)
    open_files = Integer(1024, help="open file descriptors").tag(config=True)
    tmp_bytes = Integer(_env_int("KIT_SANDBOX_TMP_MB", 1024) * 1024 ** 2, help="size of its private /tmp").tag(config=True)
    course_root = Unicode("", help="the course whose secrets are hidden (default: the current folder)").tag(config=True)
    hidden = List(Unicode(), help="more paths to hide from the kernel").tag(config=True)

    def secrets(self) -> list[Path]:
        course = Path(self.course_root or os.getcwd()).resolve()
        names = ["source", "solutions", "submitted", "autograded", "feedback", "gradebook.db", "exchange", "intake"]
        found = [course / n for n in names]
        found += [REPO_ROOT / n for n in ("source", "solutions", "sample_class", "build", ".git", "gradebook.db")]
        exchange = os.environ.get("KIT_EXCHANGE")
        if exchange:
            found.append(Path(exchange))
        found += [Path(p) for p in self.hidden]
        return sorted({p for p in found if p.exists()}, key=lambda p: len(p.parts))

    def limits(self) -> list[str]:
        return ["prlimit", f"--as={self.memory_bytes}", f"--cpu={self.cpu_seconds}", f"--nproc={self.processes}",
                f"--fsize={self.file_bytes}", f"--nofile={self.open_files}", "--"]

    @staticmethod
    def needed(readable: list[Path]) -> list[Path]:
        """What the kernel must read that the private ``/root`` and ``/tmp`` would hide: the Python
        installation, the kit and the data (for ``/root``, its top folder: bubblewrap would create
        the parents of a deeper mount point as mode 0700)."""
        found = set()
        for path in [Path(sys.base_prefix), Path(sys.prefix), REPO_ROOT, *readable]:
            parts = path.resolve().parts
            if parts[:2] == ("/", "root") and len(parts) > 2 and running_as_root():
                found.add(Path("/root", parts[2]))
            elif parts[:2] == ("/", "tmp") and len(parts) > 2:
                found.add(path.resolve())
        return sorted(found, key=lambda p: len(p.parts))

    def wrap(self, command: list[str], writable: list[Path], readable: list[Path] = (), uid: int = NOBODY) -> list[str]:
        """``command`` inside the sandbox, with ``writable`` folders writable and ``readable`` ones
        readable even where they lie in the private ``/root`` or ``/tmp``."""
        if not self.enabled:
            return command
        if not bubblewrap_works():
            _warn_once()
            return self.limits() + command
        args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--perms", "1777", "--size", str(self.tmp_bytes), "--tmpfs", "/tmp",
                "--perms", "1777", "--size", str(self.tmp_bytes), "--tmpfs", "/dev/shm",  # multiprocessing, DataLoader
                "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                "--new-session"]
        private = [Path("/tmp")]
        if running_as_root():  # the sandbox user cannot enter /root (mode 700): give it an empty one
            args += ["--perms", "0755", "--tmpfs", "/root"]
            private.append(Path("/root"))
        made: set[Path] = set()

        def parents(dest: Path) -> list[str]:
            # bubblewrap creates missing parents of a mount point with mode 0700: make them 0755
            out = []
            for parent in reversed(dest.parents):
                if any(root in parent.parents for root in private) and parent not in made:
                    made.add(parent)
                    out += ["--perms", "0755", "--dir", str(parent)]
            return out

        needed = self.needed(readable)
        for path in needed:
            args += parents(path) + ["--ro-bind", str(path), str(path)]
        for secret in self.secrets():
            shadowed = any(root in secret.parents for root in private)
            if shadowed and not any(n == secret or n in secret.parents for n in needed):
                continue  # already out of sight in the private /tmp or /root
            args += ["--ro-bind", "/dev/null", str(secret)] if secret.is_file() else ["--tmpfs", str(secret)]
        bytecode = hidden_bytecode()
        if bytecode:  # the hidden checks import and run, but their source cannot be read
            args += ["--ro-bind", str(bytecode), str(REPO_ROOT / "autograder" / "hidden")]
        for folder in writable:
            args += parents(folder) + ["--bind", str(folder), str(folder)]
        # An unprivileged user with no capabilities, of its own (``uid``), so that the process limit
        # holds, and counts only this sandbox's processes.
        user = []
        if running_as_root():
            user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
                    "--inh-caps=-all", "--bounding-set=-all", "--"]
        return args + ["--chdir", str(writable[0]), "--"] + self.limits() + user + command


@lru_cache(maxsize=1)
def hidden_bytecode() -> Path | None:
    """``autograder/hidden`` compiled to sourceless ``.pyc`` files in a folder of their own (made once
    per process and removed when it exits), bound over the package inside the sandbox: a student's
    code can run the hidden checks but not read them.  ``None`` where the hidden checks are not
    installed."""
    import py_compile

    package = REPO_ROOT / "autograder" / "hidden"
    sources = sorted(package.glob("*.py"))
    if not sources:
        return None
    folder = Path(tempfile.mkdtemp(prefix="kit-hidden-"))
    atexit.register(shutil.rmtree, folder, True)  # one grading process per submission: leave nothing behind
    for source in sources:
        py_compile.compile(str(source), cfile=str(folder / (source.stem + ".pyc")), doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    for path in [folder, *folder.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@lru_cache(maxsize=1)
def bubblewrap_works() -> bool:
    """bubblewrap is installed and may create the namespaces it needs here."""
    if sys.platform != "linux" or not shutil.which("bwrap"):
        return False
    probe = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-net", "--unshare-pid", "true"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        message = ("WARNING: student code is NOT isolated: bubblewrap is missing or cannot create namespaces "
                   "here (on Debian/Ubuntu: apt-get install bubblewrap; on macOS grade inside a Linux container, "
                   "see the README). Resource limits still apply where prlimit exists.")
        log.warning(message)
        print(message, file=sys.stderr)
        if not shutil.which("prlimit"):
            Sandbox.limits = lambda self: []  # nothing to apply limits with


def kill_user(uid: int) -> int:
    """SIGKILL every process of ``uid``; return how many there were."""
    killed = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            line = next(l for l in status.read_text().splitlines() if l.startswith("Uid:"))
            if int(line.split()[1]) == uid:
                os.kill(int(status.parent.name), signal.SIGKILL)
                killed += 1
        except (OSError, StopIteration, ValueError):
            continue
    return killed


def _open_up(path: Path, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except OSError:
        pass


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel inside :class:`Sandbox`.

    The kernel listens on Unix sockets in a private folder (there is no network inside), and
    its working folder is opened to the sandbox's unprivileged user.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sandbox = Sandbox(parent=self)
        self.uid = random.choice(SANDBOX_UIDS)
        if self.sandbox.enabled and bubblewrap_works():
            self._socket_dir = Path(tempfile.mkdtemp(prefix="kit-kernel-"))
            _open_up(self._socket_dir, 0o777)
            self.transport = "ipc"
            self.connection_file = str(self._socket_dir / "kernel.json")
            self.ip = str(self._socket_dir / "kernel-ipc")
        else:
            self._socket_dir = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        cwd = Path(kw.get("cwd") or os.getcwd()).resolve()
        writable = [cwd]
        if self._socket_dir is not None:
            writable.append(self._socket_dir)
            _open_up(Path(self.connection_file), 0o644)
            if running_as_root():  # the sandbox user must write in its own folder
                for path in (cwd, *cwd.rglob("*")):
                    _open_up(path, 0o777 if path.is_dir() else 0o666)
        env = dict(kw.get("env") or os.environ)
        data = Path(env.get(DATA_ENV) or data_root(cwd)).resolve()  # found from outside the sandbox
        env[DATA_ENV] = str(data)
        if cwd.name in DATASETS:  # the kernel may read the data root, not write it: fetch what it reads now
            from autograder.data import prepare  # (imports torchvision)

            prepare([cwd.name], data)
        # The kernel's /tmp is its own: the grader's TMPDIR (a cluster's scratch folder, say) is not in
        # reach there, nor the cache folder that importing torch._dynamo in the grader exported.
        env.update(HOME="/tmp", TMPDIR="/tmp", TMP="/tmp", TEMP="/tmp", TORCHINDUCTOR_CACHE_DIR="/tmp/torchinductor",
                   TRITON_CACHE_DIR="/tmp/triton", MPLCONFIGDIR="/tmp/matplotlib", XDG_CACHE_HOME="/tmp/cache",
                   TORCH_HOME="/tmp/torch", JUPYTER_RUNTIME_DIR=str(self._socket_dir or "/tmp"),
                   IPYTHONDIR="/tmp/ipython")
        kw["env"] = env
        if self._socket_dir is not None:
            # In its own PID namespace the kernel's parent is the sandbox's init, which ipykernel's
            # parent poller (JPY_PARENT_PID, set by the launcher) takes for a dead parent;
            # bubblewrap's --die-with-parent does that job instead.
            kernel_cmd = ["env", "-u", "JPY_PARENT_PID", *kernel_cmd]
        await super()._async_launch_kernel(self.sandbox.wrap(kernel_cmd, writable, [data], uid=self.uid), **kw)

    async def _async_interrupt_kernel(self) -> None:
        # A signal would reach bubblewrap, not the kernel (which runs in a session of its own):
        # interrupt through the kernel's control channel instead.
        if self._socket_dir is not None and self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"
        await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel  # AsyncKernelManager binds the base method by name

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._socket_dir is not None and running_as_root():
            kill_user(self.uid)  # whatever the submission left running (its uid is its own)
        if self._socket_dir is not None and not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
