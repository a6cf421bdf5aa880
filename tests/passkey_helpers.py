"""A software WebAuthn authenticator for tests: EC P-256 keys, 'none' attestation."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

ORIGIN = "http://localhost:5000"  # in the default WEBAUTHN_ORIGINS
RP_ID = "localhost"


def b64(data: bytes) -> str:
    """base64url without padding, as WebAuthn's JSON uses."""
    return bytes_to_base64url(data)


@dataclass
class SoftKey:
    """One credential held by the software authenticator."""

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        """The public key as a COSE_Key (EC2, ES256)."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class SoftAuthenticator:
    """Creates and uses passkeys the way a browser and platform authenticator would."""

    origin: str = ORIGIN
    rp_id: str = RP_ID
    keys: list[SoftKey] = field(default_factory=list)

    def _auth_data(self, flags: int, count: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + count.to_bytes(4, "big") + attested

    def create(self, options: dict, *, count: int = 0) -> dict:
        """navigator.credentials.create(): a registration credential as JSON."""
        key = SoftKey(
            credential_id=os.urandom(16),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            user_handle=base64url_to_bytes(options["user"]["id"]),
            sign_count=count,
        )
        self.keys.append(key)
        attested = (
            bytes(16)  # AAGUID: none
            + len(key.credential_id).to_bytes(2, "big")
            + key.credential_id
            + key.cose_public_key()
        )
        auth_data = self._auth_data(0x01 | 0x04 | 0x40, count, attested)  # UP, UV, AT
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64(key.credential_id),
            "rawId": b64(key.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(self, options: dict, *, key: SoftKey | None = None, count: int | None = None) -> dict:
        """navigator.credentials.get(): an assertion by a key (the newest by default); the
        counter goes up by one unless a count is given."""
        key = key or self.keys[-1]
        key.sign_count = key.sign_count + 1 if count is None else count
        auth_data = self._auth_data(0x01 | 0x04, key.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = key.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64(key.credential_id),
            "rawId": b64(key.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": b64(key.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()


@pytest.fixture
def authenticator():
    """A fresh software authenticator for http://localhost."""
    return SoftAuthenticator()


def tampered(credential: dict) -> dict:
    """The same assertion with one bit of its signature flipped."""
    signature = bytearray(base64url_to_bytes(credential["response"]["signature"]))
    signature[-1] ^= 1
    changed = json.loads(json.dumps(credential))
    changed["response"]["signature"] = b64(bytes(signature))
    return changed
