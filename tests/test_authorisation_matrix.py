"""Who may run each service-user, sharing, deletion, datasource and application mutation.

Every mutation runs once per caller of the test world. A refused call returns the
expected code and leaves the database as it was; a disabled user's session gets HTTP 401.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from db.tables.roles import DEFAULT_USERS_ROLE_ID
from tests.support.databases import snapshot
from tests.support.world import (
    CALLERS,
    DIRECT_OWNER,
    DISABLED,
    SERVICE_USER,
    SUPER_ADMIN,
    TAG_OWNER,
    World,
    build_world,
)

ALLOWED = "ALLOWED"
FORBIDDEN = "FORBIDDEN"
NOT_SUPPORTED = "NOT_SUPPORTED_FOR_SERVICE_USER"

CREATE_SERVICE_USER = """
mutation($input: CreateServiceUserInput!) {
  createServiceUser(input: $input) { serviceUser { userId } errors { code message field } }
}
"""
ATTACH_ROLE = """
mutation($input: RoleAttachmentInput!) {
  attachRole(input: $input) { user { userId } errors { code message field } }
}
"""
DETACH_ROLE = """
mutation($input: RoleAttachmentInput!) {
  detachRole(input: $input) { user { userId } errors { code message field } }
}
"""
SET_DEFAULT_ROLE = """
mutation($input: RoleAttachmentInput!) {
  setDefaultRole(input: $input) { user { userId } errors { code message field } }
}
"""
SHARE_SERVICE_USER = """
mutation($input: ShareServiceUserInput!) {
  shareServiceUser(input: $input) { share { shareId } errors { code message field } }
}
"""
UNSHARE_SERVICE_USER = """
mutation($input: UnshareServiceUserInput!) {
  unshareServiceUser(input: $input) { serviceUser { userId } errors { code message field } }
}
"""
ENABLE_USER = """
mutation($input: UserIdInput!) {
  enableUser(input: $input) { user { userId } errors { code message field } }
}
"""
DISABLE_USER = """
mutation($input: UserIdInput!) {
  disableUser(input: $input) { user { userId } errors { code message field } }
}
"""
DELETE_USER = """
mutation($input: DeleteUserInput!) {
  deleteUser(input: $input) { deletedUserId errors { code message field } }
}
"""
CREATE_DATASOURCE = """
mutation($input: CreateDatasourceInput!) {
  createDatasource(input: $input) { datasource { datasourceId } errors { code message field } }
}
"""
SHARE_DATASOURCE = """
mutation($input: ShareDatasourceInput!) {
  shareDatasource(input: $input) { share { shareId } errors { code message field } }
}
"""
UNSHARE_DATASOURCE = """
mutation($input: UnshareDatasourceInput!) {
  unshareDatasource(input: $input) { datasource { datasourceId } errors { code message field } }
}
"""
LAUNCH_APPLICATION = """
mutation($input: LaunchApplicationInput!) {
  launchApplication(input: $input) { launch { launchPath } errors { code message field } }
}
"""


@dataclass(frozen=True)
class Row:
    """One mutation with its input and the outcome each caller gets."""

    name: str
    document: str
    field: str
    make_input: Callable[[World], dict[str, Any]]
    outcomes: dict[str, str]
    # Whether an allowed call changes a business table (the audit trail is not compared).
    changes_data: bool = True


def _outcomes(allowed: set[str], refused_code: str, service_user: str) -> dict[str, str]:
    outcomes = {caller: ALLOWED if caller in allowed else refused_code for caller in CALLERS}
    outcomes[SERVICE_USER] = service_user
    return outcomes


OWNERS = {SUPER_ADMIN, DIRECT_OWNER, TAG_OWNER}
SUPER_ADMIN_ONLY = {SUPER_ADMIN}

ROWS = [
    Row(
        "createServiceUser",
        CREATE_SERVICE_USER,
        "createServiceUser",
        lambda w: {"username": "new-bot", "description": "Nightly loads"},
        _outcomes(SUPER_ADMIN_ONLY, FORBIDDEN, NOT_SUPPORTED),
    ),
    Row(
        "attachRole",
        ATTACH_ROLE,
        "attachRole",
        lambda w: {"userId": w.id("robot"), "roleId": w.role_ids["Viewer"]},
        _outcomes(OWNERS, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "detachRole",
        DETACH_ROLE,
        "detachRole",
        lambda w: {"userId": w.id("robot"), "roleId": w.role_ids["Reporting"]},
        _outcomes(OWNERS, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "setDefaultRole",
        SET_DEFAULT_ROLE,
        "setDefaultRole",
        lambda w: {"userId": w.id("robot"), "roleId": w.role_ids["Reporting"]},
        _outcomes(OWNERS, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "shareServiceUser",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "userId": w.id("uma"), "accessType": "OWNER"},
        _outcomes(OWNERS, FORBIDDEN, NOT_SUPPORTED),
    ),
    Row(
        "unshareServiceUser",
        UNSHARE_SERVICE_USER,
        "unshareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "userId": w.id("olive")},
        _outcomes(OWNERS, FORBIDDEN, NOT_SUPPORTED),
    ),
    Row(
        "enableUser service user",
        ENABLE_USER,
        "enableUser",
        lambda w: {"userId": w.id("retired")},
        _outcomes(OWNERS, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "disableUser service user",
        DISABLE_USER,
        "disableUser",
        lambda w: {"userId": w.id("robot")},
        _outcomes(OWNERS, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "deleteUser service user",
        DELETE_USER,
        "deleteUser",
        lambda w: {"userId": w.id("retired"), "transferToUserId": w.id("vera")},
        _outcomes(OWNERS, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "enableUser regular user",
        ENABLE_USER,
        "enableUser",
        lambda w: {"userId": w.id("dora")},
        _outcomes(SUPER_ADMIN_ONLY, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "disableUser regular user",
        DISABLE_USER,
        "disableUser",
        lambda w: {"userId": w.id("vera")},
        _outcomes(SUPER_ADMIN_ONLY, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "deleteUser regular user",
        DELETE_USER,
        "deleteUser",
        lambda w: {"userId": w.id("dora"), "transferToUserId": w.id("vera")},
        _outcomes(SUPER_ADMIN_ONLY, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "createDatasource",
        CREATE_DATASOURCE,
        "createDatasource",
        lambda w: {"name": "orders"},
        # The service user's role grants DATASOURCES_CREATE; the people's roles do not.
        _outcomes(SUPER_ADMIN_ONLY, FORBIDDEN, ALLOWED),
    ),
    Row(
        "shareDatasource",
        SHARE_DATASOURCE,
        "shareDatasource",
        lambda w: {"datasourceId": w.datasource_id, "userId": w.id("uma"), "accessType": "EDITOR"},
        _outcomes(OWNERS, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "unshareDatasource",
        UNSHARE_DATASOURCE,
        "unshareDatasource",
        lambda w: {"datasourceId": w.datasource_id, "userId": w.id("olive")},
        _outcomes(OWNERS, FORBIDDEN, FORBIDDEN),
    ),
    Row(
        "launchApplication",
        LAUNCH_APPLICATION,
        "launchApplication",
        lambda w: {"application": "BI"},
        # The service user's role grants APP_BI, and it is refused all the same.
        _outcomes(SUPER_ADMIN_ONLY, FORBIDDEN, NOT_SUPPORTED),
        changes_data=False,
    ),
]


@pytest.fixture
async def world(app, engine) -> World:
    return await build_world(engine)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_mutation_authorisation_matrix(api, engine, world, row, caller):
    before = await snapshot(engine)

    result = await api.execute(
        row.document, {"input": row.make_input(world)}, token=world.token(caller)
    )

    if caller == DISABLED:
        assert result.status == 401
        assert result.error_codes == ["UNAUTHENTICATED"]
        assert await snapshot(engine) == before
        return
    payload = result.data[row.field]
    expected = row.outcomes[caller]
    if expected == ALLOWED:
        assert payload["errors"] == []
        if row.changes_data:
            assert await snapshot(engine) != before
    else:
        assert [e["code"] for e in payload["errors"]] == [expected], payload
        assert await snapshot(engine) == before


def test_matrix_covers_every_caller():
    for row in ROWS:
        assert set(row.outcomes) == set(CALLERS), row.name


BAD_INPUT_CASES = [
    # (name, document, field, input, code, error field)
    (
        "createServiceUser invalid username",
        CREATE_SERVICE_USER,
        "createServiceUser",
        lambda w: {"username": "a b", "description": "x"},
        "BAD_USER_INPUT",
        ["username"],
    ),
    (
        "createServiceUser taken username in other case",
        CREATE_SERVICE_USER,
        "createServiceUser",
        lambda w: {"username": "ROBOT", "description": "x"},
        "CONFLICT",
        ["username"],
    ),
    (
        "createServiceUser empty description",
        CREATE_SERVICE_USER,
        "createServiceUser",
        lambda w: {"username": "new-bot", "description": "  "},
        "BAD_USER_INPUT",
        ["description"],
    ),
    (
        "attachRole unknown user",
        ATTACH_ROLE,
        "attachRole",
        lambda w: {"userId": "no-such-user", "roleId": w.role_ids["Viewer"]},
        "NOT_FOUND",
        ["userId"],
    ),
    (
        "attachRole unknown role",
        ATTACH_ROLE,
        "attachRole",
        lambda w: {"userId": w.id("robot"), "roleId": "no-such-role"},
        "NOT_FOUND",
        ["roleId"],
    ),
    (
        "attachRole already attached",
        ATTACH_ROLE,
        "attachRole",
        lambda w: {"userId": w.id("robot"), "roleId": w.role_ids["Reporting"]},
        "CONFLICT",
        ["roleId"],
    ),
    (
        "detachRole not attached",
        DETACH_ROLE,
        "detachRole",
        lambda w: {"userId": w.id("robot"), "roleId": w.role_ids["Viewer"]},
        "NOT_FOUND",
        ["roleId"],
    ),
    (
        "detachRole only role",
        DETACH_ROLE,
        "detachRole",
        lambda w: {"userId": w.id("retired"), "roleId": DEFAULT_USERS_ROLE_ID},
        "PRECONDITION_FAILED",
        ["roleId"],
    ),
    (
        "setDefaultRole role not attached",
        SET_DEFAULT_ROLE,
        "setDefaultRole",
        lambda w: {"userId": w.id("robot"), "roleId": w.role_ids["Viewer"]},
        "PRECONDITION_FAILED",
        ["roleId"],
    ),
    (
        "shareServiceUser unknown service user",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": "no-such-user", "userId": w.id("uma")},
        "NOT_FOUND",
        ["serviceUserId"],
    ),
    (
        "shareServiceUser regular user as service user",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": w.id("vera"), "userId": w.id("uma")},
        "BAD_USER_INPUT",
        ["serviceUserId"],
    ),
    (
        "shareServiceUser with service user",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "userId": w.id("agent")},
        "BAD_USER_INPUT",
        ["userId"],
    ),
    (
        "shareServiceUser editor access",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "userId": w.id("uma"), "accessType": "EDITOR"},
        "BAD_USER_INPUT",
        ["accessType"],
    ),
    (
        "shareServiceUser no grantee",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": w.id("robot")},
        "BAD_USER_INPUT",
        ["userId"],
    ),
    (
        "shareServiceUser two grantees",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "userId": w.id("uma"), "tagId": w.tag_id},
        "BAD_USER_INPUT",
        ["tagId"],
    ),
    (
        "shareServiceUser unknown grantee user",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "userId": "no-such-user"},
        "NOT_FOUND",
        ["userId"],
    ),
    (
        "shareServiceUser unknown tag",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "tagId": "no-such-tag"},
        "NOT_FOUND",
        ["tagId"],
    ),
    (
        "shareServiceUser already shared",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "tagId": w.tag_id},
        "CONFLICT",
        ["tagId"],
    ),
    (
        "shareServiceUser id with a control character",
        SHARE_SERVICE_USER,
        "shareServiceUser",
        lambda w: {"serviceUserId": "robot\x01", "userId": w.id("uma")},
        "NOT_FOUND",
        ["serviceUserId"],
    ),
    (
        "unshareServiceUser tag id with a control character",
        UNSHARE_SERVICE_USER,
        "unshareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "tagId": "ops\x01"},
        "NOT_FOUND",
        ["tagId"],
    ),
    (
        "deleteUser transfer id with a control character",
        DELETE_USER,
        "deleteUser",
        lambda w: {"userId": w.id("retired"), "transferToUserId": "vera\x01"},
        "NOT_FOUND",
        ["transferToUserId"],
    ),
    (
        "shareDatasource grantee id with a control character",
        SHARE_DATASOURCE,
        "shareDatasource",
        lambda w: {"datasourceId": w.datasource_id, "userId": "uma\x01", "accessType": "EDITOR"},
        "NOT_FOUND",
        ["userId"],
    ),
    (
        "unshareServiceUser unknown service user",
        UNSHARE_SERVICE_USER,
        "unshareServiceUser",
        lambda w: {"serviceUserId": "no-such-user", "userId": w.id("olive")},
        "NOT_FOUND",
        ["serviceUserId"],
    ),
    (
        "unshareServiceUser grantee without share",
        UNSHARE_SERVICE_USER,
        "unshareServiceUser",
        lambda w: {"serviceUserId": w.id("robot"), "userId": w.id("uma")},
        "NOT_FOUND",
        ["userId"],
    ),
    (
        "enableUser unknown user",
        ENABLE_USER,
        "enableUser",
        lambda w: {"userId": "no-such-user"},
        "NOT_FOUND",
        ["userId"],
    ),
    (
        "disableUser unknown user",
        DISABLE_USER,
        "disableUser",
        lambda w: {"userId": "no-such-user"},
        "NOT_FOUND",
        ["userId"],
    ),
    (
        "deleteUser unknown user",
        DELETE_USER,
        "deleteUser",
        lambda w: {"userId": "no-such-user", "transferToUserId": w.id("vera")},
        "NOT_FOUND",
        ["userId"],
    ),
    (
        "deleteUser unknown transfer user",
        DELETE_USER,
        "deleteUser",
        lambda w: {"userId": w.id("retired"), "transferToUserId": "no-such-user"},
        "NOT_FOUND",
        ["transferToUserId"],
    ),
    (
        "deleteUser enabled user",
        DELETE_USER,
        "deleteUser",
        lambda w: {"userId": w.id("robot"), "transferToUserId": w.id("vera")},
        "PRECONDITION_FAILED",
        ["userId"],
    ),
    (
        "deleteUser transfer to service user",
        DELETE_USER,
        "deleteUser",
        lambda w: {"userId": w.id("retired"), "transferToUserId": w.id("agent")},
        "BAD_USER_INPUT",
        ["transferToUserId"],
    ),
    (
        "deleteUser transfer to itself",
        DELETE_USER,
        "deleteUser",
        lambda w: {"userId": w.id("dora"), "transferToUserId": w.id("dora")},
        "BAD_USER_INPUT",
        ["transferToUserId"],
    ),
    (
        "deleteUser transfer to disabled user",
        DELETE_USER,
        "deleteUser",
        lambda w: {"userId": w.id("retired"), "transferToUserId": w.id("dora")},
        "PRECONDITION_FAILED",
        ["transferToUserId"],
    ),
    (
        "createDatasource empty name",
        CREATE_DATASOURCE,
        "createDatasource",
        lambda w: {"name": " "},
        "BAD_USER_INPUT",
        ["name"],
    ),
    (
        "createDatasource description too long",
        CREATE_DATASOURCE,
        "createDatasource",
        lambda w: {"name": "orders", "description": "x" * 1001},
        "BAD_USER_INPUT",
        ["description"],
    ),
    (
        "shareDatasource unknown datasource",
        SHARE_DATASOURCE,
        "shareDatasource",
        lambda w: {
            "datasourceId": "no-such-datasource",
            "userId": w.id("uma"),
            "accessType": "OWNER",
        },
        "NOT_FOUND",
        ["datasourceId"],
    ),
    (
        "shareDatasource with service user",
        SHARE_DATASOURCE,
        "shareDatasource",
        lambda w: {
            "datasourceId": w.datasource_id,
            "userId": w.id("agent"),
            "accessType": "EDITOR",
        },
        "BAD_USER_INPUT",
        ["userId"],
    ),
    (
        "shareDatasource unknown tag",
        SHARE_DATASOURCE,
        "shareDatasource",
        lambda w: {"datasourceId": w.datasource_id, "tagId": "no-such-tag", "accessType": "EDITOR"},
        "NOT_FOUND",
        ["tagId"],
    ),
    (
        "unshareDatasource unknown datasource",
        UNSHARE_DATASOURCE,
        "unshareDatasource",
        lambda w: {"datasourceId": "no-such-datasource", "userId": w.id("olive")},
        "NOT_FOUND",
        ["datasourceId"],
    ),
    (
        "unshareDatasource grantee without share",
        UNSHARE_DATASOURCE,
        "unshareDatasource",
        lambda w: {"datasourceId": w.datasource_id, "userId": w.id("uma")},
        "NOT_FOUND",
        ["userId"],
    ),
]


@pytest.mark.parametrize(
    ("document", "field", "make_input", "code", "error_field"),
    [case[1:] for case in BAD_INPUT_CASES],
    ids=[case[0] for case in BAD_INPUT_CASES],
)
async def test_mutation_bad_input_changes_nothing(
    api, engine, world, document, field, make_input, code, error_field
):
    before = await snapshot(engine)

    result = await api.execute(
        document, {"input": make_input(world)}, token=world.token(SUPER_ADMIN)
    )

    errors = result.data[field]["errors"]
    assert [e["code"] for e in errors] == [code], errors
    assert errors[0]["field"] == error_field
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    ("document", "make_input"),
    [
        (SHARE_SERVICE_USER, lambda w: {"serviceUserId": w.id("robot"), "accessType": "ADMIN"}),
        (LAUNCH_APPLICATION, lambda w: {"application": "CRM"}),
    ],
    ids=["accessType", "application"],
)
async def test_mutation_unknown_enum_value_rejected(api, engine, world, document, make_input):
    before = await snapshot(engine)

    result = await api.execute(
        document, {"input": make_input(world)}, token=world.token(SUPER_ADMIN)
    )

    assert result.body["data"] is None
    assert result.error_codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert await snapshot(engine) == before
