"""Assuming a service user: who may, for how long, under which role, and what the token does."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from db.clock import utcnow
from db.engine import create_session_factory
from db.tables import AuditEvent, ServiceUserToken
from db.tables.roles import SUPER_ADMIN_ROLE_ID
from tests.support.databases import snapshot
from tests.support.service_users import (
    as_service_user,
    assume,
    assumed_token,
    attach_role,
    create_access_token,
    create_service_user,
    setup_assumable_service_user,
)

ME = """
{
  me {
    user { userId username isServiceUser }
    activeRole { roleId name }
    actor { userId username isServiceUser }
    expiresAt
    credential
  }
}
"""
SIGN_OUT = "mutation { signOut { signedOutSessions errors { code message } } }"
GLOBAL_SIGN_OUT = "mutation { globalSignOut { signedOutSessions errors { code message } } }"
DISABLE_USER = """
mutation Disable($id: ID!) { disableUser(input: {userId: $id}) { errors { code message } } }
"""


@pytest.fixture
async def world(engine):
    return await setup_assumable_service_user(engine)


async def _audit_events(engine, action: str) -> list[AuditEvent]:
    async with create_session_factory(engine)() as session:
        statement = select(AuditEvent).where(AuditEvent.action == action)
        return list((await session.execute(statement)).scalars())


async def test_assume_service_user_returns_token(api, world):
    before = utcnow()

    payload = await assume(
        api, world.owner.token, world.service_user_id, world.ingest_role_id, 30, "nightly load"
    )

    assert payload["errors"] == []
    assert payload["token"].count(".") == 2
    assert payload["serviceUser"] == {
        "userId": world.service_user_id,
        "username": "etl-bot",
        "isServiceUser": True,
    }
    assert payload["role"] == {"roleId": world.ingest_role_id, "name": "Ingest"}
    assert payload["serviceUserToken"] == {
        "tokenId": payload["tokenId"],
        "reason": "nightly load",
        "issuedBy": {"username": "alice"},
    }
    expires_at = datetime.fromisoformat(payload["expiresAt"])
    assert before + timedelta(minutes=29) < expires_at <= before + timedelta(minutes=31)


async def test_assume_service_user_records_registry_entry(api, world, engine):
    payload = await assume(
        api, world.owner.token, world.service_user_id, world.ingest_role_id, 45, "backfill"
    )

    async with create_session_factory(engine)() as session:
        record = await session.get(ServiceUserToken, payload["tokenId"])
    assert record.service_user_id == world.service_user_id
    assert record.role_id == world.ingest_role_id
    assert record.issued_by_id == world.owner.user_id
    assert record.reason == "backfill"
    assert record.revoked_at is None
    assert record.expires_at - record.issued_at == timedelta(minutes=45)
    assert record.expires_at == datetime.fromisoformat(payload["expiresAt"])


async def test_assume_service_user_writes_audit_event(api, world, engine):
    payload = await assume(
        api, world.owner.token, world.service_user_id, world.ingest_role_id, reason="audit me"
    )

    events = await _audit_events(engine, "assumeServiceUser")
    assert len(events) == 1
    event = events[0]
    assert event.outcome == "SUCCESS"
    assert event.actor_id == world.owner.user_id
    assert event.target_type == "SERVICE_USER"
    assert event.target_id == world.service_user_id
    assert event.details["tokenId"] == payload["tokenId"]
    assert event.details["reason"] == "audit me"
    assert event.details["expiresInMinutes"] == 30


async def test_assume_service_user_default_lifetime_sixty_minutes(api, world, engine):
    payload = await assume(
        api, world.owner.token, world.service_user_id, world.ingest_role_id, minutes=None
    )

    async with create_session_factory(engine)() as session:
        record = await session.get(ServiceUserToken, payload["tokenId"])
    assert record.expires_at - record.issued_at == timedelta(minutes=60)


async def test_assume_service_user_through_tag(api, world):
    payload = await assume(api, world.tag_member.token, world.service_user_id, world.ingest_role_id)

    assert payload["errors"] == []
    assert payload["serviceUserToken"]["issuedBy"] == {"username": "bob"}


async def test_assume_service_user_as_super_admin(api, world, admin):
    payload = await assume(api, admin.token, world.service_user_id, world.reader_role_id)

    assert payload["errors"] == []


async def test_assume_service_user_without_owner_access_forbidden(api, world, engine):
    before = await snapshot(engine)

    payload = await assume(api, world.stranger.token, world.service_user_id, world.ingest_role_id)

    assert payload["token"] is None
    assert payload["errors"][0]["code"] == "FORBIDDEN"
    assert "Owner access to service user 'etl-bot'" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


@pytest.mark.parametrize("minutes", [0, 181, -5])
async def test_assume_service_user_lifetime_out_of_range(api, world, engine, minutes):
    before = await snapshot(engine)

    payload = await assume(
        api, world.owner.token, world.service_user_id, world.ingest_role_id, minutes
    )

    assert payload["token"] is None
    error = payload["errors"][0]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"] == ["expiresInMinutes"]
    assert "1 to 180 minutes" in error["message"]
    assert await snapshot(engine) == before


@pytest.mark.parametrize("minutes", [1, 180])
async def test_assume_service_user_lifetime_bounds_accepted(api, world, minutes):
    payload = await assume(
        api, world.owner.token, world.service_user_id, world.ingest_role_id, minutes
    )

    assert payload["errors"] == []


async def test_assume_service_user_reason_too_long(api, world, engine):
    before = await snapshot(engine)

    payload = await assume(
        api, world.owner.token, world.service_user_id, world.ingest_role_id, 30, "x" * 501
    )

    assert payload["errors"][0]["code"] == "BAD_USER_INPUT"
    assert payload["errors"][0]["field"] == ["reason"]
    assert await snapshot(engine) == before


async def test_assume_service_user_role_not_attached(api, world, engine):
    before = await snapshot(engine)

    payload = await assume(api, world.owner.token, world.service_user_id, world.unattached_role_id)

    error = payload["errors"][0]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"] == ["roleId"]
    assert "Role 'Unattached' is not attached to service user 'etl-bot'" in error["message"]
    assert await snapshot(engine) == before


async def test_assume_service_user_unknown_role(api, world):
    payload = await assume(
        api, world.owner.token, world.service_user_id, "00000000-0000-4000-8000-00000000dead"
    )

    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert payload["errors"][0]["field"] == ["roleId"]


async def test_assume_service_user_unknown_service_user(api, world, engine):
    before = await snapshot(engine)

    payload = await assume(
        api, world.owner.token, "00000000-0000-4000-8000-00000000beef", world.ingest_role_id
    )

    error = payload["errors"][0]
    assert error["code"] == "NOT_FOUND"
    assert error["field"] == ["serviceUserId"]
    assert await snapshot(engine) == before


async def test_assume_service_user_regular_user_rejected(api, world, admin):
    payload = await assume(api, admin.token, world.owner.user_id, world.ingest_role_id)

    assert payload["errors"][0]["code"] == "BAD_USER_INPUT"
    assert payload["errors"][0]["field"] == ["serviceUserId"]


async def test_assume_service_user_disabled_precondition_failed(api, world, admin, engine):
    await api.execute(DISABLE_USER, {"id": world.service_user_id}, token=admin.token)
    before = await snapshot(engine)

    payload = await assume(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    error = payload["errors"][0]
    assert error["code"] == "PRECONDITION_FAILED"
    assert error["field"] == ["serviceUserId"]
    assert "disabled" in error["message"]
    assert await snapshot(engine) == before


async def test_assume_service_user_failure_audited(api, world, engine):
    await assume(api, world.stranger.token, world.service_user_id, world.ingest_role_id)

    events = await _audit_events(engine, "assumeServiceUser")
    assert [(e.outcome, e.error_code, e.actor_id) for e in events] == [
        ("FAILURE", "FORBIDDEN", world.stranger.user_id)
    ]


async def test_assume_as_service_user_not_supported(api, world, engine):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    second_id = await create_service_user(engine, "second-bot")
    before = await snapshot(engine)

    result = await api.execute(
        """
        mutation Assume($input: AssumeServiceUserInput!) {
          assumeServiceUser(input: $input) { token errors { code message } }
        }
        """,
        {"input": {"serviceUserId": second_id, "roleId": world.ingest_role_id}},
        headers=as_service_user(token),
    )

    payload = result.data["assumeServiceUser"]
    assert payload["token"] is None
    assert payload["errors"][0]["code"] == "NOT_SUPPORTED_FOR_SERVICE_USER"
    assert "cannot assume a service user" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_assume_with_service_user_pat_not_supported(api, world, engine):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    created = await create_access_token(api, world.ingest_role_id, headers=as_service_user(token))
    pat = created["secret"]

    payload = await assume(api, pat, world.service_user_id, world.ingest_role_id)

    assert payload["errors"][0]["code"] == "NOT_SUPPORTED_FOR_SERVICE_USER"


async def test_me_shows_service_user_role_actor_expiry(api, world):
    payload = await assume(api, world.tag_member.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(ME, headers=as_service_user(payload["token"]))

    me = result.data["me"]
    assert me["user"] == {
        "userId": world.service_user_id,
        "username": "etl-bot",
        "isServiceUser": True,
    }
    assert me["activeRole"] == {"roleId": world.ingest_role_id, "name": "Ingest"}
    assert me["actor"] == {
        "userId": world.tag_member.user_id,
        "username": "bob",
        "isServiceUser": False,
    }
    assert me["credential"] == "SERVICE_USER_TOKEN"
    assert datetime.fromisoformat(me["expiresAt"]) == datetime.fromisoformat(payload["expiresAt"])


async def test_role_header_switches_role(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    for header in ("role_id", "X-Amorphic-Role-Id"):
        result = await api.execute(
            ME, headers={**as_service_user(token), header: world.reader_role_id}
        )

        assert result.data["me"]["activeRole"]["name"] == "Reader"


async def test_role_header_unattached_role_rejected(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(
        ME, headers={**as_service_user(token), "role_id": world.unattached_role_id}
    )

    assert result.status == 403
    assert result.error_codes == ["FORBIDDEN"]


async def test_authorization_of_same_person_accepted(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(ME, token=world.owner.token, headers=as_service_user(token))

    assert result.data["me"]["user"]["username"] == "etl-bot"
    assert result.data["me"]["actor"]["username"] == "alice"


async def test_authorization_of_other_person_rejected(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(ME, token=world.tag_member.token, headers=as_service_user(token))

    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]
    message = result.body["errors"][0]["message"]
    assert "authenticates 'bob'" in message
    assert "assumed by 'alice'" in message


async def test_invalid_authorization_beside_token_rejected(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(ME, token="sus_not-a-session", headers=as_service_user(token))

    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("document", [SIGN_OUT, GLOBAL_SIGN_OUT])
async def test_sign_out_as_service_user_not_supported(api, world, engine, document):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    before = await snapshot(engine)

    result = await api.execute(document, headers=as_service_user(token))

    payload = next(iter(result.data.values()))
    assert payload["signedOutSessions"] == 0
    assert payload["errors"][0]["code"] == "NOT_SUPPORTED_FOR_SERVICE_USER"
    assert await snapshot(engine) == before


async def test_active_sessions_of_service_user_empty(api, world):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(
        "query($id: ID!) { user(userId: $id) { activeSessions { sessionId } } }",
        {"id": world.service_user_id},
        headers=as_service_user(token),
    )

    assert result.data["user"]["activeSessions"] == []


async def test_super_admin_service_user_cannot_assume(api, world, engine):
    # A service user holding SystemRole-SuperAdmin still cannot assume another service user.
    await attach_role(engine, world.service_user_id, SUPER_ADMIN_ROLE_ID)
    token = await assumed_token(api, world.owner.token, world.service_user_id, SUPER_ADMIN_ROLE_ID)
    second_id = await create_service_user(engine, "second-bot")

    result = await api.execute(
        """
        mutation Assume($input: AssumeServiceUserInput!) {
          assumeServiceUser(input: $input) { token errors { code } }
        }
        """,
        {"input": {"serviceUserId": second_id, "roleId": SUPER_ADMIN_ROLE_ID}},
        headers=as_service_user(token),
    )

    assert result.data["assumeServiceUser"]["errors"][0]["code"] == (
        "NOT_SUPPORTED_FOR_SERVICE_USER"
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _rest_error(response) -> dict:
    return response.json()["errors"][0]


async def test_rest_auth_token_returns_token(api, world, engine):
    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token",
        json={"RoleId": world.ingest_role_id, "ExpiresInMinutes": 20, "Reason": "from the SDK"},
        headers=_bearer(world.owner.token),
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"Token", "TokenId", "ExpiresAt", "UserId", "RoleId"}
    assert body["UserId"] == world.service_user_id
    async with create_session_factory(engine)() as session:
        record = await session.get(ServiceUserToken, body["TokenId"])
    assert record.reason == "from the SDK"
    assert record.expires_at - record.issued_at == timedelta(minutes=20)
    assert datetime.fromisoformat(body["ExpiresAt"]) == record.expires_at
    me = await api.execute(ME, headers=as_service_user(body["Token"]))
    assert me.data["me"]["user"]["username"] == "etl-bot"
    assert me.data["me"]["actor"]["username"] == "alice"
    events = await _audit_events(engine, "assumeServiceUser")
    assert [(e.outcome, e.actor_id) for e in events] == [("SUCCESS", world.owner.user_id)]


async def test_rest_auth_token_accepts_camel_case(api, world):
    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token",
        json={"roleId": world.reader_role_id, "expiresInMinutes": 5},
        headers=_bearer(world.tag_member.token),
    )

    assert response.status_code == 200
    assert response.json()["RoleId"] == world.reader_role_id


async def test_rest_auth_token_without_credential_401(api, world):
    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token", json={"RoleId": world.ingest_role_id}
    )

    assert response.status_code == 401
    assert _rest_error(response)["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_rest_auth_token_invalid_credential_401(api, world):
    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token",
        json={"RoleId": world.ingest_role_id},
        headers=_bearer("sus_expired-or-made-up"),
    )

    assert response.status_code == 401
    assert _rest_error(response)["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ExpiresInMinutes": 30}, ["RoleId"]),
        ({"RoleId": 7}, ["RoleId"]),
        ({"RoleId": "x", "roleId": "y"}, ["RoleId"]),
        ({"RoleId": "{role}", "ExpiresInMinutes": "30"}, ["ExpiresInMinutes"]),
        ({"RoleId": "{role}", "ExpiresInMinutes": True}, ["ExpiresInMinutes"]),
        ({"RoleId": "{role}", "ExpiresInMinutes": 181}, ["ExpiresInMinutes"]),
        ({"RoleId": "{role}", "ExpiresInMinutes": 0}, ["ExpiresInMinutes"]),
        ({"RoleId": "{role}", "Reason": 5}, ["Reason"]),
        ({"RoleId": "{role}", "Reason": "r" * 501}, ["Reason"]),
        (["not", "an", "object"], None),
    ],
)
async def test_rest_auth_token_bad_input_400(api, world, engine, body, field):
    if isinstance(body, dict) and body.get("RoleId") == "{role}":
        body = {**body, "RoleId": world.ingest_role_id}
    before = await snapshot(engine)

    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token",
        json=body,
        headers=_bearer(world.owner.token),
    )

    assert response.status_code == 400
    error = _rest_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"].get("field") == field
    assert await snapshot(engine) == before


async def test_rest_auth_token_invalid_json_400(api, world):
    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token",
        content=b"{RoleId:",
        headers={**_bearer(world.owner.token), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert "not valid JSON" in _rest_error(response)["message"]


async def test_rest_auth_token_without_owner_access_403(api, world, engine):
    before = await snapshot(engine)

    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token",
        json={"RoleId": world.ingest_role_id},
        headers=_bearer(world.stranger.token),
    )

    assert response.status_code == 403
    assert _rest_error(response)["extensions"]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before


async def test_rest_auth_token_unknown_user_404(api, world):
    response = await api.client.post(
        "/users/00000000-0000-4000-8000-00000000beef/auth-token",
        json={"RoleId": world.ingest_role_id},
        headers=_bearer(world.owner.token),
    )

    assert response.status_code == 404
    assert _rest_error(response)["extensions"] == {"code": "NOT_FOUND", "field": ["UserId"]}


async def test_rest_auth_token_role_not_attached_400(api, world):
    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token",
        json={"RoleId": world.unattached_role_id},
        headers=_bearer(world.owner.token),
    )

    assert response.status_code == 400
    assert _rest_error(response)["extensions"] == {"code": "BAD_USER_INPUT", "field": ["RoleId"]}


async def test_rest_auth_token_disabled_service_user_412(api, world, admin):
    await api.execute(DISABLE_USER, {"id": world.service_user_id}, token=admin.token)

    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token",
        json={"RoleId": world.ingest_role_id},
        headers=_bearer(world.owner.token),
    )

    assert response.status_code == 412
    assert _rest_error(response)["extensions"]["code"] == "PRECONDITION_FAILED"


async def test_rest_auth_token_as_service_user_403(api, world, engine):
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    response = await api.client.post(
        f"/users/{world.service_user_id}/auth-token",
        json={"RoleId": world.ingest_role_id},
        headers=as_service_user(token),
    )

    assert response.status_code == 403
    assert _rest_error(response)["extensions"]["code"] == "NOT_SUPPORTED_FOR_SERVICE_USER"
