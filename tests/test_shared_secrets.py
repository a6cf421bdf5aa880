"""Several app nodes share one secret key and one RSA key (from a setting or a file), so a
session or an encrypted password from one node works on the other."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.helpers import PASSWORD, login, make_user
from webapp import create_app


@pytest.fixture
def two_nodes(app_factory, tmp_path):
    """Build two apps on one database, each with its own instance folder."""

    def build(**shared):
        first = app_factory(INSTANCE_PATH=str(tmp_path / "node1"), **shared)
        second = app_factory(INSTANCE_PATH=str(tmp_path / "node2"), _keep_data=True, **shared)
        return first, second

    return build


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.mark.parametrize("shared", [True, False])
def test_a_session_opened_on_one_node_works_on_the_other(two_nodes, tmp_path, shared):
    secret = tmp_path / "secret_key"
    secret.write_text("a-secret-shared-by-every-node-0123456789abcdef\n")
    settings = {"SECRET_KEY": None, "SECRET_KEY_FILE": str(secret) if shared else None}
    first, second = two_nodes(**settings)
    with first.app_context():
        user = make_user()
    one, other = first.test_client(), second.test_client()
    assert login(one, user.email).status_code == 302
    other.set_cookie("session", one.get_cookie("session").value)
    r = other.get("/dashboard/")
    if shared:
        assert r.status_code == 200
        assert (
            first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == secret.read_text().strip()
        )
    else:  # each node generated its own key: the other node's cookie means nothing
        assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


@pytest.mark.parametrize("source", ["pem", "pem_escaped", "path", "none"])
def test_an_encrypted_password_from_one_node_opens_on_the_other(two_nodes, tmp_path, source):
    pem = _pem()
    key_file = tmp_path / "rsa.pem"
    key_file.write_text(pem)
    settings = {
        "pem": {"RSA_PRIVATE_KEY": pem},
        "pem_escaped": {"RSA_PRIVATE_KEY": pem.replace("\n", "\\n")},  # as in an env file
        "path": {"RSA_PRIVATE_KEY_PATH": str(key_file)},
        "none": {},
    }[source]
    first, second = two_nodes(**settings)
    with first.app_context():
        user = make_user()
    public = first.test_client().get("/api/user/public-key/").json["public_key"]
    ciphertext = serialization.load_pem_public_key(public.encode()).encrypt(
        PASSWORD.encode(),
        padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    r = second.test_client().post(
        "/api/user/token/", json={"email": user.email, "encrypted_password": ciphertext.hex()}
    )
    if source == "none":  # each node made its own key pair in its instance folder
        assert r.status_code == 400
    else:
        assert r.status_code == 200, r.json
        other_public = second.test_client().get("/api/user/public-key/").json["public_key"]
        assert other_public == public


def test_production_takes_the_secret_key_from_a_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("production-secret-from-a-file-0123456789abcdef")
    settings = {"INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": None}
    app = create_app("production", SECRET_KEY_FILE=str(secret), **settings)
    assert app.config["SECRET_KEY"] == "production-secret-from-a-file-0123456789abcdef"
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY_FILE=None, **settings)
