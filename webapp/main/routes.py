"""Routes of the main blueprint: the landing page and uploaded media."""

from flask import render_template

from webapp.main import bp


@bp.route("/")
def index():
    """The landing page."""
    return render_template("main/index.html")


@bp.route("/media/<path:filename>")
def media(filename: str):
    """Uploaded avatars (re-encoded images only; paths cannot leave the media folder)."""
    from flask import send_from_directory

    from webapp.services.avatars import media_root

    return send_from_directory(media_root(), filename, max_age=3600)
