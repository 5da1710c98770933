"""Creating service users, their roles, and enabling and disabling users of both kinds."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.clock import utcnow
from db.tables import Permission, RoleAttachment, ServiceUserToken, Session, User
from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from tests.support.databases import snapshot
from tests.support.identities import create_access_token
from tests.support.world import (
    DIRECT_OWNER,
    SUPER_ADMIN,
    TAG_OWNER,
    UNRELATED,
    World,
    add_rows,
    build_world,
    fetch_all,
    make_role,
)

CREATE_SERVICE_USER = """
mutation($input: CreateServiceUserInput!) {
  createServiceUser(input: $input) {
    serviceUser {
      userId username displayName description email isServiceUser enabled
      createdBy { userId }
      defaultRole { name }
      roles { name }
      shares { accessType grantee { ... on User { userId } } }
    }
    errors { code message field }
  }
}
"""
ROLE_CHANGE = """
mutation($input: RoleAttachmentInput!) {
  %s(input: $input) {
    user { defaultRole { roleId } roles { roleId } }
    errors { code message field }
  }
}
"""
SET_ENABLED = """
mutation($input: UserIdInput!) {
  %s(input: $input) { user { userId enabled } errors { code message field } }
}
"""
ME = "{ me { user { userId isServiceUser } credential } }"


@pytest.fixture
async def world(app, engine) -> World:
    return await build_world(engine)


async def test_create_service_user_has_no_email_or_password(api, engine, world):
    result = await api.execute(
        CREATE_SERVICE_USER,
        {"input": {"username": "Loader-01", "description": "Nightly loads", "displayName": "L1"}},
        token=world.token(SUPER_ADMIN),
    )

    payload = result.data["createServiceUser"]
    assert payload["errors"] == []
    created = payload["serviceUser"]
    assert created["username"] == "Loader-01"
    assert created["displayName"] == "L1"
    assert created["description"] == "Nightly loads"
    assert created["email"] is None
    assert created["isServiceUser"] is True
    assert created["enabled"] is True
    assert created["createdBy"] == {"userId": world.id("ann")}
    assert created["defaultRole"] == {"name": "SystemRole-DefaultUsers"}
    assert created["roles"] == [{"name": "SystemRole-DefaultUsers"}]
    assert created["shares"] == [{"accessType": "OWNER", "grantee": {"userId": world.id("ann")}}]
    [row] = await fetch_all(engine, select(User).where(User.id == created["userId"]))
    assert row.password_hash is None
    assert row.email_key is None


async def test_create_service_user_username_taken_ignoring_case(api, engine, world):
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_SERVICE_USER,
        {"input": {"username": "OLIVE", "description": "Clashes with a person"}},
        token=world.token(SUPER_ADMIN),
    )

    errors = result.data["createServiceUser"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("CONFLICT", ["username"])]
    assert "olive" in errors[0]["message"]
    assert await snapshot(engine) == before


async def test_create_service_user_reports_every_input_error(api, engine, world):
    result = await api.execute(
        CREATE_SERVICE_USER,
        {"input": {"username": "x", "description": "", "displayName": "d" * 201}},
        token=world.token(SUPER_ADMIN),
    )

    errors = result.data["createServiceUser"]["errors"]
    assert [e["field"] for e in errors] == [["username"], ["description"], ["displayName"]]
    assert {e["code"] for e in errors} == {"BAD_USER_INPUT"}


async def test_create_service_user_needs_super_admin_role(api, engine, world):
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_SERVICE_USER,
        {"input": {"username": "loader", "description": "Nightly loads"}},
        token=world.token(SUPER_ADMIN),
        headers={"role_id": DEFAULT_USERS_ROLE_ID},
    )

    errors = result.data["createServiceUser"]["errors"]
    assert [e["code"] for e in errors] == ["FORBIDDEN"]
    assert "SystemRole-SuperAdmin" in errors[0]["message"]
    assert await snapshot(engine) == before


async def test_create_service_user_rejects_service_user_caller(api, engine, world):
    await add_rows(engine, RoleAttachment(user_id=world.id("agent"), role_id=SUPER_ADMIN_ROLE_ID))
    token = await create_access_token(engine, world.id("agent"), SUPER_ADMIN_ROLE_ID)
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_SERVICE_USER,
        {"input": {"username": "chained", "description": "A service user's service user"}},
        token=token,
    )

    errors = result.data["createServiceUser"]["errors"]
    assert [e["code"] for e in errors] == ["NOT_SUPPORTED_FOR_SERVICE_USER"]
    assert await snapshot(engine) == before


async def test_attach_role_needs_role_held_by_owner(api, engine, world):
    before = await snapshot(engine)

    result = await api.execute(
        ROLE_CHANGE % "attachRole",
        {"input": {"userId": world.id("robot"), "roleId": world.role_ids["Automation"]}},
        token=world.token(DIRECT_OWNER),
    )

    errors = result.data["attachRole"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("FORBIDDEN", ["roleId"])]
    assert await snapshot(engine) == before


async def test_attach_role_to_service_user_by_tag_owner(api, world):
    result = await api.execute(
        ROLE_CHANGE % "attachRole",
        {"input": {"userId": world.id("robot"), "roleId": world.role_ids["Viewer"]}},
        token=world.token(TAG_OWNER),
    )

    payload = result.data["attachRole"]
    assert payload["errors"] == []
    assert {"roleId": world.role_ids["Viewer"]} in payload["user"]["roles"]


async def test_detach_default_role_of_service_user_picks_another(api, world):
    result = await api.execute(
        ROLE_CHANGE % "detachRole",
        {"input": {"userId": world.id("robot"), "roleId": DEFAULT_USERS_ROLE_ID}},
        token=world.token(SUPER_ADMIN),
    )

    user = result.data["detachRole"]["user"]
    assert user["roles"] == [{"roleId": world.role_ids["Reporting"]}]
    assert user["defaultRole"] == {"roleId": world.role_ids["Reporting"]}


async def test_set_default_role_of_service_user_by_owner(api, world):
    result = await api.execute(
        ROLE_CHANGE % "setDefaultRole",
        {"input": {"userId": world.id("robot"), "roleId": world.role_ids["Reporting"]}},
        token=world.token(DIRECT_OWNER),
    )

    payload = result.data["setDefaultRole"]
    assert payload["errors"] == []
    assert payload["user"]["defaultRole"] == {"roleId": world.role_ids["Reporting"]}


async def test_disable_service_user_revokes_its_tokens(api, engine, world):
    live = ServiceUserToken(
        service_user_id=world.id("robot"),
        role_id=DEFAULT_USERS_ROLE_ID,
        issued_by_id=world.id("olive"),
        key_id="test-key",
        expires_at=utcnow() + timedelta(minutes=30),
    )
    await add_rows(engine, live)

    result = await api.execute(
        SET_ENABLED % "disableUser",
        {"input": {"userId": world.id("robot")}},
        token=world.token(TAG_OWNER),
    )

    assert result.data["disableUser"]["user"] == {"userId": world.id("robot"), "enabled": False}
    [token] = await fetch_all(engine, select(ServiceUserToken))
    assert token.revoked_at is not None
    assert token.revoked_by_id == world.id("tess")


async def test_service_user_token_works_after_reenable(api, engine, world):
    token = await create_access_token(engine, world.id("robot"), DEFAULT_USERS_ROLE_ID)
    assert (await api.execute(ME, token=token)).data["me"]["user"]["isServiceUser"] is True

    await api.execute(
        SET_ENABLED % "disableUser",
        {"input": {"userId": world.id("robot")}},
        token=world.token(DIRECT_OWNER),
    )
    while_disabled = await api.execute(ME, token=token)
    await api.execute(
        SET_ENABLED % "enableUser",
        {"input": {"userId": world.id("robot")}},
        token=world.token(DIRECT_OWNER),
    )
    after_enable = await api.execute(ME, token=token)

    assert while_disabled.status == 401
    assert "disabled" in while_disabled.body["errors"][0]["message"]
    assert after_enable.data["me"]["user"]["userId"] == world.id("robot")


async def test_disable_regular_user_with_users_manage_role(api, engine, world):
    managers = make_role("User managers", [Permission.USERS_MANAGE])
    await add_rows(engine, managers, RoleAttachment(user_id=world.id("uma"), role_id=managers.id))
    await api.execute(
        SET_ENABLED % "enableUser",
        {"input": {"userId": world.id("dora")}},
        token=world.token(SUPER_ADMIN),
    )

    result = await api.execute(
        SET_ENABLED % "disableUser",
        {"input": {"userId": world.id("dora")}},
        token=world.token(UNRELATED),
        headers={"role_id": managers.id},
    )

    assert result.data["disableUser"]["errors"] == []
    sessions = await fetch_all(engine, select(Session).where(Session.user_id == world.id("dora")))
    assert [s.revoked_at is not None for s in sessions] == [True]


async def test_enable_regular_user_without_users_manage_refused(api, engine, world):
    before = await snapshot(engine)

    result = await api.execute(
        SET_ENABLED % "enableUser",
        {"input": {"userId": world.id("dora")}},
        token=world.token(DIRECT_OWNER),
    )

    errors = result.data["enableUser"]["errors"]
    assert [e["code"] for e in errors] == ["FORBIDDEN"]
    assert "USERS_MANAGE" in errors[0]["message"]
    assert await snapshot(engine) == before


async def test_disable_last_super_admin_refused(api, engine, world):
    before = await snapshot(engine)

    result = await api.execute(
        SET_ENABLED % "disableUser",
        {"input": {"userId": world.id("ann")}},
        token=world.token(SUPER_ADMIN),
    )

    errors = result.data["disableUser"]["errors"]
    assert [e["code"] for e in errors] == ["PRECONDITION_FAILED"]
    assert "last enabled person holding" in errors[0]["message"]
    assert await snapshot(engine) == before


async def test_detach_super_admin_role_from_last_holder_refused(api, engine, world):
    before = await snapshot(engine)

    result = await api.execute(
        ROLE_CHANGE % "detachRole",
        {"input": {"userId": world.id("ann"), "roleId": SUPER_ADMIN_ROLE_ID}},
        token=world.token(SUPER_ADMIN),
    )

    assert [e["code"] for e in result.data["detachRole"]["errors"]] == ["PRECONDITION_FAILED"]
    assert await snapshot(engine) == before


async def test_last_super_admin_ignores_service_users(api, engine, world):
    attached = await api.execute(
        """
        mutation($input: RoleAttachmentInput!) { attachRole(input: $input) { errors { code } } }
        """,
        {"input": {"userId": world.id("robot"), "roleId": SUPER_ADMIN_ROLE_ID}},
        token=world.token(SUPER_ADMIN),
    )
    assert attached.data["attachRole"]["errors"] == []
    before = await snapshot(engine)

    result = await api.execute(
        SET_ENABLED % "disableUser",
        {"input": {"userId": world.id("ann")}},
        token=world.token(SUPER_ADMIN),
    )

    errors = result.data["disableUser"]["errors"]
    assert [e["code"] for e in errors] == ["PRECONDITION_FAILED"]
    assert "last enabled person holding" in errors[0]["message"]
    assert await snapshot(engine) == before
