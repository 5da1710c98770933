"""Sharing service users with regular users and tags, and taking shares away."""

import asyncio

import pytest
from sqlalchemy import select

from db.tables import AuditEvent, RoleAttachment, Share, Tag, TagMember
from db.tables.roles import SUPER_ADMIN_ROLE_ID
from db.tables.shares import AccessType, ResourceType
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
)

# Rounds of the concurrent-removal test; each round is one chance to catch a lost update.
RACE_ROUNDS = 5

SHARE_SERVICE_USER = """
mutation($input: ShareServiceUserInput!) {
  shareServiceUser(input: $input) {
    serviceUser { userId }
    share {
      accessType resourceType resourceId
      resource { ... on User { userId } }
      grantee { __typename ... on User { userId } ... on Tag { tagId } }
      grantedBy { userId }
    }
    errors { code message field }
  }
}
"""
UNSHARE_SERVICE_USER = """
mutation($input: UnshareServiceUserInput!) {
  unshareServiceUser(input: $input) { serviceUser { userId } errors { code message field } }
}
"""
DISABLE_USER = """
mutation($input: UserIdInput!) {
  disableUser(input: $input) { user { enabled } errors { code message field } }
}
"""
SERVICE_USER_SHARES = """
query($id: ID!) {
  user(userId: $id) {
    shares { accessType grantee { ... on User { username } ... on Tag { tagKey } } }
  }
}
"""


@pytest.fixture
async def world(app, engine) -> World:
    return await build_world(engine)


async def _owner_share_count(engine, resource_id: str) -> int:
    shares = await fetch_all(
        engine,
        select(Share).where(
            Share.resource_id == resource_id, Share.access_type == AccessType.OWNER
        ),
    )
    return len(shares)


async def test_share_service_user_with_user(api, world):
    result = await api.execute(
        SHARE_SERVICE_USER,
        {"input": {"serviceUserId": world.id("robot"), "userId": world.id("uma")}},
        token=world.token(DIRECT_OWNER),
    )

    payload = result.data["shareServiceUser"]
    assert payload["errors"] == []
    assert payload["share"] == {
        "accessType": "OWNER",
        "resourceType": "SERVICE_USER",
        "resourceId": world.id("robot"),
        "resource": {"userId": world.id("robot")},
        "grantee": {"__typename": "User", "userId": world.id("uma")},
        "grantedBy": {"userId": world.id("olive")},
    }


async def test_share_service_user_with_tag_reaches_its_members(api, engine, world):
    data_team = Tag(tag_key="team", tag_value="data")
    await add_rows(engine, data_team, TagMember(tag_id=data_team.id, user_id=world.id("uma")))
    refused_before = await api.execute(
        DISABLE_USER, {"input": {"userId": world.id("robot")}}, token=world.token(UNRELATED)
    )

    shared = await api.execute(
        SHARE_SERVICE_USER,
        {"input": {"serviceUserId": world.id("robot"), "tagId": data_team.id}},
        token=world.token(TAG_OWNER),
    )
    allowed_after = await api.execute(
        DISABLE_USER, {"input": {"userId": world.id("robot")}}, token=world.token(UNRELATED)
    )

    assert [e["code"] for e in refused_before.data["disableUser"]["errors"]] == ["FORBIDDEN"]
    assert shared.data["shareServiceUser"]["share"]["grantee"] == {
        "__typename": "Tag",
        "tagId": data_team.id,
    }
    assert allowed_after.data["disableUser"] == {"user": {"enabled": False}, "errors": []}


async def test_share_service_user_names_accepted_access_type(api, engine, world):
    before = await snapshot(engine)

    result = await api.execute(
        SHARE_SERVICE_USER,
        {
            "input": {
                "serviceUserId": world.id("robot"),
                "userId": world.id("uma"),
                "accessType": "READ_ONLY",
            }
        },
        token=world.token(SUPER_ADMIN),
    )

    [error] = result.data["shareServiceUser"]["errors"]
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", ["accessType"])
    assert "accepted value is OWNER" in error["message"]
    assert await snapshot(engine) == before


async def test_share_service_user_rejects_service_user_caller(api, engine, world):
    await add_rows(engine, RoleAttachment(user_id=world.id("agent"), role_id=SUPER_ADMIN_ROLE_ID))
    token = await create_access_token(engine, world.id("agent"), SUPER_ADMIN_ROLE_ID)
    before = await snapshot(engine)

    result = await api.execute(
        SHARE_SERVICE_USER,
        {"input": {"serviceUserId": world.id("robot"), "userId": world.id("uma")}},
        token=token,
    )

    errors = result.data["shareServiceUser"]["errors"]
    assert [e["code"] for e in errors] == ["NOT_SUPPORTED_FOR_SERVICE_USER"]
    assert await snapshot(engine) == before


async def test_unshare_service_user_takes_access_away(api, world):
    removed = await api.execute(
        UNSHARE_SERVICE_USER,
        {"input": {"serviceUserId": world.id("robot"), "userId": world.id("olive")}},
        token=world.token(TAG_OWNER),
    )

    refused = await api.execute(
        DISABLE_USER, {"input": {"userId": world.id("robot")}}, token=world.token(DIRECT_OWNER)
    )

    assert removed.data["unshareServiceUser"]["errors"] == []
    assert [e["code"] for e in refused.data["disableUser"]["errors"]] == ["FORBIDDEN"]


async def test_unshare_service_user_last_owner_refused(api, engine, world):
    await api.execute(
        UNSHARE_SERVICE_USER,
        {"input": {"serviceUserId": world.id("robot"), "tagId": world.tag_id}},
        token=world.token(SUPER_ADMIN),
    )
    before = await snapshot(engine)

    result = await api.execute(
        UNSHARE_SERVICE_USER,
        {"input": {"serviceUserId": world.id("robot"), "userId": world.id("olive")}},
        token=world.token(DIRECT_OWNER),
    )

    [error] = result.data["unshareServiceUser"]["errors"]
    assert (error["code"], error["field"]) == ("PRECONDITION_FAILED", ["userId"])
    assert "last one" in error["message"]
    assert await snapshot(engine) == before


async def test_unshare_service_user_concurrent_removals_keep_one_owner(api, engine, world):
    robot_id = world.id("robot")
    for _ in range(RACE_ROUNDS):
        # Both OWNER shares are removed at the same time; the second removal must see the first.
        results = await asyncio.gather(
            api.execute(
                UNSHARE_SERVICE_USER,
                {"input": {"serviceUserId": robot_id, "tagId": world.tag_id}},
                token=world.token(SUPER_ADMIN),
            ),
            api.execute(
                UNSHARE_SERVICE_USER,
                {"input": {"serviceUserId": robot_id, "userId": world.id("olive")}},
                token=world.token(SUPER_ADMIN),
            ),
        )

        codes = sorted(
            tuple(e["code"] for e in r.data["unshareServiceUser"]["errors"]) for r in results
        )
        assert codes == [(), ("PRECONDITION_FAILED",)]
        assert await _owner_share_count(engine, robot_id) == 1
        await api.execute(
            SHARE_SERVICE_USER,
            {"input": {"serviceUserId": robot_id, "userId": world.id("olive")}},
            token=world.token(SUPER_ADMIN),
        )
        await api.execute(
            SHARE_SERVICE_USER,
            {"input": {"serviceUserId": robot_id, "tagId": world.tag_id}},
            token=world.token(SUPER_ADMIN),
        )


async def test_service_user_shares_listed_on_user(api, world):
    result = await api.execute(
        SERVICE_USER_SHARES, {"id": world.id("robot")}, token=world.token(UNRELATED)
    )

    shares = result.data["user"]["shares"]
    assert shares == [
        {"accessType": "OWNER", "grantee": {"username": "olive"}},
        {"accessType": "OWNER", "grantee": {"tagKey": "team"}},
    ]


async def test_share_service_user_failure_audited(api, engine, world):
    await api.execute(
        SHARE_SERVICE_USER,
        {"input": {"serviceUserId": world.id("robot"), "tagId": world.tag_id}},
        token=world.token(DIRECT_OWNER),
    )

    [event] = await fetch_all(engine, select(AuditEvent))
    assert event.action == "shareServiceUser"
    assert (event.target_type, event.target_id) == (ResourceType.SERVICE_USER, world.id("robot"))
    assert event.outcome == "FAILURE"
    assert event.error_code == "CONFLICT"
    assert event.details == {"granteeTagId": world.tag_id}
