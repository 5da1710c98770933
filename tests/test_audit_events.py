"""Reading the audit trail: order, filters, paging, and which events each caller can read."""

import pytest

from tests.support.world import (
    DIRECT_OWNER,
    SERVICE_USER,
    SUPER_ADMIN,
    TAG_OWNER,
    UNRELATED,
    World,
    build_world,
)

AUDIT_EVENTS = """
query($filter: AuditEventFilter, $first: Int! = 20, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount
    edges {
      node { action targetType targetId outcome errorCode actor { username } user { username } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
CREATE_DATASOURCE = """
mutation($name: String!) {
  createDatasource(input: {name: $name}) { datasource { datasourceId } errors { code } }
}
"""
DISABLE_USER = """
mutation($id: ID!) { disableUser(input: {userId: $id}) { errors { code } } }
"""


@pytest.fixture
async def world(app, engine) -> World:
    return await build_world(engine)


async def _events(api, token: str, **variables) -> list[dict]:
    result = await api.execute(AUDIT_EVENTS, variables, token=token)
    return [edge["node"] for edge in result.data["auditEvents"]["edges"]]


async def _record_activity(api, world: World) -> str:
    """Write three events: ann creates a datasource, olive disables robot, uma fails to."""
    created = await api.execute(
        CREATE_DATASOURCE, {"name": "orders"}, token=world.token(SUPER_ADMIN)
    )
    await api.execute(DISABLE_USER, {"id": world.id("robot")}, token=world.token(DIRECT_OWNER))
    await api.execute(DISABLE_USER, {"id": world.id("robot")}, token=world.token(UNRELATED))
    return created.data["createDatasource"]["datasource"]["datasourceId"]


async def test_audit_events_newest_first_for_super_admin(api, world):
    orders_id = await _record_activity(api, world)

    events = await _events(api, world.token(SUPER_ADMIN))

    assert [(e["action"], e["actor"]["username"], e["outcome"]) for e in events] == [
        ("disableUser", "uma", "FAILURE"),
        ("disableUser", "olive", "SUCCESS"),
        ("createDatasource", "ann", "SUCCESS"),
    ]
    assert events[0]["errorCode"] == "FORBIDDEN"
    assert (events[2]["targetType"], events[2]["targetId"]) == ("DATASOURCE", orders_id)


async def test_audit_events_owner_sees_events_on_owned_resources(api, world):
    await _record_activity(api, world)

    events = await _events(api, world.token(TAG_OWNER))

    assert [(e["action"], e["actor"]["username"]) for e in events] == [
        ("disableUser", "uma"),
        ("disableUser", "olive"),
    ]


async def test_audit_events_unrelated_user_sees_only_own_actions(api, world):
    await _record_activity(api, world)

    events = await _events(api, world.token(UNRELATED))

    assert [(e["action"], e["actor"]["username"]) for e in events] == [("disableUser", "uma")]


async def test_audit_events_service_user_sees_its_own_actions(api, world):
    await _record_activity(api, world)
    await api.execute(CREATE_DATASOURCE, {"name": "events"}, token=world.token(SERVICE_USER))

    events = await _events(api, world.token(SERVICE_USER))

    assert [(e["action"], e["user"]["username"]) for e in events] == [("createDatasource", "agent")]


@pytest.mark.parametrize(
    ("make_filter", "expected"),
    [
        (lambda w: {"action": "createDatasource"}, ["ann"]),
        (lambda w: {"targetId": w.id("robot")}, ["uma", "olive"]),
        (lambda w: {"actorId": w.id("olive")}, ["olive"]),
        (lambda w: {"outcome": "FAILURE"}, ["uma"]),
        (lambda w: {"action": "disableUser", "outcome": "SUCCESS"}, ["olive"]),
    ],
    ids=["action", "targetId", "actorId", "outcome", "action and outcome"],
)
async def test_audit_events_filtered(api, world, make_filter, expected):
    await _record_activity(api, world)

    events = await _events(api, world.token(SUPER_ADMIN), filter=make_filter(world))

    assert [e["actor"]["username"] for e in events] == expected


async def test_audit_events_paged_with_cursor(api, world):
    await _record_activity(api, world)

    first = await api.execute(AUDIT_EVENTS, {"first": 2}, token=world.token(SUPER_ADMIN))
    page = first.data["auditEvents"]
    second = await api.execute(
        AUDIT_EVENTS,
        {"first": 2, "after": page["pageInfo"]["endCursor"]},
        token=world.token(SUPER_ADMIN),
    )

    assert page["totalCount"] == 3
    assert page["pageInfo"]["hasNextPage"] is True
    rest = second.data["auditEvents"]
    assert [e["node"]["action"] for e in rest["edges"]] == ["createDatasource"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_audit_events_malformed_cursor(api, world):
    result = await api.execute(
        AUDIT_EVENTS, {"after": "bm90LWEtY3Vyc29y"}, token=world.token(SUPER_ADMIN)
    )

    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == ["after"]


@pytest.mark.parametrize(
    ("event_filter", "field"),
    [({"targetId": "robot\x01"}, "targetId"), ({"outcome": "SUCCESS-OR-FAILURE"}, "outcome")],
    ids=["control character", "longer than the column"],
)
async def test_audit_events_bad_filter(api, world, event_filter, field):
    result = await api.execute(
        AUDIT_EVENTS, {"filter": event_filter}, token=world.token(SUPER_ADMIN)
    )

    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == [field]


async def test_audit_events_need_authentication(api, world):
    result = await api.execute(AUDIT_EVENTS)

    assert result.error_codes == ["UNAUTHENTICATED"]
