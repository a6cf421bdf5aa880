"""The bare argon2id verify that login timings are compared with.

The login checks the hash on the request's own thread, so the bare verify is timed on the
calling thread too. On a virtual machine the same verify runs at different speeds on
different threads: each thread's arena holds its own 19 MiB buffer, and where that memory
landed decides the speed for the whole life of the process. Timing both on one thread leaves
the pipeline's own cost in the ratio and the memory lottery out of it.
"""

from __future__ import annotations

import time

from argon2 import PasswordHasher


def bare_verify(ph: PasswordHasher, stored: str, password: str) -> float:
    """Seconds one verify takes on the calling thread."""
    start = time.perf_counter()
    ph.verify(stored, password)
    return time.perf_counter() - start
