"""What the server benchmarks share: gunicorn nodes started and stopped by PID, fresh
databases, seeded users with the production argon2 cost, and the nodes' shared secrets."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import User, utcnow
from webapp.services.passwords import hash_password

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-0123"
DOMAIN = "load.example.com"
BLOCKED_NETWORK = "203.0.113.0/24"  # blocked by an admin in the benchmarks' flood


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    """One gunicorn instance, started and stopped by its PID."""

    def __init__(self, name: str, env: dict[str, str], workers: int, threads: int = 2) -> None:
        self.name = name
        self.port = free_port()
        self.env = env
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None

    def start(self, log: Path) -> None:
        """Start gunicorn (it is ready once /api/health/ answers, see wait)."""
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--no-control-socket",  # its default path is one per machine, not per node
            "wsgi:app",
        ]
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait(self, seconds: float = 60) -> None:
        """Wait until the node answers its health check."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/api/health/")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        """Stop gunicorn by its PID and wait for it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()


def request(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
    """One HTTP request on a fresh connection (no keep-alive: a connection the node closed
    meanwhile would make a request fail that never reached it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    payload = None if body is None else json.dumps(body)
    sent = {"Content-Type": "application/json", "Connection": "close", **(headers or {})}
    try:
        conn.request(method, path, payload, sent)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {}
    return response.status, parsed


def refuse_shared_stores(database: str, redis_url: str | None = None) -> None:
    """Stop before touching CI's database `test` or its Redis db 15."""
    if database == "test" or (redis_url or "").rstrip("/").endswith("/15"):
        raise SystemExit("the database `test` and Redis db 15 belong to CI")


def fresh_database(server: str, database: str) -> None:
    """An empty MariaDB database of the benchmark's own."""
    engine = sa.create_engine(server)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{database}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4"))
    engine.dispose()


def drop_database(server: str, database: str) -> None:
    """Drop the benchmark's MariaDB database."""
    engine = sa.create_engine(server)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{database}`"))
    engine.dispose()


def reset_stores(server: str, database: str, redis_url: str) -> None:
    """An empty database and an empty Redis db for a phase."""
    fresh_database(server, database)
    redis.Redis.from_url(redis_url).flushdb()


def seed(app, count: int, extra: tuple[str, ...] = ()) -> list[str]:
    """Create the schema and `count` verified users, plus the `extra` emails (one argon2
    hash, production cost); returns the first `count` emails."""
    with app.app_context():
        db.create_all()
        digest = hash_password(PASSWORD)
        now = utcnow()
        emails = [f"user{i:04d}@{DOMAIN}" for i in range(count)] + list(extra)
        db.session.execute(
            sa.insert(User),
            [
                {
                    "username": email.split("@")[0],
                    "email": email,
                    "password_hash": digest,
                    "role": "user",
                    "email_verified_at": now,
                    "registration_source": "bench",
                }
                for email in emails
            ],
        )
        db.session.commit()
    return emails[:count]


def shared_secrets(folder: Path) -> dict[str, str]:
    """The secret key and the RSA key every node reads from a file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    secret = folder / "secret_key"
    secret.write_text(os.urandom(32).hex())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = folder / "rsa_private.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return {"SECRET_KEY_FILE": str(secret), "RSA_PRIVATE_KEY_PATH": str(pem)}


def node_env(url: str, folder: Path, redis_url: str) -> dict[str, str]:
    """The environment of a production-like gunicorn node on this database and Redis."""
    return {
        **os.environ,
        "DOORMAN_ENV": "production",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(folder / "node"),
        "RATELIMIT_STORAGE_URI": redis_url,
        "TRUSTED_PROXY_COUNT": "1",
        "SESSION_COOKIE_SECURE": "0",
        "MAIL_BACKEND": "console",
        "MAIL_ECHO": "0",
        **shared_secrets(folder),
    }
