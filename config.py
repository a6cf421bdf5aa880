"""Configuration classes; every value can be set from the environment."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str | None = None) -> str | None:
    """Read a string setting from the environment."""
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_int(name: str, default: int) -> int:
    """Read an integer setting from the environment."""
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean setting (1/0, true/false, yes/no, on/off) from the environment."""
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_path() -> Path:
    """Folder for local state: SQLite database, generated keys, saved mail."""
    return Path(env_str("INSTANCE_PATH", str(BASE_DIR / "instance")))


def load_or_create_secret(path: Path) -> str:
    """Return the secret key stored at path, generating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class Config:
    """Base settings shared by every environment."""

    ENV_NAME = "base"
    INSTANCE_PATH = str(instance_path())
    SECRET_KEY = env_str("SECRET_KEY")
    # A file holding the secret key, so several app nodes share one (read when SECRET_KEY is unset).
    SECRET_KEY_FILE = env_str("SECRET_KEY_FILE")
    SQLALCHEMY_DATABASE_URI = env_str("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Server databases: a dead one must fail a request in seconds, not hang it (PyMySQL).
    # PyMySQL waits for the server's greeting with the read timeout: a server that accepts
    # and never answers costs that long. 30 s is gunicorn's own worker timeout.
    DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)
    DATABASE_READ_TIMEOUT = env_int("DATABASE_READ_TIMEOUT", 30)
    DATABASE_WRITE_TIMEOUT = env_int("DATABASE_WRITE_TIMEOUT", 30)
    # Retry-After of the 503 answered while the database cannot be reached.
    DATABASE_RETRY_AFTER = env_int("DATABASE_RETRY_AFTER", 5)
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)
    APP_TIMEZONE = env_str("APP_TIMEZONE", "UTC")
    # The activity list counts its rows up to this many, then says "more than 1,000" (bounded).
    ACTIVITY_COUNT_CAP = env_int("ACTIVITY_COUNT_CAP", 1_000)
    # Languages the pages and mails are translated into; the first is the fallback.
    LANGUAGES = ("en", "de", "es")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
    PREFERRED_URL_SCHEME = env_str("PREFERRED_URL_SCHEME", "http")
    # Hashed, compressed static files (built at start-up when the sources change).
    STATIC_BUILD_DIR = env_str("STATIC_BUILD_DIR", str(BASE_DIR / "build" / "static"))
    STATIC_MAX_AGE = env_int("STATIC_MAX_AGE", 3600)

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(days=env_int("REMEMBER_DAYS", 30))
    SESSION_LIFETIME_HOURS = env_int("SESSION_LIFETIME_HOURS", 12)
    SESSION_TOUCH_SECONDS = env_int("SESSION_TOUCH_SECONDS", 60)
    HSTS_ENABLED = env_bool("HSTS_ENABLED", False)

    # Password hashing (argon2id, OWASP defaults)
    ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_COST = env_int("ARGON2_MEMORY_COST", 19456)
    ARGON2_PARALLELISM = env_int("ARGON2_PARALLELISM", 1)

    # Password policy
    PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8)
    PASSWORD_MAX_LENGTH = env_int("PASSWORD_MAX_LENGTH", 128)
    PASSWORD_ZXCVBN_MIN_SCORE = env_int("PASSWORD_ZXCVBN_MIN_SCORE", 0)
    BREACHED_PASSWORDS_FILE = env_str("BREACHED_PASSWORDS_FILE")

    # Tokens and codes
    VERIFY_LINK_HOURS = env_int("VERIFY_LINK_HOURS", 24)
    VERIFY_CODE_MINUTES = env_int("VERIFY_CODE_MINUTES", 30)
    CODE_MAX_ATTEMPTS = env_int("CODE_MAX_ATTEMPTS", 5)
    CODE_LOCK_MINUTES = env_int("CODE_LOCK_MINUTES", 10)
    RESET_LINK_MINUTES = env_int("RESET_LINK_MINUTES", 60)
    UNLOCK_LINK_HOURS = env_int("UNLOCK_LINK_HOURS", 24)
    # Reset and resend requests last at least this long, known email or not (no enumeration).
    ENUMERATION_FLOOR_MS = env_int("ENUMERATION_FLOOR_MS", 25)

    # Second factors and passwordless sign-in
    MFA_ISSUER = env_str("MFA_ISSUER", "Doorman")
    # A Fernet key for TOTP secrets at rest (default: derived from SECRET_KEY with HKDF).
    MFA_ENCRYPTION_KEY = env_str("MFA_ENCRYPTION_KEY")
    # Former keys, comma-separated, still tried for reading until `flask mfa-rotate-key`.
    MFA_OLD_ENCRYPTION_KEYS = env_str("MFA_OLD_ENCRYPTION_KEYS", "")
    MFA_TOKEN_MINUTES = env_int("MFA_TOKEN_MINUTES", 5)
    MFA_MAX_ATTEMPTS = env_int("MFA_MAX_ATTEMPTS", 5)
    MFA_TRUST_DAYS = env_int("MFA_TRUST_DAYS", 30)
    MFA_REQUIRED_ROLES = env_str("MFA_REQUIRED_ROLES", "")
    LOGIN_CODE_MINUTES = env_int("LOGIN_CODE_MINUTES", 10)
    SMS_BACKEND = env_str("SMS_BACKEND", "console")

    # Passkeys (WebAuthn). The relying-party id is a registrable domain or "localhost"
    # (browsers refuse an IP address); the origins are where the pages are served.
    WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "localhost")
    WEBAUTHN_RP_NAME = env_str("WEBAUTHN_RP_NAME", "Doorman")
    WEBAUTHN_ORIGINS = env_str("WEBAUTHN_ORIGINS", "http://localhost:5000,http://127.0.0.1:5000")
    # Sensitive changes need a password, passkey or TOTP check this recent on the session.
    REAUTH_MINUTES = env_int("REAUTH_MINUTES", 10)

    # Lockout
    LOCKOUT_ENABLED = env_bool("LOCKOUT_ENABLED", True)
    LOCKOUT_THRESHOLD = env_int("LOCKOUT_THRESHOLD", 5)
    LOCKOUT_WINDOW_MINUTES = env_int("LOCKOUT_WINDOW_MINUTES", 15)
    LOCKOUT_DURATIONS_MINUTES = [
        int(x) for x in env_str("LOCKOUT_DURATIONS_MINUTES", "15,60,1440").split(",")
    ]
    # Device cookies (OWASP): a client that signed in to an account before is judged by its own
    # failures, so a lockout caused by others does not keep the owner out.
    DEVICE_COOKIE_NAME = env_str("DEVICE_COOKIE_NAME", "doorman_device")
    DEVICE_COOKIE_DAYS = env_int("DEVICE_COOKIE_DAYS", 365)
    DEVICE_LOCKOUT_THRESHOLD = env_int("DEVICE_LOCKOUT_THRESHOLD", LOCKOUT_THRESHOLD)

    # Security signals (README, "Security signals"): findings become security events.
    SIGNAL_SPRAY_EMAILS = env_int("SIGNAL_SPRAY_EMAILS", 10)
    SIGNAL_SPRAY_WINDOW_MINUTES = env_int("SIGNAL_SPRAY_WINDOW_MINUTES", 10)
    SIGNAL_STUFFING_IPS = env_int("SIGNAL_STUFFING_IPS", 10)
    SIGNAL_STUFFING_WINDOW_MINUTES = env_int("SIGNAL_STUFFING_WINDOW_MINUTES", 10)
    SIGNAL_SURGE_FACTOR = env_int("SIGNAL_SURGE_FACTOR", 5)
    SIGNAL_SURGE_MIN_FAILURES = env_int("SIGNAL_SURGE_MIN_FAILURES", 50)
    SIGNAL_SURGE_BASELINE_DAYS = env_int("SIGNAL_SURGE_BASELINE_DAYS", 7)
    SIGNAL_USUAL_HOURS_DAYS = env_int("SIGNAL_USUAL_HOURS_DAYS", 30)
    SIGNAL_USUAL_HOURS_MIN_SIGN_INS = env_int("SIGNAL_USUAL_HOURS_MIN_SIGN_INS", 10)
    SIGNAL_TRAVEL_HOURS = env_int("SIGNAL_TRAVEL_HOURS", 4)
    NEW_SIGN_IN_ALERTS = env_bool("NEW_SIGN_IN_ALERTS", True)
    NEW_SIGN_IN_MEMORY_DAYS = env_int("NEW_SIGN_IN_MEMORY_DAYS", 90)
    ALERT_LINK_HOURS = env_int("ALERT_LINK_HOURS", 72)
    ADMIN_LOCK_HOURS = env_int("ADMIN_LOCK_HOURS", 24)

    # Rate limits (Flask-Limiter)
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: count limits in this process's memory, log it once, and go back to Redis when
    # it answers again. Short socket timeouts keep a dead Redis from costing seconds per request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = env_bool("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    RATELIMIT_REDIS_TIMEOUT = float(env_str("RATELIMIT_REDIS_TIMEOUT", "0.5") or 0.5)
    RATELIMIT_LOGIN = env_str("RATELIMIT_LOGIN", "10 per minute")
    RATELIMIT_REGISTER = env_str("RATELIMIT_REGISTER", "5 per minute")
    RATELIMIT_EMAIL = env_str("RATELIMIT_EMAIL", "3 per hour")

    # Mail: "console" prints and saves .eml files under instance/mail; "smtp" sends.
    MAIL_BACKEND = env_str("MAIL_BACKEND", "console")
    MAIL_SERVER = env_str("MAIL_SERVER", "localhost")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = env_str("MAIL_USERNAME")
    MAIL_PASSWORD = env_str("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER", "Doorman <no-reply@doorman.local>")
    MAIL_ECHO = env_bool("MAIL_ECHO", True)
    # Every mail goes through the outbox table; a sender delivers it (see services/outbox.py).
    MAIL_SENDER_THREAD = env_bool("MAIL_SENDER_THREAD", True)  # off: run `flask mail-worker`
    MAIL_SENDER_INTERVAL_SECONDS = env_int("MAIL_SENDER_INTERVAL_SECONDS", 5)
    MAIL_TIMEOUT_SECONDS = env_int("MAIL_TIMEOUT_SECONDS", 10)  # SMTP connect and each reply
    MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 14)  # about a day of retries, then dead
    MAIL_RETRY_BASE_SECONDS = env_int("MAIL_RETRY_BASE_SECONDS", 60)

    # JWT (Flask-JWT-Extended)
    JWT_TOKEN_LOCATION = ["headers", "cookies"]
    JWT_HEADER_TYPE = "Bearer"
    JWT_COOKIE_CSRF_PROTECT = True
    JWT_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    JWT_COOKIE_SAMESITE = "Lax"
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=env_int("JWT_REFRESH_DAYS", 7))
    # Parallel refreshes of one single-page app send the same token: the previous token still
    # refreshes its session this long after it was rotated.
    REFRESH_REUSE_GRACE_SECONDS = env_int("REFRESH_REUSE_GRACE_SECONDS", 30)
    JWT_REFRESH_COOKIE_PATH = "/api/user/"
    JWT_ALGORITHM = "HS256"
    RSA_PRIVATE_KEY_PATH = env_str("RSA_PRIVATE_KEY_PATH")
    # An external front end (the React client) that serves the verify and reset pages.
    FRONTEND_BASE_URL = env_str("FRONTEND_BASE_URL")
    RSA_PRIVATE_KEY = env_str("RSA_PRIVATE_KEY")  # PEM text; wins over RSA_PRIVATE_KEY_PATH
    CORS_ORIGINS = [o.strip() for o in (env_str("CORS_ORIGINS", "") or "").split(",") if o.strip()]
    ATTEMPT_RETENTION_DAYS = env_int("ATTEMPT_RETENTION_DAYS", 365)
    MEDIA_ROOT = env_str("MEDIA_ROOT")  # uploaded avatars; default instance/media

    # Sign-up protection: CAPTCHA (off unless keys are set), disposable addresses, enumeration
    ALTCHA_HMAC_KEY = env_str("ALTCHA_HMAC_KEY")  # set: self-hosted ALTCHA proof of work
    ALTCHA_COST = env_int("ALTCHA_COST", 5000)  # PBKDF2 iterations per guess
    ALTCHA_EXPIRE_MINUTES = env_int("ALTCHA_EXPIRE_MINUTES", 20)
    RECAPTCHA_PUBLIC_KEY = env_str("RECAPTCHA_PUBLIC_KEY")  # both set (and no ALTCHA): reCAPTCHA
    RECAPTCHA_PRIVATE_KEY = env_str("RECAPTCHA_PRIVATE_KEY")
    REGISTRATION_BLOCK_DISPOSABLE = env_bool("REGISTRATION_BLOCK_DISPOSABLE", False)
    DISPOSABLE_DOMAINS_FILE = env_str("DISPOSABLE_DOMAINS_FILE")
    REGISTRATION_HIDE_EXISTING = env_bool("REGISTRATION_HIDE_EXISTING", False)

    # Flask-WTF
    WTF_CSRF_TIME_LIMIT = None
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None


class DevelopmentConfig(Config):
    """Local development: SQLite and generated secrets in the instance folder."""

    ENV_NAME = "development"
    DEBUG = env_bool("FLASK_DEBUG", False)


class TestingConfig(Config):
    """Tests: tiny hash parameters, quiet mail; databases come from the fixtures."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production-0123456789"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    MAIL_ECHO = False
    MAIL_SENDER_THREAD = False  # the tests' outbox fixture delivers after each request
    WTF_CSRF_ENABLED = True


class ProductionConfig(Config):
    """Production: secure cookies and HSTS; SECRET_KEY is required."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    JWT_COOKIE_SECURE = SESSION_COOKIE_SECURE
    HSTS_ENABLED = env_bool("HSTS_ENABLED", True)
    MAIL_ECHO = env_bool("MAIL_ECHO", False)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
