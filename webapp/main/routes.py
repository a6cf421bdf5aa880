"""Routes of the main blueprint: the landing page, the language menu and uploaded media."""

from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.extensions import db
from webapp.main import bp
from webapp.services import i18n
from webapp.web import safe_next_url


@bp.route("/")
def index():
    """The landing page."""
    return render_template("main/index.html")


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the language from the menu: a cookie for everyone, the profile when signed in."""
    code = request.form.get("language", "")
    if not i18n.supported(code):
        abort(400)
    if current_user.is_authenticated:
        current_user.language = code
        db.session.commit()
    return i18n.remember(redirect(_back()), code)


def _back() -> str:
    """The page the menu was used on: the same-site referrer with its query (a date range,
    say), else the form's path, else the landing page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host:
        back = safe_next_url(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
        if back:
            return back
    return safe_next_url(request.form.get("next")) or url_for("main.index")


@bp.route("/media/<path:filename>")
def media(filename: str):
    """Uploaded avatars (re-encoded images only; paths cannot leave the media folder)."""
    from flask import send_from_directory

    from webapp.services.avatars import media_root

    return send_from_directory(media_root(), filename, max_age=3600)
