"""Routes of the api blueprint."""

from flask import jsonify
from sqlalchemy import text

from webapp.api import bp
from webapp.extensions import csrf, db


@bp.route("/health/")
@csrf.exempt
def health():
    """Liveness and database reachability, for load balancers."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
