"""Fetching objects by global id with `node(id:)`."""

import base64
from datetime import UTC, datetime, timedelta

import pytest

from db.engine import create_session_factory
from db.tables import Datasource
from db.tables.roles import DEFAULT_USERS_ROLE_ID
from tests.support.accounts import create_access_token, insert_tag

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on User { userId username }
    ... on Role { roleId name }
    ... on Tag { tagId tagKey tagValue }
    ... on AccessToken { tokenId name }
    ... on Session { sessionId }
  }
}
"""

GLOBAL_IDS = """
query Ids($userId: ID!, $roleId: ID!, $tagId: ID!) {
  user(userId: $userId) { id }
  role(roleId: $roleId) { id }
  tag(tagId: $tagId) { id }
}
"""

CREDENTIAL_IDS = """
query($id: ID!) { user(userId: $id) { accessTokens { id } activeSessions { id } } }
"""


def global_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


async def fetch_node(api, token: str, node_id: str):
    return await api.execute(NODE, {"id": node_id}, token=token)


async def test_node_returns_user_role_and_tag(api, admin, make_user, engine):
    user = await make_user("alice")
    tag_id = await insert_tag(engine, "team", "data")
    ids = (
        await api.execute(
            GLOBAL_IDS,
            {"userId": user.user_id, "roleId": DEFAULT_USERS_ROLE_ID, "tagId": tag_id},
            token=user.token,
        )
    ).data

    as_user = await fetch_node(api, user.token, ids["user"]["id"])
    as_role = await fetch_node(api, user.token, ids["role"]["id"])
    as_tag = await fetch_node(api, user.token, ids["tag"]["id"])

    assert as_user.data["node"] == {
        "__typename": "User",
        "id": ids["user"]["id"],
        "userId": user.user_id,
        "username": "alice",
    }
    assert as_role.data["node"] == {
        "__typename": "Role",
        "id": ids["role"]["id"],
        "roleId": DEFAULT_USERS_ROLE_ID,
        "name": "SystemRole-DefaultUsers",
    }
    assert as_tag.data["node"] == {
        "__typename": "Tag",
        "id": ids["tag"]["id"],
        "tagId": tag_id,
        "tagKey": "team",
        "tagValue": "data",
    }


async def test_node_global_id_is_opaque(api, admin):
    result = await api.execute(
        "query($id: ID!) { user(userId: $id) { id userId } }",
        {"id": admin.user_id},
        token=admin.token,
    )

    user = result.data["user"]
    assert user["id"] != user["userId"]
    assert admin.user_id not in user["id"]


async def test_node_returns_own_credentials(api, admin, make_user):
    user = await make_user("alice")
    await create_access_token(
        api, user.token, DEFAULT_USERS_ROLE_ID, datetime.now(UTC) + timedelta(days=1), name="mine"
    )
    ids = (await api.execute(CREDENTIAL_IDS, {"id": user.user_id}, token=user.token)).data["user"]

    token_node = await fetch_node(api, user.token, ids["accessTokens"][0]["id"])
    session_node = await fetch_node(api, user.token, ids["activeSessions"][0]["id"])

    assert token_node.data["node"]["__typename"] == "AccessToken"
    assert token_node.data["node"]["name"] == "mine"
    assert session_node.data["node"]["__typename"] == "Session"


async def test_node_hides_other_users_credentials(api, admin, make_user):
    owner = await make_user("alice")
    other = await make_user("mallory")
    await create_access_token(
        api, owner.token, DEFAULT_USERS_ROLE_ID, datetime.now(UTC) + timedelta(days=1)
    )
    ids = (await api.execute(CREDENTIAL_IDS, {"id": owner.user_id}, token=owner.token)).data["user"]

    token_node = await fetch_node(api, other.token, ids["accessTokens"][0]["id"])
    session_node = await fetch_node(api, other.token, ids["activeSessions"][0]["id"])

    assert token_node.data["node"] is None
    assert session_node.data["node"] is None


async def test_node_datasource_only_for_those_with_access(api, admin, make_user, engine):
    user = await make_user("alice")
    sessions = create_session_factory(engine)
    async with sessions() as session:
        datasource = Datasource(name="warehouse")
        session.add(datasource)
        await session.commit()
    node_id = global_id(f"Datasource:{datasource.id}")

    as_admin = await fetch_node(api, admin.token, node_id)
    as_user = await fetch_node(api, user.token, node_id)

    assert as_admin.data["node"]["__typename"] == "Datasource"
    assert as_user.data["node"] is None


@pytest.mark.parametrize(
    "node_id",
    [
        global_id("User:no-such-user"),
        global_id("Role:no-such-role"),
        global_id("Tag:no-such-tag"),
        global_id("AccessToken:no-such-token"),
        global_id("Datasource:no-such-datasource"),
    ],
)
async def test_node_missing_object_is_null(api, admin, node_id):
    result = await fetch_node(api, admin.token, node_id)

    assert result.data["node"] is None


async def test_node_id_of_other_type_is_null(api, admin):
    # A role id wrapped as a User global id names no user.
    result = await fetch_node(api, admin.token, global_id(f"User:{DEFAULT_USERS_ROLE_ID}"))

    assert result.data["node"] is None


@pytest.mark.parametrize(
    "node_id",
    [
        "garbage",
        "!!!",
        "",
        "\u00e9\u00e9\u00e9\u00e9",
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
        global_id("User"),
        global_id("User:"),
        global_id(":abc"),
        global_id("user:abc"),
        global_id("Nonsense:abc"),
        global_id("User:ab\x00c"),
        global_id("Us er:abc"),
    ],
)
async def test_node_malformed_id_rejected(api, admin, node_id):
    result = await fetch_node(api, admin.token, node_id)

    assert result.status == 200
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == ["id"]
    assert result.body["data"] == {"node": None}


async def test_node_anonymous_unauthenticated(api, admin):
    result = await api.execute(NODE, {"id": global_id(f"User:{admin.user_id}")})

    assert result.error_codes == ["UNAUTHENTICATED"]
