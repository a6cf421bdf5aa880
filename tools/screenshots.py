"""A screenshot tour: the main pages at desktop and phone width, in light and dark mode.

Builds the app on a fresh SQLite database with a small demo data set, serves it on a free local
port and drives the system Chromium through Playwright, signing in through the real login form.
Writes ``<page>-<width>-<mode>.png`` and an index ``README.md`` to docs/screenshots (a
subfolder per ``--lang``), prints the files, and exits non-zero when a page answered 4xx/5xx,
landed somewhere else, or logged a console error.

    python -m tools.screenshots [--lang de] [--out DIR]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import random
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import url_for
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # the browser tests' Chromium and flags
from webapp import create_app
from webapp.extensions import db
from webapp.models import User
from webapp.services import audit, auth
from webapp.services.demo import DEMO_DOMAIN, seed_demo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
WIDTHS = (1280, 390)
MODES = ("light", "dark")
HEIGHTS = {390: 844}  # a phone's screen; wider pages get a laptop's 800 px
# Small enough to seed in a second or two, large enough for every chart to have a shape.
DEMO_USERS, DEMO_DAYS, DEMO_ATTEMPTS, DEMO_SEED = 12, 30, 2000, 17
USER_EMAIL = f"user00001@{DEMO_DOMAIN}"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
# True once every figure the page embeds has been drawn by static/js/charts.js.
CHARTS_DRAWN = """() => {
  const holder = document.getElementById("dashboard-figures");
  if (!holder) return true;
  return Object.keys(JSON.parse(holder.textContent)).every((id) => {
    const element = document.getElementById(id);
    return !element || element.getAttribute("data-drawn") === "true";
  });
}"""


@dataclass(frozen=True)
class Stop:
    """One page of the tour: its file name, endpoint, who looks at it, what to wait for."""

    name: str
    endpoint: str
    who: str | None = None  # "user", "admin", or None for a visitor
    ready: str | None = None  # a selector that shows the page has drawn itself


TOUR = (
    Stop("home", "main.index"),
    Stop("login", "auth.login"),
    Stop("register", "auth.register"),
    Stop("dashboard", "dashboard.index", "user"),
    Stop("account", "account.index", "user"),
    Stop("sessions", "account.sessions", "user"),
    Stop("security", "account.security_page", "user"),
    Stop("admin-analytics", "dashboard.admin_overview_page", "admin"),
    Stop("admin-users", "admin_users.index_view", "admin"),
    Stop("admin-audit", "admin_audit.index_view", "admin"),
    Stop("api-docs", "api.swagger_ui", None, ready=".swagger-ui .opblock"),
)


@dataclass
class Tour:
    """What a tour wrote and what went wrong on the way."""

    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    overflows: list[str] = field(default_factory=list)


def main(argv: Sequence[str] | None = None, browser=None) -> int:
    """Run the tour from the command line; 1 when any page misbehaved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", help="browser language, e.g. de (written to a subfolder)")
    parser.add_argument("--out", type=Path, help=f"output folder (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    out = args.out or (OUT / args.lang if args.lang else OUT)
    tour = take_tour(out, TOUR, WIDTHS, MODES, lang=args.lang, browser=browser)
    for path in tour.files:
        print(path)
    total = sum(path.stat().st_size for path in tour.files)
    print(f"{len(tour.files)} screenshots, {total / 1e6:.1f} MB, index {out / 'README.md'}")
    for note in tour.overflows:
        print(f"wider than the window: {note}")
    for problem in tour.problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if tour.problems else 0


def take_tour(
    out: Path,
    stops: Sequence[Stop] = TOUR,
    widths: Sequence[int] = WIDTHS,
    modes: Sequence[str] = MODES,
    lang: str | None = None,
    attempts: int = DEMO_ATTEMPTS,
    browser=None,
) -> Tour:
    """Screenshot every stop at every width and mode into out, with an index (in the given
    browser, else a Chromium of its own: Playwright's sync API runs one per thread)."""
    out.mkdir(parents=True, exist_ok=True)
    tour = Tour()
    with tempfile.TemporaryDirectory(prefix="doorman-tour-") as workdir:
        app, passwords = demo_app(Path(workdir), attempts)
        urls = _urls(app, stops)
        with serve(app) as base, nullcontext(browser) if browser else chromium() as browser:
            states = {
                who: _sign_in(browser, base, who, passwords[who], lang)
                for who in {stop.who for stop in stops if stop.who}
            }
            for width, mode, stop in itertools.product(widths, modes, stops):
                context = _context(browser, width, mode, lang, states.get(stop.who))
                try:
                    shot = out / f"{stop.name}-{width}-{mode}.png"
                    _shoot(context.new_page(), base + urls[stop], stop.ready, shot, tour)
                finally:
                    context.close()
                tour.files.append(shot)
    write_index(out, stops, widths, modes, lang)
    return tour


def demo_app(workdir: Path, attempts: int = DEMO_ATTEMPTS):
    """An app on a fresh SQLite database with demo data; returns it and the passwords by role."""
    app = create_app(
        "testing",
        INSTANCE_PATH=str(workdir / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir / 'tour.db'}",
        RATELIMIT_STORAGE_URI="memory://",
        SERVER_NAME=None,
    )
    with app.app_context():
        db.create_all()
        summary = seed_demo(DEMO_USERS, DEMO_DAYS, attempts, rng=random.Random(DEMO_SEED))
        _back_office_history()
        db.session.commit()
        db.engine.dispose()
    return app, {"user": summary.user_password, "admin": summary.admin_password}


def _back_office_history() -> None:
    """A few admin actions, as the back office records them, so the audit log has rows."""
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    query = select(User).where(User.role == "user", User.email != USER_EMAIL).order_by(User.id)
    first, second, third = db.session.scalars(query.limit(3)).all()
    first.timezone = "Europe/Berlin"
    audit.record(admin, "edit", "User", first.id, "timezone='Europe/Berlin'")
    second.mfa_required = True
    audit.record(admin, "require_mfa", "User", second.id)
    auth.set_active(third, False)
    audit.record(admin, "deactivate", "User", third.id)


@contextmanager
def chromium() -> Iterator:
    """The system Chromium, headless, through Playwright (never a downloaded browser)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve app on a free local port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def write_index(
    out: Path,
    stops: Sequence[Stop],
    widths: Sequence[int],
    modes: Sequence[str],
    lang: str | None = None,
) -> Path:
    """README.md in out: one row per page, one linked image per width and mode."""
    variants = [(width, mode) for width in widths for mode in modes]
    language = f" (browser language `{lang}`)" if lang else ""
    command = f"make screenshots TOUR_LANG={lang}" if lang else "make screenshots"
    lines = [
        "# Screenshots",
        "",
        f"The main pages at desktop and phone width, in light and dark mode{language}.",
        f"Made by `{command}` (tools/screenshots.py) on a fresh demo database; rerun it after",
        "changing a page.",
        "",
        "| page | " + " | ".join(f"{width} px {mode}" for width, mode in variants) + " |",
        "| --- |" + " --- |" * len(variants),
    ]
    for stop in stops:
        cells = [f"[{mode}]({stop.name}-{width}-{mode}.png)" for width, mode in variants]
        lines.append(f"| {stop.name} | " + " | ".join(cells) + " |")
    index = out / "README.md"
    index.write_text("\n".join(lines) + "\n")
    return index


def _urls(app, stops: Sequence[Stop]) -> dict[Stop, str]:
    with app.test_request_context():
        return {stop: url_for(stop.endpoint) for stop in stops}


def _context(browser, width: int, mode: str = "light", lang: str | None = None, state=None):
    return browser.new_context(
        viewport={"width": width, "height": HEIGHTS.get(width, 800)},
        color_scheme=mode,
        locale=lang,
        storage_state=state,
    )


def _sign_in(browser, base: str, who: str, password: str, lang: str | None) -> dict:
    """Sign in through the login form; returns the browser state (cookies) to reuse."""
    context = _context(browser, WIDTHS[0], lang=lang)
    try:
        page = context.new_page()
        page.goto(f"{base}/auth/login")
        page.fill("#email", ADMIN_EMAIL if who == "admin" else USER_EMAIL)
        page.fill("#password", password)
        page.click("#login-form [type=submit]")
        page.wait_for_url(lambda url: "/auth/login" not in url)
        return context.storage_state()
    finally:
        context.close()


def _shoot(page, url: str, ready: str | None, shot: Path, tour: Tour) -> None:
    """Open one page, note what went wrong, wait until it has drawn, screenshot it small."""
    name, width, mode = shot.stem.rsplit("-", 2)
    where = f"{name} at {width} px, {mode}"

    def problem(text: str) -> None:
        tour.problems.append(f"{where}: {text}")

    page.on("console", lambda m: m.type == "error" and problem(f"console: {m.text}"))
    page.on("pageerror", lambda e: problem(f"script error: {e}"))
    page.on("response", lambda r: r.status >= 400 and problem(f"HTTP {r.status} for {r.url}"))
    page.goto(url)
    if urlsplit(page.url).path != urlsplit(url).path:
        problem(f"landed on {page.url}")
    try:
        page.wait_for_function(CHARTS_DRAWN, timeout=30_000)
        if ready:
            page.wait_for_selector(ready, timeout=30_000)
    except PlaywrightTimeout:
        problem("still drawing after 30 s")
    page.evaluate("document.fonts.ready")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > int(width):
        tour.overflows.append(f"{where}: {scroll} px")
    page.screenshot(path=str(shot), full_page=True, type="png")
    _shrink(shot)


def _shrink(path: Path) -> None:
    """Re-save as a 256-colour palette PNG: a fraction of the size, the text still sharp."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


if __name__ == "__main__":
    sys.exit(main())
