"""Static files: hashed, pre-compressed copies built once and served by WhiteNoise.

The build copies every source file to ``<name>.<hash>.<ext>`` with ``.gz`` and ``.br``
siblings and writes a manifest; ``url_for('static', ...)`` then points at the hashed name,
which WhiteNoise serves with a far-future, immutable cache header. Unknown names still fall
through to Flask's own static route.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import click
import flask_bootstrap
import swagger_ui_bundle
from flask import Flask, current_app
from flask.cli import with_appcontext
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"
HASH_LENGTH = 12
# Hashed names end in ".<12 hex digits>.<ext>"; only those may be cached for a year.
IMMUTABLE = r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$"

_BOOTSTRAP = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5"
_SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)
# Files of installed packages served as if they were ours (URL name -> file).
PACKAGE_FILES = {
    "vendor/bootstrap/bootstrap.min.css": _BOOTSTRAP / "css" / "bootstrap.min.css",
    "vendor/bootstrap/bootstrap.min.js": _BOOTSTRAP / "js" / "bootstrap.min.js",
    "vendor/bootstrap/popper.min.js": _BOOTSTRAP / "umd" / "popper.min.js",
    "vendor/swagger-ui/swagger-ui-bundle.js": _SWAGGER / "swagger-ui-bundle.js",
    "vendor/swagger-ui/swagger-ui.css": _SWAGGER / "swagger-ui.css",
}


def source_files(static_folder: Path) -> dict[str, Path]:
    """Every file to publish, by its URL name below /static/."""
    files = {
        path.relative_to(static_folder).as_posix(): path
        for path in sorted(static_folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }
    files.update(PACKAGE_FILES)
    return files


def hashed_name(name: str, data: bytes) -> str:
    """``css/app.css`` -> ``css/app.<12 hex digits of the content's md5>.css``."""
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()[:HASH_LENGTH]
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{name}.{digest}"


def build(static_folder: Path, out: Path) -> dict[str, str]:
    """Write hashed and compressed copies into ``out``; return the manifest (name -> hashed).

    Content-addressed, so a rebuild only compresses files that changed, and concurrent
    builders (several workers starting at once) write the same bytes under the same names.
    """
    out.mkdir(parents=True, exist_ok=True)
    compressor = Compressor(quiet=True)
    manifest = {}
    for name, path in source_files(static_folder).items():
        data = path.read_bytes()
        target = out / hashed_name(name, data)
        manifest[name] = target.relative_to(out).as_posix()
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out) as tmp:
            staged = Path(tmp) / target.name
            staged.write_bytes(data)
            compressed = (
                compressor.compress(str(staged)) if compressor.should_compress(name) else []
            )
            # Siblings first, the file itself last: its presence means "complete".
            for extra in compressed:
                os.replace(extra, target.parent / Path(extra).name)
            os.replace(staged, target)
    _write_atomic(out / MANIFEST, {"sources": _fingerprint(static_folder), "files": manifest})
    return manifest


def load_manifest(static_folder: Path, out: Path) -> dict[str, str]:
    """The manifest for the current sources, building first when it is missing or stale."""
    try:
        saved = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        saved = {}
    if saved.get("sources") == _fingerprint(static_folder) and all(
        (out / hashed).exists() for hashed in saved["files"].values()
    ):
        return saved["files"]
    return build(static_folder, out)


def init_assets(app: Flask) -> None:
    """Build (if needed) the hashed files, map url_for('static') to them, serve them."""
    static_folder = Path(app.static_folder)
    out = Path(app.config.get("STATIC_BUILD_DIR") or ROOT / "build" / "static")
    manifest = load_manifest(static_folder, out)
    app.extensions["doorman_assets"] = manifest

    @app.url_defaults
    def _hashed_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    whitenoise = WhiteNoise(
        app.wsgi_app,
        max_age=app.config.get("STATIC_MAX_AGE", 3600),
        immutable_file_test=IMMUTABLE,
        allow_all_origins=False,
        add_headers_function=_nosniff,
    )
    whitenoise.add_files(str(out), prefix=app.static_url_path.strip("/") + "/")
    app.wsgi_app = whitenoise
    app.cli.add_command(assets_group)


def _nosniff(headers, path: str, url: str) -> None:
    """Static answers skip Flask's after_request hooks: keep the MIME-sniffing guard."""
    headers["X-Content-Type-Options"] = "nosniff"


def _fingerprint(static_folder: Path) -> list:
    """Names, sizes and modification times of the sources: cheap to compare at start-up."""
    fingerprint = []
    for name, path in source_files(static_folder).items():
        stat = path.stat()
        fingerprint.append([name, stat.st_size, stat.st_mtime_ns])
    return fingerprint


def _write_atomic(path: Path, payload: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(payload, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


@click.group("assets")
def assets_group() -> None:
    """Static files."""


@assets_group.command("build")
@click.option("--clean", is_flag=True, help="Remove earlier builds first.")
@with_appcontext
def assets_build(clean: bool) -> None:
    """Hash and compress the static files (also done at start-up when they changed)."""
    out = Path(current_app.config.get("STATIC_BUILD_DIR") or ROOT / "build" / "static")
    if clean:
        shutil.rmtree(out, ignore_errors=True)
    manifest = build(Path(current_app.static_folder), out)
    click.echo(f"{len(manifest)} static files in {out}.")
