"""Login timing: unknown email vs wrong password, next to the bare argon2 verify time.

Run: python -m bench.login_timing [--rounds N]. Uses the production hash parameters
(argon2id m=19 MiB, t=2, p=1), a throwaway SQLite database, and no rate limits or lockout.
Prints medians measured side by side (interleaved) in one run, and their ratios. The bare
verify runs on the same thread as the login's (see bench/argon2_baseline.py).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from bench.argon2_baseline import bare_verify
from config import DevelopmentConfig
from webapp import create_app
from webapp.extensions import db
from webapp.services.auth import create_user
from webapp.services.passwords import hasher

PASSWORD = "benchmark-password-123"


def main() -> None:
    """Measure and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="doorman-bench-")
    app = create_app(
        DevelopmentConfig,
        INSTANCE_PATH=tmp,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.db",
        RATELIMIT_ENABLED=False,
        LOCKOUT_ENABLED=False,
        WTF_CSRF_ENABLED=False,
        MAIL_ECHO=False,
    )
    with app.app_context():
        db.create_all()
        create_user("benchuser", "bench@example.com", PASSWORD, verified=True)
        db.session.commit()
        ph = hasher()
        stored = ph.hash(PASSWORD)
        params = f"m={ph.memory_cost} KiB, t={ph.time_cost}, p={ph.parallelism}"

    client = app.test_client()
    cases = {
        "unknown email": {"email": "nobody@example.com", "password": PASSWORD},
        "wrong password": {"email": "bench@example.com", "password": "not-the-password"},
        "right password": {"email": "bench@example.com", "password": PASSWORD},
    }
    timings: dict[str, list[float]] = {name: [] for name in cases}
    timings["bare argon2 verify"] = []
    for _ in range(3):  # warm-up: imports, caches, first connections
        for data in cases.values():
            client.post("/auth/login", data=data)
    for _ in range(args.rounds):
        for name, data in cases.items():
            start = time.perf_counter()
            response = client.post("/auth/login", data=data)
            timings[name].append(time.perf_counter() - start)
            assert response.status_code in (200, 302), response.status_code
            if response.status_code == 302:
                client.post("/auth/logout")  # needs no CSRF here; ends the session
                client.delete_cookie("session")
        timings["bare argon2 verify"].append(bare_verify(ph, stored, PASSWORD))

    medians = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    print(f"argon2id parameters: {params}; {args.rounds} interleaved rounds")
    for name, ms in medians.items():
        print(f"  {name:<20} median {ms:7.2f} ms")
    ratio = medians["unknown email"] / medians["wrong password"]
    print(f"unknown email / wrong password: {ratio:.3f} (target 0.8 to 1.25)")
    print(
        "wrong password login / bare verify: "
        f"{medians['wrong password'] / medians['bare argon2 verify']:.3f}"
    )
    print(
        "right password login / bare verify: "
        f"{medians['right password'] / medians['bare argon2 verify']:.3f}"
    )


if __name__ == "__main__":
    main()
