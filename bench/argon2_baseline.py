"""The bare argon2id verify that login timings are compared with.

The login checks the hash on the argon2 worker thread (`passwords.verify_later`), so the bare
verify is timed on that same thread, inside it. On a virtual machine the same verify runs at
different speeds on different threads: each thread's arena holds its own 19 MiB buffer, and
where that memory landed decides the speed for the whole life of the process. On the
development machine, identical verifies took 19 to 26 ms of CPU time depending on the
process and thread; on one thread, within 0.4 ms of each other. Timing both on one thread
leaves the pipeline's own cost in the ratio and the memory lottery out of it.
"""

from __future__ import annotations

import threading
import time

from argon2 import PasswordHasher

from webapp.services import passwords


def _timed(ph: PasswordHasher, stored: str, password: str) -> tuple[float, int]:
    start = time.perf_counter()
    ph.verify(stored, password)
    return time.perf_counter() - start, threading.get_ident()


def bare_verify(ph: PasswordHasher, stored: str, password: str) -> float:
    """Seconds one verify takes on the login's worker thread (the handover not included)."""
    seconds, _ = passwords._pool().submit(_timed, ph, stored, password).result()
    return seconds


def worker_threads() -> int:
    """How many argon2 worker threads exist: 1 means every verify shared one buffer."""
    return len(passwords._pool()._threads)
