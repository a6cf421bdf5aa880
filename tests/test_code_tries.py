"""Code pages say how many tries are left, and after the lock what to do, for every email alike."""

from __future__ import annotations

import re

from tests.conftest import extract
from tests.helpers import PASSWORD, post_form

LEFT = re.compile(r"That code is not right\. (\d) tr(?:y|ies) left\.")


def register(client, email="casey@example.com"):
    data = {
        "username": "casey_c",
        "email": email,
        "password": PASSWORD,
        "password_repeat": PASSWORD,
    }
    return post_form(client, "/auth/register", data)


def verify(client, email: str, code: str):
    return post_form(client, "/auth/verify", {"email": email, "code": code})


def sign_in_with_code(client, email: str, code: str):
    data = {"email": email, "code": code}
    return post_form(client, "/auth/login-code/verify", data, token_from="/auth/login-code")


def wrong_than(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_the_verify_page_counts_down_then_points_to_the_link(client, outbox):
    register(client)
    code = extract(r"\): (\d{6})", outbox[0].body)
    pages = [verify(client, "casey@example.com", wrong_than(code)) for _ in range(5)]
    assert [p.status_code for p in pages] == [400] * 5
    assert [LEFT.search(p.text).group(1) for p in pages[:4]] == ["4", "3", "2", "1"]
    assert "1 try left." in pages[3].text
    last = pages[4].text
    assert "Too many wrong codes: the code is locked." in last
    assert "Open the link in the email we sent you" in last
    assert re.search(r"try the code again in (10|9) minutes\.", last)
    locked = verify(client, "casey@example.com", code)  # even the right code, while locked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 500
    assert "Open the link in the email we sent you" in locked.text


def test_unknown_emails_count_down_alike(client, outbox):
    register(client)
    code = extract(r"\): (\d{6})", outbox[0].body)
    for email in ("casey@example.com", "nobody@example.com"):
        texts = [verify(client, email, wrong_than(code)).text for _ in range(2)]
        assert [LEFT.search(t).group(1) for t in texts] == ["4", "3"]


def test_a_new_email_gives_fresh_tries(client, outbox):
    register(client)
    code = extract(r"\): (\d{6})", outbox[0].body)
    for _ in range(2):
        verify(client, "casey@example.com", wrong_than(code))
    post_form(
        client,
        "/auth/resend-verification",
        {"email": "casey@example.com"},
        token_from="/auth/verify",
    )
    fresh = extract(r"\): (\d{6})", outbox[-1].body)
    page = verify(client, "casey@example.com", wrong_than(fresh))
    assert LEFT.search(page.text).group(1) == "4"


def test_the_sign_in_code_page_counts_down_for_everyone(client, outbox, user_factory):
    person = user_factory()
    answers = {}
    for email in (person.email, "nobody@example.com"):
        post_form(client, "/auth/login-code", {"email": email})
        mailed = re.search(r"\b(\d{6})\b", outbox[-1].body).group(1)  # the known one's
        pages = [sign_in_with_code(client, email, wrong_than(mailed)) for _ in range(5)]
        answers[email] = [LEFT.search(p.text).group(1) for p in pages[:4]], pages[4].text
    known, unknown = answers[person.email], answers["nobody@example.com"]
    assert known[0] == unknown[0] == ["4", "3", "2", "1"]
    for text in (known[1], unknown[1]):
        assert "Too many wrong codes: this code no longer works. Ask for a new code in" in text
