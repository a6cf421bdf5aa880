"""Avatar images: validated by decoding, re-encoded without metadata, at most 512 px."""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

from webapp.models import User

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 512
MAX_PIXELS = 40_000_000  # decompression-bomb guard: far above any real avatar
FORMAT_ERROR = "Invalid image format. Only JPG, JPEG, and PNG are allowed."
SIZE_ERROR = f"Image size cannot exceed {MAX_BYTES} bytes."
ALLOWED = {"JPEG": "jpg", "PNG": "png"}
EXTENSIONS = {".jpg", ".jpeg", ".png"}


class AvatarError(ValueError):
    """An upload that is not an acceptable image."""


def media_root() -> Path:
    """Where uploaded files live (served at /media/)."""
    return Path(current_app.config.get("MEDIA_ROOT") or Path(current_app.instance_path) / "media")


def process(data: bytes, filename: str) -> tuple[bytes, str]:
    """Validate an upload and return (re-encoded bytes, extension); AvatarError otherwise."""
    if len(data) > MAX_BYTES:
        raise AvatarError(SIZE_ERROR)
    if Path(filename or "").suffix.lower() not in EXTENSIONS or not data:
        raise AvatarError(FORMAT_ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED:
                raise AvatarError(FORMAT_ERROR)
            if image.width * image.height > MAX_PIXELS:
                raise AvatarError("Image dimensions are too large.")
            image.load()  # decodes everything: truncated files fail here
    except AvatarError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AvatarError("Image dimensions are too large.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise AvatarError(FORMAT_ERROR) from None
    fmt = image.format
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if fmt == "JPEG":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, format=fmt)  # a fresh file: no EXIF or other metadata is carried over
    return out.getvalue(), ALLOWED[fmt]


def store(user: User, data: bytes, filename: str) -> str | None:
    """Validate and save under media/avatars/; returns the old file for removal after commit."""
    encoded, ext = process(data, filename)
    folder = media_root() / "avatars"
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"avatars/{user.id}-{secrets.token_hex(8)}.{ext}"
    (media_root() / relative).write_bytes(encoded)
    old, user.avatar_path = user.avatar_path, relative
    return old


def clear(user: User) -> str | None:
    """Drop a user's avatar reference; returns the file for removal after commit."""
    old, user.avatar_path = user.avatar_path, None
    return old


def remove_file(relative: str | None) -> None:
    """Delete a media file if it exists (never outside the media folder)."""
    if not relative:
        return
    root = media_root().resolve()
    path = (root / relative).resolve()
    if root in path.parents and path.is_file():
        path.unlink()


def avatar_url(user: User) -> str | None:
    """The relative /media/ URL of a user's avatar, or None."""
    return f"/media/{user.avatar_path}" if user.avatar_path else None
