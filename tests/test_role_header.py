"""The active role of a request (role headers, default role) and rejected session tokens."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from db.engine import create_session_factory
from db.tables import Session
from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from tests.support.accounts import attach_role, create_role, set_default_role

ME = "{ me { user { username } activeRole { name } credential } }"

GLOBAL_SIGN_OUT = """
mutation GlobalSignOut($id: ID) {
  globalSignOut(input: {userId: $id}) { signedOutSessions errors { code message } }
}
"""


async def expire_sessions(engine, user_id: str) -> None:
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await session.execute(
            update(Session)
            .where(Session.user_id == user_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()


async def test_without_role_header_default_role_applies(api, admin, make_user):
    user = await make_user("alice")
    analysts = await create_role(api, admin.token, "Analysts", [])
    await attach_role(api, admin.token, user.user_id, analysts)

    before = await api.execute(ME, token=user.token)
    await set_default_role(api, admin.token, user.user_id, analysts)
    after = await api.execute(ME, token=user.token)

    assert before.data["me"]["activeRole"] == {"name": "SystemRole-DefaultUsers"}
    assert after.data["me"]["activeRole"] == {"name": "Analysts"}


@pytest.mark.parametrize("header", ["role_id", "X-Amorphic-Role-Id", "x-amorphic-role-id"])
async def test_role_header_selects_attached_role(api, admin, header):
    result = await api.execute(ME, token=admin.token, headers={header: DEFAULT_USERS_ROLE_ID})

    assert result.data["me"]["activeRole"] == {"name": "SystemRole-DefaultUsers"}


async def test_role_header_and_alias_agreeing_accepted(api, admin):
    headers = {"role_id": DEFAULT_USERS_ROLE_ID, "X-Amorphic-Role-Id": DEFAULT_USERS_ROLE_ID}

    result = await api.execute(ME, token=admin.token, headers=headers)

    assert result.data["me"]["activeRole"] == {"name": "SystemRole-DefaultUsers"}


async def test_role_header_and_alias_disagreeing_rejected(api, admin):
    headers = {"role_id": DEFAULT_USERS_ROLE_ID, "X-Amorphic-Role-Id": SUPER_ADMIN_ROLE_ID}

    result = await api.execute(ME, token=admin.token, headers=headers)

    assert result.status == 400
    assert result.error_codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("header", ["role_id", "X-Amorphic-Role-Id"])
async def test_role_header_unattached_role_forbidden(api, admin, make_user, header):
    user = await make_user("alice")

    result = await api.execute(ME, token=user.token, headers={header: SUPER_ADMIN_ROLE_ID})

    assert result.status == 403
    assert result.error_codes == ["FORBIDDEN"]
    message = result.body["errors"][0]["message"]
    assert "SystemRole-SuperAdmin" in message
    assert "not attached" in message
    assert "'alice'" in message
    assert "www-authenticate" not in result.headers


async def test_role_header_unknown_role_forbidden(api, admin, make_user):
    user = await make_user("alice")

    result = await api.execute(ME, token=user.token, headers={"role_id": "no-such-role"})

    assert result.status == 403
    assert result.error_codes == ["FORBIDDEN"]
    assert "no-such-role" in result.body["errors"][0]["message"]


async def test_role_header_grants_permissions_of_that_role(api, admin, make_user):
    user = await make_user("alice")
    managers = await create_role(api, admin.token, "UserManagers", ["USERS_MANAGE"])
    await attach_role(api, admin.token, user.user_id, managers)
    create_user = """
    mutation { createUser(input: {username: "bob", email: "bob@example.com",
      password: "a-long-user-password"}) { errors { code } } }
    """

    without_header = await api.execute(create_user, token=user.token)
    with_header = await api.execute(create_user, token=user.token, headers={"role_id": managers})

    assert without_header.data["createUser"]["errors"] == [{"code": "FORBIDDEN"}]
    assert with_header.data["createUser"]["errors"] == []


async def test_expired_session_rejected(api, admin, make_user, engine):
    user = await make_user("alice")
    await expire_sessions(engine, user.user_id)

    result = await api.execute(ME, token=user.token)

    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]
    assert "expired" in result.body["errors"][0]["message"]
    assert result.headers["www-authenticate"].startswith("Bearer")
    assert "expired" in result.headers["www-authenticate"]


async def test_signed_out_session_rejected(api, admin, make_user):
    user = await make_user("alice")
    signed_out = await api.execute(GLOBAL_SIGN_OUT, {"id": user.user_id}, token=admin.token)
    assert signed_out.data["globalSignOut"] == {"signedOutSessions": 1, "errors": []}

    result = await api.execute(ME, token=user.token)

    assert result.status == 401
    assert "signed out" in result.body["errors"][0]["message"]
    assert result.headers["www-authenticate"].startswith("Bearer")


async def test_unknown_session_token_rejected(api, admin):
    result = await api.execute(ME, token="sus_" + "x" * 43)

    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]
    assert "not valid" in result.body["errors"][0]["message"]


async def test_disabled_user_session_rejected_next_request(api, admin, make_user):
    user = await make_user("alice")
    assert (await api.execute(ME, token=user.token)).status == 200

    await api.execute(
        "mutation($id: ID!) { disableUser(input: {userId: $id}) { errors { code } } }",
        {"id": user.user_id},
        token=admin.token,
    )
    result = await api.execute(ME, token=user.token)

    assert result.status == 401
    assert "disabled" in result.body["errors"][0]["message"]


async def test_role_header_without_credential_unauthenticated(api, admin):
    result = await api.execute(ME, headers={"role_id": SUPER_ADMIN_ROLE_ID})

    assert result.error_codes == ["UNAUTHENTICATED"]
