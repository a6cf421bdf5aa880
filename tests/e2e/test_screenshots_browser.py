"""The screenshot tour (tools/screenshots.py) in the system Chromium: a short tour writes every
page at both widths and modes with an index, and a page that refuses its visitor fails the run."""

import pytest
from PIL import Image, ImageStat

from tools import screenshots
from tools.screenshots import TOUR, Stop, take_tour

pytestmark = pytest.mark.e2e

SHORT = [stop for stop in TOUR if stop.name in ("login", "dashboard")]


def brightness(path) -> float:
    with Image.open(path) as image:
        return ImageStat.Stat(image.convert("L")).mean[0]


def test_short_tour_shoots_each_page_at_both_widths_and_modes(tmp_path, browser):
    tour = take_tour(tmp_path, SHORT, attempts=300, browser=browser)

    assert tour.problems == []
    expected = {
        f"{page}-{width}-{mode}.png"
        for page in ("login", "dashboard")
        for width in (1280, 390)
        for mode in ("light", "dark")
    }
    assert {path.name for path in tour.files} == expected
    for path in tour.files:
        with Image.open(path) as image:
            assert image.format == "PNG" and image.mode == "P"  # palette: small files
            assert image.width == int(path.stem.split("-")[1])
    # Signed in, the dashboard drew its charts: far taller than one screen.
    with Image.open(tmp_path / "dashboard-390-light.png") as image:
        assert image.height > 3000
    assert (
        brightness(tmp_path / "login-390-dark.png")
        < 80
        < brightness(tmp_path / "login-390-light.png")
    )
    index = (tmp_path / "README.md").read_text()
    assert all(f"]({name})" in index for name in expected)
    assert "| dashboard |" in index and "390 px dark" in index


def test_a_refused_page_fails_the_tour(tmp_path, monkeypatch, capsys, browser):
    refused = Stop("refused", "dashboard.admin_overview_page", "user")  # admins only
    monkeypatch.setattr(screenshots, "TOUR", (refused,))
    monkeypatch.setattr(screenshots, "WIDTHS", (390,))
    monkeypatch.setattr(screenshots, "MODES", ("dark",))

    assert screenshots.main(["--out", str(tmp_path)], browser=browser) == 1

    out, err = capsys.readouterr()
    assert str(tmp_path / "refused-390-dark.png") in out
    assert "FAILED: refused at 390 px, dark: HTTP 403" in err
