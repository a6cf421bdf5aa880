"""Error pages: HTML for people, JSON under /api/ and for clients that ask for it."""

import pytest

from webapp import create_app


@pytest.fixture
def app(app_factory):
    app = app_factory(MAX_CONTENT_LENGTH=1024)

    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    @app.route("/api/boom/")
    def api_boom():
        raise RuntimeError("kaboom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize(
    "method, path, code, text",
    [
        ("get", "/nowhere", 404, "Page not found"),
        ("put", "/auth/login", 405, "Method not allowed"),
        ("get", "/boom", 500, "Something went wrong"),
    ],
)
def test_html_errors(client, method, path, code, text):
    r = getattr(client, method)(path)
    assert r.status_code == code and r.mimetype == "text/html"
    assert text in r.get_data(as_text=True)
    assert "kaboom" not in r.get_data(as_text=True)


def test_413_for_huge_bodies(client):
    r = client.post("/auth/login", data={"email": "a@example.com", "password": "x" * 5000})
    assert r.status_code == 413
    assert "Request too large" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "path, code", [("/api/nowhere/", 404), ("/api/boom/", 500), ("/api/health/", 200)]
)
def test_api_errors_are_json(client, path, code):
    r = client.get(path)
    assert r.status_code == code and r.is_json
    if code != 200:
        assert set(r.json) >= {"error", "detail"}


def test_api_method_not_allowed_is_json(client):
    r = client.delete("/api/health/")
    assert r.status_code == 405 and r.is_json


def test_json_when_the_client_asks_for_it(client):
    r = client.get("/nowhere", headers={"Accept": "application/json"})
    assert (
        r.status_code == 404
        and r.is_json
        and r.json["error"] == "There is nothing at this address."
    )


def test_403_json_body_follows_the_contract(app, client):
    from flask import abort

    @app.route("/api/forbidden/")
    def forbidden():
        abort(403)

    r = client.get("/api/forbidden/")
    assert r.status_code == 403
    assert r.json == {"detail": "You do not have permission to perform this action."}


def test_400_html(client):
    r = client.post("/auth/login", data={})
    assert r.status_code == 400 and "Bad request" in r.get_data(as_text=True)


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", INSTANCE_PATH=str(tmp_path))


def test_production_sends_hsts_and_secure_cookies(monkeypatch, tmp_path):
    app = create_app(
        "production",
        INSTANCE_PATH=str(tmp_path),
        SECRET_KEY="x" * 40,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}",
    )
    r = app.test_client().get("/")
    assert "max-age=31536000" in r.headers["Strict-Transport-Security"]
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_embedded_defaults(tmp_path, monkeypatch):
    app = create_app("development", INSTANCE_PATH=str(tmp_path / "inst"))
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert str(tmp_path / "inst") in app.config["SQLALCHEMY_DATABASE_URI"]
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    key_file = tmp_path / "inst" / "secret_key"
    assert key_file.read_text().strip() == app.config["SECRET_KEY"]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = create_app("development", INSTANCE_PATH=str(tmp_path / "inst"))
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_mysql_urls_get_utf8mb4_and_pre_ping(tmp_path):
    app = create_app(
        "development",
        INSTANCE_PATH=str(tmp_path),
        SQLALCHEMY_DATABASE_URI="mysql+pymysql://u@db/doorman",
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("?charset=utf8mb4")
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_settings_come_from_the_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("LOCKOUT_THRESHOLD", "7")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("LOCKOUT_DURATIONS_MINUTES", "5,10")
    fresh = importlib.reload(config)
    try:
        assert fresh.Config.LOCKOUT_THRESHOLD == 7
        assert fresh.Config.RATELIMIT_ENABLED is False
        assert fresh.Config.LOCKOUT_DURATIONS_MINUTES == [5, 10]
    finally:
        monkeypatch.undo()
        importlib.reload(config)
