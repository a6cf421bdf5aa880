"""Passkeys (WebAuthn): registration, assertion, the signature counter, and their management.

The ceremonies are py_webauthn's. Each challenge is a single-use OneTimeToken named by an
opaque challenge id, so any worker can finish what another began. A passkey signs in on its
own (usernameless, discoverable credentials) or answers the second step of a password
sign-in; services/auth.py runs both through the pipeline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidCBORData,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from webapp.extensions import db
from webapp.models import OneTimeToken, Passkey, SecurityEvent, User, utcnow

# OneTimeToken purposes of this module.
REGISTER = "passkey_register"
LOGIN = "passkey_login"

CHALLENGE_MINUTES = 5
TIMEOUT_MS = 120_000
NAME_MAX = 64
CREDENTIAL_MAX = 16_384  # a credential's JSON; real ones are about 1-2 KB
# Anything malformed a client can send: the library's own errors, and what json/base64 raise.
_BAD_INPUT = (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
    InvalidJSONStructure,
    InvalidCBORData,
    ValueError,
    TypeError,
    KeyError,
)


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys belong to: the RP id (a domain, never an IP), its name and origins."""

    id: str
    name: str
    origins: list[str]


def relying_party() -> RelyingParty:
    """WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and WEBAUTHN_ORIGINS (comma-separated)."""
    cfg = current_app.config
    origins = [o.strip().rstrip("/") for o in cfg["WEBAUTHN_ORIGINS"].split(",") if o.strip()]
    return RelyingParty(cfg["WEBAUTHN_RP_ID"], cfg["WEBAUTHN_RP_NAME"], origins)


# ---------------------------------------------------------------- listing and managing


def of_user(user_id: int) -> list[Passkey]:
    """A user's passkeys, oldest first."""
    return list(
        db.session.execute(
            select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.created_at)
        ).scalars()
    )


def has_passkey(user: User) -> bool:
    """Whether the account has at least one passkey."""
    found = db.session.scalar(select(Passkey.id).where(Passkey.user_id == user.id).limit(1))
    return found is not None


def count(user: User) -> int:
    """How many passkeys the account has."""
    return len(of_user(user.id))


def owned(user: User, passkey_id: int) -> Passkey | None:
    """One of the user's passkeys, or None (someone else's is None too)."""
    row = db.session.get(Passkey, passkey_id)
    return row if row is not None and row.user_id == user.id else None


def clean_name(name: str | None) -> str:
    """A passkey's name: trimmed, one line, at most 64 characters."""
    return " ".join((name or "").split())[:NAME_MAX]


def rename(user: User, passkey_id: int, name: str) -> bool:
    """Rename one of the user's passkeys; False when it is not theirs or the name is empty."""
    row = owned(user, passkey_id)
    name = clean_name(name)
    if row is None or not name:
        return False
    row.name = name
    return True


def remove(user: User, passkey_id: int) -> bool:
    """Remove one of the user's passkeys (the caller made sure of a recent factor check)."""
    result = db.session.execute(
        delete(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)
    )
    return result.rowcount == 1


def as_dict(row: Passkey) -> dict:
    """The API's shape of a passkey."""
    return {
        "id": row.id,
        "name": row.name,
        "created_at": _iso(row.created_at),
        "last_used_at": _iso(row.last_used_at),
    }


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


# ---------------------------------------------------------------- challenges


def _user_handle(user_id: int) -> bytes:
    """The opaque WebAuthn user handle of an account (no personal data, stable)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"passkey-user:{user_id}".encode(), hashlib.sha256).digest()


def _store_challenge(purpose: str, user_id: int | None, challenge: bytes) -> str:
    """Keep a challenge for CHALLENGE_MINUTES under a new opaque id; returns the id."""
    challenge_id = secrets.token_urlsafe(24)
    now = utcnow()
    db.session.add(
        OneTimeToken(
            purpose=purpose,
            user_id=user_id,
            secret_hash=hashlib.sha256(challenge_id.encode()).hexdigest(),
            payload=bytes_to_base64url(challenge),
            created_at=now,
            expires_at=now + timedelta(minutes=CHALLENGE_MINUTES),
        )
    )
    return challenge_id


def _take_challenge(purpose: str, challenge_id: str) -> OneTimeToken | None:
    """Use a live challenge up (once, even in a race); None when unknown, used or expired."""
    if not challenge_id or len(challenge_id) > 128:
        return None
    token = db.session.execute(
        select(OneTimeToken).where(
            OneTimeToken.secret_hash == hashlib.sha256(challenge_id.encode()).hexdigest(),
            OneTimeToken.purpose == purpose,
        )
    ).scalar_one_or_none()
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    used = db.session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == token.id, OneTimeToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return token if used.rowcount == 1 else None


# ---------------------------------------------------------------- registration


def registration_options(user: User) -> tuple[str, dict]:
    """Begin adding a passkey: (challenge_id, PublicKeyCredentialCreationOptions as JSON).
    The finish finds the challenge by its value, so the id is only for the web's form."""
    rp = relying_party()
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=_user_handle(user.id),
        user_name=user.email,
        user_display_name=user.display_name,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,  # usernameless sign-in needs it
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in of_user(user.id)
        ],
    )
    challenge_id = _store_challenge(REGISTER, user.id, options.challenge)
    return challenge_id, json.loads(options_to_json(options))


def register(user: User, credential: dict | str, name: str) -> tuple[Passkey | None, str]:
    """Finish adding a passkey: (the new row, "") or (None, why it was refused).

    The challenge the browser signed names the registration it answers (API.md's finish has
    no challenge id): it must be a live one this app gave this user.
    """
    name = clean_name(name) or "Passkey"
    try:
        raw = _limited(credential)
        token = _take_registration(user, _signed_challenge(raw))
    except _BAD_INPUT:
        return None, "The passkey could not be verified."
    if token is None:
        return None, "This request expired. Try again."
    rp = relying_party()
    try:
        verified = verify_registration_response(
            credential=raw,
            expected_challenge=base64url_to_bytes(token.payload),
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
        )
    except _BAD_INPUT:
        return None, "The passkey could not be verified."
    credential_id = bytes_to_base64url(verified.credential_id)
    if len(credential_id) > 191:
        return None, "This passkey's id is too long to store."
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        return None, "This passkey is already registered."
    row = Passkey(
        user_id=user.id,
        name=name,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=_transports(raw),
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row, ""


def _signed_challenge(raw: str) -> str:
    """The challenge inside a credential's clientDataJSON (base64url, as stored)."""
    client_data = json.loads(base64url_to_bytes(json.loads(raw)["response"]["clientDataJSON"]))
    challenge = client_data["challenge"]
    if not isinstance(challenge, str) or len(challenge) > 254:
        raise ValueError("challenge")
    return challenge


def _take_registration(user: User, challenge: str) -> OneTimeToken | None:
    """Use up the user's live registration challenge with this value, once."""
    token = db.session.execute(
        select(OneTimeToken).where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == REGISTER,
            OneTimeToken.payload == challenge,
            OneTimeToken.used_at.is_(None),
        )
    ).scalar_one_or_none()
    if token is None or token.expires_at <= utcnow():
        return None
    used = db.session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == token.id, OneTimeToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return token if used.rowcount == 1 else None


def _transports(raw: str) -> str:
    try:
        data = json.loads(raw)
        found = data.get("response", {}).get("transports") or []
        return ",".join(str(t)[:16] for t in found if isinstance(t, str))[:128]
    except (ValueError, AttributeError):
        return ""


def _limited(credential: dict | str) -> dict | str:
    """The credential as the library takes it; absurdly large or odd ones are refused."""
    if isinstance(credential, dict):
        credential = json.dumps(credential)
    if not isinstance(credential, str) or len(credential) > CREDENTIAL_MAX:
        raise ValueError("credential")
    return credential


# ---------------------------------------------------------------- assertion


def authentication_options(user: User | None = None) -> tuple[str, dict]:
    """Begin a passkey sign-in: (challenge_id, PublicKeyCredentialRequestOptions as JSON).

    Without a user the browser offers its discoverable credentials (usernameless); with one,
    the account's passkeys are listed (the second step of a password sign-in).
    """
    rp = relying_party()
    rows = of_user(user.id) if user is not None else []
    allowed = [PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in rows]
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    challenge_id = _store_challenge(LOGIN, user.id if user else None, options.challenge)
    return challenge_id, json.loads(options_to_json(options))


@dataclass
class Assertion:
    """Outcome of a passkey assertion: ok | bad_signature | unknown_credential |
    counter_regressed | expired_challenge | invalid_input, with the passkey's owner."""

    status: str
    user: User | None = None
    passkey: Passkey | None = None


def verify_assertion(
    challenge_id: str, credential: dict | str, *, ip: str = "", expected_user_id: int | None = None
) -> Assertion:
    """Check a passkey's signature on a challenge this app issued, then its counter.

    A signature from a credential whose counter did not move forward (while either count is
    above zero) means a copied authenticator: refused, and recorded as a security event.
    `expected_user_id` binds a second step to the account of its first.
    """
    try:
        raw = _limited(credential)
        data = json.loads(raw)
        credential_id = data["id"] if isinstance(data, dict) else None
        if not isinstance(credential_id, str) or not credential_id:
            return Assertion("invalid_input")
    except _BAD_INPUT:
        return Assertion("invalid_input")
    token = _take_challenge(LOGIN, challenge_id)
    if token is None:
        return Assertion("expired_challenge")
    row = db.session.execute(
        select(Passkey).where(Passkey.credential_id == credential_id[:191])
    ).scalar_one_or_none()
    if row is None:
        return Assertion("unknown_credential")
    user = db.session.get(User, row.user_id)
    bound_to = expected_user_id if expected_user_id is not None else token.user_id
    if bound_to is not None and bound_to != row.user_id:
        return Assertion("unknown_credential", user)
    rp = relying_party()
    try:
        verified = verify_authentication_response(
            credential=raw,
            expected_challenge=base64url_to_bytes(token.payload),
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
            credential_public_key=row.public_key,
            credential_current_sign_count=0,  # the counter is judged below, with its own reason
        )
    except _BAD_INPUT:
        return Assertion("bad_signature", user, row)
    new_count = verified.new_sign_count
    if (new_count or row.sign_count) and new_count <= row.sign_count:
        _record_clone(user, row, new_count, ip)
        return Assertion("counter_regressed", user, row)
    row.sign_count = new_count
    row.last_used_at = utcnow()
    return Assertion("ok", user, row)


def _record_clone(user: User, row: Passkey, new_count: int, ip: str) -> None:
    db.session.add(
        SecurityEvent(
            kind="passkey_clone",
            user_id=user.id,
            email=user.email,
            ip=ip[:45],
            details=(
                f'Passkey "{row.name}" signed with counter {new_count}, not above the '
                f"{row.sign_count} already seen: it may have been copied. The sign-in was refused."
            ),
        )
    )
