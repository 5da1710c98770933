"""Personal access tokens: creation, the one-time secret, status changes and who reads them."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import SQLModel

from db.engine import create_session_factory
from db.tables import AccessToken
from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from tests.support.accounts import (
    CREATE_ACCESS_TOKEN,
    attach_role,
    create_access_token,
    create_role,
    grant_permissions,
)
from tests.support.databases import snapshot

ME = "{ me { user { username } activeRole { name } credential } }"

DEACTIVATE = """
mutation Deactivate($id: ID!) {
  deactivateAccessToken(input: {tokenId: $id}) {
    accessToken { tokenId status }
    errors { code message field }
  }
}
"""

ACTIVATE = """
mutation Activate($id: ID!) {
  activateAccessToken(input: {tokenId: $id}) {
    accessToken { tokenId status }
    errors { code message field }
  }
}
"""

DELETE = """
mutation Delete($id: ID!) {
  deleteAccessToken(input: {tokenId: $id}) { deletedTokenId errors { code message field } }
}
"""

CREDENTIALS = """
query Credentials($id: ID!) {
  user(userId: $id) {
    username
    accessTokens { tokenId name displayPrefix status lastUsedAt }
    activeSessions { sessionId }
  }
}
"""

DETACH_ROLE = """
mutation DetachRole($input: RoleAttachmentInput!) { detachRole(input: $input) { errors { code } } }
"""

ACCESS_TOKEN_FIELDS = '{ __type(name: "AccessToken") { fields { name } } }'


def in_days(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def token_input(role_id: str, expires_at: str, name: str = "ci") -> dict:
    return {"input": {"name": name, "roleId": role_id, "expiresAt": expires_at}}


def codes_and_fields(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def set_token_column(engine, token_id: str, **values) -> None:
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await session.execute(
            update(AccessToken).where(AccessToken.id == token_id).values(**values)
        )
        await session.commit()


async def test_create_access_token_authenticates_under_its_role(api, admin, make_user):
    user = await make_user("alice")

    payload = await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(30))

    assert payload["secret"].startswith("supat_")
    token = payload["accessToken"]
    assert token["status"] == "ACTIVE"
    assert token["role"] == {"name": "SystemRole-DefaultUsers"}
    assert payload["secret"].startswith(token["displayPrefix"])
    assert len(token["displayPrefix"]) < len(payload["secret"]) // 2
    me = await api.execute(ME, token=payload["secret"])
    assert me.data["me"] == {
        "user": {"username": "alice"},
        "activeRole": {"name": "SystemRole-DefaultUsers"},
        "credential": "ACCESS_TOKEN",
    }


async def test_access_token_accepted_without_bearer_scheme(api, admin, make_user):
    user = await make_user("alice")
    payload = await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(1))

    result = await api.execute(ME, headers={"Authorization": payload["secret"]})

    assert result.data["me"]["credential"] == "ACCESS_TOKEN"


async def test_access_token_carries_its_own_role(api, admin):
    payload = await create_access_token(api, admin.token, DEFAULT_USERS_ROLE_ID, in_days(1))

    me = await api.execute(ME, token=payload["secret"])

    # The admin's default role is SystemRole-SuperAdmin; the token keeps the role it was made with.
    assert me.data["me"]["activeRole"] == {"name": "SystemRole-DefaultUsers"}


async def test_access_token_secret_shown_once(api, admin, make_user, engine):
    user = await make_user("alice")
    payload = await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(1))
    secret = payload["secret"]

    listing = await api.execute(CREDENTIALS, {"id": user.user_id}, token=user.token)
    fields = await api.execute(ACCESS_TOKEN_FIELDS, token=user.token)

    assert secret not in str(listing.body)
    assert (
        listing.data["user"]["accessTokens"][0]["displayPrefix"]
        == payload["accessToken"]["displayPrefix"]
    )
    field_names = {field["name"] for field in fields.data["__type"]["fields"]}
    assert not {"secret", "secretHash", "token"} & field_names
    stored = []
    async with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            stored.extend((await connection.execute(table.select())).all())
    assert secret not in str(stored)
    assert secret[len(payload["accessToken"]["displayPrefix"]) :] not in str(stored)


@pytest.mark.parametrize(
    "expires_at",
    [
        (datetime.now(UTC) + timedelta(days=366)).isoformat(),
        (datetime.now(UTC) + timedelta(days=3650)).isoformat(),
        (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        (datetime.now(UTC) + timedelta(days=30)).replace(tzinfo=None).isoformat(),
    ],
    ids=["366-days", "ten-years", "past", "no-time-zone"],
)
async def test_create_access_token_bad_expiry_rejected(api, admin, make_user, engine, expires_at):
    user = await make_user("alice")
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_ACCESS_TOKEN, token_input(DEFAULT_USERS_ROLE_ID, expires_at), token=user.token
    )

    payload = result.data["createAccessToken"]
    assert payload["secret"] is None
    assert codes_and_fields(payload) == [("BAD_USER_INPUT", ["expiresAt"])]
    assert await snapshot(engine) == before


async def test_create_access_token_expiry_near_limit_accepted(api, admin, make_user):
    user = await make_user("alice")

    payload = await create_access_token(
        api, user.token, DEFAULT_USERS_ROLE_ID, in_days(365) - timedelta(minutes=5)
    )

    assert payload["secret"]


@pytest.mark.parametrize("offset", ["+05:00", "-08:00", "Z"])
async def test_create_access_token_any_offset_accepted(api, admin, make_user, offset):
    user = await make_user("alice")
    expires_at = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S") + offset

    result = await api.execute(
        CREATE_ACCESS_TOKEN, token_input(DEFAULT_USERS_ROLE_ID, expires_at), token=user.token
    )

    assert result.data["createAccessToken"]["errors"] == []


async def test_create_access_token_unknown_role_not_found(api, admin, make_user, engine):
    user = await make_user("alice")
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_ACCESS_TOKEN,
        token_input("no-such-role", in_days(1).isoformat()),
        token=user.token,
    )

    assert codes_and_fields(result.data["createAccessToken"]) == [("NOT_FOUND", ["roleId"])]
    assert await snapshot(engine) == before


async def test_create_access_token_role_not_attached_forbidden(api, admin, make_user, engine):
    user = await make_user("alice")
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_ACCESS_TOKEN,
        token_input(SUPER_ADMIN_ROLE_ID, in_days(1).isoformat()),
        token=user.token,
    )

    assert codes_and_fields(result.data["createAccessToken"]) == [("FORBIDDEN", ["roleId"])]
    assert await snapshot(engine) == before


@pytest.mark.parametrize("name", ["", "   ", "n" * 129])
async def test_create_access_token_invalid_name_rejected(api, admin, make_user, engine, name):
    user = await make_user("alice")
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_ACCESS_TOKEN,
        token_input(DEFAULT_USERS_ROLE_ID, in_days(1).isoformat(), name=name),
        token=user.token,
    )

    assert codes_and_fields(result.data["createAccessToken"]) == [("BAD_USER_INPUT", ["name"])]
    assert await snapshot(engine) == before


async def test_create_access_token_anonymous_unauthenticated(api, admin):
    result = await api.execute(
        CREATE_ACCESS_TOKEN, token_input(DEFAULT_USERS_ROLE_ID, in_days(1).isoformat())
    )

    assert result.data["createAccessToken"]["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_deactivated_access_token_rejected_until_activated(api, admin, make_user):
    user = await make_user("alice")
    payload = await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(1))
    token_id = payload["accessToken"]["tokenId"]

    deactivated = await api.execute(DEACTIVATE, {"id": token_id}, token=user.token)
    assert deactivated.data["deactivateAccessToken"] == {
        "accessToken": {"tokenId": token_id, "status": "INACTIVE"},
        "errors": [],
    }

    rejected = await api.execute(ME, token=payload["secret"])
    assert rejected.status == 401
    assert rejected.error_codes == ["UNAUTHENTICATED"]
    assert "deactivated" in rejected.body["errors"][0]["message"]
    assert rejected.headers["www-authenticate"].startswith("Bearer")

    activated = await api.execute(ACTIVATE, {"id": token_id}, token=user.token)
    assert activated.data["activateAccessToken"]["accessToken"]["status"] == "ACTIVE"
    assert (await api.execute(ME, token=payload["secret"])).status == 200


async def test_expired_access_token_rejected(api, admin, make_user, engine):
    user = await make_user("alice")
    payload = await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(1))
    await set_token_column(
        engine,
        payload["accessToken"]["tokenId"],
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )

    result = await api.execute(ME, token=payload["secret"])

    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]
    assert "expired" in result.body["errors"][0]["message"]
    assert "expired" in result.headers["www-authenticate"]


async def test_deleted_access_token_rejected(api, admin, make_user):
    user = await make_user("alice")
    payload = await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(1))
    token_id = payload["accessToken"]["tokenId"]
    await api.execute(DEACTIVATE, {"id": token_id}, token=user.token)

    deleted = await api.execute(DELETE, {"id": token_id}, token=user.token)

    assert deleted.data["deleteAccessToken"] == {"deletedTokenId": token_id, "errors": []}
    result = await api.execute(ME, token=payload["secret"])
    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]
    listing = await api.execute(CREDENTIALS, {"id": user.user_id}, token=user.token)
    assert listing.data["user"]["accessTokens"] == []


async def test_delete_active_access_token_precondition_failed(api, admin, make_user, engine):
    user = await make_user("alice")
    payload = await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(1))
    before = await snapshot(engine)

    result = await api.execute(DELETE, {"id": payload["accessToken"]["tokenId"]}, token=user.token)

    assert codes_and_fields(result.data["deleteAccessToken"]) == [
        ("PRECONDITION_FAILED", ["tokenId"])
    ]
    assert await snapshot(engine) == before
    assert (await api.execute(ME, token=payload["secret"])).status == 200


@pytest.mark.parametrize(
    "document,name",
    [
        (DEACTIVATE, "deactivateAccessToken"),
        (ACTIVATE, "activateAccessToken"),
        (DELETE, "deleteAccessToken"),
    ],
)
async def test_access_token_unknown_id_not_found(api, admin, engine, document, name):
    before = await snapshot(engine)

    result = await api.execute(document, {"id": "no-such-token"}, token=admin.token)

    assert codes_and_fields(result.data[name]) == [("NOT_FOUND", ["tokenId"])]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "document,name",
    [
        (DEACTIVATE, "deactivateAccessToken"),
        (ACTIVATE, "activateAccessToken"),
        (DELETE, "deleteAccessToken"),
    ],
)
async def test_access_token_of_other_user_not_found(api, admin, make_user, engine, document, name):
    owner = await make_user("alice")
    other = await make_user("mallory")
    payload = await create_access_token(api, owner.token, DEFAULT_USERS_ROLE_ID, in_days(1))
    token_id = payload["accessToken"]["tokenId"]
    await api.execute(DEACTIVATE, {"id": token_id}, token=owner.token)
    before = await snapshot(engine)

    result = await api.execute(document, {"id": token_id}, token=other.token)

    assert codes_and_fields(result.data[name]) == [("NOT_FOUND", ["tokenId"])]
    assert await snapshot(engine) == before


async def test_access_token_last_used_set_after_use(api, admin, make_user):
    user = await make_user("alice")
    payload = await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(1))
    assert payload["accessToken"]["lastUsedAt"] is None
    started = datetime.now(UTC)

    await api.execute(ME, token=payload["secret"])

    listing = await api.execute(CREDENTIALS, {"id": user.user_id}, token=user.token)
    last_used = listing.data["user"]["accessTokens"][0]["lastUsedAt"]
    assert last_used is not None
    assert datetime.fromisoformat(last_used) >= started - timedelta(seconds=1)


async def test_access_token_conflicting_role_header_rejected(api, admin, make_user):
    user = await make_user("alice")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, user.user_id, analysts)
    payload = await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(1))

    conflicting = await api.execute(ME, token=payload["secret"], headers={"role_id": analysts})
    alias = await api.execute(ME, token=payload["secret"], headers={"X-Amorphic-Role-Id": analysts})
    matching = await api.execute(
        ME, token=payload["secret"], headers={"role_id": DEFAULT_USERS_ROLE_ID}
    )

    assert conflicting.status == 403
    assert conflicting.error_codes == ["FORBIDDEN"]
    assert "role header" in conflicting.body["errors"][0]["message"]
    assert alias.status == 403
    assert matching.data["me"]["activeRole"] == {"name": "SystemRole-DefaultUsers"}


async def test_access_token_cannot_create_token_with_other_role(api, admin, engine):
    payload = await create_access_token(api, admin.token, DEFAULT_USERS_ROLE_ID, in_days(1))
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_ACCESS_TOKEN,
        token_input(SUPER_ADMIN_ROLE_ID, in_days(1).isoformat()),
        token=payload["secret"],
    )

    errors = result.data["createAccessToken"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("FORBIDDEN", ["roleId"])]
    assert "SystemRole-SuperAdmin" in errors[0]["message"]
    assert await snapshot(engine) == before


async def test_access_token_can_create_token_with_same_role(api, admin):
    payload = await create_access_token(api, admin.token, DEFAULT_USERS_ROLE_ID, in_days(1))

    result = await api.execute(
        CREATE_ACCESS_TOKEN,
        token_input(DEFAULT_USERS_ROLE_ID, in_days(1).isoformat()),
        token=payload["secret"],
    )

    assert result.data["createAccessToken"]["errors"] == []


async def test_session_creates_token_with_any_attached_role(api, admin):
    payload = await create_access_token(api, admin.token, SUPER_ADMIN_ROLE_ID, in_days(1))

    me = await api.execute(ME, token=payload["secret"])

    assert me.data["me"]["activeRole"] == {"name": "SystemRole-SuperAdmin"}


async def test_access_token_role_detached_rejected(api, admin, make_user):
    user = await make_user("alice")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, user.user_id, analysts)
    payload = await create_access_token(api, user.token, analysts, in_days(1))
    detached = await api.execute(
        DETACH_ROLE, {"input": {"userId": user.user_id, "roleId": analysts}}, token=admin.token
    )
    assert detached.data["detachRole"]["errors"] == []

    result = await api.execute(ME, token=payload["secret"])

    assert result.status == 401
    assert "no longer attached" in result.body["errors"][0]["message"]


async def test_user_reads_own_credentials(api, admin, make_user):
    user = await make_user("alice")
    await create_access_token(api, user.token, DEFAULT_USERS_ROLE_ID, in_days(1), name="mine")

    result = await api.execute(CREDENTIALS, {"id": user.user_id}, token=user.token)

    listing = result.data["user"]
    assert [t["name"] for t in listing["accessTokens"]] == ["mine"]
    assert len(listing["activeSessions"]) == 1


async def test_user_cannot_read_other_users_credentials(api, admin, make_user):
    owner = await make_user("alice")
    other = await make_user("mallory")
    await create_access_token(api, owner.token, DEFAULT_USERS_ROLE_ID, in_days(1))

    result = await api.execute(CREDENTIALS, {"id": owner.user_id}, token=other.token)

    assert result.error_codes == ["FORBIDDEN", "FORBIDDEN"]
    assert {tuple(e["path"]) for e in result.body["errors"]} == {
        ("user", "accessTokens"),
        ("user", "activeSessions"),
    }
    assert result.body["data"]["user"] == {
        "username": "alice",
        "accessTokens": None,
        "activeSessions": None,
    }


async def test_user_manager_reads_other_users_credentials(api, admin, make_user):
    owner = await make_user("alice")
    manager = await make_user("manager")
    await grant_permissions(api, admin.token, manager.user_id, "UserManagers", ["USERS_MANAGE"])
    await create_access_token(api, owner.token, DEFAULT_USERS_ROLE_ID, in_days(1))

    result = await api.execute(CREDENTIALS, {"id": owner.user_id}, token=manager.token)

    assert len(result.data["user"]["accessTokens"]) == 1
    assert len(result.data["user"]["activeSessions"]) == 1
