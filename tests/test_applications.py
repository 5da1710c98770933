"""Launching vertical applications: the active role decides, and service users never may."""

import pytest

from db.tables import Permission, RoleAttachment
from db.tables.roles import SUPER_ADMIN_ROLE_ID
from tests.support.databases import snapshot
from tests.support.identities import create_access_token
from tests.support.world import (
    SERVICE_USER,
    SUPER_ADMIN,
    UNRELATED,
    World,
    add_rows,
    build_world,
    make_role,
)

LAUNCH_APPLICATION = """
mutation($application: Application!) {
  launchApplication(input: {application: $application}) {
    launch { application launchPath role { name } }
    errors { code message field }
  }
}
"""


@pytest.fixture
async def world(app, engine) -> World:
    return await build_world(engine)


async def test_launch_application_returns_path_and_role(api, world):
    result = await api.execute(
        LAUNCH_APPLICATION, {"application": "MDM"}, token=world.token(SUPER_ADMIN)
    )

    assert result.data["launchApplication"] == {
        "launch": {
            "application": "MDM",
            "launchPath": "/apps/mdm/",
            "role": {"name": "SystemRole-SuperAdmin"},
        },
        "errors": [],
    }


async def test_launch_application_allowed_by_role_permission(api, engine, world):
    analysts = make_role("Analysts", [Permission.APP_BI])
    await add_rows(engine, analysts, RoleAttachment(user_id=world.id("uma"), role_id=analysts.id))
    headers = {"role_id": analysts.id}

    bi = await api.execute(
        LAUNCH_APPLICATION, {"application": "BI"}, token=world.token(UNRELATED), headers=headers
    )
    mdm = await api.execute(
        LAUNCH_APPLICATION, {"application": "MDM"}, token=world.token(UNRELATED), headers=headers
    )

    assert bi.data["launchApplication"]["launch"]["launchPath"] == "/apps/bi/"
    [error] = mdm.data["launchApplication"]["errors"]
    assert error["code"] == "FORBIDDEN"
    assert "APP_MDM" in error["message"]


@pytest.mark.parametrize("application", ["BI", "MDM"])
async def test_launch_application_rejects_super_admin_service_user(api, engine, world, application):
    # Even the super admin role, which grants every permission, opens no application.
    await add_rows(engine, RoleAttachment(user_id=world.id("agent"), role_id=SUPER_ADMIN_ROLE_ID))
    token = await create_access_token(engine, world.id("agent"), SUPER_ADMIN_ROLE_ID)
    before = await snapshot(engine)

    result = await api.execute(LAUNCH_APPLICATION, {"application": application}, token=token)

    [error] = result.data["launchApplication"]["errors"]
    assert (error["code"], error["field"]) == ("NOT_SUPPORTED_FOR_SERVICE_USER", ["application"])
    assert await snapshot(engine) == before


async def test_launch_application_denied_to_service_user_with_permission(api, world):
    result = await api.execute(
        LAUNCH_APPLICATION, {"application": "BI"}, token=world.token(SERVICE_USER)
    )

    [error] = result.data["launchApplication"]["errors"]
    assert error["code"] == "NOT_SUPPORTED_FOR_SERVICE_USER"
    assert "agent" in error["message"]
