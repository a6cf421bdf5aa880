"""Equal timing for answers that must not tell whether an account exists."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from flask import current_app


@contextmanager
def at_least(seconds: float) -> Iterator[None]:
    """Make the block last at least `seconds`: what it did not use is slept away at the end."""
    deadline = time.perf_counter() + seconds
    yield
    left = deadline - time.perf_counter()
    if left > 0:
        time.sleep(left)


def enumeration_floor() -> AbstractContextManager[None]:
    """At least ENUMERATION_FLOOR_MS, so mailing a known email costs what an unknown one does.

    A floor rather than dummy work for unknown emails: it holds whatever the mail path
    costs, and it is set above the known path's cost on the hardware in use.
    """
    return at_least(current_app.config["ENUMERATION_FLOOR_MS"] / 1000)
