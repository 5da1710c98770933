"""Forged, altered and stale service-user tokens: each is rejected with 401 and a clear reason."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete

from auth.signing_keys import key_thumbprint
from db.engine import create_session_factory
from db.tables import RoleAttachment
from db.tables.roles import DEFAULT_USERS_ROLE_ID
from tests.support.service_users import (
    as_service_user,
    assumed_token,
    create_access_token,
    delete_user,
    remove_share,
    setup_assumable_service_user,
)

ME = "{ me { user { username } actor { username } } }"
DISABLE_USER = """
mutation Disable($id: ID!) { disableUser(input: {userId: $id}) { errors { code message } } }
"""
ATTACH_ROLE = """
mutation Attach($userId: ID!, $roleId: ID!) {
  attachRole(input: {userId: $userId, roleId: $roleId}) { errors { code message } }
}
"""
DETACH_ROLE = """
mutation Detach($userId: ID!, $roleId: ID!) {
  detachRole(input: {userId: $userId, roleId: $roleId}) { errors { code message } }
}
"""
REMOVE_TAG_MEMBER = """
mutation Remove($tagId: ID!, $userId: ID!) {
  removeTagMember(input: {tagId: $tagId, userId: $userId}) { errors { code message } }
}
"""


@pytest.fixture
async def world(engine):
    return await setup_assumable_service_user(engine)


@pytest.fixture
async def token(api, world) -> str:
    return await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)


@pytest.fixture
def signing_key(app):
    return app.state.app_state.signing_keys.signing_key()


def _segment(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _header(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def _resign(signing_key, claims: dict[str, Any], **header: Any) -> str:
    """Sign claims with the server's own key, so only the claims decide the outcome."""
    headers = {"kid": signing_key.kid, "typ": "at+jwt", **header}
    return jwt.encode(claims, signing_key.private_key, algorithm="EdDSA", headers=headers)


async def _rejected(api, token: str, expected: str, **headers: str) -> None:
    result = await api.execute(ME, headers={**as_service_user(token), **headers})

    assert result.status == 401, result.body
    assert result.error_codes == ["UNAUTHENTICATED"]
    assert expected in result.body["errors"][0]["message"]
    assert result.headers["www-authenticate"].startswith('Bearer realm="service-users"')


async def test_genuine_token_accepted(api, token):
    result = await api.execute(ME, headers=as_service_user(token))

    assert result.data["me"] == {"user": {"username": "etl-bot"}, "actor": {"username": "alice"}}


async def test_alg_none_rejected(api, token):
    header = {**_header(token), "alg": "none"}
    forged = f"{_segment(header)}.{token.split('.')[1]}."

    await _rejected(api, forged, "algorithm 'none'")


@pytest.mark.parametrize("key_form", ["raw", "pem", "jwk-x"])
async def test_hmac_signed_with_public_key_rejected(api, token, signing_key, key_form):
    public_key = signing_key.public_key
    secrets = {
        "raw": public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        "pem": public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk-x": signing_key.public_jwk()["x"].encode(),
    }
    signing_input = f"{_segment({**_header(token), 'alg': 'HS256'})}.{token.split('.')[1]}"
    mac = hmac.new(secrets[key_form], signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    await _rejected(api, forged, "algorithm 'HS256'")


async def test_unknown_kid_rejected(api, token):
    stranger_key = Ed25519PrivateKey.generate()
    kid = key_thumbprint(stranger_key.public_key())
    forged = jwt.encode(
        _claims(token), stranger_key, algorithm="EdDSA", headers={"kid": kid, "typ": "at+jwt"}
    )

    await _rejected(api, forged, f"names signing key '{kid}', which this server does not publish")


async def test_missing_kid_rejected(api, token, signing_key):
    forged = jwt.encode(
        _claims(token), signing_key.private_key, algorithm="EdDSA", headers={"typ": "at+jwt"}
    )

    await _rejected(api, forged, "names signing key None")


async def test_foreign_key_with_our_kid_rejected(api, token, signing_key):
    stranger_key = Ed25519PrivateKey.generate()
    forged = jwt.encode(
        _claims(token),
        stranger_key,
        algorithm="EdDSA",
        headers={"kid": signing_key.kid, "typ": "at+jwt"},
    )

    await _rejected(api, forged, "signature does not match")


async def test_changed_payload_rejected(api, token, world):
    claims = {**_claims(token), "role": world.unattached_role_id}
    header_segment, _, signature = token.split(".")
    forged = f"{header_segment}.{_segment(claims)}.{signature}"

    await _rejected(api, forged, "signature does not match")


async def test_changed_signature_rejected(api, token):
    header_segment, payload_segment, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    await _rejected(api, f"{header_segment}.{payload_segment}.{flipped}", "signature")


@pytest.mark.parametrize("issuer", ["someone-else", "service-users-evil", ""])
async def test_wrong_issuer_rejected(api, token, signing_key, issuer):
    forged = _resign(signing_key, {**_claims(token), "iss": issuer})

    await _rejected(api, forged, "not issued by 'service-users'")


@pytest.mark.parametrize(
    "audience",
    [
        "other-api",
        "service-users-api-evil",
        ["service-users-api", "other-api"],
        ["service-users-api"],
    ],
    ids=["other", "longer-string", "list-containing-ours", "list-of-ours"],
)
async def test_wrong_audience_rejected(api, token, signing_key, audience):
    forged = _resign(signing_key, {**_claims(token), "aud": audience})

    await _rejected(api, forged, "audience is not exactly 'service-users-api'")


async def test_expired_token_rejected(api, token, signing_key):
    now = int(time.time())
    claims = {**_claims(token), "iat": now - 3600, "nbf": now - 3600, "exp": now - 60}

    await _rejected(api, _resign(signing_key, claims), "has expired")


async def test_nbf_beyond_leeway_rejected(api, token, signing_key):
    now = int(time.time())
    claims = {**_claims(token), "nbf": now + 120}

    await _rejected(api, _resign(signing_key, claims), "not valid yet")


async def test_iat_beyond_leeway_rejected(api, token, signing_key):
    now = int(time.time())
    claims = {**_claims(token), "iat": now + 120, "nbf": now}

    await _rejected(api, _resign(signing_key, claims), "not valid yet")


async def test_iat_few_seconds_ahead_accepted(api, token, signing_key):
    now = int(time.time())
    claims = {**_claims(token), "iat": now + 5, "nbf": now + 5}

    result = await api.execute(ME, headers=as_service_user(_resign(signing_key, claims)))

    assert result.data["me"]["user"] == {"username": "etl-bot"}


async def test_lifetime_over_maximum_rejected(api, token, signing_key):
    claims = _claims(token)
    claims["exp"] = claims["iat"] + 181 * 60

    await _rejected(api, _resign(signing_key, claims), "longer than the maximum")


@pytest.mark.parametrize(
    "claim", ["iss", "aud", "sub", "client_id", "iat", "nbf", "exp", "jti", "role", "act"]
)
async def test_missing_claim_rejected(api, token, signing_key, claim):
    claims = _claims(token)
    del claims[claim]

    await _rejected(api, _resign(signing_key, claims), f"lacks the required '{claim}' claim")


async def test_act_without_person_rejected(api, token, signing_key):
    claims = {**_claims(token), "act": {"client": "x"}}

    await _rejected(api, _resign(signing_key, claims), "'act' claim does not name")


async def test_client_id_other_than_sub_rejected(api, token, signing_key, world):
    claims = {**_claims(token), "client_id": world.owner.user_id}

    await _rejected(api, _resign(signing_key, claims), "'client_id' claim differs")


@pytest.mark.parametrize("token_type", ["JWT", "at+jwt+evil", None])
async def test_other_token_type_rejected(api, token, signing_key, token_type):
    forged = jwt.encode(
        _claims(token),
        signing_key.private_key,
        algorithm="EdDSA",
        headers={"kid": signing_key.kid, "typ": token_type},
    )

    await _rejected(api, forged, "only 'at+jwt' tokens")


async def test_media_type_form_of_typ_accepted(api, token, signing_key):
    forged = _resign(signing_key, _claims(token), typ="application/AT+JWT")

    result = await api.execute(ME, headers=as_service_user(forged))

    assert result.data["me"]["user"] == {"username": "etl-bot"}


async def test_jku_header_rejected(api, token, signing_key):
    forged = _resign(signing_key, _claims(token), jku="http://127.0.0.1:1/jwks.json")

    await _rejected(api, forged, "unsupported members jku")


async def test_jti_not_in_registry_rejected(api, token, signing_key):
    claims = {**_claims(token), "jti": str(uuid.uuid4())}

    await _rejected(api, _resign(signing_key, claims), "is not in the token registry")


async def test_registry_mismatch_role_rejected(api, token, signing_key, world):
    claims = {**_claims(token), "role": world.reader_role_id}

    await _rejected(api, _resign(signing_key, claims), "is not in the token registry")


async def test_malformed_token_rejected(api):
    await _rejected(api, "not-a-jwt", "does not contain a well-formed JWT")


async def test_oversized_token_rejected(api, token):
    await _rejected(api, token + "A" * 5000, "characters long")


async def test_session_token_in_service_user_header_rejected(api, world):
    await _rejected(api, world.owner.token, "contains a session token")


async def test_access_token_in_service_user_header_rejected(api, world):
    created = await create_access_token(api, DEFAULT_USERS_ROLE_ID, token=world.owner.token)

    await _rejected(api, created["secret"], "contains an access token")


async def test_disabled_service_user_token_rejected(api, token, world, admin):
    await api.execute(DISABLE_USER, {"id": world.service_user_id}, token=admin.token)

    await _rejected(api, token, "Service user 'etl-bot' is disabled")


async def test_deleted_service_user_token_rejected(api, token, world, engine):
    await delete_user(engine, world.service_user_id)

    await _rejected(api, token, "service user of this token no longer exists")


async def test_detached_role_token_rejected(api, token, world, admin):
    result = await api.execute(
        DETACH_ROLE,
        {"userId": world.service_user_id, "roleId": world.ingest_role_id},
        token=admin.token,
    )
    assert result.data["detachRole"]["errors"] == []

    await _rejected(api, token, "was revoked")


async def test_detached_role_token_stays_dead_after_reattach(api, token, world, admin):
    variables = {"userId": world.service_user_id, "roleId": world.ingest_role_id}
    await api.execute(DETACH_ROLE, variables, token=admin.token)

    reattached = await api.execute(ATTACH_ROLE, variables, token=admin.token)

    assert reattached.data["attachRole"]["errors"] == []
    await _rejected(api, token, "was revoked")
    await _rejected(api, token, "was revoked", role_id=world.reader_role_id)


async def test_role_attachment_gone_token_rejected(api, token, world, engine):
    # Rows removed outside detachRole are still caught by the per-request check.
    async with create_session_factory(engine)() as session:
        await session.execute(
            delete(RoleAttachment).where(
                RoleAttachment.user_id == world.service_user_id,
                RoleAttachment.role_id == world.ingest_role_id,
            )
        )
        await session.commit()

    await _rejected(api, token, "no longer attached", role_id=world.reader_role_id)


async def test_issuer_lost_share_token_rejected(api, token, world, engine):
    await remove_share(engine, world.owner_share_id)

    await _rejected(api, token, "'alice', who assumed service user 'etl-bot', no longer has")


async def test_tag_member_removed_token_rejected(api, world, admin):
    token = await assumed_token(
        api, world.tag_member.token, world.service_user_id, world.ingest_role_id
    )
    result = await api.execute(
        REMOVE_TAG_MEMBER,
        {"tagId": world.tag_id, "userId": world.tag_member.user_id},
        token=admin.token,
    )
    assert result.data["removeTagMember"]["errors"] == []

    # Removing the membership revokes the token, so it stays dead if bob is added back.
    await _rejected(api, token, "of service user 'etl-bot' was revoked")


async def test_issuer_disabled_token_rejected(api, token, world, admin):
    await api.execute(DISABLE_USER, {"id": world.owner.user_id}, token=admin.token)

    await _rejected(api, token, "User 'alice', who assumed service user 'etl-bot', is disabled")


async def test_issuer_deleted_token_rejected(api, token, world, engine):
    await delete_user(engine, world.owner.user_id)

    await _rejected(api, token, "person who assumed service user 'etl-bot' with this token")


async def test_super_admin_token_survives_without_share(api, world, admin):
    # Owner access through SystemRole-SuperAdmin needs no share.
    token = await assumed_token(api, admin.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(ME, headers=as_service_user(token))

    assert result.data["me"]["actor"] == {"username": "root-admin"}
