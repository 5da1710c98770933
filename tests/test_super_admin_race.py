"""At least one enabled super admin remains when two super admins remove each other at once."""

import asyncio

import pytest
from sqlalchemy import delete, func, select, update

from db.engine import create_session_factory
from db.tables import RoleAttachment, User
from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from tests.support.identities import session_row
from tests.support.world import SUPER_ADMIN, World, add_rows, build_world

# Rounds per scenario; each round is one chance for both removals to pass their check.
RACE_ROUNDS = 5

DISABLE_USER = """
mutation($id: ID!) { disableUser(input: {userId: $id}) { errors { code message } } }
"""
DETACH_SUPER_ADMIN = """
mutation($id: ID!, $roleId: ID!) {
  detachRole(input: {userId: $id, roleId: $roleId}) { errors { code message } }
}
"""


@pytest.fixture
async def world(app, engine) -> World:
    world = await build_world(engine)
    ben = User(
        username="ben",
        username_key="ben",
        email="ben@example.com",
        email_key="ben@example.com",
        default_role_id=SUPER_ADMIN_ROLE_ID,
    )
    await add_rows(
        engine,
        ben,
        RoleAttachment(user_id=ben.id, role_id=SUPER_ADMIN_ROLE_ID),
        RoleAttachment(user_id=ben.id, role_id=DEFAULT_USERS_ROLE_ID),
    )
    world.user_ids["ben"] = ben.id
    return world


async def _restore_super_admins(engine, world: World) -> dict[str, str]:
    """Enable both super admins with the role attached as default; return fresh sessions."""
    ids = [world.id("ann"), world.id("ben")]
    async with create_session_factory(engine)() as db:
        await db.execute(
            update(User)
            .where(User.id.in_(ids))
            .values(enabled=True, default_role_id=SUPER_ADMIN_ROLE_ID)
        )
        await db.execute(
            delete(RoleAttachment).where(
                RoleAttachment.user_id.in_(ids), RoleAttachment.role_id == SUPER_ADMIN_ROLE_ID
            )
        )
        db.add_all(RoleAttachment(user_id=i, role_id=SUPER_ADMIN_ROLE_ID) for i in ids)
        tokens = {}
        for name in ("ann", "ben"):
            tokens[name], session = session_row(world.id(name))
            db.add(session)
        await db.commit()
    return tokens


async def _enabled_super_admins(engine) -> int:
    statement = (
        select(func.count())
        .select_from(RoleAttachment)
        .join(User, User.id == RoleAttachment.user_id)
        .where(RoleAttachment.role_id == SUPER_ADMIN_ROLE_ID, User.enabled.is_(True))
    )
    async with create_session_factory(engine)() as db:
        return (await db.execute(statement)).scalar_one()


def _succeeded(result, field: str) -> bool:
    # The loser either fails the last-super-admin check or, when it authenticates after the
    # winner committed, is rejected at authentication (disabled user, or role gone). A loser
    # whose role header named no role falls back to its new default role, which may lack the
    # right to act, so FORBIDDEN is a refusal too.
    if result.status != 200:
        assert result.status in (401, 403), result.body
        return False
    errors = result.data[field]["errors"]
    if errors:
        assert [e["code"] for e in errors] in (["PRECONDITION_FAILED"], ["FORBIDDEN"]), errors
        return False
    return True


async def _disable(api, token: str, target_id: str):
    return await api.execute(DISABLE_USER, {"id": target_id}, token=token)


async def _detach(api, token: str, target_id: str):
    return await api.execute(
        DETACH_SUPER_ADMIN, {"id": target_id, "roleId": SUPER_ADMIN_ROLE_ID}, token=token
    )


SCENARIOS = {
    "both disable": ((_disable, "disableUser"), (_disable, "disableUser")),
    "both detach the role": ((_detach, "detachRole"), (_detach, "detachRole")),
    "disable and detach": ((_disable, "disableUser"), (_detach, "detachRole")),
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=list(SCENARIOS))
async def test_super_admins_removing_each_other_keep_one(api, engine, world, scenario):
    (first_call, first_field), (second_call, second_field) = SCENARIOS[scenario]
    for _ in range(RACE_ROUNDS):
        tokens = await _restore_super_admins(engine, world)

        first, second = await asyncio.gather(
            first_call(api, tokens["ann"], world.id("ben")),
            second_call(api, tokens["ben"], world.id("ann")),
        )

        outcomes = [_succeeded(first, first_field), _succeeded(second, second_field)]
        assert sorted(outcomes) == [False, True]
        assert await _enabled_super_admins(engine) == 1


async def test_last_super_admin_survives_concurrent_self_removals(api, engine, world):
    async with create_session_factory(engine)() as db:
        await db.execute(update(User).where(User.id == world.id("ben")).values(enabled=False))
        await db.commit()

    results = await asyncio.gather(
        *(_disable(api, world.token(SUPER_ADMIN), world.id("ann")) for _ in range(3)),
        *(_detach(api, world.token(SUPER_ADMIN), world.id("ann")) for _ in range(3)),
    )

    assert sum(_succeeded(r, "disableUser") for r in results[:3]) == 0
    assert sum(_succeeded(r, "detachRole") for r in results[3:]) == 0
    assert await _enabled_super_admins(engine) == 1
