"""Static files through HTTP: hashed names, gzip and brotli, far-future caching, Plotly's size."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.analytics_data import add_attempts
from tests.helpers import login
from tests.test_dashboard import figures
from webapp import assets
from webapp.models import utcnow

YEAR = 365 * 24 * 3600
ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


@pytest.fixture
def viewer(app, client, user_factory):
    """A signed-in user with a month of attempts, so the dashboard draws its charts."""
    user = user_factory(email="static@example.com")
    with app.app_context():
        now = utcnow()
        add_attempts([(user.id, now - timedelta(days=d), d % 3 != 0) for d in range(1, 30)])
    login(client, "static@example.com")
    return user


def asset_url(html: str, name: str) -> str:
    """The URL the page uses for a static file, e.g. name='vendor/plotly/plotly-cartesian'."""
    urls = [url for url in ASSET.findall(html) if f"/static/{name}" in url]
    assert urls, f"{name} not referenced"
    return urls[0]


def test_pages_reference_hashed_names(client):
    html = client.get("/").get_data(as_text=True)
    urls = ASSET.findall(html)
    assert len(urls) >= 5
    for url in urls:
        assert re.search(assets.IMMUTABLE, url), f"not a hashed name: {url}"


@pytest.mark.parametrize(
    "accept, encoding", [("br, gzip", "br"), ("gzip, deflate", "gzip"), ("identity", None)]
)
def test_hashed_files_are_compressed_and_cached_for_a_year(client, accept, encoding):
    url = asset_url(client.get("/").get_data(as_text=True), "vendor/bootstrap/bootstrap.min")
    r = client.get(url, headers={"Accept-Encoding": accept})
    assert r.status_code == 200
    assert r.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in r.headers["Vary"]
    cache = r.headers["Cache-Control"]
    assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache).group(1)) >= YEAR
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_plain_names_still_work_without_far_future_caching(client):
    r = client.get("/static/css/app.css")
    assert r.status_code == 200
    assert "immutable" not in r.headers.get("Cache-Control", "")


@pytest.mark.parametrize("encoding, limit", [("br", 600_000), ("gzip", 800_000)])
def test_plotly_costs_a_phone_well_under_1_5_mb(client, viewer, encoding, limit):
    html = client.get("/dashboard/").get_data(as_text=True)
    r = client.get(asset_url(html, "vendor/plotly/"), headers={"Accept-Encoding": encoding})
    assert r.headers["Content-Encoding"] == encoding
    assert len(r.data) < limit, f"{len(r.data)} bytes on the wire"


def test_every_dashboard_trace_type_is_in_the_vendored_plotly_bundle(client, viewer):
    html = client.get("/dashboard/").get_data(as_text=True)
    bundle = client.get(asset_url(html, "vendor/plotly/")).get_data(as_text=True)
    available = set(re.findall(r'moduleType:"trace",name:"(\w+)"', bundle))
    used = {trace["type"] for fig in figures(html).values() for trace in fig["data"]}
    assert used and used <= available, used - available


def test_a_fresh_machine_builds_the_files_at_start_up(app_factory, tmp_path, monkeypatch):
    # Only our own small files: the vendored ones are covered above, and compressing them
    # again (brotli at its best) costs seconds.
    every = assets.source_files
    monkeypatch.setattr(
        assets,
        "source_files",
        lambda folder: {k: v for k, v in every(folder).items() if not k.startswith("vendor/")},
    )
    out = tmp_path / "build"
    app = app_factory(STATIC_BUILD_DIR=str(out))
    manifest = app.extensions["doorman_assets"]
    hashed = manifest["js/charts.js"]
    assert (out / hashed).exists() and (out / (hashed + ".br")).exists()
    assert (out / (hashed + ".gz")).exists()
    r = app.test_client().get(f"/static/{hashed}", headers={"Accept-Encoding": "br"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "br"


def test_a_changed_source_gets_a_new_name(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "PACKAGE_FILES", {})
    source, out = tmp_path / "static", tmp_path / "build"
    (source / "js").mkdir(parents=True)
    script = source / "js" / "a.js"
    script.write_text("var a = 1;\n" * 100)
    first = assets.load_manifest(source, out)["js/a.js"]
    assert assets.load_manifest(source, out)["js/a.js"] == first
    script.write_text("var a = 2;\n" * 100)
    second = assets.load_manifest(source, out)["js/a.js"]
    assert second != first and Path(out / second).read_text().startswith("var a = 2;")
