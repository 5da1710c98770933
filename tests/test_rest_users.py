"""REST user endpoints: GET /users, GET /users?action=get_service_users, GET /users/{id}."""

import pytest

from db.tables.roles import DEFAULT_USERS_ROLE_ID
from tests.support.world import DISABLED, SERVICE_USER, SUPER_ADMIN, UNRELATED, World, build_world

USER_FIELDS = {
    "UserId",
    "UserName",
    "Email",
    "DisplayName",
    "Description",
    "IsServiceUser",
    "Enabled",
    "CreatedAt",
    "DefaultRole",
    "Roles",
}


@pytest.fixture
async def world(app, engine) -> World:
    return await build_world(engine)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_rest_users_lists_every_user(api, world):
    response = await api.client.get("/users", headers=_auth(world.token(UNRELATED)))

    assert response.status_code == 200
    assert response.headers["x-request-id"]
    body = response.json()
    assert body["TotalCount"] == 9
    assert [u["UserName"] for u in body["Users"]] == [
        "agent",
        "ann",
        "dora",
        "olive",
        "retired",
        "robot",
        "tess",
        "uma",
        "vera",
    ]
    assert all(set(u) == USER_FIELDS for u in body["Users"])
    assert body["HasNextPage"] is False


async def test_rest_users_service_users_action(api, world):
    response = await api.client.get(
        "/users", params={"action": "get_service_users"}, headers=_auth(world.token(SUPER_ADMIN))
    )

    users = response.json()["Users"]
    assert [u["UserName"] for u in users] == ["agent", "retired", "robot"]
    assert {u["IsServiceUser"] for u in users} == {True}
    assert {u["Email"] for u in users} == {None}


async def test_rest_users_unknown_action_rejected(api, world):
    response = await api.client.get(
        "/users", params={"action": "get_robots"}, headers=_auth(world.token(SUPER_ADMIN))
    )

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "get_robots" in error["message"]
    assert "'get_service_users'" in error["message"]


async def test_rest_user_by_id(api, world):
    response = await api.client.get(
        f"/users/{world.id('robot')}", headers=_auth(world.token(SERVICE_USER))
    )

    assert response.status_code == 200
    user = response.json()
    assert set(user) == USER_FIELDS
    assert user["UserId"] == world.id("robot")
    assert user["UserName"] == "robot"
    assert user["IsServiceUser"] is True
    assert user["Email"] is None
    assert user["Description"] == "robot for tests"
    assert user["Enabled"] is True
    assert user["DefaultRole"] == {
        "RoleId": DEFAULT_USERS_ROLE_ID,
        "RoleName": "SystemRole-DefaultUsers",
    }
    assert {r["RoleName"] for r in user["Roles"]} == {"SystemRole-DefaultUsers", "Reporting"}


async def test_rest_regular_user_has_email(api, world):
    response = await api.client.get(
        f"/users/{world.id('olive')}", headers=_auth(world.token(UNRELATED))
    )

    user = response.json()
    assert user["IsServiceUser"] is False
    assert user["Email"] == "olive@example.com"


async def test_rest_user_unknown_id_not_found(api, world):
    response = await api.client.get("/users/no-such-user", headers=_auth(world.token(UNRELATED)))

    assert response.status_code == 404
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "no-such-user" in error["message"]


@pytest.mark.parametrize("path", ["/users", "/users/any-id"])
async def test_rest_users_missing_credential_unauthorised(api, world, path):
    response = await api.client.get(path)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_rest_users_disabled_user_unauthorised(api, world):
    response = await api.client.get("/users", headers=_auth(world.token(DISABLED)))

    assert response.status_code == 401
    assert "disabled" in response.json()["errors"][0]["message"]


async def test_rest_users_invalid_credential_unauthorised(api, world):
    response = await api.client.get("/users", headers=_auth("supat_not-a-real-token"))

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_rest_users_paged_with_cursor(api, world):
    headers = _auth(world.token(SUPER_ADMIN))
    first = (await api.client.get("/users", params={"first": 5}, headers=headers)).json()

    second = (
        await api.client.get(
            "/users", params={"first": 5, "after": first["EndCursor"]}, headers=headers
        )
    ).json()

    assert first["HasNextPage"] is True
    assert [u["UserName"] for u in first["Users"]] == ["agent", "ann", "dora", "olive", "retired"]
    assert [u["UserName"] for u in second["Users"]] == ["robot", "tess", "uma", "vera"]
    assert second["HasNextPage"] is False


@pytest.mark.parametrize(
    "params",
    [{"first": "ten"}, {"first": "0"}, {"first": "101"}, {"after": "not-a-cursor"}],
    ids=["first not a number", "first zero", "first too large", "malformed cursor"],
)
async def test_rest_users_bad_page_parameters(api, world, params):
    response = await api.client.get("/users", params=params, headers=_auth(world.token(UNRELATED)))

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
