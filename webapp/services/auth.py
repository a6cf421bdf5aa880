"""The authentication pipeline and the account flows built on it.

Every way in shares one pipeline (DESIGN's seven steps): identify, refuse if locked, verify
the credential, check the account standing, ask for a second factor, open the session, and
record the attempt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import (
    RegistrationSource,
    SecurityEvent,
    TrustedDevice,
    User,
    UserSession,
    utcnow,
)
from webapp.services import (
    alerts,
    api_tokens,
    devices,
    links,
    lockout,
    mfa,
    passkeys,
    signals,
    sources,
    tokens,
)
from webapp.services.mail import send_email
from webapp.services.passwords import hash_password, password_problems, verify_password
from webapp.services.sessions import open_session, revoke, revoke_all
from webapp.services.tracking import AttemptContext, count_login, record_attempt

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
EMAIL_MAX = 254


def normalise_email(email: str | None) -> str:
    """Trim and lower-case an email address (the lockout and uniqueness key)."""
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    """Look a user up by normalised email."""
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def email_error(email: str) -> str | None:
    """Return None for a valid address, 'required' or 'invalid' otherwise.

    Addresses that need SMTPUTF8 (non-ASCII before the @) are invalid: the mail path
    (smtplib) cannot send to them. Internationalised domains are fine (sent as punycode).
    """
    if not email:
        return "required"
    if len(email) > EMAIL_MAX:
        return "invalid"
    try:
        validate_email(email, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return "invalid"
    return None


# ---------------------------------------------------------------- login pipeline


@dataclass
class LoginResult:
    """Outcome of the login pipeline: ok | invalid | unverified | locked | mfa_required,
    and for a second step bad_code | replayed_code | expired_code."""

    status: str
    user: User | None = None
    session: UserSession | None = None
    retry_after: int = 0
    tokens: dict[str, str] | None = None  # the session's JWT pair (web pages' widgets too)
    response: Any = None  # the caller's answer to a sign-in (SignInOptions.respond)
    device_cookie: str | None = None  # the device cookie a sign-in sends back
    challenge: mfa.Challenge | None = None  # status mfa_required: the second step's token
    trust_cookie: str | None = None  # a browser trusted to skip the second factor from now on


@dataclass(frozen=True)
class SignInOptions:
    """What a sign-in opens (a remembered session? web or api?) and how its caller answers:
    `respond(result)` builds that answer while the hash is checked. `device_cookie` is the
    one the client sent, if any."""

    remember: bool = False
    kind: str = "web"
    respond: Callable[[LoginResult], Any] | None = None
    device_cookie: str | None = None
    second_factor_checked: bool = False


def password_login(
    email: str,
    password: str,
    ctx: AttemptContext,
    *,
    remember: bool = False,
    kind: str = "web",
    respond: Callable[[LoginResult], Any] | None = None,
    device_cookie: str | None = None,
) -> LoginResult:
    """DESIGN's seven steps for an email and password; the attempt row joins the request's
    transaction, which the caller commits whatever the outcome.

    Only a plain read runs before the hash is checked, and no lock is held while it is: then
    one short transaction locks the email's lockout record, looks again and writes. A client
    with a live device cookie for the account is judged by its own failures only (OWASP
    device cookies); every other client shares the email's lockout.
    """
    how = SignInOptions(remember, kind, respond, device_cookie)
    claim = identify(email, ctx, device_cookie)  # 1. (the rate limits ran before the view)
    result = refuse_if_locked(claim, ctx)  # 2. a locked attempt costs no hash
    if result is None:
        verdict = check_password(claim, password)  # 3. holding no lock
        lock_and_look_again(claim)  # 2 again: parallel attempts may have changed the lockout
        result = (
            refuse_if_locked(claim, ctx)
            or refuse_wrong_password(claim, verdict, ctx)
            or refuse_standing(claim, ctx)  # 4.
            or sign_in(claim.user, claim.lock, ctx, how, claim.device, verdict.new_hash)  # 5, 6
        )
    record_attempt(ctx)  # 7.
    look_at(result, ctx, claim.device)
    return result


def look_at(result: LoginResult, ctx: AttemptContext, device: TrustedDevice | None) -> None:
    """After step 7, what the attempt tells: a new device, network or country alerts the
    owner of a sign-in, and an unusual hour or impossible travel is a security event; a
    failure may be password spraying, credential stuffing or part of a surge."""
    if result.status == "ok":
        alerts.notice_new_sign_in(result.user, ctx, has_device_cookie=device is not None)
        signals.check_sign_in(result.user, ctx)
    else:
        signals.check_failure(ctx)


@dataclass
class Claim:
    """Who an attempt claims to be, and what judges it: the hash checked, the lockout that
    applies (a trusted device's own, or else the email's) and, once locked, the account."""

    email: str
    user_id: int | None
    password_hash: str | None
    lock: lockout.Peek | lockout.LockState
    device: TrustedDevice | None = None
    user: User | None = None


@dataclass(frozen=True)
class Verdict:
    """A checked password: right or not, and a new hash when the parameters changed."""

    ok: bool
    new_hash: str | None = None


def identify(email: str, ctx: AttemptContext, device_cookie: str | None) -> Claim:
    """Step 1: the account's id and hash, the email's lock and the client's trusted device,
    in plain reads (no lock, no write)."""
    email = normalise_email(email)
    ctx.email = email
    found = lockout.peek(email)
    ctx.user_id = found.user_id
    device = devices.recognise(device_cookie, found.user_id)
    return Claim(email, found.user_id, found.password_hash, _gate(device, found), device)


def refuse_if_locked(claim: Claim, ctx: AttemptContext) -> LoginResult | None:
    """Step 2: a locked claim is refused (and recorded as such), nothing else happens."""
    return _locked(claim.lock, ctx, claim.user)


def _locked(
    lock: lockout.Peek | lockout.LockState, ctx: AttemptContext, user: User | None = None
) -> LoginResult | None:
    wait = lock.retry_after(utcnow())
    if not wait:
        return None
    ctx.finish("locked", user=user)
    return LoginResult("locked", user, retry_after=wait)


def check_password(claim: Claim, password: str) -> Verdict:
    """Step 3: argon2 on the hash step 1 read (a dummy one for an unknown email, so both cost
    the same); a right password under old parameters gets its new hash here, still unlocked."""
    ok, needs_rehash = verify_password(claim.password_hash, password)
    return Verdict(ok, hash_password(password) if ok and needs_rehash else None)


def lock_and_look_again(claim: Claim) -> None:
    """Row-lock the email's lockout record, which starts the write transaction (on SQLite,
    the database write lock), and re-read the account and the trusted device under it:
    attempts on one email are judged one after another on fresh rows."""
    state, claim.user = lockout.acquire(claim.email)
    claim.device = devices.reread(claim.device)
    claim.lock = _gate(claim.device, state)


def refuse_wrong_password(
    claim: Claim, verdict: Verdict, ctx: AttemptContext
) -> LoginResult | None:
    """Step 3's refusal: a wrong password, an unknown email, or a password changed while it
    was checked counts one failure against the lock that judges the claim."""
    user = claim.user
    if verdict.ok and user is not None and user.password_hash == claim.password_hash:
        return None
    locked_for = lockout.register_failure(claim.lock, utcnow())
    if locked_for and claim.device is not None:
        _announce_device_lockout(claim.email, claim.device, ctx.ip, locked_for)
    elif locked_for:
        _announce_lockout(claim.email, user, ctx.ip, locked_for)
    ctx.finish("unknown_user" if user is None else "bad_credentials", user=user)
    return LoginResult("invalid")


def refuse_standing(claim: Claim, ctx: AttemptContext) -> LoginResult | None:
    """Step 4: the account must be active and its email verified."""
    user = claim.user
    if not user.is_active:
        ctx.finish("inactive", user=user)
        return LoginResult("invalid")
    if not user.is_verified:
        ctx.finish("unverified", user=user)
        return LoginResult("unverified", user)
    return None


def _gate(
    device: TrustedDevice | None, email_lock: lockout.Peek | lockout.LockState
) -> lockout.Peek | lockout.LockState:
    """The lock that judges an attempt: a trusted device's own, or else the email's (which a
    trusted device never feels: untrusted clients' failures cannot keep its owner out)."""
    return email_lock if device is None else lockout.of_device(device)


def sign_in(
    user: User,
    state: lockout.Peek | lockout.LockState,
    ctx: AttemptContext,
    how: SignInOptions,
    device: TrustedDevice | None = None,
    new_hash: str | None = None,
) -> LoginResult:
    """Steps 5 and 6: ask for a second factor if one is due; else clear the lockout (a trusted
    device's own, else the email's), open the session with its tokens, trust the device,
    count the login and build the caller's answer (before the commit expires the user).
    The caller records the attempt (step 7)."""
    if not how.second_factor_checked and mfa.second_factor_due(user, ctx.trusted_browser):
        return _ask_for_second_factor(user, ctx, how)
    if new_hash is not None:
        user.password_hash = new_hash
    lockout.clear(state, forget_level=True)
    session = open_session(user, ctx.ip, ctx.user_agent, remember=how.remember, kind=how.kind)
    cookie = devices.signed_in(user, device, how.device_cookie, ctx.ip, session.device)
    count_login(user, ctx.ip, utcnow())
    db.session.flush()
    ctx.session_id = session.id
    ctx.finish("ok", user=user, success=True)
    result = LoginResult(
        "ok", user, session, tokens=api_tokens.issue_pair(session), device_cookie=cookie
    )
    if how.respond is not None:
        result.response = how.respond(result)
    return result


def _ask_for_second_factor(user: User, ctx: AttemptContext, how: SignInOptions) -> LoginResult:
    """Step 5: no session, no lockout change; an mfa_token for the second step. The attempt
    is recorded as `mfa_required`, which the rollups count neither way."""
    first = "email_code" if ctx.method == "email_code" else "password"
    challenge = mfa.issue_challenge(user, kind=how.kind, remember=how.remember, first=first)
    ctx.finish("mfa_required", user=user)
    return LoginResult("mfa_required", user, challenge=challenge)


def second_factor_login(
    raw_token: str,
    method: str,
    code: str,
    ctx: AttemptContext,
    *,
    trust: bool = False,
    device_cookie: str | None = None,
) -> LoginResult:
    """The second step: a right factor on a live mfa_token opens the session the first step
    asked for. A wrong one counts toward the token's end and, like a wrong password, toward
    the email's lockout: someone who knows the password cannot guess codes on fresh tokens
    for ever. Always recorded."""
    ctx.method = method if method in mfa.SECOND_FACTORS else "totp"
    owner = mfa.challenge_owner(raw_token)
    # The email's lockout record first, as the password step takes it: one lock order.
    state, user = lockout.acquire(owner.email) if owner else (lockout.LockState(None), None)
    if locked := _locked(state, ctx, user):
        record_attempt(ctx)
        return locked
    step = mfa.verify_second_factor(raw_token, method, code, ctx)
    if step.status == "ok" and not step.user.is_active:
        step.status = "inactive"
        ctx.finish("inactive", user=step.user)
    if step.status != "ok":
        if step.status in mfa.WRONG_ANSWERS:
            locked_for = lockout.register_failure(state, utcnow())
            if locked_for:
                _announce_lockout(step.user.email, step.user, ctx.ip, locked_for)
        record_attempt(ctx)
        return LoginResult(step.status, step.user)
    how = SignInOptions(
        step.remember, step.kind, device_cookie=device_cookie, second_factor_checked=True
    )
    device = devices.recognise(device_cookie, step.user.id)
    result = sign_in(step.user, state, ctx, how, device=device)
    record_attempt(ctx)
    look_at(result, ctx, device)
    if trust:
        result.trust_cookie = mfa.trust_browser(step.user, ctx.ip, ctx.user_agent)
    return result


def code_login(
    email: str,
    code: str,
    ctx: AttemptContext,
    *,
    remember: bool = False,
    kind: str = "web",
    device_cookie: str | None = None,
) -> LoginResult:
    """Passwordless: a right mailed code stands for the password, then the same steps 4-7
    (a second factor is still asked for). Returns invalid | expired | locked on refusal."""
    email = normalise_email(email)
    ctx.email = email
    user = find_user_by_email(email)
    in_good_standing = user is not None and user.is_active and user.is_verified
    check = mfa.check_login_code(user if in_good_standing else None, code)
    if check.status != "ok":
        reason = {"expired": "expired_code", "locked": "locked"}.get(check.status, "bad_code")
        ctx.finish(reason if user is not None else "unknown_user", user=user)
        record_attempt(ctx)
        return LoginResult(check.status, user, retry_after=check.retry_after)
    state, user = lockout.acquire(email)
    device = devices.recognise(device_cookie, user.id)
    how = SignInOptions(remember, kind, device_cookie=device_cookie)
    result = sign_in(user, state, ctx, how, device=device)
    record_attempt(ctx)
    look_at(result, ctx, device)
    return result


def passkey_login(
    challenge_id: str,
    credential: dict | str,
    ctx: AttemptContext,
    *,
    remember: bool = False,
    kind: str = "web",
    device_cookie: str | None = None,
) -> LoginResult:
    """Usernameless: a passkey's signature identifies the account and stands for the password
    and the second factor (it is both something held and, with user verification, something
    known); then the same steps 4-7. A refusal (bad_signature, unknown_credential,
    counter_regressed, ...) is recorded with its reason. A signature cannot be guessed, so
    refusals do not count toward the email's lockout, and, as with a mailed code, a locked
    email does not keep its owner's passkey out."""
    ctx.method = "passkey"
    check = passkeys.verify_assertion(challenge_id, credential, ip=ctx.ip)
    user = check.user
    if user is not None:
        ctx.email = user.email
    if check.status == "ok" and not user.is_active:
        check.status = "inactive"
    elif check.status == "ok" and not user.is_verified:
        check.status = "unverified"
    if check.status != "ok":
        ctx.finish(check.status, user=user)
        record_attempt(ctx)
        return LoginResult(check.status, user)
    state, user = lockout.acquire(user.email)
    device = devices.recognise(device_cookie, user.id)
    how = SignInOptions(remember, kind, device_cookie=device_cookie, second_factor_checked=True)
    result = sign_in(user, state, ctx, how, device=device)
    record_attempt(ctx)
    look_at(result, ctx, device)
    return result


def request_login_code(email: str) -> None:
    """Mail a passwordless sign-in code; the same answer and work for every email."""
    mfa.request_login_code(find_user_by_email(email))


def _announce_lockout(email: str, user: User | None, ip: str, seconds: int) -> None:
    """Record a lockout event and mail the account owner an unlock link."""
    minutes = seconds // 60
    db.session.add(
        SecurityEvent(
            kind="lockout",
            user_id=user.id if user else None,
            email=email,
            ip=ip,
            details=f"Locked for {minutes} minutes after repeated failed sign-ins.",
        )
    )
    if user is None:
        return
    raw = tokens.issue(
        user, tokens.UNLOCK_LINK, timedelta(hours=current_app.config["UNLOCK_LINK_HOURS"])
    )
    send_email(
        user.email,
        _l("your sign-in is locked"),
        "lockout",
        user=user,
        minutes=minutes,
        ip=ip,
        unlock_url=url_for("auth.unlock", token=raw, _external=True),
        reset_url=url_for("auth.forgot_password", _external=True),
    )


def _announce_device_lockout(email: str, device: TrustedDevice, ip: str, seconds: int) -> None:
    """Record that one trusted device locked itself; the account and its other devices are
    untouched, so there is no unlock mail."""
    db.session.add(
        SecurityEvent(
            kind="lockout",
            user_id=device.user_id,
            email=email,
            ip=ip,
            details=f"A trusted device ({device.device}) was locked for {seconds // 60} minutes "
            "after repeated failed sign-ins.",
        )
    )


def unlock_with_token(raw: str) -> bool:
    """Use an unlock link: end the lock on the owner's email early."""
    check = tokens.check_link(tokens.UNLOCK_LINK, raw)
    if check.token is None:
        return False
    tokens.consume(check.token)
    user = db.session.get(User, check.token.user_id)
    lockout.unlock_email(user.email)
    return True


def end_session(session_key: str | None) -> None:
    """Log out: revoke the server-side session."""
    if session_key:
        revoke(session_key, "logout")


# ---------------------------------------------------------------- registration


def registration_errors(
    username: str, email: str, password: str, password_repeat: str
) -> dict[str, list[str]]:
    """Validate a registration; messages follow the API contract."""
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    email = normalise_email(email)
    if not username:
        errors["username"] = ["Username cannot be null"]
    elif not 4 <= len(username) <= 32:
        errors["username"] = ["Must have min 4 and max 32 characters"]
    elif not USERNAME_RE.match(username):
        errors["username"] = ["Use only letters, digits, dots, dashes and underscores"]
    elif username_taken(username):
        errors["username"] = ["Username already exists"]
    problem = email_error(email)
    if problem == "required":
        errors["email"] = ["E-mail cannot be null"]
    elif problem:
        errors["email"] = ["E-mail is not valid"]
    elif find_user_by_email(email) is not None:
        errors["email"] = ["E-mail in use"]
    errors.update(password_errors(password, password_repeat, email, username))
    return errors


def username_taken(username: str) -> bool:
    """Case-insensitive username uniqueness check."""
    return (
        db.session.execute(
            select(User.id).where(func.lower(User.username) == username.lower())
        ).first()
        is not None
    )


def create_user(
    username: str,
    email: str,
    password: str | None,
    *,
    role: str = "user",
    verified: bool = False,
    source: str = "web",
    timezone: str | None = None,
    origin: RegistrationSource | None = None,
) -> User:
    """Add a user to the session (caller validates and commits); `source` is the channel,
    `origin` where the person came from (default: the channel's direct source)."""
    user = User(
        username=username.strip(),
        email=normalise_email(email),
        password_hash=hash_password(password) if password else None,
        role=role,
        email_verified_at=utcnow() if verified else None,
        registration_source=source,
        timezone=timezone,
        source=origin or sources.source_for(sources.Landing(), source),
    )
    db.session.add(user)
    db.session.flush()
    return user


class RegistrationTaken(Exception):
    """A parallel registration took the email or username after the check; `errors` name it."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def register(
    username: str,
    email: str,
    password: str,
    *,
    source: str = "web",
    origin: RegistrationSource | None = None,
) -> User:
    """Create an unverified user and send the verification email.

    Raises RegistrationTaken (with the usual field errors) when a parallel registration
    committed the same email or username after registration_errors() was checked.
    """
    try:
        # A savepoint, so the lost race leaves the request's transaction usable.
        with db.session.begin_nested():
            user = create_user(username, email, password, source=source, origin=origin)
    except IntegrityError:
        # The winner has committed (the unique index made us wait for it), so a
        # READ COMMITTED read sees its row now.
        errors: dict[str, list[str]] = {}
        if find_user_by_email(email) is not None:
            errors["email"] = ["E-mail in use"]
        if username_taken(username.strip()):
            errors["username"] = ["Username already exists"]
        if not errors:
            raise
        raise RegistrationTaken(errors) from None
    send_verification(user)
    return user


def send_verification(user: User) -> None:
    """Issue a fresh link (24 h) and code (30 min) and mail them; older ones die."""
    cfg = current_app.config
    link = tokens.issue(user, tokens.VERIFY_LINK, timedelta(hours=cfg["VERIFY_LINK_HOURS"]))
    code = tokens.issue(
        user, tokens.VERIFY_CODE, timedelta(minutes=cfg["VERIFY_CODE_MINUTES"]), code=True
    )
    send_email(
        user.email,
        _l("confirm your email address"),
        "verify",
        user=user,
        code=code,
        link_hours=cfg["VERIFY_LINK_HOURS"],
        code_minutes=cfg["VERIFY_CODE_MINUTES"],
        verify_url=links.verify_link(user.email, link),
        code_url=url_for("auth.verify_code", email=user.email, _external=True),
    )


def resend_verification(email: str) -> None:
    """Resend for an unverified account; silently nothing otherwise (no enumeration)."""
    user = find_user_by_email(email)
    if user is not None and not user.is_verified and user.is_active:
        send_verification(user)


def _mark_verified(user: User) -> None:
    user.email_verified_at = utcnow()
    send_email(
        user.email,
        _l("welcome"),
        "welcome",
        user=user,
        login_url=url_for("auth.login", _external=True),
    )


@dataclass
class VerifyResult:
    """Outcome of a verification: verified | already | invalid | expired | locked."""

    status: str
    user: User | None = None
    retry_after: int = 0


def verify_email_link(raw: str) -> VerifyResult:
    """Verify an email address with the emailed link token."""
    check = tokens.check_link(tokens.VERIFY_LINK, raw)
    if check.token is None:
        if check.error == "used":
            user = db.session.get(User, check.user_id)
            if user is not None and user.is_verified:
                return VerifyResult("already", user)
        return VerifyResult("expired" if check.error == "expired" else "invalid")
    user = db.session.get(User, check.token.user_id)
    tokens.consume(check.token)
    if user.is_verified:
        return VerifyResult("already", user)
    _mark_verified(user)
    return VerifyResult("verified", user)


def verify_email_code(email: str, code: str) -> VerifyResult:
    """Verify an email address with the 6-digit code; wrong codes count toward a lock."""
    user = find_user_by_email(email)
    if user is None:
        return VerifyResult("invalid")
    if user.is_verified:
        return VerifyResult("already", user)
    check = tokens.check_code(user, tokens.VERIFY_CODE, code)
    if check.token is None:
        return VerifyResult(check.error or "invalid", user, check.retry_after)
    tokens.consume(check.token)
    _mark_verified(user)
    return VerifyResult("verified", user)


# ---------------------------------------------------------------- passwords


def request_password_reset(email: str) -> None:
    """Mail a reset link (1 h, single use) to an existing active account; silent otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    minutes = current_app.config["RESET_LINK_MINUTES"]
    raw = tokens.issue(user, tokens.RESET_LINK, timedelta(minutes=minutes))
    send_email(
        user.email,
        _l("reset your password"),
        "reset",
        user=user,
        minutes=minutes,
        reset_url=links.reset_link(raw),
    )


def check_reset_token(raw: str) -> tokens.TokenCheck:
    """Is this reset link live?"""
    return tokens.check_link(tokens.RESET_LINK, raw)


def reset_password(raw: str, password: str, password_repeat: str) -> dict[str, list[str]]:
    """Set a new password from a reset link; ends every session. Returns field errors."""
    check = check_reset_token(raw)
    if check.token is None:
        return {"error": ["Invalid or expired password reset token."]}
    user = db.session.get(User, check.token.user_id)
    errors = new_password_errors(user, password, password_repeat)
    if errors:
        return errors
    tokens.consume(check.token)
    _set_password(user, password, reason="password_reset")
    lockout.unlock_email(user.email)
    return {}


def new_password_errors(user: User, password: str, password_repeat: str) -> dict[str, list[str]]:
    """Policy and confirmation errors for a user's new password."""
    return password_errors(password, password_repeat, user.email, user.username)


def password_errors(
    password: str, password_repeat: str, email: str, username: str
) -> dict[str, list[str]]:
    """Policy errors for a password and its confirmation (API field names)."""
    errors: dict[str, list[str]] = {}
    problems = password_problems(password or "", email, username)
    if problems:
        errors["password"] = problems
    if not password_repeat:
        errors["passwordRepeat"] = ["password_repeat_null"]
    elif password and password != password_repeat:
        errors["passwordRepeat"] = ["password_mismatch"]
    return errors


def change_password(
    user: User, current: str, password: str, password_repeat: str
) -> dict[str, list[str]]:
    """Change a password after checking the current one; ends the other sessions."""
    ok, _ = verify_password(user.password_hash, current or "")
    if not ok:
        return {"current_password": ["Current password is incorrect"]}
    errors = new_password_errors(user, password, password_repeat)
    if errors:
        return errors
    _set_password(user, password, reason="password_change", keep=user.session_key)
    return {}


def _set_password(user: User, password: str, *, reason: str, keep: str | None = None) -> None:
    user.password_hash = hash_password(password)
    revoke_all(user.id, reason, keep=keep)
    send_email(
        user.email,
        _l("your password was changed"),
        "password_changed",
        user=user,
        reset_url=url_for("auth.forgot_password", _external=True),
    )


def force_password_reset(user: User) -> None:
    """The current password stops working; sessions end and a reset link is mailed."""
    user.password_hash = None
    revoke_all(user.id, "forced_reset")
    request_password_reset(user.email)


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate a user; deactivation ends every session."""
    user.is_active = active
    if not active:
        revoke_all(user.id, "deactivated")
