"""Creating, enabling, disabling and reading regular users, and who may do it."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from tests.conftest import ADMIN_USERNAME, USER_PASSWORD
from tests.support.accounts import attach_role, create_access_token, grant_permissions
from tests.support.databases import snapshot

CREATE_USER = """
mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) {
    user {
      userId username email displayName isServiceUser enabled
      roles { name } defaultRole { name } createdBy { username }
    }
    errors { code message field }
  }
}
"""

DISABLE_USER = """
mutation DisableUser($id: ID!) {
  disableUser(input: {userId: $id}) { user { userId enabled } errors { code message field } }
}
"""

ENABLE_USER = """
mutation EnableUser($id: ID!) {
  enableUser(input: {userId: $id}) { user { userId enabled } errors { code message field } }
}
"""

USER = """
query User($id: ID!) {
  user(userId: $id) { userId username email isServiceUser enabled roles { name } }
}
"""

ME = "{ me { user { username } activeRole { name } } }"


def new_user(username: str = "alice", email: str | None = None, password: str = USER_PASSWORD):
    return {
        "input": {
            "username": username,
            "email": email if email is not None else f"{username}@example.com",
            "password": password,
        }
    }


async def create_user(api, token: str, variables: dict) -> dict:
    return (await api.execute(CREATE_USER, variables, token=token)).data["createUser"]


async def test_create_user_returns_regular_user(api, admin):
    payload = await create_user(api, admin.token, new_user("alice"))

    assert payload["errors"] == []
    user = payload["user"]
    assert user["username"] == "alice"
    assert user["email"] == "alice@example.com"
    assert user["isServiceUser"] is False
    assert user["enabled"] is True
    assert user["roles"] == [{"name": "SystemRole-DefaultUsers"}]
    assert user["defaultRole"] == {"name": "SystemRole-DefaultUsers"}
    assert user["createdBy"] == {"username": ADMIN_USERNAME}


async def test_create_user_new_user_can_sign_in(api, admin):
    await create_user(api, admin.token, new_user("alice"))

    token = await api.sign_in("alice", USER_PASSWORD)

    me = (await api.execute(ME, token=token)).data["me"]
    assert me == {"user": {"username": "alice"}, "activeRole": {"name": "SystemRole-DefaultUsers"}}


async def test_create_user_username_differing_in_case_conflicts(api, admin, make_user, engine):
    await make_user("alice")
    before = await snapshot(engine)

    payload = await create_user(api, admin.token, new_user("ALICE", "other@example.com"))

    assert payload["user"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CONFLICT", ["username"])]
    assert "'alice'" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "email",
    [
        "Alice@Example.COM",
        # Fullwidth letters, which NFKC normalisation maps to ASCII.
        "\uff41\uff4c\uff49\uff43\uff45@example.com",
        # Fullwidth capitals and a fullwidth commercial at.
        "\uff21LICE\uff20example.com",
        " alice@example.com ",
    ],
)
async def test_create_user_email_differing_in_form_conflicts(api, admin, make_user, engine, email):
    await make_user("alice", "alice@example.com")
    before = await snapshot(engine)

    payload = await create_user(api, admin.token, new_user("alice2", email))

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CONFLICT", ["email"])]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 65, "bad name", "bad/name", "bad@name", "\u00e9mile", "", "tab\tname", "bell\x07"],
)
async def test_create_user_invalid_username_rejected(api, admin, engine, username):
    before = await snapshot(engine)

    payload = await create_user(api, admin.token, new_user(username, "valid@example.com"))

    assert payload["user"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("BAD_USER_INPUT", ["username"])
    ]
    assert await snapshot(engine) == before


@pytest.mark.parametrize("username", ["abc", "a" * 64, "A.b_c-9"])
async def test_create_user_username_limits_accepted(api, admin, username):
    payload = await create_user(api, admin.token, new_user(username, "limits@example.com"))

    assert payload["errors"] == []
    assert payload["user"]["username"] == username


@pytest.mark.parametrize(
    "email",
    [
        "no-at-sign",
        "two@@example.com",
        "a@b",
        "spaces in@example.com",
        "",
        "name@example.c",
        "bell\x07@example.com",
        "x" * 65 + "@example.com",
    ],
)
async def test_create_user_invalid_email_rejected(api, admin, engine, email):
    before = await snapshot(engine)

    payload = await create_user(api, admin.token, new_user("alice", email))

    assert payload["user"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("BAD_USER_INPUT", ["email"])]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "email", ["nul\x00@example.com", "bad\ud800@example.com"], ids=["nul", "lone-surrogate"]
)
async def test_create_user_unstorable_email_rejected(api, admin, engine, email):
    before = await snapshot(engine)
    # httpx refuses to encode a lone surrogate, so the body is written with ASCII escapes.
    body = {"query": CREATE_USER, "variables": new_user("alice", email)}

    response = await api.client.post(
        "/graphql",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "application/json"},
    )

    # The server rejects such text for every field before GraphQL runs.
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await snapshot(engine) == before


@pytest.mark.parametrize("password", ["", "short", "eleven-char"])
async def test_create_user_short_password_rejected(api, admin, engine, password):
    before = await snapshot(engine)

    payload = await create_user(api, admin.token, new_user("alice", password=password))

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("BAD_USER_INPUT", ["password"])
    ]
    assert "12" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_create_user_reports_every_invalid_field(api, admin, engine):
    before = await snapshot(engine)

    payload = await create_user(api, admin.token, new_user("x", "not-an-email", "short"))

    fields = sorted(e["field"][0] for e in payload["errors"])
    assert fields == ["email", "password", "username"]
    assert {e["code"] for e in payload["errors"]} == {"BAD_USER_INPUT"}
    assert await snapshot(engine) == before


async def test_create_user_without_users_manage_forbidden(api, make_user, engine):
    caller = await make_user("plain")
    before = await snapshot(engine)

    payload = await create_user(api, caller.token, new_user("alice"))

    assert payload["user"] is None
    assert payload["errors"][0]["code"] == "FORBIDDEN"
    assert "USERS_MANAGE" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_create_user_with_users_manage_allowed(api, admin, make_user):
    caller = await make_user("manager")
    await grant_permissions(api, admin.token, caller.user_id, "UserManagers", ["USERS_MANAGE"])

    payload = await create_user(api, caller.token, new_user("alice"))

    assert payload["errors"] == []
    assert payload["user"]["createdBy"] == {"username": "manager"}


async def test_create_user_with_other_permission_forbidden(api, admin, make_user):
    caller = await make_user("tagger")
    await grant_permissions(api, admin.token, caller.user_id, "Taggers", ["TAGS_MANAGE"])

    payload = await create_user(api, caller.token, new_user("alice"))

    assert payload["errors"][0]["code"] == "FORBIDDEN"


async def test_create_user_anonymous_unauthenticated(api, admin, engine):
    before = await snapshot(engine)

    payload = await create_user(api, None, new_user("alice"))

    assert payload["errors"][0]["code"] == "UNAUTHENTICATED"
    assert await snapshot(engine) == before


async def test_disable_user_ends_session_and_access_token(api, admin, make_user):
    user = await make_user("dora")
    pat = await create_access_token(
        api, user.token, DEFAULT_USERS_ROLE_ID, datetime.now(UTC) + timedelta(days=1)
    )

    payload = (await api.execute(DISABLE_USER, {"id": user.user_id}, token=admin.token)).data
    assert payload["disableUser"] == {
        "user": {"userId": user.user_id, "enabled": False},
        "errors": [],
    }

    by_session = await api.execute(ME, token=user.token)
    by_token = await api.execute(ME, token=pat["secret"])
    assert by_session.status == 401
    assert by_session.error_codes == ["UNAUTHENTICATED"]
    assert "disabled" in by_session.body["errors"][0]["message"]
    assert by_session.headers["www-authenticate"].startswith("Bearer")
    assert by_token.status == 401
    assert "disabled" in by_token.body["errors"][0]["message"]


async def test_enable_user_restores_access_token_not_session(api, admin, make_user):
    user = await make_user("dora")
    pat = await create_access_token(
        api, user.token, DEFAULT_USERS_ROLE_ID, datetime.now(UTC) + timedelta(days=1)
    )
    await api.execute(DISABLE_USER, {"id": user.user_id}, token=admin.token)

    payload = (await api.execute(ENABLE_USER, {"id": user.user_id}, token=admin.token)).data

    assert payload["enableUser"]["user"]["enabled"] is True
    assert (await api.execute(ME, token=pat["secret"])).status == 200
    # Disabling ended the session for good; the user signs in again.
    assert (await api.execute(ME, token=user.token)).status == 401
    assert await api.sign_in("dora", USER_PASSWORD)


async def test_disable_user_twice_keeps_disabled(api, admin, make_user):
    user = await make_user("dora")
    await api.execute(DISABLE_USER, {"id": user.user_id}, token=admin.token)

    payload = (await api.execute(DISABLE_USER, {"id": user.user_id}, token=admin.token)).data

    assert payload["disableUser"] == {
        "user": {"userId": user.user_id, "enabled": False},
        "errors": [],
    }


@pytest.mark.parametrize(
    "document,name", [(DISABLE_USER, "disableUser"), (ENABLE_USER, "enableUser")]
)
async def test_enable_disable_unknown_user_not_found(api, admin, engine, document, name):
    before = await snapshot(engine)

    payload = (await api.execute(document, {"id": "no-such-user"}, token=admin.token)).data[name]

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", ["userId"])]
    assert "no-such-user" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


@pytest.mark.parametrize("user_id", ["bell\x07id", "x" * 500])
async def test_disable_user_unusable_id_not_found(api, admin, engine, user_id):
    before = await snapshot(engine)

    result = await api.execute(DISABLE_USER, {"id": user_id}, token=admin.token)

    payload = result.data["disableUser"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", ["userId"])]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "document,name", [(DISABLE_USER, "disableUser"), (ENABLE_USER, "enableUser")]
)
async def test_enable_disable_without_users_manage_forbidden(
    api, make_user, engine, document, name
):
    caller = await make_user("plain")
    target = await make_user("target")
    before = await snapshot(engine)

    payload = (await api.execute(document, {"id": target.user_id}, token=caller.token)).data[name]

    assert payload["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before
    assert (await api.execute(ME, token=target.token)).status == 200


async def test_disable_user_with_users_manage_allowed(api, admin, make_user):
    caller = await make_user("manager")
    await grant_permissions(api, admin.token, caller.user_id, "UserManagers", ["USERS_MANAGE"])
    target = await make_user("target")

    payload = (await api.execute(DISABLE_USER, {"id": target.user_id}, token=caller.token)).data

    assert payload["disableUser"]["errors"] == []
    assert (await api.execute(ME, token=target.token)).status == 401


async def test_disable_super_admin_by_user_manager_forbidden(api, admin, make_user, engine):
    second_admin = await make_user("second-admin")
    await attach_role(api, admin.token, second_admin.user_id, SUPER_ADMIN_ROLE_ID)
    caller = await make_user("manager")
    await grant_permissions(api, admin.token, caller.user_id, "UserManagers", ["USERS_MANAGE"])
    before = await snapshot(engine)

    payload = (await api.execute(DISABLE_USER, {"id": admin.user_id}, token=caller.token)).data

    assert payload["disableUser"]["errors"][0]["code"] == "FORBIDDEN"
    assert "SystemRole-SuperAdmin" in payload["disableUser"]["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_disable_last_super_admin_precondition_failed(api, admin, engine):
    before = await snapshot(engine)

    payload = (await api.execute(DISABLE_USER, {"id": admin.user_id}, token=admin.token)).data

    assert payload["disableUser"]["errors"][0]["code"] == "PRECONDITION_FAILED"
    assert await snapshot(engine) == before


async def test_disable_other_super_admin_allowed(api, admin, make_user):
    second_admin = await make_user("second-admin")
    await attach_role(api, admin.token, second_admin.user_id, SUPER_ADMIN_ROLE_ID)

    result = await api.execute(
        DISABLE_USER,
        {"id": admin.user_id},
        token=second_admin.token,
        headers={"role_id": SUPER_ADMIN_ROLE_ID},
    )

    assert result.data["disableUser"]["errors"] == []


async def test_user_query_returns_user(api, admin, make_user):
    user = await make_user("alice")

    result = await api.execute(USER, {"id": user.user_id}, token=user.token)

    assert result.data["user"] == {
        "userId": user.user_id,
        "username": "alice",
        "email": "alice@example.com",
        "isServiceUser": False,
        "enabled": True,
        "roles": [{"name": "SystemRole-DefaultUsers"}],
    }


@pytest.mark.parametrize("user_id", ["no-such-user", "bell\x07id", "x" * 500])
async def test_user_query_unknown_id_not_found(api, admin, user_id):
    result = await api.execute(USER, {"id": user_id}, token=admin.token)

    assert result.error_codes == ["NOT_FOUND"]
    assert result.body["errors"][0]["extensions"]["field"] == ["userId"]


async def test_user_query_anonymous_unauthenticated(api, admin):
    result = await api.execute(USER, {"id": admin.user_id})

    assert result.error_codes == ["UNAUTHENTICATED"]
