"""Deleting users and service users: ownership moves to the transfer user, the rest goes."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from db.clock import utcnow
from db.tables import (
    AccessToken,
    AuditEvent,
    Datasource,
    Permission,
    RoleAttachment,
    ServiceUserToken,
    Session,
    Share,
    TagMember,
    User,
)
from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from db.tables.shares import AccessType, ResourceType, grantee_key_for_user
from tests.support.databases import snapshot
from tests.support.identities import access_token_row, session_row
from tests.support.world import (
    DIRECT_OWNER,
    SUPER_ADMIN,
    UNRELATED,
    World,
    add_rows,
    build_world,
    fetch_all,
    make_role,
)

REMOVED_FIELDS = """
removed {
  sharesAsGrantee sharesOnServiceUser roleAttachments tagMemberships
  accessTokens serviceUserTokens sessions
}
"""
MOVED_FIELDS = "movedResources { resourceType resourceId transferUserIsOwner }"
DELETE_USER = f"""
mutation($input: DeleteUserInput!) {{
  deleteUser(input: $input) {{
    deletedUserId
    transferUser {{ userId }}
    {MOVED_FIELDS}
    {REMOVED_FIELDS}
    errors {{ code message field }}
  }}
}}
"""
DELETION_PREVIEW = f"""
query($userId: ID!, $transferToUserId: ID!) {{
  deletionPreview(userId: $userId, transferToUserId: $transferToUserId) {{
    user {{ userId }}
    transferUser {{ userId }}
    {MOVED_FIELDS}
    {REMOVED_FIELDS}
    blockers {{ code message field }}
  }}
}}
"""
MOVED_RESOURCE_TYPES = """
query($userId: ID!, $transferToUserId: ID!) {
  deletionPreview(userId: $userId, transferToUserId: $transferToUserId) {
    movedResources { resource { __typename ... on Datasource { name } } }
  }
}
"""


@pytest.fixture
async def world(app, engine) -> World:
    return await build_world(engine)


def _owner_share(resource_type: ResourceType, resource_id: str, user_id: str, access_type=None):
    return Share(
        resource_type=resource_type,
        resource_id=resource_id,
        grantee_key=grantee_key_for_user(user_id),
        grantee_user_id=user_id,
        access_type=access_type or AccessType.OWNER,
    )


def _service_user_token(service_user_id: str, issued_by_id: str) -> ServiceUserToken:
    return ServiceUserToken(
        service_user_id=service_user_id,
        role_id=DEFAULT_USERS_ROLE_ID,
        issued_by_id=issued_by_id,
        key_id="test-key",
        expires_at=utcnow() + timedelta(minutes=30),
    )


def _delete_input(user_id: str, transfer_id: str) -> dict:
    return {"input": {"userId": user_id, "transferToUserId": transfer_id}}


async def _shares_of(engine, user_id: str) -> set[tuple[str, str, str]]:
    rows = await fetch_all(engine, select(Share).where(Share.grantee_user_id == user_id))
    return {(s.resource_type, s.resource_id, s.access_type) for s in rows}


async def test_delete_service_user_moves_its_datasource(api, engine, world):
    retired_id = world.id("retired")
    loads = Datasource(name="loads", created_by_id=retired_id)
    _, token = access_token_row(retired_id, DEFAULT_USERS_ROLE_ID)
    await add_rows(
        engine,
        loads,
        _owner_share(ResourceType.DATASOURCE, loads.id, retired_id),
        token,
        _service_user_token(retired_id, world.id("olive")),
    )

    result = await api.execute(
        DELETE_USER, _delete_input(retired_id, world.id("vera")), token=world.token(DIRECT_OWNER)
    )

    payload = result.data["deleteUser"]
    assert payload["errors"] == []
    assert payload["deletedUserId"] == retired_id
    assert payload["movedResources"] == [
        {"resourceType": "DATASOURCE", "resourceId": loads.id, "transferUserIsOwner": False}
    ]
    assert payload["removed"] == {
        "sharesAsGrantee": 1,
        "sharesOnServiceUser": 2,
        "roleAttachments": 1,
        "tagMemberships": 0,
        "accessTokens": 1,
        "serviceUserTokens": 1,
        "sessions": 0,
    }
    assert await _shares_of(engine, world.id("vera")) == {
        (ResourceType.DATASOURCE, loads.id, AccessType.OWNER)
    }
    assert await fetch_all(engine, select(User).where(User.id == retired_id)) == []
    assert await fetch_all(engine, select(Share).where(Share.resource_id == retired_id)) == []
    assert (
        await fetch_all(engine, select(AccessToken).where(AccessToken.user_id == retired_id)) == []
    )
    assert await fetch_all(engine, select(ServiceUserToken)) == []


async def test_delete_regular_user_moves_every_owned_resource(api, engine, world):
    dora_id, vera_id = world.id("dora"), world.id("vera")
    reports = Datasource(name="reports")
    archive = Datasource(name="archive")
    await add_rows(
        engine,
        reports,
        archive,
        _owner_share(ResourceType.SERVICE_USER, world.id("robot"), dora_id),
        _owner_share(ResourceType.TAG, world.tag_id, dora_id),
        _owner_share(ResourceType.DATASOURCE, reports.id, dora_id),
        _owner_share(ResourceType.DATASOURCE, archive.id, dora_id),
        # The transfer user already owns `reports` and can edit `archive`.
        _owner_share(ResourceType.DATASOURCE, reports.id, vera_id),
        _owner_share(ResourceType.DATASOURCE, archive.id, vera_id, AccessType.EDITOR),
    )

    result = await api.execute(
        DELETE_USER, _delete_input(dora_id, vera_id), token=world.token(SUPER_ADMIN)
    )

    moved = result.data["deleteUser"]["movedResources"]
    assert {(m["resourceId"], m["transferUserIsOwner"]) for m in moved} == {
        (world.id("robot"), False),
        (world.tag_id, False),
        (reports.id, True),
        (archive.id, False),
    }
    assert await _shares_of(engine, vera_id) == {
        (ResourceType.SERVICE_USER, world.id("robot"), AccessType.OWNER),
        (ResourceType.TAG, world.tag_id, AccessType.OWNER),
        (ResourceType.DATASOURCE, reports.id, AccessType.OWNER),
        (ResourceType.DATASOURCE, archive.id, AccessType.OWNER),
    }
    assert await _shares_of(engine, dora_id) == set()


async def test_delete_regular_user_removes_its_credentials_and_access(api, engine, world):
    dora_id = world.id("dora")
    await add_rows(
        engine,
        TagMember(tag_id=world.tag_id, user_id=dora_id),
        _service_user_token(world.id("robot"), dora_id),
    )

    result = await api.execute(
        DELETE_USER, _delete_input(dora_id, world.id("vera")), token=world.token(SUPER_ADMIN)
    )

    assert result.data["deleteUser"]["removed"] == {
        "sharesAsGrantee": 0,
        "sharesOnServiceUser": 0,
        "roleAttachments": 1,
        "tagMemberships": 1,
        "accessTokens": 0,
        "serviceUserTokens": 1,
        "sessions": 1,
    }
    for table, column in (
        (Session, Session.user_id),
        (TagMember, TagMember.user_id),
        (RoleAttachment, RoleAttachment.user_id),
        (ServiceUserToken, ServiceUserToken.issued_by_id),
    ):
        assert await fetch_all(engine, select(table).where(column == dora_id)) == [], table


async def test_delete_user_failure_leaves_everything_as_it_was(api, engine, world):
    retired_id = world.id("retired")
    loads = Datasource(name="loads")
    await add_rows(engine, loads, _owner_share(ResourceType.DATASOURCE, loads.id, retired_id))
    before = await snapshot(engine)

    def fail_on_user_delete(_conn, _cursor, statement, *_args):
        # The last step of a deletion fails, after ownership moved and shares were deleted.
        if statement.lstrip().upper().startswith("DELETE FROM USERS"):
            raise RuntimeError("injected failure while deleting the user row")

    event.listen(engine.sync_engine, "before_cursor_execute", fail_on_user_delete)
    try:
        result = await api.execute(
            DELETE_USER, _delete_input(retired_id, world.id("vera")), token=world.token(SUPER_ADMIN)
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", fail_on_user_delete)

    assert result.error_codes == ["INTERNAL_SERVER_ERROR"]
    assert await snapshot(engine) == before
    [audit] = await fetch_all(engine, select(AuditEvent).where(AuditEvent.action == "deleteUser"))
    assert audit.outcome == "ERROR"


async def test_delete_user_audited_with_service_user_target(api, engine, world):
    await api.execute(
        DELETE_USER,
        _delete_input(world.id("retired"), world.id("vera")),
        token=world.token(DIRECT_OWNER),
    )

    [audit] = await fetch_all(engine, select(AuditEvent).where(AuditEvent.action == "deleteUser"))
    assert (audit.target_type, audit.target_id) == ("SERVICE_USER", world.id("retired"))
    assert audit.outcome == "SUCCESS"
    assert audit.actor_id == world.id("olive")
    assert audit.details == {"transferToUserId": world.id("vera"), "movedResources": 0}


async def test_delete_super_admin_service_user_allowed(api, engine, world):
    # Only people count for the last-super-admin rule, so a service user with the role can be
    # deleted like any other. The enabled person `ann` keeps the installation managed.
    await add_rows(engine, RoleAttachment(user_id=world.id("retired"), role_id=SUPER_ADMIN_ROLE_ID))

    result = await api.execute(
        DELETE_USER,
        _delete_input(world.id("retired"), world.id("vera")),
        token=world.token(DIRECT_OWNER),
    )

    assert result.data["deleteUser"]["errors"] == []
    remaining = await fetch_all(engine, select(User.id).where(User.id == world.id("retired")))
    assert remaining == []


async def test_delete_user_reports_every_blocker(api, engine, world):
    before = await snapshot(engine)

    result = await api.execute(
        DELETE_USER,
        _delete_input(world.id("robot"), world.id("dora")),
        token=world.token(SUPER_ADMIN),
    )

    errors = result.data["deleteUser"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("PRECONDITION_FAILED", ["userId"]),
        ("PRECONDITION_FAILED", ["transferToUserId"]),
    ]
    assert await snapshot(engine) == before


async def test_deletion_preview_matches_deletion(api, engine, world):
    retired_id, vera_id = world.id("retired"), world.id("vera")
    loads = Datasource(name="loads")
    await add_rows(engine, loads, _owner_share(ResourceType.DATASOURCE, loads.id, retired_id))
    variables = {"userId": retired_id, "transferToUserId": vera_id}
    before = await snapshot(engine)

    preview = (
        await api.execute(DELETION_PREVIEW, variables, token=world.token(DIRECT_OWNER))
    ).data["deletionPreview"]
    unchanged = await snapshot(engine) == before
    deleted = (
        await api.execute(
            DELETE_USER, _delete_input(retired_id, vera_id), token=world.token(DIRECT_OWNER)
        )
    ).data["deleteUser"]

    assert unchanged
    assert preview["blockers"] == []
    assert preview["user"] == {"userId": retired_id}
    assert preview["transferUser"] == {"userId": vera_id}
    assert preview["movedResources"] == deleted["movedResources"]
    assert preview["removed"] == deleted["removed"]


async def test_deletion_preview_resolves_moved_resources(api, engine, world):
    retired_id = world.id("retired")
    loads = Datasource(name="loads")
    await add_rows(engine, loads, _owner_share(ResourceType.DATASOURCE, loads.id, retired_id))

    result = await api.execute(
        MOVED_RESOURCE_TYPES,
        {"userId": retired_id, "transferToUserId": world.id("vera")},
        token=world.token(SUPER_ADMIN),
    )

    moved = result.data["deletionPreview"]["movedResources"]
    assert moved == [{"resource": {"__typename": "Datasource", "name": "loads"}}]


async def test_deletion_preview_lists_blockers(api, world):
    result = await api.execute(
        DELETION_PREVIEW,
        {"userId": world.id("robot"), "transferToUserId": world.id("dora")},
        token=world.token(SUPER_ADMIN),
    )

    blockers = result.data["deletionPreview"]["blockers"]
    assert [(b["code"], b["field"]) for b in blockers] == [
        ("PRECONDITION_FAILED", ["userId"]),
        ("PRECONDITION_FAILED", ["transferToUserId"]),
    ]


@pytest.mark.parametrize(
    ("caller", "user", "transfer", "code"),
    [
        (UNRELATED, "retired", "vera", "FORBIDDEN"),
        (SUPER_ADMIN, "nobody", "vera", "NOT_FOUND"),
        (SUPER_ADMIN, "retired", "agent", "BAD_USER_INPUT"),
    ],
    ids=["unrelated caller", "unknown user", "service user as transfer user"],
)
async def test_deletion_preview_rejected(api, world, caller, user, transfer, code):
    user_id = world.user_ids.get(user, "no-such-user")

    result = await api.execute(
        DELETION_PREVIEW,
        {"userId": user_id, "transferToUserId": world.id(transfer)},
        token=world.token(caller),
    )

    assert result.body["data"] is None
    assert result.error_codes == [code]


async def test_delete_user_transfer_needs_owner_of_moved_resources(api, engine, world):
    # `dora`, a disabled regular user, owns the datasource. A USERS_MANAGE holder who does not
    # own it must not be able to hand it to anyone, themselves included.
    manager_role = make_role("user-managers", [Permission.USERS_MANAGE, Permission.USERS_READ])
    await add_rows(engine, manager_role)
    await add_rows(
        engine,
        RoleAttachment(user_id=world.id("vera"), role_id=manager_role.id),
        Share(
            resource_type=ResourceType.DATASOURCE,
            resource_id=world.datasource_id,
            grantee_key=grantee_key_for_user(world.id("dora")),
            grantee_user_id=world.id("dora"),
            access_type=AccessType.OWNER,
        ),
    )
    token, session = session_row(world.id("vera"))
    await add_rows(engine, session)
    before = await snapshot(engine)

    result = await api.execute(
        DELETE_USER,
        _delete_input(world.id("dora"), world.id("vera")),
        token=token,
        headers={"role_id": manager_role.id},
    )

    [error] = result.data["deleteUser"]["errors"]
    assert error["code"] == "FORBIDDEN"
    assert error["field"] == ["transferToUserId"]
    assert "you do not own" in error["message"]
    assert await snapshot(engine) == before
