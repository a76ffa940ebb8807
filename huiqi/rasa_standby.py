"""Hot standby for the Rasa server: a second, fully loaded Rasa process takes the port the moment
the serving one dies.

A Rasa process needs 30-90 s to start on this machine (importing TensorFlow alone takes 6-30 s,
then the model): far beyond the 15 s a business may wait after ``kill -9``. So the supervisor runs
two Rasa processes (``huiqi.services``). Each loads its model, then takes the *serving lock*
(an exclusive ``flock`` on ``<data dir>/run/rasa.serving.lock``) before it binds the port. The
first to get it serves; the other waits, loaded, polling the lock. The kernel drops a dead
process's lock and listening socket together, so after ``kill -9`` the standby binds within a
poll period and answers the next turn; the supervisor then starts a new process, which becomes the
standby. The serving process writes its pid to ``<data dir>/run/rasa.pid``; a loaded standby marks
itself with ``run/rasa.standby.<pid>`` while it waits (``ready_standbys``).

Only one process serves at a time, on purpose: conversations keep one lock store (Rasa's, in
memory), the socket.io rooms of open chat pages and the pushes sent to them stay in one process,
and nothing else about the deployment changes.

Pure standard library: it runs inside ``.venv-rasa`` (``huiqi.rasa_launcher``) and is tested from
the main virtualenv.
"""
from __future__ import annotations

import asyncio
import fcntl
import os
import socket
from pathlib import Path
from typing import IO, Optional

LOCK_ENV = "HUIQI_RASA_SERVING_LOCK"     # path of the lock file; unset: serve at once (a single process)
PIDFILE_ENV = "HUIQI_RASA_SERVING_PIDFILE"
POLL_S = 0.1                             # how often a standby tries the lock
PORT_WAIT_S = 15                         # after the lock, how long to wait for the dead server's port


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server binds
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


class ServingLock:
    """The right to bind the Rasa port, held for the life of the process (released by the kernel)."""

    def __init__(self, lock_path: Path, pid_path: Optional[Path] = None):
        self.lock_path = Path(lock_path)
        self.pid_path = Path(pid_path) if pid_path else None
        self._file: Optional[IO[bytes]] = None

    @classmethod
    def from_environ(cls, environ: dict) -> Optional["ServingLock"]:
        lock = environ.get(LOCK_ENV)
        return cls(Path(lock), Path(environ[PIDFILE_ENV]) if environ.get(PIDFILE_ENV) else None) if lock else None

    def try_acquire(self) -> bool:
        if self._file is None:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._file = os.fdopen(fd, "r+b")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    @property
    def marker(self) -> Optional[Path]:
        return standby_marker(self.pid_path, os.getpid()) if self.pid_path else None

    async def acquire(self, host: str, port: int, poll_s: float = POLL_S) -> None:
        """Wait for the lock (marked as a ready standby meanwhile), then (briefly) for the previous
        holder's port to be released."""
        if not self.try_acquire():
            if self.marker:
                self.marker.write_text(str(os.getpid()))
            try:
                while not self.try_acquire():
                    await asyncio.sleep(poll_s)
            finally:
                if self.marker:
                    self.marker.unlink(missing_ok=True)
        deadline = asyncio.get_running_loop().time() + PORT_WAIT_S
        while not port_free(host, port) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(poll_s)

    def announce(self) -> None:
        """Record this process as the one serving (written atomically)."""
        if self.pid_path is None:
            return
        tmp = self.pid_path.with_name(f".{self.pid_path.name}.{os.getpid()}")
        tmp.write_text(str(os.getpid()))
        tmp.replace(self.pid_path)


def standby_marker(pid_path: Path, pid: int) -> Path:
    return Path(pid_path).with_name(f"{Path(pid_path).stem}.standby.{pid}")


def ready_standbys(pid_path: Path) -> list:
    """Pids of the loaded standbys waiting to take over now (markers of dead processes are removed)."""
    pids = []
    for marker in Path(pid_path).parent.glob(f"{Path(pid_path).stem}.standby.*"):
        pid = int(marker.name.rsplit(".", 1)[1])
        try:
            os.kill(pid, 0)
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (ProcessLookupError, FileNotFoundError):
            state = "gone"
        except PermissionError:
            state = "alive"
        if state in ("gone", "Z"):
            marker.unlink(missing_ok=True)
        else:
            pids.append(pid)
    return sorted(pids)
