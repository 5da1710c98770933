"""Assumptions racing with the loss of access never leave a token that revives later."""

import asyncio

import pytest

from tests.support.service_users import ASSUME, as_service_user, setup_assumable_service_user

ROUNDS = 8
ME = "{ me { user { username } } }"
UNSHARE = """
mutation($serviceUserId: ID!, $userId: ID!) {
  unshareServiceUser(input: {serviceUserId: $serviceUserId, userId: $userId}) { errors { code } }
}
"""
SHARE = """
mutation($serviceUserId: ID!, $userId: ID!) {
  shareServiceUser(input: {serviceUserId: $serviceUserId, userId: $userId, accessType: OWNER}) {
    errors { code }
  }
}
"""
SET_ENABLED = "mutation($id: ID!) { %s(input: {userId: $id}) { errors { code } } }"


@pytest.fixture
async def world(app, engine):
    return await setup_assumable_service_user(engine)


async def _assume(api, world) -> str | None:
    """Assume the service user as `alice`; return the token, or None if the request lost."""
    variables = {"input": {"serviceUserId": world.service_user_id, "roleId": world.ingest_role_id}}
    result = await api.execute(ASSUME, variables, token=world.owner.token)
    # Losing the race ends at authentication (401 for a disabled person) or in the payload.
    if result.status != 200:
        assert result.status == 401, result.body
        return None
    return result.data["assumeServiceUser"]["token"]


async def _token_works(api, token: str) -> bool:
    return (await api.execute(ME, headers=as_service_user(token))).status == 200


async def test_assume_racing_unshare_leaves_no_revivable_token(api, admin, world):
    share = {"serviceUserId": world.service_user_id, "userId": world.owner.user_id}
    for _ in range(ROUNDS):
        assumed, unshared = await asyncio.gather(
            _assume(api, world),
            api.execute(UNSHARE, share, token=admin.token),
        )
        assert unshared.data["unshareServiceUser"]["errors"] == []

        reshared = await api.execute(SHARE, share, token=admin.token)

        assert reshared.data["shareServiceUser"]["errors"] == []
        if assumed is not None:
            assert not await _token_works(api, assumed)


async def test_assume_racing_disable_leaves_no_revivable_token(api, admin, world):
    person = {"id": world.owner.user_id}
    for _ in range(ROUNDS):
        assumed, disabled = await asyncio.gather(
            _assume(api, world),
            api.execute(SET_ENABLED % "disableUser", person, token=admin.token),
        )
        assert disabled.data["disableUser"]["errors"] == []

        enabled = await api.execute(SET_ENABLED % "enableUser", person, token=admin.token)

        assert enabled.data["enableUser"]["errors"] == []
        if assumed is not None:
            assert not await _token_works(api, assumed)
        world.owner.token = await api.sign_in("alice", world.owner.password)
