"""Creating, sharing and listing datasources."""

import pytest
from sqlalchemy import select

from db.tables import Datasource, Share
from db.tables.shares import AccessType, ResourceType, grantee_key_for_user
from tests.support.databases import snapshot
from tests.support.world import (
    DIRECT_OWNER,
    SERVICE_USER,
    SUPER_ADMIN,
    TAG_OWNER,
    UNRELATED,
    World,
    add_rows,
    build_world,
    fetch_all,
)

CREATE_DATASOURCE = """
mutation($input: CreateDatasourceInput!) {
  createDatasource(input: $input) {
    datasource {
      datasourceId name description
      owners { userId }
      shares { accessType grantee { ... on User { userId } } grantedBy { userId } }
    }
    errors { code message field }
  }
}
"""
SHARE_DATASOURCE = """
mutation($input: ShareDatasourceInput!) {
  shareDatasource(input: $input) {
    share { accessType grantee { ... on User { userId } ... on Tag { tagId } } }
    errors { code message field }
  }
}
"""
UNSHARE_DATASOURCE = """
mutation($input: UnshareDatasourceInput!) {
  unshareDatasource(input: $input) { datasource { datasourceId } errors { code message field } }
}
"""
DATASOURCES = """
query($first: Int!, $after: String) {
  datasources(first: $first, after: $after) {
    totalCount
    edges { node { name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
DATASOURCE = """
query($id: ID!) { datasource(datasourceId: $id) { datasourceId name } }
"""
DATASOURCES_WITH_SHARES = """
{
  datasources(first: 100) {
    edges { node { name owners { username } shares { grantee { ... on User { username } } } } }
  }
}
"""


@pytest.fixture
async def world(app, engine) -> World:
    return await build_world(engine)


def _share(datasource_id: str, user_id: str, access_type: AccessType) -> Share:
    return Share(
        resource_type=ResourceType.DATASOURCE,
        resource_id=datasource_id,
        grantee_key=grantee_key_for_user(user_id),
        grantee_user_id=user_id,
        access_type=access_type,
    )


async def _names(api, token: str) -> list[str]:
    result = await api.execute(DATASOURCES, {"first": 100}, token=token)
    return [edge["node"]["name"] for edge in result.data["datasources"]["edges"]]


async def test_create_datasource_owned_by_creator(api, world):
    result = await api.execute(
        CREATE_DATASOURCE,
        {"input": {"name": " orders ", "description": "Order lines"}},
        token=world.token(SUPER_ADMIN),
    )

    datasource = result.data["createDatasource"]["datasource"]
    assert datasource["name"] == "orders"
    assert datasource["description"] == "Order lines"
    assert datasource["owners"] == [{"userId": world.id("ann")}]
    assert datasource["shares"] == [
        {
            "accessType": "OWNER",
            "grantee": {"userId": world.id("ann")},
            "grantedBy": {"userId": world.id("ann")},
        }
    ]


async def test_create_datasource_owned_by_service_user(api, engine, world):
    result = await api.execute(
        CREATE_DATASOURCE, {"input": {"name": "events"}}, token=world.token(SERVICE_USER)
    )

    datasource = result.data["createDatasource"]["datasource"]
    assert datasource["owners"] == [{"userId": world.id("agent")}]
    [row] = await fetch_all(
        engine, select(Datasource).where(Datasource.id == datasource["datasourceId"])
    )
    assert row.created_by_id == world.id("agent")


async def test_service_user_shares_its_own_datasource(api, world):
    created = await api.execute(
        CREATE_DATASOURCE, {"input": {"name": "events"}}, token=world.token(SERVICE_USER)
    )
    datasource_id = created.data["createDatasource"]["datasource"]["datasourceId"]

    result = await api.execute(
        SHARE_DATASOURCE,
        {
            "input": {
                "datasourceId": datasource_id,
                "userId": world.id("uma"),
                "accessType": "READ_ONLY",
            }
        },
        token=world.token(SERVICE_USER),
    )

    assert result.data["shareDatasource"]["errors"] == []
    assert await _names(api, world.token(UNRELATED)) == ["events"]


async def test_share_datasource_changes_access_type(api, engine, world):
    variables = {"datasourceId": world.datasource_id, "userId": world.id("uma")}
    await api.execute(
        SHARE_DATASOURCE,
        {"input": {**variables, "accessType": "EDITOR"}},
        token=world.token(TAG_OWNER),
    )

    changed = await api.execute(
        SHARE_DATASOURCE,
        {"input": {**variables, "accessType": "READ_ONLY"}},
        token=world.token(DIRECT_OWNER),
    )
    before_repeat = await snapshot(engine)
    repeated = await api.execute(
        SHARE_DATASOURCE,
        {"input": {**variables, "accessType": "READ_ONLY"}},
        token=world.token(DIRECT_OWNER),
    )

    assert changed.data["shareDatasource"]["share"]["accessType"] == "READ_ONLY"
    [error] = repeated.data["shareDatasource"]["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", ["userId"])
    assert await snapshot(engine) == before_repeat


async def test_share_datasource_demoting_last_owner_refused(api, engine, world):
    await api.execute(
        UNSHARE_DATASOURCE,
        {"input": {"datasourceId": world.datasource_id, "tagId": world.tag_id}},
        token=world.token(SUPER_ADMIN),
    )
    before = await snapshot(engine)

    result = await api.execute(
        SHARE_DATASOURCE,
        {
            "input": {
                "datasourceId": world.datasource_id,
                "userId": world.id("olive"),
                "accessType": "EDITOR",
            }
        },
        token=world.token(DIRECT_OWNER),
    )

    [error] = result.data["shareDatasource"]["errors"]
    assert (error["code"], error["field"]) == ("PRECONDITION_FAILED", ["userId"])
    assert await snapshot(engine) == before


async def test_editor_share_gives_no_owner_access(api, engine, world):
    await add_rows(engine, _share(world.datasource_id, world.id("uma"), AccessType.EDITOR))
    before = await snapshot(engine)

    result = await api.execute(
        SHARE_DATASOURCE,
        {
            "input": {
                "datasourceId": world.datasource_id,
                "userId": world.id("vera"),
                "accessType": "READ_ONLY",
            }
        },
        token=world.token(UNRELATED),
    )

    assert [e["code"] for e in result.data["shareDatasource"]["errors"]] == ["FORBIDDEN"]
    assert await snapshot(engine) == before


async def test_datasources_listed_by_share(api, engine, world):
    hr = Datasource(name="hr")
    secret = Datasource(name="secret")
    await add_rows(engine, hr, secret, _share(hr.id, world.id("uma"), AccessType.READ_ONLY))

    assert await _names(api, world.token(SUPER_ADMIN)) == ["hr", "sales", "secret"]
    assert await _names(api, world.token(DIRECT_OWNER)) == ["sales"]
    assert await _names(api, world.token(TAG_OWNER)) == ["sales"]
    assert await _names(api, world.token(UNRELATED)) == ["hr"]
    assert await _names(api, world.token(SERVICE_USER)) == []


async def test_datasources_paged_with_cursor(api, engine, world):
    await add_rows(engine, *(Datasource(name=f"set-{n}") for n in range(4)))

    first = await api.execute(DATASOURCES, {"first": 3}, token=world.token(SUPER_ADMIN))
    page = first.data["datasources"]
    second = await api.execute(
        DATASOURCES,
        {"first": 3, "after": page["pageInfo"]["endCursor"]},
        token=world.token(SUPER_ADMIN),
    )

    assert page["totalCount"] == 5
    assert [e["node"]["name"] for e in page["edges"]] == ["sales", "set-0", "set-1"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = second.data["datasources"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["set-2", "set-3"]
    assert rest["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("variables", "field"),
    [({"first": 0}, "first"), ({"first": 5, "after": "not-a-cursor"}, "after")],
    ids=["first out of range", "malformed cursor"],
)
async def test_datasources_bad_page_arguments(api, world, variables, field):
    result = await api.execute(DATASOURCES, variables, token=world.token(SUPER_ADMIN))

    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == [field]


async def test_datasource_by_id_for_tag_owner(api, world):
    result = await api.execute(
        DATASOURCE, {"id": world.datasource_id}, token=world.token(TAG_OWNER)
    )

    assert result.data["datasource"] == {"datasourceId": world.datasource_id, "name": "sales"}


@pytest.mark.parametrize(
    "make_id",
    [lambda w: w.datasource_id, lambda w: "no-such-datasource", lambda w: "sales\x01"],
    ids=["unshared", "unknown", "control character"],
)
async def test_datasource_by_id_hidden_when_not_shared(api, world, make_id):
    datasource_id = make_id(world)

    result = await api.execute(DATASOURCE, {"id": datasource_id}, token=world.token(UNRELATED))

    assert result.error_codes == ["NOT_FOUND"]


async def test_datasources_statements_independent_of_rows(api, engine, world, statements):
    async def count_statements() -> int:
        statements.reset()
        result = await api.execute(DATASOURCES_WITH_SHARES, token=world.token(SUPER_ADMIN))
        assert "errors" not in result.body
        return statements.count

    few = await count_statements()
    extra = [Datasource(name=f"extra-{n}") for n in range(5)]
    await add_rows(
        engine, *extra, *(_share(d.id, world.id("uma"), AccessType.OWNER) for d in extra)
    )
    many = await count_statements()

    assert many == few
