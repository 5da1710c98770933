"""Creating roles, attaching and detaching them, and choosing the default role."""

import asyncio

import pytest

from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from tests.support.accounts import (
    ATTACH_ROLE,
    CREATE_ROLE,
    SET_DEFAULT_ROLE,
    attach_role,
    create_role,
    grant_permissions,
)
from tests.support.databases import snapshot

DETACH_ROLE = """
mutation DetachRole($input: RoleAttachmentInput!) {
  detachRole(input: $input) {
    user { userId roles { name } defaultRole { name } }
    errors { code message field }
  }
}
"""

ROLE = """
query Role($id: ID!) {
  role(roleId: $id) { roleId name isSystem permissions description }
}
"""

ROLES = "{ roles { totalCount edges { node { name isSystem } } } }"

ME = "{ me { activeRole { name } } }"


def role_input(name: str, permissions: list[str] | None = None, description: str | None = None):
    return {"input": {"name": name, "permissions": permissions or [], "description": description}}


def attachment(user_id: str, role_id: str) -> dict:
    return {"input": {"userId": user_id, "roleId": role_id}}


def codes_and_fields(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_create_role_returns_role(api, admin):
    result = await api.execute(
        CREATE_ROLE, role_input("Analysts", ["USERS_READ", "APP_BI", "APP_BI"]), token=admin.token
    )

    payload = result.data["createRole"]
    assert payload["errors"] == []
    assert payload["role"]["name"] == "Analysts"
    assert payload["role"]["permissions"] == ["APP_BI", "USERS_READ"]


async def test_create_role_name_differing_in_case_conflicts(api, admin, engine):
    await create_role(api, admin.token, "Analysts", [])
    before = await snapshot(engine)

    result = await api.execute(CREATE_ROLE, role_input("ANALYSTS"), token=admin.token)

    payload = result.data["createRole"]
    assert payload["role"] is None
    assert codes_and_fields(payload) == [("CONFLICT", ["name"])]
    assert "'Analysts'" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_create_role_name_in_fullwidth_letters_conflicts(api, admin, engine):
    await create_role(api, admin.token, "Analysts", [])
    before = await snapshot(engine)

    result = await api.execute(CREATE_ROLE, role_input("\uff21nalysts"), token=admin.token)

    assert codes_and_fields(result.data["createRole"]) == [("CONFLICT", ["name"])]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "name",
    [
        "systemrole-superadmin",
        "SystemRole-Anything",
        # Fullwidth letters that NFKC normalisation maps to the reserved prefix.
        "\uff33ystem\uff32ole-SuperAdmin",
    ],
)
async def test_create_role_system_prefix_rejected(api, admin, engine, name):
    before = await snapshot(engine)

    result = await api.execute(CREATE_ROLE, role_input(name), token=admin.token)

    assert codes_and_fields(result.data["createRole"]) == [("BAD_USER_INPUT", ["name"])]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "name",
    # U+FDFA is one character that NFKC expands to eighteen.
    ["", "   ", "x" * 65, "bell\x07name", "\ufdfa" * 4],
    ids=["empty", "blank", "too-long", "control-character", "too-long-normalised"],
)
async def test_create_role_invalid_name_rejected(api, admin, engine, name):
    before = await snapshot(engine)

    result = await api.execute(CREATE_ROLE, role_input(name), token=admin.token)

    assert codes_and_fields(result.data["createRole"]) == [("BAD_USER_INPUT", ["name"])]
    assert await snapshot(engine) == before


async def test_create_role_without_roles_manage_forbidden(api, make_user, engine):
    caller = await make_user("plain")
    before = await snapshot(engine)

    result = await api.execute(CREATE_ROLE, role_input("Analysts"), token=caller.token)

    payload = result.data["createRole"]
    assert payload["errors"][0]["code"] == "FORBIDDEN"
    assert "ROLES_MANAGE" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_create_role_with_roles_manage_allowed(api, admin, make_user):
    caller = await make_user("role-manager")
    await grant_permissions(
        api, admin.token, caller.user_id, "RoleManagers", ["ROLES_MANAGE", "USERS_READ"]
    )

    result = await api.execute(
        CREATE_ROLE, role_input("Readers", ["USERS_READ"]), token=caller.token
    )

    assert result.data["createRole"]["errors"] == []


async def test_create_role_with_permissions_caller_lacks_forbidden(api, admin, make_user, engine):
    caller = await make_user("role-manager")
    await grant_permissions(api, admin.token, caller.user_id, "RoleManagers", ["ROLES_MANAGE"])
    before = await snapshot(engine)

    result = await api.execute(
        CREATE_ROLE, role_input("Escalation", ["ROLES_MANAGE", "USERS_MANAGE"]), token=caller.token
    )

    payload = result.data["createRole"]
    assert codes_and_fields(payload) == [("FORBIDDEN", ["permissions"])]
    assert "USERS_MANAGE" in payload["errors"][0]["message"]
    assert "ROLES_MANAGE," not in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_roles_query_lists_system_and_custom_roles(api, admin):
    await create_role(api, admin.token, "Analysts", [])

    result = await api.execute(ROLES, token=admin.token)

    roles = result.data["roles"]
    assert roles["totalCount"] == 3
    assert [edge["node"] for edge in roles["edges"]] == [
        {"name": "Analysts", "isSystem": False},
        {"name": "SystemRole-DefaultUsers", "isSystem": True},
        {"name": "SystemRole-SuperAdmin", "isSystem": True},
    ]


async def test_role_query_unknown_id_not_found(api, admin):
    result = await api.execute(ROLE, {"id": "no-such-role"}, token=admin.token)

    assert result.error_codes == ["NOT_FOUND"]
    assert result.body["errors"][0]["extensions"]["field"] == ["roleId"]


async def test_attach_role_adds_role(api, admin, make_user):
    user = await make_user("alice")
    role_id = await create_role(api, admin.token, "Analysts", [])

    result = await api.execute(ATTACH_ROLE, attachment(user.user_id, role_id), token=admin.token)

    payload = result.data["attachRole"]
    assert payload["errors"] == []
    assert payload["user"]["roles"] == [{"name": "Analysts"}, {"name": "SystemRole-DefaultUsers"}]


async def test_attach_role_twice_conflicts(api, admin, make_user, engine):
    user = await make_user("alice")
    before = await snapshot(engine)

    result = await api.execute(
        ATTACH_ROLE, attachment(user.user_id, DEFAULT_USERS_ROLE_ID), token=admin.token
    )

    assert codes_and_fields(result.data["attachRole"]) == [("CONFLICT", ["roleId"])]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "document,name", [(ATTACH_ROLE, "attachRole"), (DETACH_ROLE, "detachRole")]
)
async def test_attach_detach_unknown_ids_not_found(api, admin, make_user, engine, document, name):
    user = await make_user("alice")
    before = await snapshot(engine)

    unknown_user = await api.execute(
        document, attachment("no-such-user", DEFAULT_USERS_ROLE_ID), token=admin.token
    )
    unknown_role = await api.execute(
        document, attachment(user.user_id, "no-such-role"), token=admin.token
    )

    assert codes_and_fields(unknown_user.data[name]) == [("NOT_FOUND", ["userId"])]
    assert codes_and_fields(unknown_role.data[name]) == [("NOT_FOUND", ["roleId"])]
    assert await snapshot(engine) == before


async def test_attach_role_without_users_manage_forbidden(api, make_user, engine):
    caller = await make_user("plain")
    target = await make_user("target")
    before = await snapshot(engine)

    result = await api.execute(
        ATTACH_ROLE, attachment(target.user_id, DEFAULT_USERS_ROLE_ID), token=caller.token
    )

    assert result.data["attachRole"]["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before


async def test_attach_role_not_held_by_manager_forbidden(api, admin, make_user, engine):
    caller = await make_user("manager")
    await grant_permissions(api, admin.token, caller.user_id, "UserManagers", ["USERS_MANAGE"])
    other_role = await create_role(api, admin.token, "Analysts", [])
    target = await make_user("target")
    before = await snapshot(engine)

    result = await api.execute(
        ATTACH_ROLE, attachment(target.user_id, other_role), token=caller.token
    )

    payload = result.data["attachRole"]
    assert codes_and_fields(payload) == [("FORBIDDEN", ["roleId"])]
    assert "Analysts" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_attach_role_held_by_manager_allowed(api, admin, make_user):
    caller = await make_user("manager")
    manager_role = await grant_permissions(
        api, admin.token, caller.user_id, "UserManagers", ["USERS_MANAGE"]
    )
    target = await make_user("target")

    result = await api.execute(
        ATTACH_ROLE, attachment(target.user_id, manager_role), token=caller.token
    )

    assert result.data["attachRole"]["errors"] == []


async def test_attach_super_admin_role_by_manager_forbidden(api, admin, make_user, engine):
    caller = await make_user("manager")
    await attach_role(api, admin.token, caller.user_id, SUPER_ADMIN_ROLE_ID)
    await grant_permissions(api, admin.token, caller.user_id, "UserManagers", ["USERS_MANAGE"])
    target = await make_user("target")
    before = await snapshot(engine)

    result = await api.execute(
        ATTACH_ROLE, attachment(target.user_id, SUPER_ADMIN_ROLE_ID), token=caller.token
    )

    assert codes_and_fields(result.data["attachRole"]) == [("FORBIDDEN", ["roleId"])]
    assert await snapshot(engine) == before


async def test_attach_role_by_super_admin_needs_no_holding(api, admin, make_user):
    target = await make_user("target")
    role_id = await create_role(api, admin.token, "Analysts", [])

    result = await api.execute(ATTACH_ROLE, attachment(target.user_id, role_id), token=admin.token)

    assert result.data["attachRole"]["errors"] == []


async def test_detach_only_role_precondition_failed(api, admin, make_user, engine):
    user = await make_user("alice")
    before = await snapshot(engine)

    result = await api.execute(
        DETACH_ROLE, attachment(user.user_id, DEFAULT_USERS_ROLE_ID), token=admin.token
    )

    payload = result.data["detachRole"]
    assert codes_and_fields(payload) == [("PRECONDITION_FAILED", ["roleId"])]
    assert "only role" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_detach_role_not_attached_not_found(api, admin, make_user, engine):
    user = await make_user("alice")
    role_id = await create_role(api, admin.token, "Analysts", [])
    before = await snapshot(engine)

    result = await api.execute(DETACH_ROLE, attachment(user.user_id, role_id), token=admin.token)

    assert codes_and_fields(result.data["detachRole"]) == [("NOT_FOUND", ["roleId"])]
    assert await snapshot(engine) == before


async def test_detach_default_role_switches_requests_to_new_default(api, admin, make_user):
    user = await make_user("alice")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, user.user_id, analysts)

    result = await api.execute(
        DETACH_ROLE, attachment(user.user_id, DEFAULT_USERS_ROLE_ID), token=admin.token
    )

    payload = result.data["detachRole"]
    assert payload["errors"] == []
    assert payload["user"]["roles"] == [{"name": "Analysts"}]
    assert payload["user"]["defaultRole"] == {"name": "Analysts"}
    me = await api.execute(ME, token=user.token)
    assert me.data["me"]["activeRole"] == {"name": "Analysts"}


async def test_detach_role_ends_its_use_in_role_header(api, admin, make_user):
    user = await make_user("alice")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, user.user_id, analysts)
    await api.execute(DETACH_ROLE, attachment(user.user_id, analysts), token=admin.token)

    result = await api.execute(ME, token=user.token, headers={"role_id": analysts})

    assert result.status == 403
    assert result.error_codes == ["FORBIDDEN"]


async def test_detach_concurrently_keeps_one_role(api, admin, make_user):
    user = await make_user("alice")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, user.user_id, analysts)

    results = await asyncio.gather(
        api.execute(DETACH_ROLE, attachment(user.user_id, analysts), token=admin.token),
        api.execute(
            DETACH_ROLE, attachment(user.user_id, DEFAULT_USERS_ROLE_ID), token=admin.token
        ),
    )

    failures = [r.data["detachRole"]["errors"] for r in results if r.data["detachRole"]["errors"]]
    assert [[e["code"] for e in errors] for errors in failures] == [["PRECONDITION_FAILED"]]
    user_roles = await api.execute(
        "query($id: ID!) { user(userId: $id) { roles { name } } }",
        {"id": user.user_id},
        token=admin.token,
    )
    assert len(user_roles.data["user"]["roles"]) == 1


async def test_detach_last_super_admin_role_precondition_failed(api, admin, engine):
    before = await snapshot(engine)

    result = await api.execute(
        DETACH_ROLE, attachment(admin.user_id, SUPER_ADMIN_ROLE_ID), token=admin.token
    )

    payload = result.data["detachRole"]
    assert codes_and_fields(payload) == [("PRECONDITION_FAILED", None)]
    assert "last enabled person holding" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_detach_role_without_users_manage_forbidden(api, admin, make_user, engine):
    caller = await make_user("plain")
    target = await make_user("target")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, target.user_id, analysts)
    before = await snapshot(engine)

    result = await api.execute(
        DETACH_ROLE, attachment(target.user_id, analysts), token=caller.token
    )

    assert result.data["detachRole"]["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before


async def test_detach_role_from_super_admin_by_manager_forbidden(api, admin, make_user, engine):
    caller = await make_user("manager")
    await grant_permissions(api, admin.token, caller.user_id, "UserManagers", ["USERS_MANAGE"])
    before = await snapshot(engine)

    result = await api.execute(
        DETACH_ROLE, attachment(admin.user_id, DEFAULT_USERS_ROLE_ID), token=caller.token
    )

    assert codes_and_fields(result.data["detachRole"]) == [("FORBIDDEN", ["userId"])]
    assert await snapshot(engine) == before


async def test_set_default_role_for_oneself_allowed(api, admin, make_user):
    user = await make_user("alice")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, user.user_id, analysts)

    result = await api.execute(
        SET_DEFAULT_ROLE, attachment(user.user_id, analysts), token=user.token
    )

    payload = result.data["setDefaultRole"]
    assert payload["errors"] == []
    assert payload["user"]["defaultRole"] == {"name": "Analysts"}
    me = await api.execute(ME, token=user.token)
    assert me.data["me"]["activeRole"] == {"name": "Analysts"}


async def test_set_default_role_not_attached_precondition_failed(api, admin, make_user, engine):
    user = await make_user("alice")
    analysts = await create_role(api, admin.token, "Analysts", [])
    before = await snapshot(engine)

    result = await api.execute(
        SET_DEFAULT_ROLE, attachment(user.user_id, analysts), token=user.token
    )

    assert codes_and_fields(result.data["setDefaultRole"]) == [("PRECONDITION_FAILED", ["roleId"])]
    assert await snapshot(engine) == before


async def test_set_default_role_for_other_user_forbidden(api, admin, make_user, engine):
    caller = await make_user("plain")
    target = await make_user("target")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, target.user_id, analysts)
    before = await snapshot(engine)

    result = await api.execute(
        SET_DEFAULT_ROLE, attachment(target.user_id, analysts), token=caller.token
    )

    assert result.data["setDefaultRole"]["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before


async def test_set_default_role_by_manager_allowed(api, admin, make_user):
    caller = await make_user("manager")
    await grant_permissions(api, admin.token, caller.user_id, "UserManagers", ["USERS_MANAGE"])
    target = await make_user("target")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, target.user_id, analysts)

    result = await api.execute(
        SET_DEFAULT_ROLE, attachment(target.user_id, analysts), token=caller.token
    )

    assert result.data["setDefaultRole"]["errors"] == []
