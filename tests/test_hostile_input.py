"""Hostile or broken requests get clear 4xx responses, never an internal error."""

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from db.clock import utcnow
from db.engine import create_session_factory
from db.tables import AuditEvent, Session
from db.tables.roles import DEFAULT_USERS_ROLE_ID
from resolvers.access_tokens import MAX_ACCESS_TOKENS_PER_USER
from resolvers.sign_in import MAX_ACTIVE_SESSIONS_PER_USER
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, CREATE_USER, USER_PASSWORD
from tests.support.api import SIGN_IN
from tests.support.databases import snapshot
from tests.support.identities import access_token_row, session_row

ME = "{ me { credential } }"


def _headers(admin, **extra) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": admin.token, **extra}


@pytest.mark.parametrize("path", ["/healthz", "/graphql", "/users", "/metrics"])
async def test_non_utf8_header_not_internal_error(api, admin, path):
    response = await api.client.get(
        path, headers=[("Authorization", admin.token), ("User-Agent", b"\xff\xfe")]
    )

    assert response.status_code < 500


@pytest.mark.parametrize(
    "body", ['"x"', "5", "null", "true", '[{"query": "{ me { credential } }"}]']
)
async def test_non_object_json_body_rejected(api, admin, body):
    response = await api.client.post("/graphql", content=body, headers=_headers(admin))

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "JSON object" in response.json()["errors"][0]["message"]


async def test_deeply_nested_json_rejected(api, admin):
    nested = "{}"
    for _ in range(400):
        nested = '{"a":' + nested + "}"
    body = '{"query": "{ me { credential } }", "variables": ' + nested + "}"

    response = await api.client.post("/graphql", content=body, headers=_headers(admin))

    assert response.status_code == 400
    assert "nested deeper" in response.json()["errors"][0]["message"]


async def test_invalid_utf8_body_rejected(api, admin):
    body = b'{"query": "{ me { credential } }", "x": "\xff"}'

    response = await api.client.post("/graphql", content=body, headers=_headers(admin))

    assert response.status_code == 400
    assert "not valid JSON in UTF-8" in response.json()["errors"][0]["message"]


async def test_huge_integer_literal_rejected(api, admin):
    body = '{"query": "{ me { credential } }", "variables": {"n": ' + "9" * 5000 + "}}"

    response = await api.client.post("/graphql", content=body, headers=_headers(admin))

    assert response.status_code == 400


async def test_literal_backslash_u0000_in_variable_accepted(api, admin):
    document = "query($s: String) { users(filter: {search: $s}) { totalCount } }"

    result = await api.execute(document, {"s": "\\u0000"}, token=admin.token)

    assert result.status == 200
    assert result.data["users"]["totalCount"] == 0


async def test_lone_surrogate_in_non_json_content_type_rejected(api, admin):
    body = '{"RoleId": "\\ud800"}'
    response = await api.client.post(
        "/users/some-id/auth-token",
        content=body,
        headers={"Content-Type": "text/plain", "Authorization": admin.token},
    )

    assert response.status_code == 400


@pytest.mark.parametrize("kid", [None, 123, ["a"], {"k": 1}])
async def test_token_non_string_kid_rejected(api, kid):
    header = {"alg": "EdDSA", "typ": "at+jwt", "kid": kid}
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    token = f"{encoded}.e30.AA"

    result = await api.execute(ME, headers={"X-Amorphic-Service-User": token})

    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("first", ["\u00b2", "\uff11", "\u0661\u0662", "-1", "1e2", "0"])
async def test_rest_first_rejects_non_ascii_digits(api, admin, first):
    response = await api.client.get(
        "/users", params={"first": first}, headers={"Authorization": admin.token}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_sign_in_throttle_ignores_surrounding_spaces(api, admin, settings):
    for _ in range(settings.sign_in_max_failures_per_account):
        await api.execute(SIGN_IN, {"username": f"  {ADMIN_USERNAME} ", "password": "wrong-pw"})

    result = await api.execute(SIGN_IN, {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})

    assert result.data["signIn"]["errors"][0]["code"] == "RATE_LIMITED"


async def test_create_user_long_raw_email_rejected(api, admin, engine):
    # NFC composition shortens the comparison key, but the stored address must fit too.
    email = "a@" + "e\u0301" * 200 + ".com"
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_USER,
        {"input": {"username": "long-mail", "email": email, "password": USER_PASSWORD}},
        token=admin.token,
    )

    [error] = result.data["createUser"]["errors"]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"] == ["email"]
    assert await snapshot(engine) == before


async def test_failed_mutation_with_long_id_still_audited(api, admin, engine):
    long_id = "x" * 300

    result = await api.execute(
        "mutation($id: ID!, $to: ID!) { deleteUser(input: {userId: $id, transferToUserId: $to})"
        " { errors { code } } }",
        {"id": long_id, "to": admin.user_id},
        token=admin.token,
    )

    assert result.data["deleteUser"]["errors"][0]["code"] == "NOT_FOUND"
    async with engine.connect() as connection:
        stored = (
            await connection.execute(
                select(AuditEvent.target_id).where(AuditEvent.action == "deleteUser")
            )
        ).scalar_one()
    assert stored == long_id[:36]


CREATE_ACCESS_TOKEN = """
mutation($input: CreateAccessTokenInput!) {
  createAccessToken(input: $input) { secret errors { code message } }
}
"""
NESTED_ACCESS_TOKENS = """
{ me { user { accessTokens { tokenId user { accessTokens { tokenId user {
  accessTokens { tokenId } } } } } } } }
"""


async def _store(engine, rows) -> None:
    async with create_session_factory(engine)() as db:
        db.add_all(rows)
        await db.commit()


async def test_access_tokens_capped_per_user(api, make_user, engine):
    user = await make_user("hoarder")
    await _store(
        engine,
        [
            access_token_row(user.user_id, DEFAULT_USERS_ROLE_ID, f"t{i}")[1]
            for i in range(MAX_ACCESS_TOKENS_PER_USER)
        ],
    )
    expires = (utcnow() + timedelta(days=30)).isoformat()
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_ACCESS_TOKEN,
        {"input": {"name": "one more", "roleId": DEFAULT_USERS_ROLE_ID, "expiresAt": expires}},
        token=user.token,
    )

    [error] = result.data["createAccessToken"]["errors"]
    assert error["code"] == "PRECONDITION_FAILED"
    assert "maximum" in error["message"]
    assert await snapshot(engine) == before


async def test_sign_in_ends_sessions_beyond_cap(api, make_user, engine):
    user = await make_user("roamer")
    await _store(
        engine, [session_row(user.user_id)[1] for _ in range(MAX_ACTIVE_SESSIONS_PER_USER)]
    )

    await api.sign_in("roamer", USER_PASSWORD)

    async with engine.connect() as connection:
        active = (
            await connection.execute(
                select(func.count()).where(
                    Session.user_id == user.user_id, Session.revoked_at.is_(None)
                )
            )
        ).scalar_one()
    assert active == MAX_ACTIVE_SESSIONS_PER_USER


async def test_nested_access_tokens_costed_at_cap(api, make_user):
    user = await make_user("nester")

    result = await api.execute(NESTED_ACCESS_TOKENS, token=user.token)

    assert result.error_codes == ["QUERY_TOO_COMPLEX"]
