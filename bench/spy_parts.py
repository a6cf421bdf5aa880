"""A right-password sign-in's CPU beyond argon2, by part, from py-spy samples of the workers.

Run: python -m bench.spy_parts HASH_MS WORKER_MS FILE... (see README, "What bounds the share")

FILEs are `py-spy record --gil --format raw` outputs of the gunicorn workers taken during a
bench.throughput pass; HASH_MS and WORKER_MS are that pass's "CPU ms per sign-in: hash" and
"worker". Each sample goes to the part of the request it falls in (the first rule whose
function appears in its stack); argon2's are left out, and the rest are scaled so that they
add up to WORKER_MS. It prints a Markdown table: ms per sign-in, and of it the time inside the
database driver's execute and commit (or Redis' client) and the rest of SQLAlchemy.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

HASH = "argon2 (hash)"
# The part a stack belongs to: the first whose marker it contains (after the limiter's own calls).
PARTS = [
    (HASH, ["argon2/"]),
    ("mail thread, spool", ["MailSender", "replay_spool", "deliver_pending", "spool.py"]),
    ("IP block check", ["refuse_if_blocked"]),
    ("identify: plain reads", ["identify ("]),
    ("lockout: row-locked read", ["lock_and_look_again"]),
    ("second-factor check", ["second_factor_due", "has_second_factor"]),
]
# Inside sign_in (steps 5 and 6), checked on the stack below it.
SIGN_IN = [
    ("session row (open_session)", "open_session"),
    ("trusted device and cookie", "signed_in ("),
    ("user counters (count_login)", "count_login"),
    ("JWT pair", "issue_pair"),
    ("lockout clear", ";clear ("),
    ("ORM flush of the sign-in", "flush ("),
    ("JSON answer", "respond"),
]
AFTER = [
    ("attempt row and rollups", ["record_attempt"]),
    ("new-sign-in and unusual-hour checks", ["look_at"]),
]
DRIVER = ("pymysql/", "sqlite3", "do_execute", "do_commit", "do_executemany", "redis/")


def part(stack: str) -> str:
    """The part of the request one sample's stack (root first, ';'-separated) falls in."""
    below_app = stack.rsplit("(webapp/", 1)[-1]
    if "argon2/" not in stack and ("limits/" in stack or "flask_limiter/" in below_app):
        return "limiter (Flask-Limiter, Redis)"  # its decorator wraps every view: look below it
    for name, markers in PARTS:
        if any(m in stack for m in markers):
            return name
    marker = "sign_in (webapp/services/auth.py"
    if marker in stack:
        inner = stack.split(marker, 1)[1]
        return next((name for name, m in SIGN_IN if m in inner), "sign-in: other")
    for name, markers in AFTER:
        if any(m in stack for m in markers):
            return name
    if "(webapp/api/routes.py" in stack and "commit (" in stack:
        return "commit at the view's end"
    if "token (webapp/api/routes.py" in stack:
        return "API view: JSON body and answer"
    if "(webapp/" in stack:
        return "app hooks and middleware"
    return "gunicorn, Werkzeug, Flask dispatch"


def layer(stack: str) -> str:
    """Driver (SQL or Redis), the rest of SQLAlchemy, or other Python."""
    if any(m in stack for m in DRIVER):
        return "driver"
    leaf = stack.rsplit(";", 1)[-1]
    return "orm" if "sqlalchemy/" in leaf else "python"


def main() -> None:
    """Read the samples and print the table."""
    worker_ms = float(sys.argv[2])
    counts: dict[str, Counter] = defaultdict(Counter)
    for name in sys.argv[3:]:
        with open(name) as raw:
            for line in raw:
                stack, n = line.rsplit(" ", 1)
                counts[part(stack)][layer(stack)] += int(n)
    counts.pop(HASH, None)
    scale = worker_ms / max(1, sum(sum(c.values()) for c in counts.values()))
    print(f"hash {float(sys.argv[1]):.2f} ms a sign-in; beyond it:\n")
    print("| part | ms per sign-in | driver | SQLAlchemy |\n|---|---|---|---|")
    for name, c in sorted(counts.items(), key=lambda item: -sum(item[1].values())):
        print(
            f"| {name} | {sum(c.values()) * scale:.2f} | {c['driver'] * scale:.2f} | "
            f"{c['orm'] * scale:.2f} |"
        )
    print(f"| total | {worker_ms:.2f} | | |")


if __name__ == "__main__":
    main()
