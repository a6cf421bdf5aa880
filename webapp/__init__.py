"""Doorman: sign people in safely and track every login attempt."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, Config, load_or_create_secret

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | type[Config] | None = None, **overrides) -> Flask:
    """Build the app: config -> extensions -> blueprints -> admin -> errors -> cli -> hooks."""
    if config is None or isinstance(config, str):
        config = CONFIGS[config or os.environ.get("DOORMAN_ENV", "development")]
    instance = Path(overrides.get("INSTANCE_PATH") or config.INSTANCE_PATH)
    app = Flask(
        __name__,
        instance_path=str(instance.resolve()),
        instance_relative_config=False,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(config)
    app.config.update(overrides)
    _finish_config(app)

    from webapp.extensions import babel, bootstrap, csrf, db, jwt, limiter, login_manager, migrate
    from webapp.services.clock import init_clock
    from webapp.services.i18n import select_locale, select_timezone
    from webapp.services.mail import init_mail

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    init_mail(app)
    limiter.init_app(app)
    jwt.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_clock(app)

    from webapp.account import bp as account_bp
    from webapp.api import bp as api_bp
    from webapp.auth import bp as auth_bp
    from webapp.dashboard import bp as dashboard_bp
    from webapp.main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(api_bp, url_prefix="/api")

    from webapp.admin import init_admin
    from webapp.assets import init_assets
    from webapp.cli import register_cli
    from webapp.errors import register_error_handlers
    from webapp.hooks import register_hooks

    init_admin(app)
    register_error_handlers(app)
    register_cli(app)
    register_hooks(app)
    _init_cors(app)
    init_assets(app)

    from webapp.services.mail_sender import init_mail_sender

    init_mail_sender(app)

    from webapp.api.jwt_setup import AuthSchemeMiddleware

    app.wsgi_app = AuthSchemeMiddleware(app.wsgi_app)
    return app


def _init_cors(app: Flask) -> None:
    """CORS for the API, for an explicit list of origins only (embedded widgets)."""
    origins = app.config.get("CORS_ORIGINS") or []
    if origins:
        from flask_cors import CORS

        CORS(
            app,
            resources={r"/api/*": {"origins": origins}},
            supports_credentials=True,
            allow_headers=["Content-Type", "Authorization", "X-CSRF-TOKEN"],
        )


def _finish_config(app: Flask) -> None:
    """Fill in the embedded defaults and refuse unsafe production settings."""
    cfg = app.config
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not cfg.get("SECRET_KEY") and cfg.get("SECRET_KEY_FILE"):
        cfg["SECRET_KEY"] = Path(cfg["SECRET_KEY_FILE"]).read_text().strip()
    if not cfg.get("SECRET_KEY"):
        if cfg["ENV_NAME"] == "production":
            raise RuntimeError("SECRET_KEY or SECRET_KEY_FILE must be set in production.")
        cfg["SECRET_KEY"] = load_or_create_secret(Path(app.instance_path) / "secret_key")
    uri = cfg.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = f"sqlite:///{Path(app.instance_path) / 'doorman.db'}"
    if uri.startswith("mysql") and "charset=" not in uri:
        uri += ("&" if "?" in uri else "?") + "charset=utf8mb4"
    cfg["SQLALCHEMY_DATABASE_URI"] = uri
    options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if not uri.startswith("sqlite"):  # a file cannot drop the connection; a server can
        options.setdefault("pool_pre_ping", True)
    if uri.startswith("mysql"):
        options.setdefault("pool_recycle", 280)
        # No gap locks on searches: a locking read of a missing lockout record then blocks
        # nobody, and concurrent sign-ins on one email queue on its row instead of
        # deadlocking on gaps (Django's choice on MySQL too).
        options.setdefault("isolation_level", "READ COMMITTED")
        connect_args = {
            "connect_timeout": cfg["DATABASE_CONNECT_TIMEOUT"],
            "read_timeout": cfg["DATABASE_READ_TIMEOUT"],
            "write_timeout": cfg["DATABASE_WRITE_TIMEOUT"],
        }
        options["connect_args"] = connect_args | dict(options.get("connect_args") or {})
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if str(cfg.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis", "rediss")):
        timeout = cfg["RATELIMIT_REDIS_TIMEOUT"]
        redis_options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        cfg["RATELIMIT_STORAGE_OPTIONS"] = redis_options | dict(
            cfg.get("RATELIMIT_STORAGE_OPTIONS") or {}
        )
    if cfg["TRUSTED_PROXY_COUNT"] > 0:
        n = cfg["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
