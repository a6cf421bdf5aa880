"""Second factors: TOTP, recovery codes, emailed codes, passkeys, trusted browsers, passwordless
codes.

The pipeline in services/auth.py asks this module two things: does a signed-in password
(or email code) still need a second factor (step 5), and is a second factor right. Every
change of a factor is here too, with its mails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, event, func, select, update

from webapp.extensions import db
from webapp.models import (
    OneTimeToken,
    RecoveryCode,
    SecurityEvent,
    TrustedBrowser,
    User,
    utcnow,
)
from webapp.services import passkeys
from webapp.services.mail import send_email
from webapp.services.passwords import verify_password
from webapp.services.sms import send_sms
from webapp.services.tracking import AttemptContext, device_label

# OneTimeToken purposes of this module.
MFA_TOKEN = "mfa_token"  # the opaque token between a right first factor and the second
MFA_EMAIL_CODE = "mfa_email_code"  # a mailed code used as the second factor
LOGIN_CODE = "login_code"  # a mailed code used instead of the password
MFA_SMS_CODE = "mfa_sms_code"  # a texted code used as the second factor
PHONE_CONFIRM = "phone_confirm"  # a texted code that proves the profile's number

TOTP_INTERVAL = 30
TOTP_WINDOW = 1  # one step either side: clocks drift and people type slowly
RECOVERY_CODES = 10
TRUST_COOKIE = "doorman_trusted_browser"
SECOND_FACTORS = ("totp", "recovery_code", "email_code", "sms_code", "passkey")
# What a user who must enrol can still reach (pages and API).
ENROLMENT_OPEN = {
    "account.mfa",
    "account.mfa_setup",
    "account.mfa_confirm",
    "account.phone_send",
    "account.phone_confirm",
    "account.passkeys_page",
    "account.passkey_options",
    "account.passkey_add",
    "account.reauth_page",
    "account.reauth_passkey",
    "account.reauth_passkey_options",
    "account.passkey_remove",
    "account.passkey_rename",
    "auth.logout",
    "api.mfa_status",
    "api.mfa_totp_setup",
    "api.mfa_totp_confirm",
    "api.passkeys_register_begin",
    "api.passkeys_register_finish",
    "api.passkeys_list",
    "api.reauth_confirm",
    "api.logout",
}
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def clock() -> float:
    """Seconds since the epoch; tests replace it to stand at a window's edges."""
    return time.time()


# ---------------------------------------------------------------- keys


def _secret_key_material(info: bytes) -> bytes:
    """32 bytes derived from the app's SECRET_KEY for one purpose (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        current_app.config["SECRET_KEY"].encode()
    )


def _fernet() -> MultiFernet:
    """The current key first, then the former ones (still read, never written)."""
    cfg = current_app.config
    primary = cfg.get("MFA_ENCRYPTION_KEY") or base64.urlsafe_b64encode(
        _secret_key_material(b"doorman totp secret")
    )
    old = [k.strip() for k in (cfg.get("MFA_OLD_ENCRYPTION_KEYS") or "").split(",") if k.strip()]
    return MultiFernet([Fernet(primary), *(Fernet(k) for k in old)])


def encrypt_secret(secret: str) -> str:
    """Encrypt a TOTP secret for storage."""
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(stored: str) -> str:
    """Decrypt a stored TOTP secret with the current or a former key."""
    return _fernet().decrypt(stored.encode()).decode()


def rotate_secrets() -> int:
    """Re-encrypt every stored TOTP secret with the current key; returns how many."""
    fernet = _fernet()
    users = db.session.execute(
        select(User).where(User.totp_secret_encrypted.is_not(None))
    ).scalars()
    count = 0
    for user in users:
        try:
            user.totp_secret_encrypted = fernet.rotate(user.totp_secret_encrypted.encode()).decode()
        except InvalidToken:
            continue  # written with a key no longer configured: leave it for the owner to redo
        count += 1
    return count


def code_digest(purpose: str, code: str) -> str:
    """HMAC of a short code with a server key: a database dump alone cannot brute-force it."""
    key = _secret_key_material(b"doorman short codes")
    return hmac.new(key, f"{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# ---------------------------------------------------------------- status


def totp_enabled(user: User) -> bool:
    """Whether TOTP is confirmed and on."""
    return user.totp_enabled_at is not None


def required_roles() -> set[str]:
    """Roles that must have a second factor (MFA_REQUIRED_ROLES)."""
    raw = current_app.config.get("MFA_REQUIRED_ROLES") or ""
    return {r.strip() for r in raw.split(",") if r.strip()}


def is_required(user: User) -> bool:
    """Whether the user must use a second factor: by role, or because an admin asked."""
    return bool(user.mfa_required) or user.role in required_roles()


def has_second_factor(user: User) -> bool:
    """Whether a sign-in of this account asks for a second factor: TOTP or a passkey."""
    return totp_enabled(user) or passkeys.has_passkey(user)


def enrolment_due(user: User) -> bool:
    """A user who must have a second factor and has none: only enrolment is open to them."""
    return is_required(user) and not has_second_factor(user)


def recovery_codes_left(user_id: int) -> int:
    """Unused recovery codes of a user."""
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
        )
    )


@dataclass
class Overview:
    """The GET mfa/ body."""

    totp: bool
    recovery_codes_left: int
    required: bool
    trusted_devices: int
    passkeys: int = 0

    def as_dict(self) -> dict:
        """API.md's keys."""
        return {
            "totp": self.totp,
            "passkeys": self.passkeys,
            "recovery_codes_left": self.recovery_codes_left,
            "required": self.required,
            "trusted_devices": self.trusted_devices,
        }


def overview(user: User) -> Overview:
    """What second factors a user has."""
    return Overview(
        totp=totp_enabled(user),
        recovery_codes_left=recovery_codes_left(user.id),
        required=is_required(user),
        trusted_devices=len(trusted_browsers(user.id)),
        passkeys=passkeys.count(user),
    )


# ---------------------------------------------------------------- TOTP enrolment


@dataclass
class TotpSetup:
    """A pending secret: for manual entry, as an otpauth:// URI and as an inline SVG QR code."""

    secret: str
    otpauth_uri: str
    qr_svg: str


def start_totp_setup(user: User) -> TotpSetup | None:
    """Store a new pending secret (not active until confirmed); None when TOTP is on."""
    if totp_enabled(user):
        return None
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = encrypt_secret(secret)
    user.totp_last_step = None
    return _setup_of(user, secret)


def pending_setup(user: User) -> TotpSetup | None:
    """The pending secret of an unfinished enrolment, if any."""
    if totp_enabled(user) or not user.totp_secret_encrypted:
        return None
    try:
        return _setup_of(user, decrypt_secret(user.totp_secret_encrypted))
    except InvalidToken:
        return None


def _setup_of(user: User, secret: str) -> TotpSetup:
    issuer = current_app.config["MFA_ISSUER"]
    uri = pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(
        name=user.email, issuer_name=issuer
    )
    out = BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True)
    return TotpSetup(secret, uri, out.getvalue().decode())


def confirm_totp(user: User, code: str) -> list[str] | None:
    """Turn TOTP on with a first right code; returns the 10 recovery codes (shown once)."""
    setup = pending_setup(user)
    if setup is None:
        return None
    step = _matching_step(setup.secret, code)
    if step is None:
        return None
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step  # the confirming code cannot sign anyone in afterwards
    codes = _new_recovery_codes(user.id)
    _factor_changed(user, "Two-factor authentication (authenticator app) was turned on.")
    send_email(
        user.email,
        _l("two-factor authentication is on"),
        "mfa_enabled",
        user=user,
        security_url=url_for("account.mfa", _external=True),
    )
    return codes


def disable_totp(user: User, password: str) -> dict[str, list[str]]:
    """Turn TOTP off after the password; recovery codes and trusted browsers end too."""
    if not _password_ok(user, password):
        return {"password": ["Password is incorrect."]}
    if not totp_enabled(user) and not user.totp_secret_encrypted:
        return {"error": ["Two-factor authentication is not on."]}
    reset_totp(user)
    return {}


def reset_totp(user: User) -> None:
    """Remove TOTP, its recovery codes and trusted browsers (the owner's choice, or an admin's
    for a lost phone); the owner is told by mail when it was on."""
    was_on = totp_enabled(user)
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    revoke_all_trusted(user.id)
    if was_on:
        _factor_changed(user, "Two-factor authentication (authenticator app) was turned off.")
        send_email(
            user.email,
            _l("two-factor authentication is off"),
            "mfa_disabled",
            user=user,
            security_url=url_for("account.mfa", _external=True),
        )


def regenerate_recovery_codes(user: User, password: str) -> tuple[list[str], dict]:
    """A fresh set of 10 codes after the password; the old set stops working."""
    if not _password_ok(user, password):
        return [], {"password": ["Password is incorrect."]}
    if not totp_enabled(user):
        return [], {"error": ["Two-factor authentication is not on."]}
    codes = _new_recovery_codes(user.id)
    _factor_changed(user, "New recovery codes were made; the old ones stopped working.")
    send_email(
        user.email,
        _l("new recovery codes"),
        "recovery_codes_regenerated",
        user=user,
        security_url=url_for("account.mfa", _external=True),
    )
    return codes, {}


def _factor_changed(user: User, details: str) -> None:
    """Record a factor change: the owner's security page lists it."""
    db.session.add(
        SecurityEvent(
            kind="factor_change",
            user_id=user.id,
            email=user.email,
            subject=f"user:{user.id}",
            details=details,
            created_at=utcnow(),
        )
    )


def _password_ok(user: User, password: str) -> bool:
    if not password or not user.password_hash:
        return False
    return verify_password(user.password_hash, password)[0]


def _new_recovery_codes(user_id: int) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    now = utcnow()
    db.session.add_all(
        RecoveryCode(user_id=user_id, code_hash=code_digest("recovery", _plain(c)), created_at=now)
        for c in codes
    )
    return codes


def _recovery_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def _plain(code: str) -> str:
    """A code as typed, without spaces, dashes or case."""
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:64]


# ---------------------------------------------------------------- TOTP checks


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code this is, within the window around now; None if none."""
    code = _plain(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL)
    now = clock()
    current = int(now // TOTP_INTERVAL)
    found = None
    for offset in range(-TOTP_WINDOW, TOTP_WINDOW + 1):
        # Check every step (no early exit) so the time does not depend on which one matched.
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            found = current + offset
    return found


def _claim_step(user_id: int, step: int) -> bool:
    """Mark a time step used, only if it is newer than the last one used.

    One conditional UPDATE: of two racing requests with one code, the second finds the
    row already moved on (its row lock, or SQLite's write lock, makes it wait) and fails.
    """
    result = db.session.execute(
        update(User)
        .where(
            User.id == user_id,
            (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def check_totp(user: User, code: str) -> str:
    """ok | bad_code | replayed_code (a right code's time step is used up)."""
    return _check_totp(user, code)


def _check_totp(user: User, code: str) -> str:
    """ok | bad_code | replayed_code."""
    if not totp_enabled(user) or not user.totp_secret_encrypted:
        return "bad_code"
    try:
        secret = decrypt_secret(user.totp_secret_encrypted)
    except InvalidToken:
        return "bad_code"
    step = _matching_step(secret, code)
    if step is None:
        return "bad_code"
    return "ok" if _claim_step(user.id, step) else "replayed_code"


def _check_recovery_code(user: User, code: str) -> str:
    """ok | bad_code; a right code is used up by a conditional UPDATE (once, even in a race)."""
    digest = code_digest("recovery", _plain(code))
    row_id = db.session.scalar(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
    )
    if row_id is None:
        return "bad_code"
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == row_id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        return "bad_code"
    left = recovery_codes_left(user.id)
    send_email(
        user.email,
        _l("a recovery code was used"),
        "recovery_code_used",
        user=user,
        left=left,
        security_url=url_for("account.mfa", _external=True),
    )
    return "ok"


# ---------------------------------------------------------------- the second step


@dataclass
class Challenge:
    """A pending second step: the raw mfa_token and what the account can answer with."""

    token: str
    methods: list[str] = field(default_factory=list)


def second_factor_due(user: User, trusted_cookie: str | None) -> bool:
    """Step 5: must this sign-in stop for a second factor? (Not on a browser it trusts.)"""
    if not has_second_factor(user):
        return False
    return not is_trusted(user.id, trusted_cookie)


def issue_challenge(user: User, *, kind: str, remember: bool, first: str) -> Challenge:
    """Create the mfa_token (5 min, single use, 5 tries) after a right first factor."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        OneTimeToken(
            purpose=MFA_TOKEN,
            user_id=user.id,
            secret_hash=_token_digest(raw),
            payload=f"{kind}|{int(remember)}|{first}",
            created_at=now,
            expires_at=now + timedelta(minutes=current_app.config["MFA_TOKEN_MINUTES"]),
        )
    )
    return Challenge(raw, methods_for(user, first))


def methods_for(user: User, first: str) -> list[str]:
    """The second factors a challenge accepts (a mailed code is not a second factor to a
    sign-in that began with a mailed code)."""
    methods = ["totp", "recovery_code"] if totp_enabled(user) else []
    if passkeys.has_passkey(user):
        methods.insert(0, "passkey")
    if first != "email_code":
        methods.append("email_code")
    if phone_confirmed(user):
        methods.append("sms_code")
    return methods


@dataclass
class SecondStep:
    """Outcome of a second-factor answer: ok | bad_code | replayed_code | expired_code |
    ended (this wrong answer was the last one the token allowed)."""

    status: str
    user: User | None = None
    kind: str = "web"
    remember: bool = False
    method: str = "totp"


# Second-step outcomes that count as a failed sign-in toward the email's lockout.
WRONG_ANSWERS = ("bad_code", "replayed_code")


def challenge_owner(raw: str) -> User | None:
    """The account a live mfa_token belongs to (a plain read)."""
    token = _live_challenge(raw)
    return db.session.get(User, token.user_id) if token is not None else None


def _live_challenge(raw: str) -> OneTimeToken | None:
    if not raw or len(raw) > 128:
        return None
    token = db.session.execute(
        select(OneTimeToken).where(
            OneTimeToken.secret_hash == _token_digest(raw), OneTimeToken.purpose == MFA_TOKEN
        )
    ).scalar_one_or_none()
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def verify_second_factor(raw: str, method: str, code: str, ctx: AttemptContext) -> SecondStep:
    """Check an answer to an mfa_token; the attempt outcome goes on ctx.

    The token's try counter goes up first, with a conditional UPDATE that also takes the
    row's lock: answers to one token run one after another, and the sixth never runs.
    """
    ctx.method = method if method in SECOND_FACTORS else "totp"
    token = _live_challenge(raw)
    limit = current_app.config["MFA_MAX_ATTEMPTS"]
    if token is None or not _count_try(token, limit):
        ctx.finish("expired_code")
        return SecondStep("expired_code")
    db.session.refresh(token)
    user = db.session.get(User, token.user_id)
    kind, remember, first = (token.payload or "web|0|password").split("|")
    step = SecondStep("bad_code", user, kind, remember == "1", ctx.method)
    ctx.email = user.email
    reason = None
    if method not in methods_for(user, first):
        step.status = "bad_code"
    elif method == "passkey":
        reason = _check_passkey(user, code, ctx.ip)
        step.status = "ok" if reason == "ok" else "bad_code"
    elif method == "totp":
        step.status = _check_totp(user, code)
    elif method == "recovery_code":
        step.status = _check_recovery_code(user, code)
    else:
        purpose = MFA_EMAIL_CODE if method == "email_code" else MFA_SMS_CODE
        checked = _check_stored_code(user, purpose, code).status
        step.status = {"ok": "ok", "expired": "expired_code"}.get(checked, "bad_code")
    if step.status == "ok":
        token.used_at = utcnow()
        return step
    ctx.finish(reason or step.status, user=user)
    if token.attempts >= limit:
        token.used_at = utcnow()  # the last try it allowed: the token is over
    return step


def passkey_answer(challenge_id: str, credential: dict | str) -> str:
    """A passkey's answer to the second step, as the `code` of verify_second_factor."""
    return json.dumps({"challenge_id": challenge_id, "credential": credential})


def _check_passkey(user: User, code: str, ip: str) -> str:
    """ok, or the passkey's refusal (bad_signature, unknown_credential, counter_regressed...):
    the assertion must come from one of this account's passkeys."""
    try:
        answer = json.loads(code)
        challenge_id, credential = answer["challenge_id"], answer["credential"]
    except (ValueError, TypeError, KeyError):
        return "invalid_input"
    if not isinstance(challenge_id, str):
        return "invalid_input"
    check = passkeys.verify_assertion(challenge_id, credential, ip=ip, expected_user_id=user.id)
    return check.status


def challenge_passkey_options(raw: str) -> tuple[str, dict] | None:
    """Passkey request options for the owner of a live mfa_token that accepts a passkey."""
    user, _ = _challenge_owner(raw, "passkey")
    return passkeys.authentication_options(user) if user is not None else None


def _count_try(token: OneTimeToken, limit: int) -> bool:
    result = db.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.id == token.id,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.attempts < limit,
        )
        .values(attempts=OneTimeToken.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_challenge_email_code(raw: str) -> bool:
    """Mail a 6-digit code usable once as the second factor of a live mfa_token."""
    user, minutes = _challenge_owner(raw, "email_code")
    if user is None:
        return False
    code = _issue_code(user, MFA_EMAIL_CODE, minutes)
    send_email(
        user.email, _l("your sign-in code"), "mfa_email_code", user=user, code=code, minutes=minutes
    )
    return True


def send_challenge_sms_code(raw: str) -> bool:
    """Text a 6-digit code usable once as the second factor of a live mfa_token."""
    user, minutes = _challenge_owner(raw, "sms_code")
    if user is None:
        return False
    code = _issue_code(user, MFA_SMS_CODE, minutes)
    send_sms(user.phone, f"Doorman sign-in code: {code} (valid {minutes} min). Never share it.")
    return True


def _challenge_owner(raw: str, method: str) -> tuple[User | None, int]:
    """The owner of a live mfa_token that accepts this method, and a code's lifetime."""
    token = _live_challenge(raw)
    if token is None:
        return None, 0
    user = db.session.get(User, token.user_id)
    if method not in methods_for(user, (token.payload or "||").split("|")[2]):
        return None, 0
    return user, current_app.config["LOGIN_CODE_MINUTES"]


# ---------------------------------------------------------------- the phone


def phone_confirmed(user: User) -> bool:
    """Whether the profile's number was proven with a texted code (and not changed since)."""
    return bool(user.phone) and user.phone_verified_at is not None


def send_phone_confirmation(user: User) -> bool:
    """Text a code to the profile's number; False when there is no number."""
    if not user.phone:
        return False
    minutes = current_app.config["LOGIN_CODE_MINUTES"]
    code = _issue_code(user, PHONE_CONFIRM, minutes)
    send_sms(user.phone, f"Doorman: {code} confirms this number (valid {minutes} min).")
    return True


def confirm_phone(user: User, code: str) -> CodeCheck:
    """Mark the profile's number confirmed with the texted code."""
    check = _check_stored_code(user if user.phone else None, PHONE_CONFIRM, code)
    if check.status == "ok":
        user.phone_verified_at = utcnow()
    return check


@event.listens_for(User.phone, "set")
def _phone_changed(user: User, value, old, initiator) -> None:
    """A new number must be confirmed again before it receives codes."""
    if value != old:
        user.phone_verified_at = None


# ---------------------------------------------------------------- mailed codes


def _issue_code(user: User | None, purpose: str, minutes: int) -> str:
    """A new 6-digit code (keyed hash stored); older live codes of the purpose die.

    With no user the same statements run and a dead decoy row is written (the purge removes
    it), so an answer about an unknown email costs the same as one about a real account.
    """
    now = utcnow()
    db.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == (user.id if user is not None else -1),
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(
        OneTimeToken(
            purpose=purpose,
            user_id=user.id if user is not None else None,
            secret_hash=code_digest(purpose, code),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes) if user is not None else now,
            used_at=None if user is not None else now,
        )
    )
    return code


@dataclass
class CodeCheck:
    """ok | invalid | expired | locked, with the wait when locked."""

    status: str
    retry_after: int = 0


def _check_stored_code(user: User | None, purpose: str, code: str) -> CodeCheck:
    """Check a mailed code against the newest one of its purpose; 5 wrong ones end it."""
    digest = code_digest(purpose, _plain(code))  # computed for unknown emails too: same cost
    if user is None:
        return CodeCheck("invalid")
    now = utcnow()
    token = db.session.execute(
        select(OneTimeToken)
        .where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose)
        .order_by(OneTimeToken.id.desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()
    if token is None:
        return CodeCheck("invalid")
    if token.locked_until is not None and token.locked_until > now:
        wait = max(1, int((token.locked_until - now).total_seconds() + 0.999))
        return CodeCheck("locked", wait)
    if token.used_at is not None:
        return CodeCheck("invalid")
    if token.expires_at <= now:
        return CodeCheck("expired")
    if not hmac.compare_digest(token.secret_hash, digest):
        token.attempts += 1
        if token.attempts >= current_app.config["CODE_MAX_ATTEMPTS"]:
            token.used_at = now  # that was the last try this code had
            token.locked_until = token.expires_at
        return CodeCheck("invalid")
    used = db.session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == token.id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return CodeCheck("ok" if used.rowcount == 1 else "invalid")


def request_login_code(user: User | None) -> None:
    """Mail a passwordless sign-in code to an active, verified account. For anyone else the
    same work is done (a code, its rows, the message built) and nothing is sent, so neither
    the answer nor its time tells whether the account exists."""
    minutes = current_app.config["LOGIN_CODE_MINUTES"]
    live = user is not None and user.is_active and user.is_verified
    code = _issue_code(user if live else None, LOGIN_CODE, minutes)
    if live:
        send_email(
            user.email, _l("your sign-in code"), "login_code", user=user, code=code, minutes=minutes
        )
        return
    # What send_email does for a real message, short of queueing it; the views add a floor.
    context = {"user": User(username="", email=""), "code": code, "minutes": minutes}
    render_template("email/login_code.txt", app_name="Doorman", **context)
    render_template("email/login_code.html", app_name="Doorman", **context)


def check_login_code(user: User | None, code: str) -> CodeCheck:
    """Check a passwordless sign-in code."""
    return _check_stored_code(user, LOGIN_CODE, code)


# ---------------------------------------------------------------- trusted browsers


def _trust_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="doorman-trusted-browser")


def trust_browser(user: User, ip: str, user_agent: str) -> str:
    """Remember this browser for MFA_TRUST_DAYS; returns the signed cookie value."""
    now = utcnow()
    row = TrustedBrowser(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        ip=ip[:45],
        device=device_label(user_agent),
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["MFA_TRUST_DAYS"]),
    )
    db.session.add(row)
    return _trust_serializer().dumps({"id": row.id, "u": user.id})


def trust_max_age() -> int:
    """Cookie lifetime in seconds."""
    return current_app.config["MFA_TRUST_DAYS"] * 86400


def is_trusted(user_id: int, cookie: str | None) -> bool:
    """Whether a trust cookie names a live trusted browser of this user."""
    if not cookie or len(cookie) > 512:
        return False
    try:
        data = _trust_serializer().loads(cookie, max_age=trust_max_age())
    except BadSignature:
        return False
    if not isinstance(data, dict) or data.get("u") != user_id:
        return False
    row = db.session.get(TrustedBrowser, str(data.get("id")))
    now = utcnow()
    return (
        row is not None
        and row.user_id == user_id
        and row.revoked_at is None
        and row.expires_at > now
    )


def trusted_browsers(user_id: int) -> list[TrustedBrowser]:
    """A user's live trusted browsers, newest first."""
    return list(
        db.session.execute(
            select(TrustedBrowser)
            .where(
                TrustedBrowser.user_id == user_id,
                TrustedBrowser.revoked_at.is_(None),
                TrustedBrowser.expires_at > utcnow(),
            )
            .order_by(TrustedBrowser.created_at.desc())
        ).scalars()
    )


def revoke_trusted(user_id: int, browser_id: str) -> bool:
    """Stop trusting one browser of this user."""
    result = db.session.execute(
        update(TrustedBrowser)
        .where(
            TrustedBrowser.id == browser_id,
            TrustedBrowser.user_id == user_id,
            TrustedBrowser.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return result.rowcount == 1


def revoke_all_trusted(user_id: int) -> int:
    """Stop trusting every browser of this user (password change, sign-out everywhere)."""
    result = db.session.execute(
        update(TrustedBrowser)
        .where(TrustedBrowser.user_id == user_id, TrustedBrowser.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount
