"""Acquisition endpoint of the API: sign-ups per registration source (staff and admins)."""

from __future__ import annotations

from flask import jsonify

from webapp.api import bp
from webapp.api.common import api_auth
from webapp.api.dashboard import _window
from webapp.api.docs import doc
from webapp.services import acquisition


@bp.route("/user/admin/charts/acquisition/")
@api_auth("staff")
@doc(
    "Sign-ups per source",
    auth=True,
    params=("dates",),
    responses={200: "Acquisition", 400: "Error", 403: "Forbidden"},
)
def admin_acquisition():
    """Sign-ups per source over the window, and each source's verified and 7-day shares."""
    return jsonify(acquisition.chart_data(acquisition.acquisition(_window())))
