"""The authentication pipeline and the account flows built on it.

Every way in shares one pipeline: identify, check the lockout, verify the credential,
check the account standing, open the session, and fill in the attempt outcome.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
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
from webapp.services import api_tokens, devices, links, lockout, mfa, passkeys, sources, tokens
from webapp.services.mail import send_email
from webapp.services.passwords import (
    PendingCheck,
    Recent,
    hash_password,
    password_problems,
    verify_later,
    verify_password,
)
from webapp.services.sessions import open_session, revoke, revoke_all
from webapp.services.tracking import (
    AttemptContext,
    count_attempt,
    count_login,
    insert_attempt,
    record_attempt,
    shared_rows_wait,
)

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
    """Run the pipeline for an email and password; the attempt row joins the same transaction.

    The hash is checked on a worker thread while the sign-in of an account in good standing
    is prepared (its session row, counters, tokens and attempt row), so a right password
    waits for argon2 and little else. Nothing commits unless the password was right: any
    refusal rolls the request's transaction back, so callers must not have pending writes
    of their own.
    The request hook writes the attempt row instead if this transaction never commits.
    `respond(result)` builds the caller's answer to a sign-in while the hash is checked; it
    is thrown away if the password was wrong.
    A client with a live device cookie for the account is judged by its own failures only
    (OWASP device cookies); every other client shares the email's lockout.
    """
    how = SignInOptions(remember, kind, respond, device_cookie)
    result = _password_pipeline(email, password, ctx, how)
    if result.status != "ok":  # 7. record the attempt (a sign-in recorded it already)
        record_attempt(ctx)
    return result


def _password_pipeline(
    email: str, password: str, ctx: AttemptContext, how: SignInOptions
) -> LoginResult:
    email = normalise_email(email)
    ctx.email = email
    # 1. identify: the account, its lockout record and the client's trusted device, unlocked
    first = lockout.peek(email)
    ctx.user_id = first.user_id
    device = devices.recognise(how.device_cookie, first.user_id)
    if locked := _refuse_if_locked(_gate(device, first), ctx):  # (rate limits ran before)
        return locked
    checked = first.password_hash
    verdict = verify_later(checked, password)  # 2. on a worker thread
    # 3. meanwhile, lock the lockout record: attempts on one email run one after another
    state, user = lockout.acquire(email)
    device = devices.reread(device)
    gate = _gate(device, state)
    if locked := _refuse_if_locked(gate, ctx, user):  # by a parallel attempt meanwhile
        return locked
    if user is not None and user.password_hash == checked and user.is_active and user.is_verified:
        signed_in = _sign_in(user, gate, ctx, how, verdict, device)  # 4-7 meanwhile
        ok, needs_rehash = verdict.result()
        if ok:
            if needs_rehash:
                user.password_hash = hash_password(password)
            return signed_in
    else:
        ok = verdict.result()[0]
    return _refuse(email, ok, checked, ctx, how, device)


def _gate(
    device: TrustedDevice | None, email_lock: lockout.Peek | lockout.LockState
) -> lockout.Peek | lockout.LockState:
    """The lock that judges an attempt: a trusted device's own, or else the email's (which a
    trusted device never feels: untrusted clients' failures cannot keep its owner out)."""
    return email_lock if device is None else lockout.of_device(device)


def _refuse_if_locked(
    lock: lockout.Peek | lockout.LockState, ctx: AttemptContext, user: User | None = None
) -> LoginResult | None:
    wait = lock.retry_after(utcnow())
    if not wait:
        return None
    ctx.finish("locked", user=user)
    return LoginResult("locked", user, retry_after=wait)


# How long a sign-in's rollup upserts take lately. They start one and a half times that long
# before the check should end. bench/rollup_lead.py on MariaDB: a sign-in then takes 4.1-4.5 ms
# beyond argon2 instead of 5.5-6.1 ms, and holds everyone's rows for 3.0-3.4 ms instead of
# 2.2-2.5 ms (medians).
ROLLUP_WRITES = Recent()


def _lead() -> float | None:
    typical = ROLLUP_WRITES.median()
    return None if typical is None else 1.5 * typical


def _sign_in(
    user: User,
    state: lockout.LockState,
    ctx: AttemptContext,
    how: SignInOptions,
    verdict: PendingCheck | None = None,
    device: TrustedDevice | None = None,
) -> LoginResult:
    """Clear the lockout (a trusted device's own, else the email's), open the session with its
    tokens, trust the device, count the login, record the attempt and build the answer, while
    the hash is checked (the verdict), or after it.

    The rows of this account go in at once: nobody waits on them. Everyone's rollup rows are
    shared by every sign-in. Where rows are locked one by one, they go in as the check is
    about to end: their locks are held not much longer than if they waited for the verdict,
    and the verdict finds nothing left to write. SQLite's single write lock is held from the
    first write to the commit anyway.
    """
    # 5. a right password for an account with a second factor ends in an mfa_token, not a session
    if not how.second_factor_checked and mfa.second_factor_due(user, ctx.trusted_browser):
        return _ask_for_second_factor(user, ctx, how)
    lockout.clear(state, forget_level=True)
    session = open_session(user, ctx.ip, ctx.user_agent, remember=how.remember, kind=how.kind)
    cookie = devices.signed_in(user, device, how.device_cookie, ctx.ip, session.device)
    count_login(user, ctx.ip, utcnow())
    db.session.flush()
    ctx.session_id = session.id
    ctx.finish("ok", user=user, success=True)
    insert_attempt(ctx)
    result = LoginResult(
        "ok", user, session, tokens=api_tokens.issue_pair(session), device_cookie=cookie
    )
    if how.respond is not None:
        result.response = how.respond(result)
    if verdict is not None and shared_rows_wait():
        verdict.wait_until_left(_lead())
    begun = time.perf_counter()
    count_attempt(ctx)
    ROLLUP_WRITES.add(time.perf_counter() - begun)
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
    if locked := _refuse_if_locked(state, ctx, user):
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
    result = _sign_in(step.user, state, ctx, how, device=device)
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
    result = _sign_in(user, state, ctx, how, device=device)
    if result.status != "ok":
        record_attempt(ctx)
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
    return _sign_in(user, state, ctx, how, device=device)


def request_login_code(email: str) -> None:
    """Mail a passwordless sign-in code; the same answer and work for every email."""
    mfa.request_login_code(find_user_by_email(email))


def _refuse(
    email: str,
    ok: bool,
    checked: str | None,
    ctx: AttemptContext,
    how: SignInOptions,
    device: TrustedDevice | None = None,
) -> LoginResult:
    """Everything but a sign-in: undo what was prepared, lock the lockout record again and
    decide on fresh rows. Every refusal takes this path, whatever its reason, so a wrong
    password costs the same as an unknown email. A trusted device's failures lock it alone."""
    db.session.rollback()
    ctx.session_id = None
    state, user = lockout.acquire(email)
    device = devices.reread(device)
    gate = _gate(device, state)
    if locked := _refuse_if_locked(gate, ctx, user):
        return locked
    if not ok or user is None or user.password_hash != checked:  # (changed meanwhile)
        locked_for = lockout.register_failure(gate, utcnow())
        if locked_for and device is not None:
            _announce_device_lockout(email, device, ctx.ip, locked_for)
        elif locked_for:
            _announce_lockout(email, user, ctx.ip, locked_for)
        ctx.finish("unknown_user" if user is None else "bad_credentials", user=user)
        return LoginResult("invalid")
    if not user.is_active:
        ctx.finish("inactive", user=user)
        return LoginResult("invalid")
    if not user.is_verified:
        ctx.finish("unverified", user=user)
        return LoginResult("unverified", user)
    # The account was activated or verified while its password was checked.
    return _sign_in(user, gate, ctx, how, device=device)


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
        "your sign-in is locked",
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
        "confirm your email address",
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
        user.email, "welcome", "welcome", user=user, login_url=url_for("auth.login", _external=True)
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
        "reset your password",
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
        "your password was changed",
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
