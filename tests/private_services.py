"""Private Redis and MariaDB servers for fault tests: each on a reserved port in a temporary
folder, started and stopped (killed, restarted) by PID. Never the machine's shared ones."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REDIS = shutil.which("redis-server")
MARIADBD = shutil.which("mariadbd") or (
    "/usr/sbin/mariadbd" if os.path.exists("/usr/sbin/mariadbd") else None
)


def free_port() -> int:
    """A TCP port nobody listens on right now (free only until someone else binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ReservedPort:
    """A local TCP port kept for one test: bound, not listening, while its server is down.

    Clients get "connection refused", as with nothing there, and no other test worker or
    process can take the port between a kill and a restart. Release it just before the
    server binds it; hold it again as soon as the server is gone.
    """

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self.number = self._bind(0)

    def _bind(self, port: int) -> int:
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            # A killed server leaves TIME_WAIT connections on its port; only SO_REUSEADDR
            # binds next to those (it still refuses a port someone listens on).
            sock.close()
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
        self._sock = sock
        return sock.getsockname()[1]

    def release(self) -> None:
        """Free the port for its own server."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def hold(self) -> None:
        """Keep the port again after its server stopped."""
        if self._sock is None:
            # Someone took it meanwhile: the server's restart will say so.
            with contextlib.suppress(OSError):
                self._bind(self.number)


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:] if log.exists() else ''}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server not listening on {port} after {seconds}s")


class PrivateServer:
    """One server process on a reserved port: start, kill (SIGKILL, as a crash), start again."""

    def __init__(self, folder: Path, port: ReservedPort) -> None:
        self.folder = folder
        self.reserved = port
        self.port = port.number
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        log = self.folder / "server.log"
        self.reserved.release()
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        _wait_for_port(self.port, self.process, 20, log)

    def kill(self) -> None:
        """Kill the server by its PID and wait until it is gone."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None
        self.reserved.hold()


class PrivateRedis(PrivateServer):
    """redis-server without persistence: a restart starts empty."""

    url_db = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.url_db}"

    def command(self) -> list[str]:
        return [
            REDIS,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]


class PrivateMariaDB(PrivateServer):
    """A throw-away mariadbd with its own data folder (kept across restarts).

    No mariadb-install-db: with --skip-grant-tables the server needs no system tables, and
    it starts in well under a second instead of several.
    """

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/doorman"

    def command(self) -> list[str]:
        data = self.folder / "data"
        data.mkdir(exist_ok=True)
        return [
            MARIADBD,
            "--no-defaults",
            "--user=root",
            f"--datadir={data}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--socket={self.folder / 's'}",
            f"--pid-file={self.folder / 'pid'}",
            "--skip-grant-tables",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=16M",
            "--innodb-log-file-size=8M",
            f"--log-error={self.folder / 'error.log'}",
        ]

    def create_database(self) -> None:
        """Create the empty `doorman` database."""
        import pymysql

        connection = pymysql.connect(host="127.0.0.1", port=self.port, user="root")
        try:
            with connection.cursor() as cursor:
                cursor.execute("CREATE DATABASE IF NOT EXISTS doorman CHARACTER SET utf8mb4")
        finally:
            connection.close()


@pytest.fixture
def private_redis(tmp_path_factory):
    """A private redis-server, stopped by PID at the end of the test."""
    if not REDIS:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path_factory.mktemp("redis"), ReservedPort())
    server.start()
    try:
        yield server
    finally:
        server.kill()
        server.reserved.release()


@pytest.fixture
def private_mariadb(tmp_path_factory):
    """A private mariadbd with an empty `doorman` database, stopped by PID at the end."""
    if not MARIADBD:
        pytest.skip("mariadbd is not installed")
    server = PrivateMariaDB(tmp_path_factory.mktemp("mariadb"), ReservedPort())
    server.start()
    try:
        server.create_database()
        yield server
    finally:
        server.kill()
        server.reserved.release()


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers (a hung Redis or database)."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.fixture
def limiter_reset():
    """Leave the limiter on its main storage after a test that made it fall back.

    The limiter is one object for every app of the process, and Flask-Limiter keeps its
    "storage dead" flag across init_app: the next tests must not inherit it.
    """
    from webapp.extensions import limiter

    yield limiter
    limiter._storage_dead = False  # no public way to say "forget the outage"
