"""Routes of the main blueprint: the landing page and vendored JS served from packages."""

from pathlib import Path

import plotly
from flask import render_template, send_file

from webapp.main import bp

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@bp.route("/")
def index():
    """The landing page."""
    return render_template("main/index.html")


@bp.route("/vendor/plotly.min.js")
def plotly_js():
    """Plotly's JS from the pinned plotly package: no CDN at run time."""
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)


@bp.route("/media/<path:filename>")
def media(filename: str):
    """Uploaded avatars (re-encoded images only; paths cannot leave the media folder)."""
    from flask import send_from_directory

    from webapp.services.avatars import media_root

    return send_from_directory(media_root(), filename, max_age=3600)
