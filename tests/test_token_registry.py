"""The service-user token registry: listing, revocation, last use, and PATs of service users."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from db.clock import utcnow
from db.engine import create_session_factory
from db.tables import AuditEvent, ServiceUserToken
from tests.support.databases import snapshot
from tests.support.service_users import (
    as_service_user,
    assume,
    assumed_token,
    create_access_token,
    remove_share,
    remove_tag_member,
    setup_assumable_service_user,
)

ME = "{ me { user { username } actor { username } credential } }"
ASSUMPTION_TOKENS = """
query Tokens($id: ID!, $first: Int = 20) {
  user(userId: $id) {
    assumptionTokens(first: $first) {
      totalCount
      edges {
        node {
          tokenId reason active revokedAt lastUsedAt
          issuedBy { username } revokedBy { username } role { name } serviceUser { username }
        }
      }
    }
  }
}
"""
REVOKE = """
mutation Revoke($tokenId: ID!) {
  revokeServiceUserToken(input: {tokenId: $tokenId}) {
    serviceUserToken { tokenId active revokedAt revokedBy { username } }
    errors { code message field }
  }
}
"""
ACCESS_TOKENS = """
query Pats($id: ID!) {
  user(userId: $id) {
    accessTokens { tokenId name status user { username } createdByActor { username } }
  }
}
"""
DEACTIVATE = """
mutation Deactivate($tokenId: ID!) {
  deactivateAccessToken(input: {tokenId: $tokenId}) {
    accessToken { tokenId status }
    errors { code message field }
  }
}
"""
ACTIVATE = """
mutation Activate($tokenId: ID!) {
  activateAccessToken(input: {tokenId: $tokenId}) { errors { code message field } }
}
"""
DISABLE_USER = """
mutation Disable($id: ID!) { disableUser(input: {userId: $id}) { errors { code message } } }
"""
ENABLE_USER = """
mutation Enable($id: ID!) { enableUser(input: {userId: $id}) { errors { code message } } }
"""


@pytest.fixture
async def world(engine):
    return await setup_assumable_service_user(engine)


async def _registry_entry(engine, token_id: str) -> ServiceUserToken:
    async with create_session_factory(engine)() as session:
        return await session.get(ServiceUserToken, token_id)


async def _revoke(api, token_id: str, **credentials) -> dict:
    result = await api.execute(REVOKE, {"tokenId": token_id}, **credentials)
    return result.data["revokeServiceUserToken"]


async def test_assumption_tokens_listed_for_owner(api, world):
    first = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    second = await assume(
        api, world.tag_member.token, world.service_user_id, world.reader_role_id, 15, "check"
    )

    result = await api.execute(
        ASSUMPTION_TOKENS, {"id": world.service_user_id}, token=world.owner.token
    )

    connection = result.data["user"]["assumptionTokens"]
    assert connection["totalCount"] == 2
    nodes = [edge["node"] for edge in connection["edges"]]
    assert {node["tokenId"] for node in nodes} == {first["tokenId"], second["tokenId"]}
    by_id = {node["tokenId"]: node for node in nodes}
    assert by_id[second["tokenId"]] == {
        "tokenId": second["tokenId"],
        "reason": "check",
        "active": True,
        "revokedAt": None,
        "lastUsedAt": None,
        "issuedBy": {"username": "bob"},
        "revokedBy": None,
        "role": {"name": "Reader"},
        "serviceUser": {"username": "etl-bot"},
    }


async def test_assumption_tokens_listed_through_tag(api, world):
    await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(
        ASSUMPTION_TOKENS, {"id": world.service_user_id}, token=world.tag_member.token
    )

    assert result.data["user"]["assumptionTokens"]["totalCount"] == 1


async def test_assumption_tokens_hidden_from_stranger(api, world):
    await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(
        ASSUMPTION_TOKENS, {"id": world.service_user_id}, token=world.stranger.token
    )

    assert result.error_codes == ["FORBIDDEN"]
    assert result.body["data"]["user"]["assumptionTokens"] is None


async def test_assumption_tokens_listed_for_service_user_itself(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(
        ASSUMPTION_TOKENS, {"id": world.service_user_id}, headers=as_service_user(token)
    )

    assert result.data["user"]["assumptionTokens"]["totalCount"] == 1


async def test_revoke_by_owner_stops_token(api, world, engine):
    payload = await assume(api, world.tag_member.token, world.service_user_id, world.ingest_role_id)

    revoked = await _revoke(api, payload["tokenId"], token=world.owner.token)

    assert revoked["errors"] == []
    assert revoked["serviceUserToken"]["active"] is False
    assert revoked["serviceUserToken"]["revokedBy"] == {"username": "alice"}
    result = await api.execute(ME, headers=as_service_user(payload["token"]))
    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]
    assert "was revoked" in result.body["errors"][0]["message"]


async def test_revoke_by_issuer_without_owner_access(api, world, engine):
    payload = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    await remove_share(engine, world.owner_share_id)

    revoked = await _revoke(api, payload["tokenId"], token=world.owner.token)

    assert revoked["errors"] == []
    assert (await _registry_entry(engine, payload["tokenId"])).revoked_by_id == (
        world.owner.user_id
    )


async def test_revoke_by_token_itself(api, world):
    payload = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    revoked = await _revoke(api, payload["tokenId"], headers=as_service_user(payload["token"]))

    assert revoked["errors"] == []
    assert revoked["serviceUserToken"]["revokedBy"] == {"username": "alice"}
    assert (await api.execute(ME, headers=as_service_user(payload["token"]))).status == 401


async def test_revoke_by_stranger_forbidden(api, world, engine):
    payload = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    before = await snapshot(engine)

    revoked = await _revoke(api, payload["tokenId"], token=world.stranger.token)

    assert revoked["serviceUserToken"] is None
    assert revoked["errors"][0]["code"] == "FORBIDDEN"
    assert revoked["errors"][0]["field"] == ["tokenId"]
    assert await snapshot(engine) == before
    assert (await api.execute(ME, headers=as_service_user(payload["token"]))).status == 200


async def test_revoke_after_losing_access_forbidden(api, world, engine):
    # Having issued one token gives no right over the tokens other people issued.
    payload = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    await assume(api, world.tag_member.token, world.service_user_id, world.ingest_role_id)
    await remove_tag_member(engine, world.tag_id, world.tag_member.user_id)
    before = await snapshot(engine)

    revoked = await _revoke(api, payload["tokenId"], token=world.tag_member.token)

    assert revoked["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before


async def test_revoke_unknown_token_not_found(api, world):
    revoked = await _revoke(api, "00000000-0000-4000-8000-0000000000aa", token=world.owner.token)

    assert revoked["errors"][0]["code"] == "NOT_FOUND"
    assert revoked["errors"][0]["field"] == ["tokenId"]


async def test_revoke_twice_keeps_first_revocation(api, world, engine):
    payload = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    first = await _revoke(api, payload["tokenId"], token=world.owner.token)

    second = await _revoke(api, payload["tokenId"], token=world.tag_member.token)

    assert second["errors"] == []
    assert second["serviceUserToken"]["revokedAt"] == first["serviceUserToken"]["revokedAt"]
    assert second["serviceUserToken"]["revokedBy"] == {"username": "alice"}


async def test_revoke_writes_audit_event(api, world, engine):
    payload = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    await _revoke(api, payload["tokenId"], headers=as_service_user(payload["token"]))

    async with create_session_factory(engine)() as session:
        statement = select(AuditEvent).where(AuditEvent.action == "revokeServiceUserToken")
        event = (await session.execute(statement)).scalar_one()
    assert event.outcome == "SUCCESS"
    assert event.actor_id == world.owner.user_id
    assert event.user_id == world.service_user_id
    assert event.target_type == "SERVICE_USER_TOKEN"
    assert event.target_id == payload["tokenId"]


async def test_disable_service_user_revokes_tokens(api, world, admin, engine):
    payload = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    await api.execute(DISABLE_USER, {"id": world.service_user_id}, token=world.owner.token)
    await api.execute(ENABLE_USER, {"id": world.service_user_id}, token=world.owner.token)

    record = await _registry_entry(engine, payload["tokenId"])
    assert record.revoked_at is not None
    result = await api.execute(ME, headers=as_service_user(payload["token"]))
    assert result.status == 401
    assert "was revoked" in result.body["errors"][0]["message"]


async def test_last_used_written_at_most_once_a_minute(api, world, engine):
    payload = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    headers = as_service_user(payload["token"])

    await api.execute(ME, headers=headers)
    first_use = (await _registry_entry(engine, payload["tokenId"])).last_used_at
    await api.execute(ME, headers=headers)
    second_use = (await _registry_entry(engine, payload["tokenId"])).last_used_at

    assert first_use is not None
    assert second_use == first_use

    two_minutes_ago = utcnow() - timedelta(minutes=2)
    async with create_session_factory(engine)() as session:
        await session.execute(
            update(ServiceUserToken)
            .where(ServiceUserToken.id == payload["tokenId"])
            .values(last_used_at=two_minutes_ago)
        )
        await session.commit()
    await api.execute(ME, headers=headers)
    third_use = (await _registry_entry(engine, payload["tokenId"])).last_used_at

    assert third_use > two_minutes_ago + timedelta(minutes=1)


async def test_pat_created_as_service_user_belongs_to_it(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    created = await create_access_token(api, world.ingest_role_id, headers=as_service_user(token))

    assert created["accessToken"]["user"] == {"username": "etl-bot"}
    assert created["accessToken"]["createdByActor"] == {"username": "alice"}
    result = await api.execute(ME, token=created["secret"])
    assert result.data["me"] == {
        "user": {"username": "etl-bot"},
        "actor": {"username": "alice"},
        "credential": "ACCESS_TOKEN",
    }


async def test_service_user_pats_listed_for_owners(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    created = await create_access_token(api, world.ingest_role_id, headers=as_service_user(token))

    for owner in (world.owner, world.tag_member):
        result = await api.execute(ACCESS_TOKENS, {"id": world.service_user_id}, token=owner.token)

        assert result.data["user"]["accessTokens"] == [
            {
                "tokenId": created["accessToken"]["tokenId"],
                "name": "automation",
                "status": "ACTIVE",
                "user": {"username": "etl-bot"},
                "createdByActor": {"username": "alice"},
            }
        ]


async def test_service_user_pats_hidden_from_stranger(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    await create_access_token(api, world.ingest_role_id, headers=as_service_user(token))

    result = await api.execute(
        ACCESS_TOKENS, {"id": world.service_user_id}, token=world.stranger.token
    )

    assert result.error_codes == ["FORBIDDEN"]


async def test_owner_deactivates_service_user_pat(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    created = await create_access_token(api, world.ingest_role_id, headers=as_service_user(token))
    token_id = created["accessToken"]["tokenId"]

    result = await api.execute(DEACTIVATE, {"tokenId": token_id}, token=world.tag_member.token)

    assert result.data["deactivateAccessToken"] == {
        "accessToken": {"tokenId": token_id, "status": "INACTIVE"},
        "errors": [],
    }
    rejected = await api.execute(ME, token=created["secret"])
    assert rejected.status == 401
    assert "deactivated" in rejected.body["errors"][0]["message"]


async def test_stranger_cannot_deactivate_service_user_pat(api, world, engine):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    created = await create_access_token(api, world.ingest_role_id, headers=as_service_user(token))
    before = await snapshot(engine)

    result = await api.execute(
        DEACTIVATE, {"tokenId": created["accessToken"]["tokenId"]}, token=world.stranger.token
    )

    assert result.data["deactivateAccessToken"]["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before
    assert (await api.execute(ME, token=created["secret"])).status == 200


async def test_service_user_pat_stops_while_disabled(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    created = await create_access_token(api, world.ingest_role_id, headers=as_service_user(token))

    await api.execute(DISABLE_USER, {"id": world.service_user_id}, token=world.owner.token)
    while_disabled = await api.execute(ME, token=created["secret"])
    await api.execute(ENABLE_USER, {"id": world.service_user_id}, token=world.owner.token)
    after_enable = await api.execute(ME, token=created["secret"])

    assert while_disabled.status == 401
    assert "disabled" in while_disabled.body["errors"][0]["message"]
    assert after_enable.data["me"]["user"] == {"username": "etl-bot"}
