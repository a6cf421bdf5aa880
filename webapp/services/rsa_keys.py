"""The RSA-2048 key pair for encrypted password logins (OAEP, SHA-256)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import current_app


def key_path() -> Path:
    """Where the private key lives: RSA_PRIVATE_KEY_PATH, or the instance folder."""
    configured = current_app.config.get("RSA_PRIVATE_KEY_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / "rsa_private.pem"


def private_key():
    """Load the key: RSA_PRIVATE_KEY (PEM) if set, else the file, created once (mode 0600,
    atomically: every worker gets the same). Several nodes share one key through either."""
    cache = current_app.extensions.setdefault("doorman_rsa", {})
    pem = current_app.config.get("RSA_PRIVATE_KEY")
    if pem:
        if cache.get("pem") != pem:
            # An environment variable often carries the PEM's line breaks as "\n".
            text = pem.replace("\\n", "\n").strip().encode()
            cache.update(pem=pem, path=None, key=load_pem_private_key(text, password=None))
        return cache["key"]
    path = key_path()
    if cache.get("path") == path:
        return cache["key"]
    if not path.exists():
        _create(path)
    key = load_pem_private_key(path.read_bytes(), password=None)
    cache.update(path=path, pem=None, key=key)
    return key


def _create(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rsa-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.close(fd)
        with contextlib.suppress(FileExistsError):  # another worker won the race: keep theirs
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def public_pem() -> str:
    """The public key as SPKI PEM."""
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def decrypt_hex(ciphertext_hex: str) -> str:
    """Decrypt a hex-encoded RSA-OAEP(SHA-256) ciphertext; ValueError when it is not valid."""
    if not isinstance(ciphertext_hex, str) or len(ciphertext_hex) != 512:
        raise ValueError("bad length")
    try:
        data = bytes.fromhex(ciphertext_hex)
        plain = private_key().decrypt(
            data,
            padding.OAEP(
                mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
            ),
        )
        return plain.decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("cannot decrypt") from exc
