"""Signing keys: generated once, shared through a directory, rotated, published as a JWK Set."""

import json
import logging
import os
import stat
import subprocess
import sys
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from auth.service_user_tokens import CLOCK_LEEWAY, MAX_LIFETIME, ServiceUserTokens
from auth.signing_keys import MANIFEST_NAME, SigningKeyError, SigningKeyStore, key_thumbprint
from db.clock import utcnow
from tests.support.live_server import REPOSITORY
from tests.support.service_users import (
    as_service_user,
    assumed_token,
    setup_assumable_service_user,
)

WINDOW = MAX_LIFETIME + CLOCK_LEEWAY
ME = "{ me { user { username } } }"


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def key_dir(tmp_path):
    return tmp_path / "keys"


def test_signing_key_generated_on_first_start(key_dir):
    store = SigningKeyStore(key_dir, WINDOW)

    key = store.ensure_key()

    manifest = json.loads((key_dir / MANIFEST_NAME).read_text())
    assert [entry["kid"] for entry in manifest["keys"]] == [key.kid]
    assert manifest["keys"][0]["retired_at"] is None
    assert manifest["keys"][0]["created_at"] == key.created_at.isoformat()
    assert _mode(key_dir) == 0o700
    assert _mode(key_dir / MANIFEST_NAME) == 0o600
    assert _mode(key_dir / f"{key.kid}.pem") == 0o600


def test_signing_key_files_private_despite_umask(key_dir):
    previous = os.umask(0)
    try:
        key = SigningKeyStore(key_dir, WINDOW).ensure_key()
    finally:
        os.umask(previous)

    assert _mode(key_dir / f"{key.kid}.pem") == 0o600
    assert _mode(key_dir / MANIFEST_NAME) == 0o600


def test_signing_key_loaded_not_regenerated(key_dir):
    first = SigningKeyStore(key_dir, WINDOW).ensure_key()

    second = SigningKeyStore(key_dir, WINDOW).ensure_key()

    assert second.kid == first.kid
    assert sorted(p.name for p in key_dir.glob("*.pem")) == [f"{first.kid}.pem"]


def test_kid_is_rfc7638_thumbprint():
    # Test vector of RFC 8037, appendix A.3.
    public_key = Ed25519PublicKey.from_public_bytes(
        bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    )

    assert key_thumbprint(public_key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_jwks_document_shape(key_dir):
    store = SigningKeyStore(key_dir, WINDOW)
    key = store.ensure_key()

    document = store.jwks()

    assert document == {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": key.public_jwk()["x"],
                "kid": key.kid,
                "alg": "EdDSA",
                "use": "sig",
            }
        ]
    }
    assert "d" not in document["keys"][0]


def test_rotate_new_key_signs_old_stays_published(key_dir):
    store = SigningKeyStore(key_dir, WINDOW)
    old = store.ensure_key()

    new, retired = store.rotate()

    assert [key.kid for key in retired] == [old.kid]
    assert store.signing_key().kid == new.kid
    assert [key["kid"] for key in store.jwks()["keys"]] == [old.kid, new.kid]
    assert store.verification_key(old.kid) is not None


def test_retired_key_unpublished_after_window(key_dir):
    store = SigningKeyStore(key_dir, WINDOW)
    old = store.ensure_key()
    new, _ = store.rotate()
    retired_at = store.verification_key(old.kid).retired_at

    just_inside = retired_at + WINDOW - timedelta(seconds=1)
    just_outside = retired_at + WINDOW

    assert store.verification_key(old.kid, now=just_inside) is not None
    assert store.verification_key(old.kid, now=just_outside) is None
    assert [key["kid"] for key in store.jwks(now=just_outside)["keys"]] == [new.kid]


def test_rotate_removes_keys_past_window(key_dir):
    store = SigningKeyStore(key_dir, WINDOW)
    first = store.ensure_key()
    store.rotate(now=utcnow() - WINDOW - timedelta(minutes=5))

    third, _ = store.rotate()

    assert not (key_dir / f"{first.kid}.pem").exists()
    assert first.kid not in {key.kid for key in store.stored_keys()}
    assert store.signing_key().kid == third.kid


def test_rotation_seen_by_other_store(key_dir):
    # Two stores on one directory stand for two server processes.
    serving = SigningKeyStore(key_dir, WINDOW)
    serving.ensure_key()
    rotating = SigningKeyStore(key_dir, WINDOW)

    new, _ = rotating.rotate()

    assert serving.signing_key().kid == new.kid


def test_world_readable_key_file_logged(key_dir, caplog):
    key = SigningKeyStore(key_dir, WINDOW).ensure_key()
    (key_dir / f"{key.kid}.pem").chmod(0o644)

    with caplog.at_level(logging.WARNING, logger="auth.signing_keys"):
        SigningKeyStore(key_dir, WINDOW).stored_keys()

    assert "chmod 600" in caplog.text
    assert "BEGIN PRIVATE KEY" not in caplog.text


def test_corrupt_manifest_rejected(key_dir):
    SigningKeyStore(key_dir, WINDOW).ensure_key()
    (key_dir / MANIFEST_NAME).write_text("{not json")

    with pytest.raises(SigningKeyError, match="Cannot read the signing-key manifest"):
        SigningKeyStore(key_dir, WINDOW).signing_key()


def test_manifest_kid_not_matching_key_rejected(key_dir):
    store = SigningKeyStore(key_dir, WINDOW)
    key = store.ensure_key()
    other, _ = store.rotate()
    manifest = json.loads((key_dir / MANIFEST_NAME).read_text())
    (key_dir / f"{other.kid}.pem").replace(key_dir / f"{key.kid}.pem")
    (key_dir / MANIFEST_NAME).write_text(json.dumps(manifest))

    with pytest.raises(SigningKeyError, match="does not match its kid"):
        SigningKeyStore(key_dir, WINDOW).stored_keys()


def test_issued_token_verifies_with_public_jwk(settings, key_dir):
    store = SigningKeyStore(key_dir, WINDOW)
    store.ensure_key()
    issued = ServiceUserTokens(settings, store).issue(
        service_user_id="su", role_id="role", actor_id="person", lifetime=timedelta(minutes=5)
    )

    jwk_set = jwt.PyJWKSet.from_dict(store.jwks())
    claims = jwt.decode(
        issued.token,
        jwk_set[issued.kid],
        algorithms=["EdDSA"],
        audience=settings.audience,
        issuer=settings.issuer,
    )

    assert claims["sub"] == "su"
    assert claims["act"] == {"sub": "person"}
    assert jwt.get_unverified_header(issued.token) == {
        "alg": "EdDSA",
        "kid": issued.kid,
        "typ": "at+jwt",
    }


@pytest.mark.parametrize("minutes", [0, 181])
def test_issue_never_outside_lifetime_range(settings, key_dir, minutes):
    store = SigningKeyStore(key_dir, WINDOW)
    store.ensure_key()

    with pytest.raises(ValueError, match="lifetime"):
        ServiceUserTokens(settings, store).issue(
            service_user_id="su",
            role_id="role",
            actor_id="person",
            lifetime=timedelta(minutes=minutes),
        )


async def test_jwks_endpoint_publishes_app_key(api, app):
    key = app.state.app_state.signing_keys.signing_key()

    response = await api.client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response.json() == {"keys": [key.public_jwk()]}
    assert "max-age" in response.headers["cache-control"]


async def test_token_survives_rotation(api, app, engine):
    world = await setup_assumable_service_user(engine)
    before = await assumed_token(
        api, world.owner.token, world.service_user_id, world.ingest_role_id
    )

    new_key, _ = app.state.app_state.signing_keys.rotate()
    after = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    assert (await api.execute(ME, headers=as_service_user(before))).status == 200
    assert (await api.execute(ME, headers=as_service_user(after))).status == 200
    assert jwt.get_unverified_header(after)["kid"] == new_key.kid
    assert jwt.get_unverified_header(before)["kid"] != new_key.kid
    published = (await api.client.get("/.well-known/jwks.json")).json()["keys"]
    assert len(published) == 2


async def test_token_of_unpublished_key_rejected(api, app, engine):
    world = await setup_assumable_service_user(engine)
    store = app.state.app_state.signing_keys
    old_key = store.signing_key()
    # The first key was retired longer ago than the longest token lifetime plus the leeway.
    store.rotate(now=utcnow() - WINDOW - timedelta(seconds=1))
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(
        claims,
        old_key.private_key,
        algorithm="EdDSA",
        headers={"kid": old_key.kid, "typ": "at+jwt"},
    )

    result = await api.execute(ME, headers=as_service_user(forged))

    assert result.status == 401
    assert "does not publish" in result.body["errors"][0]["message"]


def test_rotate_signing_key_command(tmp_path, key_dir):
    SigningKeyStore(key_dir, WINDOW).ensure_key()
    env = {
        **os.environ,
        "SIGNING_KEYS_DIR": str(key_dir),
        "DATA_DIR": str(tmp_path / "data"),
    }

    completed = subprocess.run(
        [sys.executable, str(REPOSITORY / "server.py"), "rotate-signing-key"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    store = SigningKeyStore(key_dir, WINDOW)
    keys = store.stored_keys()
    assert len(keys) == 2
    assert f"New signing key {store.signing_key().kid}" in completed.stdout
    assert f"Retired key {keys[0].kid}" in completed.stdout
