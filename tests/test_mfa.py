"""Second factors on the web pages: enrolment, the second step, recovery codes, trusted
browsers, enforcement per role, mails and the attempt rows of every step."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import func, select

from tests.helpers import PASSWORD, csrf_token, login, post_form
from tests.mfa_helpers import T0, enrol
from webapp.models import LoginAttempt, LoginLockout, LoginStat, RecoveryCode, TrustedBrowser, User
from webapp.services import mfa


def _attempts(db):
    return db.session.execute(select(LoginAttempt).order_by(LoginAttempt.id)).scalars().all()


def _second_step(client, code, method="totp", trust=False):
    data = {"method": method, "code": code}
    if trust:
        data["trust"] = "y"
    return post_form(client, "/auth/mfa", data)


# ---------------------------------------------------------------- enrolment


def test_enrolment_shows_qr_and_secret_and_needs_a_right_first_code(
    app, client, actor, db, outbox, clock
):
    me = actor("user").user
    page = client.get("/account/mfa").get_data(as_text=True)
    assert "Set up two-factor authentication" in page
    r = post_form(client, "/account/mfa/setup", {}, token_from="/account/mfa")
    assert r.status_code == 302
    page = client.get("/account/mfa").get_data(as_text=True)
    assert "<svg" in page and 'id="mfa-qr"' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)

    stored = db.session.get(User, me.id)
    assert stored.totp_secret_encrypted and secret not in stored.totp_secret_encrypted
    with app.app_context():
        assert mfa.decrypt_secret(stored.totp_secret_encrypted) == secret
    assert stored.totp_enabled_at is None  # pending until confirmed

    wrong = post_form(client, "/account/mfa/confirm", {"code": "000000"}, token_from="/account/mfa")
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).at(clock.now)
    r = post_form(client, "/account/mfa/confirm", {"code": code}, token_from="/account/mfa")
    assert r.status_code == 200
    codes = re.findall(r"<li[^>]*>([a-z2-9]{5}-[a-z2-9]{5})</li>", r.get_data(as_text=True))
    assert len(set(codes)) == 10
    hashes = (
        db.session.execute(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == me.id))
        .scalars()
        .all()
    )
    assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert db.session.get(User, me.id).totp_enabled_at is not None
    assert [m.subject for m in outbox][-1] == "Doorman: two-factor authentication is on"
    # Shown once: the status page lists how many are left, never the codes.
    page = client.get("/account/mfa").get_data(as_text=True)
    assert codes[0] not in page and 'id="codes-left">10<' in page


def test_secret_is_read_with_an_old_key_after_rotation(app_factory, clock):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app = app_factory(MFA_ENCRYPTION_KEY=old)
    person = enrol(app, clock)
    app.config.update(MFA_ENCRYPTION_KEY=new, MFA_OLD_ENCRYPTION_KEYS=old)
    with app.app_context():
        from webapp.extensions import db

        user = db.session.get(User, person.user.id)
        assert mfa.decrypt_secret(user.totp_secret_encrypted) == person.secret
        assert mfa.rotate_secrets() == 1
        db.session.commit()
    app.config.update(MFA_OLD_ENCRYPTION_KEYS="")
    with app.app_context():
        user = db.session.get(User, person.user.id)
        assert mfa.decrypt_secret(user.totp_secret_encrypted) == person.secret
    # The command does the same for a deployment.
    app.config.update(MFA_ENCRYPTION_KEY=old, MFA_OLD_ENCRYPTION_KEYS=new)
    result = app.test_cli_runner().invoke(args=["mfa-rotate-key"])
    assert "Re-encrypted 1 TOTP secret(s)" in result.output
    app.config.update(MFA_OLD_ENCRYPTION_KEYS="")
    with app.app_context():
        user = db.session.get(User, person.user.id)
        assert mfa.decrypt_secret(user.totp_secret_encrypted) == person.secret


# ---------------------------------------------------------------- the second step


def test_password_then_totp_signs_in_and_records_both_steps(client, db, enrolled, clock):
    r = login(client, enrolled.user.email)
    assert r.status_code == 302 and r.location.endswith("/auth/mfa")
    assert client.get("/dashboard/").status_code == 302  # no session yet
    page = client.get("/auth/mfa")
    assert page.status_code == 200 and "authenticator" in page.get_data(as_text=True)
    r = _second_step(client, enrolled.code(clock.now))
    assert r.status_code == 302 and r.location.endswith("/dashboard/")
    assert client.get("/dashboard/").status_code == 200
    rows = _attempts(db)
    assert [(a.method, a.reason, a.success) for a in rows] == [
        ("password", "mfa_required", False),
        ("totp", "ok", True),
    ]
    assert rows[1].session_id is not None and rows[0].session_id is None
    # The password step is neither a success nor a failure in the rollups.
    stat = db.session.execute(select(LoginStat).where(LoginStat.user_key == enrolled.user.id))
    stat = stat.scalar_one()
    assert (stat.successes, stat.failures) == (1, 0)
    assert db.session.get(User, enrolled.user.id).login_count == 1


def test_a_right_password_that_asks_for_a_second_factor_is_not_a_lockout_failure(
    client, db, enrolled, clock
):
    for _ in range(6):
        r = login(client, enrolled.user.email)
        assert r.status_code == 302 and r.location.endswith("/auth/mfa")
    lock = db.session.get(LoginLockout, enrolled.user.email)
    assert lock is None or (lock.failures == 0 and lock.locked_until is None)


@pytest.mark.parametrize(
    "offset, accepted",
    [(-2, False), (-1, True), (0, True), (1, True), (2, False)],
)
def test_window_edges(client, db, enrolled, clock, offset, accepted):
    login(client, enrolled.user.email)
    clock.now = T0 + 29.9  # the last moment of the step
    code = enrolled.code(clock.now + 30 * offset)
    r = _second_step(client, code)
    assert (r.status_code == 302) is accepted
    assert _attempts(db)[-1].reason == ("ok" if accepted else "bad_code")


def test_a_used_time_step_is_refused(client, db, enrolled, clock):
    code = enrolled.code(clock.now)
    login(client, enrolled.user.email)
    assert _second_step(client, code).status_code == 302
    post_form(client, "/auth/logout", {}, token_from="/dashboard/")
    login(client, enrolled.user.email)
    r = _second_step(client, code)
    assert r.status_code == 400 and "already used" in r.get_data(as_text=True)
    # ...and so is an older step inside the window, once a newer one was used.
    clock.step()
    r = _second_step(client, enrolled.code(clock.now - 30))
    assert r.status_code == 400
    assert [a.reason for a in _attempts(db)][-2:] == ["replayed_code", "replayed_code"]
    assert _second_step(client, enrolled.code(clock.now)).status_code == 302


def test_five_wrong_codes_end_the_token(client, db, enrolled, clock):
    login(client, enrolled.user.email)
    for _ in range(5):
        assert _second_step(client, "123456").status_code == 400
    r = _second_step(client, enrolled.code(clock.now))
    assert r.status_code == 302 and r.location.endswith("/auth/login")
    reasons = [a.reason for a in _attempts(db)]
    assert reasons == ["mfa_required"] + ["bad_code"] * 5 + ["expired_code"]
    assert client.get("/dashboard/").status_code == 302


def test_wrong_codes_count_toward_the_email_lockout(client, db, outbox, enrolled, clock):
    """Fresh tokens do not give fresh guesses: wrong codes lock the email like wrong passwords."""
    login(client, enrolled.user.email)
    for _ in range(3):
        assert _second_step(client, "123456").status_code == 400
    login(client, enrolled.user.email)  # a new token, the same lockout record
    assert _second_step(client, "123456").status_code == 400
    r = _second_step(client, "123456")
    assert r.status_code == 400
    assert outbox[-1].subject == "Doorman: your sign-in is locked"
    assert login(client, enrolled.user.email).status_code == 429
    lock = db.session.get(LoginLockout, enrolled.user.email)
    assert lock.locked_until is not None
    assert [a.reason for a in _attempts(db)][-1] == "locked"


def test_the_second_step_page_without_a_token_sends_to_login(client):
    assert client.get("/auth/mfa").location.endswith("/auth/login")


def test_recovery_codes_are_single_use_and_mail_how_many_are_left(
    client, db, outbox, enrolled, clock
):
    code = enrolled.codes[0]
    login(client, enrolled.user.email)
    r = _second_step(client, code.upper().replace("-", " "), method="recovery_code")
    assert r.status_code == 302 and r.location.endswith("/dashboard/")
    assert outbox[-1].subject == "Doorman: a recovery code was used"
    assert "9 recovery codes left" in outbox[-1].body
    post_form(client, "/auth/logout", {}, token_from="/dashboard/")
    login(client, enrolled.user.email)
    assert _second_step(client, code, method="recovery_code").status_code == 400
    assert [(a.method, a.reason) for a in _attempts(db)][-1] == ("recovery_code", "bad_code")


def test_emailed_code_as_the_second_factor(client, db, outbox, enrolled):
    login(client, enrolled.user.email)
    r = post_form(client, "/auth/mfa/email-code", {}, token_from="/auth/mfa")
    assert r.status_code == 302 and r.location.endswith("/auth/mfa")
    code = re.search(r"\b(\d{6})\b", outbox[-1].body).group(1)
    assert outbox[-1].subject == "Doorman: your sign-in code"
    assert _second_step(client, code, method="email_code").status_code == 302
    assert _attempts(db)[-1].method == "email_code"


# ---------------------------------------------------------------- trusted browsers


def _trusted_sign_in(client, enrolled, clock):
    login(client, enrolled.user.email)
    r = _second_step(client, enrolled.code(clock.now), trust=True)
    assert r.status_code == 302
    assert mfa.TRUST_COOKIE in r.headers.get("Set-Cookie", "") or any(
        mfa.TRUST_COOKIE in h for h in r.headers.getlist("Set-Cookie")
    )
    post_form(client, "/auth/logout", {}, token_from="/dashboard/")


def test_a_trusted_browser_skips_the_second_factor_and_is_listed(client, db, enrolled, clock):
    _trusted_sign_in(client, enrolled, clock)
    r = login(client, enrolled.user.email)
    assert r.status_code == 302 and r.location.endswith("/dashboard/")
    page = client.get("/account/sessions").get_data(as_text=True)
    assert "Browsers that skip the second factor" in page
    browser = db.session.execute(select(TrustedBrowser)).scalar_one()
    assert f"/account/trusted-browsers/{browser.id}/revoke" in page
    assert [a.reason for a in _attempts(db)][-1] == "ok"


def test_revoking_a_trusted_browser_asks_again(client, db, enrolled, clock):
    _trusted_sign_in(client, enrolled, clock)
    login(client, enrolled.user.email)
    browser = db.session.execute(select(TrustedBrowser)).scalar_one()
    r = post_form(
        client, f"/account/trusted-browsers/{browser.id}/revoke", {}, token_from="/account/sessions"
    )
    assert r.status_code == 302
    post_form(client, "/auth/logout", {}, token_from="/dashboard/")
    assert login(client, enrolled.user.email).location.endswith("/auth/mfa")


def test_a_password_change_revokes_trusted_browsers(client, db, enrolled, clock):
    _trusted_sign_in(client, enrolled, clock)
    login(client, enrolled.user.email)
    r = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "another-long-passphrase-42",
            "password_repeat": "another-long-passphrase-42",
        },
    )
    assert r.status_code == 302
    post_form(client, "/auth/logout", {}, token_from="/dashboard/")
    r = login(client, enrolled.user.email, "another-long-passphrase-42")
    assert r.location.endswith("/auth/mfa")
    assert (
        db.session.scalar(
            select(func.count(TrustedBrowser.id)).where(TrustedBrowser.revoked_at.is_(None))
        )
        == 0
    )


def test_signing_out_everywhere_revokes_trusted_browsers(client, db, enrolled, clock):
    _trusted_sign_in(client, enrolled, clock)
    login(client, enrolled.user.email)
    post_form(client, "/account/sessions/revoke-others", {}, token_from="/account/sessions")
    assert db.session.execute(select(TrustedBrowser)).scalar_one().revoked_at is not None


def test_a_forged_trust_cookie_is_ignored(client, enrolled):
    client.set_cookie(mfa.TRUST_COOKIE, "forged.value.here")
    assert login(client, enrolled.user.email).location.endswith("/auth/mfa")


# ---------------------------------------------------------------- turning off, regenerating


def _sign_in_fully(client, enrolled, clock):
    login(client, enrolled.user.email)
    assert _second_step(client, enrolled.code(clock.now)).status_code == 302


def test_turning_off_needs_the_password_and_ends_codes_and_trust(
    client, db, outbox, enrolled, clock
):
    _trusted_sign_in(client, enrolled, clock)
    clock.step()
    _sign_in_fully(client, enrolled, clock)
    r = post_form(client, "/account/mfa/disable", {"disable-password": "wrong"})
    assert r.status_code == 400 and "incorrect" in r.get_data(as_text=True)
    assert db.session.get(User, enrolled.user.id).totp_enabled_at is not None
    r = post_form(client, "/account/mfa/disable", {"disable-password": PASSWORD})
    assert r.status_code == 302
    user = db.session.get(User, enrolled.user.id)
    assert user.totp_enabled_at is None and user.totp_secret_encrypted is None
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0
    assert db.session.execute(select(TrustedBrowser)).scalar_one().revoked_at is not None
    assert outbox[-1].subject == "Doorman: two-factor authentication is off"
    post_form(client, "/auth/logout", {}, token_from="/dashboard/")
    assert login(client, enrolled.user.email).location.endswith("/dashboard/")


def test_regenerating_codes_needs_the_password_and_ends_the_old_set(
    client, db, outbox, enrolled, clock
):
    _sign_in_fully(client, enrolled, clock)
    r = post_form(client, "/account/mfa/recovery-codes", {"regenerate-password": "wrong"})
    assert r.status_code == 400
    r = post_form(client, "/account/mfa/recovery-codes", {"regenerate-password": PASSWORD})
    assert r.status_code == 200
    new = re.findall(r"<li[^>]*>([a-z2-9]{5}-[a-z2-9]{5})</li>", r.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(enrolled.codes)
    assert outbox[-1].subject == "Doorman: new recovery codes"
    post_form(client, "/auth/logout", {}, token_from="/dashboard/")
    login(client, enrolled.user.email)
    assert _second_step(client, enrolled.codes[1], method="recovery_code").status_code == 400
    assert _second_step(client, new[0], method="recovery_code").status_code == 302


# ---------------------------------------------------------------- enforcement per role


@pytest.fixture
def staff_must_enrol(app_factory):
    return app_factory(MFA_REQUIRED_ROLES="staff,admin")


@pytest.mark.parametrize("role, must", [("user", False), ("staff", True), ("admin", True)])
def test_required_roles_are_sent_to_enrolment_and_can_do_nothing_else(
    staff_must_enrol, clock, role, must
):
    from tests.helpers import make_user

    app = staff_must_enrol
    client = app.test_client()
    with app.app_context():
        person = make_user(role=role)
    r = login(client, person.email)
    assert r.status_code == 302
    for path in ("/dashboard/", "/account/", "/account/sessions"):
        r = client.get(path)
        if must:
            assert r.status_code == 302 and r.location.endswith("/account/mfa")
        else:
            assert r.status_code == 200
    assert client.get("/account/mfa").status_code == 200
    if not must:
        return
    post_form(client, "/account/mfa/setup", {}, token_from="/account/mfa")
    page = client.get("/account/mfa").get_data(as_text=True)
    assert "Your account requires two-factor authentication" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    code = pyotp.TOTP(secret).at(clock.now)
    r = post_form(client, "/account/mfa/confirm", {"code": code}, token_from="/account/mfa")
    assert r.status_code == 200
    assert client.get("/dashboard/").status_code == 200


# ---------------------------------------------------------------- passwordless


def _request_code(client, email):
    return post_form(client, "/auth/login-code", {"email": email})


def _mailed_code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1].body).group(1)


def test_passwordless_code_signs_in(client, db, outbox, user_factory):
    person = user_factory()
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in with a code instead" in page
    r = _request_code(client, person.email)
    assert r.status_code == 302 and "/auth/login-code/verify" in r.location
    code = _mailed_code(outbox)
    r = post_form(
        client,
        "/auth/login-code/verify",
        {"email": person.email, "code": code},
        token_from="/auth/login-code",
    )
    assert r.status_code == 302 and r.location.endswith("/dashboard/")
    assert [(a.method, a.reason) for a in _attempts(db)] == [("email_code", "ok")]


def test_passwordless_same_answer_for_unknown_email(client, outbox, user_factory):
    person = user_factory()
    pages = []
    for email in (person.email, "nobody@example.com"):
        r = _request_code(client, email)
        assert r.status_code == 302
        pages.append(client.get(r.location).get_data(as_text=True).replace(email, "EMAIL"))
    assert "If this address can sign in, a code is on its way." in pages[0]
    strip = re.compile(r'name="csrf_token"[^>]*>')
    assert strip.sub("", pages[0]) == strip.sub("", pages[1])
    assert len(outbox) == 1


def test_passwordless_only_the_newest_code_works_and_five_tries(client, db, outbox, user_factory):
    person = user_factory()
    _request_code(client, person.email)
    first = _mailed_code(outbox)
    _request_code(client, person.email)
    newest = _mailed_code(outbox)

    def verify(code):
        return post_form(
            client,
            "/auth/login-code/verify",
            {"email": person.email, "code": code},
            token_from="/auth/login-code",
        ).status_code

    if first != newest:
        assert verify(first) == 400
    wrong = "000000" if newest != "000000" else "111111"
    while len(_attempts(db)) < 5:
        assert verify(wrong) == 400
    assert verify(newest) == 429
    assert [a.reason for a in _attempts(db)][-1] == "locked"


def test_passwordless_with_totp_still_asks_for_it(client, db, outbox, enrolled, clock):
    _request_code(client, enrolled.user.email)
    r = post_form(
        client,
        "/auth/login-code/verify",
        {"email": enrolled.user.email, "code": _mailed_code(outbox)},
        token_from="/auth/login-code",
    )
    assert r.location.endswith("/auth/mfa")
    page = client.get("/auth/mfa").get_data(as_text=True)
    assert "authenticator" in page
    # A mailed code cannot also be the second factor of a mailed-code sign-in.
    assert _second_step(client, "123456", method="email_code").status_code == 400
    assert _second_step(client, enrolled.code(clock.now)).status_code == 302
    assert [(a.method, a.reason) for a in _attempts(db)] == [
        ("email_code", "mfa_required"),
        ("email_code", "bad_code"),
        ("totp", "ok"),
    ]


def test_csrf_token_is_needed_on_the_second_step(client, enrolled):
    login(client, enrolled.user.email)
    assert client.post("/auth/mfa", data={"code": "123456"}).status_code == 400
    assert csrf_token(client, "/auth/mfa")


# ---------------------------------------------------------------- dashboards


def _rows_of(html: str, table_id: str) -> list[list[str]]:
    table = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_personal_dashboard_breaks_sign_ins_down_by_method(client, enrolled, clock):
    login(client, enrolled.user.email)
    _second_step(client, "000000" if enrolled.code(clock.now) != "000000" else "111111")
    _second_step(client, enrolled.code(clock.now))
    html = client.get("/dashboard/").get_data(as_text=True)
    assert _rows_of(html, "methods-table") == [["authenticator code", "1", "1"]]
    assert 'id="stat-total">2<' in html  # the password step is not an attempt of its own


def test_admin_analytics_show_methods_and_coverage_per_role(app, client, actor, clock):
    enrol(app, clock, role="staff")
    enrol(app, clock)
    actor("admin")
    html = client.get("/dashboard/admin/").get_data(as_text=True)
    assert _rows_of(html, "factor-coverage") == [
        ["Regular user", "1", "1", "100.0%"],
        ["Staff", "1", "1", "100.0%"],
        ["Administrator", "1", "0", "0.0%"],
    ]
    assert ["password", "1", "0"] in _rows_of(html, "methods-table")
    assert 'id="factor-coverage-trend"' in html


# ---------------------------------------------------------------- admin actions


def _admin_action(client, name, ids):
    return post_form(
        client,
        "/admin/admin_users/action/",
        {"action": name, "rowid": [str(i) for i in ids]},
        token_from="/account/",
    )


def test_admin_can_require_two_factor_of_a_user(app, actor, user_factory, db, clock):
    person = user_factory()
    admin_client = app.test_client()
    from tests.helpers import Actor, make_user

    with app.app_context():
        admin = make_user(role="admin")
    Actor.sign_in(admin_client, "admin", admin)
    assert _admin_action(admin_client, "require_mfa", [person.id]).status_code == 302
    assert db.session.get(User, person.id).mfa_required is True
    client = app.test_client()
    login(client, person.email)
    assert client.get("/dashboard/").location.endswith("/account/mfa")
    # Staff can read the users but not run the action.
    staff_client = app.test_client()
    with app.app_context():
        staff = make_user(role="staff")
    Actor.sign_in(staff_client, "staff", staff)
    _admin_action(staff_client, "waive_mfa", [person.id])
    assert db.session.get(User, person.id).mfa_required is True


def test_admin_can_reset_a_lost_authenticator(app, client, actor, db, outbox, clock):
    person = enrol(app, clock)
    actor("admin")
    assert _admin_action(client, "reset_mfa", [person.user.id]).status_code == 302
    user = db.session.get(User, person.user.id)
    assert user.totp_enabled_at is None and user.totp_secret_encrypted is None
    assert outbox[-1].subject == "Doorman: two-factor authentication is off"
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0


# ---------------------------------------------------------------- SMS channel


def _texts(app) -> list[str]:
    from webapp.services.sms import sms_dir

    with app.app_context():
        return [p.read_text() for p in sorted(sms_dir().glob("*.txt"))]


def _texted_code(app) -> str:
    return re.search(r"\b(\d{6})\b", _texts(app)[-1]).group(1)


def test_a_confirmed_phone_receives_second_step_codes(app, client, db, enrolled, clock):
    user = db.session.get(User, enrolled.user.id)
    user.phone = "+41 79 555 01 23"
    db.session.commit()
    _sign_in_fully(client, enrolled, clock)
    assert "is not confirmed yet" in client.get("/account/mfa").get_data(as_text=True)
    post_form(client, "/account/phone/send", {}, token_from="/account/mfa")
    assert _texts(app)[-1].startswith("To: +41 79 555 01 23")
    r = post_form(client, "/account/phone/confirm", {"phone-code": "000000"}, token_from="/")
    assert r.status_code == 400 or _texted_code(app) == "000000"
    r = post_form(
        client, "/account/phone/confirm", {"phone-code": _texted_code(app)}, token_from="/"
    )
    assert r.status_code == 302
    assert 'id="phone-confirmed"' in client.get("/account/mfa").get_data(as_text=True)
    post_form(client, "/auth/logout", {}, token_from="/dashboard/")

    login(client, enrolled.user.email)
    assert 'id="mfa-sms-form"' in client.get("/auth/mfa").get_data(as_text=True)
    post_form(client, "/auth/mfa/sms-code", {}, token_from="/auth/mfa")
    r = _second_step(client, _texted_code(app), method="sms_code")
    assert r.status_code == 302 and r.location.endswith("/dashboard/")
    assert [(a.method, a.reason) for a in _attempts(db)][-1] == ("sms_code", "ok")


def test_a_new_number_must_be_confirmed_again(app, db, user_factory):
    person = user_factory()
    user = db.session.get(User, person.id)
    user.phone = "+1 555 0100"
    user.phone_verified_at = user.created_at
    db.session.commit()
    user.phone = "+1 555 0199"
    db.session.commit()
    assert db.session.get(User, person.id).phone_verified_at is None


def test_without_a_confirmed_phone_there_is_no_sms_step(client, enrolled):
    login(client, enrolled.user.email)
    page = client.get("/auth/mfa").get_data(as_text=True)
    assert 'id="mfa-sms-form"' not in page and 'value="sms_code"' not in page
    r = post_form(client, "/auth/mfa/sms-code", {}, token_from="/auth/mfa")
    assert r.location.endswith("/auth/login")


class RecordingSms:
    """A provider as a deployment would plug one in (SMS_BACKEND="module:Class")."""

    sent: list[tuple[str, str]] = []

    def __init__(self, app) -> None:
        self.app = app

    def send(self, to: str, body: str) -> None:
        RecordingSms.sent.append((to, body))


def test_a_provider_plugs_in_by_dotted_path(app_factory, user_factory, db):
    app = app_factory(SMS_BACKEND="tests.test_mfa:RecordingSms")
    person = user_factory()
    with app.test_request_context():
        from webapp.extensions import db as ext_db

        user = ext_db.session.get(User, person.id)
        user.phone = "+44 20 7946 0000"
        assert mfa.send_phone_confirmation(user) is True
    assert RecordingSms.sent[-1][0] == "+44 20 7946 0000"
