"""Cursor connections: paging, page sizes, tampered cursors, filters and statement counts."""

import base64
import json

import pytest

from db.tables.roles import DEFAULT_USERS_ROLE_ID
from tests.conftest import ADMIN_USERNAME
from tests.support.accounts import (
    create_role,
    insert_regular_users,
    insert_service_user,
    insert_tag,
)

USERS_PAGE = """
query Users($first: Int!, $after: String, $filter: UserFilter) {
  users(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { username } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

ROLE_USERS_PAGE = """
query RoleUsers($id: ID!, $first: Int!, $after: String) {
  role(roleId: $id) {
    users(first: $first, after: $after) {
      totalCount
      edges { node { username } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

TAG_MEMBERS_PAGE = """
query TagMembers($id: ID!, $first: Int!, $after: String) {
  tag(tagId: $id) {
    members(first: $first, after: $after) {
      totalCount
      edges { node { username } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

OWNED_RESOURCES_PAGE = """
query Owned($id: ID!, $after: String) {
  user(userId: $id) { ownedResources(first: 5, after: $after) { totalCount } }
}
"""

USERS_WITH_EVERYTHING = """
{
  users(first: 50) {
    totalCount
    edges {
      node {
        username
        roles { name }
        tags { tagKey }
        defaultRole { name }
        createdBy { username }
      }
    }
  }
}
"""

ROLES_WITH_USERS = """
{
  roles {
    edges { node { name users(first: 10) { totalCount edges { node { username } } } } }
  }
}
"""


def encode(value: object) -> str:
    """Encode any JSON value the way cursors are encoded, to forge cursors."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def encode_text(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


async def page_through(api, token: str, document: str, path: list[str], variables: dict):
    """Follow `endCursor` until the last page; return every page's connection."""
    pages = []
    after = None
    for _ in range(50):
        result = await api.execute(document, {**variables, "after": after}, token=token)
        connection = result.data
        for key in path:
            connection = connection[key]
        pages.append(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            return pages
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("paging did not reach the last page within 50 pages")


def usernames(pages: list[dict]) -> list[str]:
    return [edge["node"]["username"] for page in pages for edge in page["edges"]]


async def test_users_pages_without_gaps_or_duplicates(api, admin, engine):
    names = ["Zoe", "bob", "Carol", "dave", "Eve", "frank", "grace"]
    await insert_regular_users(engine, names)

    pages = await page_through(api, admin.token, USERS_PAGE, ["users"], {"first": 2})

    expected = sorted([*names, ADMIN_USERNAME], key=str.lower)
    assert usernames(pages) == expected
    assert len(pages) == 4
    assert {page["totalCount"] for page in pages} == {8}
    assert [len(page["edges"]) for page in pages] == [2, 2, 2, 2]
    assert pages[0]["pageInfo"]["hasPreviousPage"] is False
    assert all(page["pageInfo"]["hasPreviousPage"] for page in pages[1:])
    for page in pages:
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_users_page_after_last_cursor_empty(api, admin):
    first = await api.execute(USERS_PAGE, {"first": 5}, token=admin.token)
    last_cursor = first.data["users"]["pageInfo"]["endCursor"]

    result = await api.execute(USERS_PAGE, {"first": 5, "after": last_cursor}, token=admin.token)

    users = result.data["users"]
    assert users["edges"] == []
    assert users["totalCount"] == 1
    assert users["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


async def test_users_default_page_size_is_twenty(api, admin, engine):
    await insert_regular_users(engine, [f"user{i:02d}" for i in range(25)])

    result = await api.execute("{ users { totalCount edges { cursor } } }", token=admin.token)

    assert result.data["users"]["totalCount"] == 26
    assert len(result.data["users"]["edges"]) == 20


@pytest.mark.parametrize("first", [0, -1, 101, 1000])
async def test_users_first_out_of_range_rejected(api, admin, first):
    result = await api.execute(USERS_PAGE, {"first": first}, token=admin.token)

    assert result.status == 200
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == ["first"]


@pytest.mark.parametrize("first", [1, 100])
async def test_users_first_limits_accepted(api, admin, first):
    result = await api.execute(USERS_PAGE, {"first": first}, token=admin.token)

    assert len(result.data["users"]["edges"]) == 1


@pytest.mark.parametrize("first", [0, 101])
async def test_nested_first_out_of_range_rejected(api, admin, first):
    result = await api.execute(
        ROLE_USERS_PAGE, {"id": DEFAULT_USERS_ROLE_ID, "first": first}, token=admin.token
    )

    assert result.status == 200
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == ["first"]


TAMPERED_CURSORS = {
    "not-base64": "!!!not a cursor!!!",
    "bad-padding": "abcde",
    "garbage-bytes": base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode(),
    "garbage-json": encode_text("{not json"),
    "json-object": encode({"username_key": "a", "id": "b"}),
    "json-string": encode("alice"),
    "json-null": encode(None),
    "too-short": encode(["alice"]),
    "too-long": encode(["alice", "id", "extra"]),
    "empty-list": encode([]),
    "wrong-types": encode([1, 2]),
    "null-member": encode(["alice", None]),
    "nested-list": encode([["alice"], "id"]),
    "boolean": encode([True, "id"]),
    "nul-character": encode(["ali\x00ce", "id"]),
    "lone-surrogate": encode_text('["\\ud800", "id"]'),
    "deep-nesting": encode_text("[" * 5000 + "]" * 5000),
    "huge-number": encode_text("[1e999, 2]"),
}


@pytest.mark.parametrize("cursor", TAMPERED_CURSORS.values(), ids=TAMPERED_CURSORS.keys())
async def test_users_tampered_cursor_rejected(api, admin, cursor):
    result = await api.execute(USERS_PAGE, {"first": 2, "after": cursor}, token=admin.token)

    assert result.status == 200
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == ["after"]
    assert "cursor" in result.body["errors"][0]["message"]


async def test_tags_cursor_rejected_by_users(api, admin, engine):
    await insert_tag(engine, "team", "data")
    await insert_tag(engine, "team", "ops")
    tags = await api.execute("{ tags(first: 1) { pageInfo { endCursor } } }", token=admin.token)
    tag_cursor = tags.data["tags"]["pageInfo"]["endCursor"]

    result = await api.execute(USERS_PAGE, {"first": 2, "after": tag_cursor}, token=admin.token)

    assert result.error_codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "cursor",
    [
        encode(["2030-01-01T00:00:00", "id"]),
        encode(["not a timestamp", "id"]),
        encode([1700000000, "id"]),
        encode(["2030-01-01T00:00:00+00:00", 7]),
    ],
    ids=["no-time-zone", "not-a-timestamp", "number", "number-id"],
)
async def test_timestamp_cursor_tampered_rejected(api, admin, cursor):
    result = await api.execute(
        OWNED_RESOURCES_PAGE, {"id": admin.user_id, "after": cursor}, token=admin.token
    )

    assert result.status == 200
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == ["after"]


async def test_timestamp_cursor_forged_well_accepted(api, admin):
    cursor = encode(["2000-01-01T00:00:00+00:00", ""])

    result = await api.execute(
        OWNED_RESOURCES_PAGE, {"id": admin.user_id, "after": cursor}, token=admin.token
    )

    assert result.data["user"]["ownedResources"]["totalCount"] == 0


async def test_users_filter_is_service_user(api, admin, engine):
    await insert_regular_users(engine, ["alice"])
    await insert_service_user(engine, "etl-bot")

    services = await api.execute(
        USERS_PAGE, {"first": 10, "filter": {"isServiceUser": True}}, token=admin.token
    )
    people = await api.execute(
        USERS_PAGE, {"first": 10, "filter": {"isServiceUser": False}}, token=admin.token
    )

    assert usernames([services.data["users"]]) == ["etl-bot"]
    assert services.data["users"]["totalCount"] == 1
    assert usernames([people.data["users"]]) == ["alice", ADMIN_USERNAME]
    assert people.data["users"]["totalCount"] == 2


async def test_service_users_query_lists_only_service_users(api, admin, engine):
    await insert_regular_users(engine, ["alice"])
    await insert_service_user(engine, "etl-bot")

    result = await api.execute(
        "{ serviceUsers { totalCount edges { node { username isServiceUser } } } }",
        token=admin.token,
    )

    assert result.data["serviceUsers"] == {
        "totalCount": 1,
        "edges": [{"node": {"username": "etl-bot", "isServiceUser": True}}],
    }


async def test_users_filter_enabled(api, admin, engine):
    await insert_regular_users(engine, ["alice"])
    await insert_regular_users(engine, ["dora"], enabled=False)

    disabled = await api.execute(
        USERS_PAGE, {"first": 10, "filter": {"enabled": False}}, token=admin.token
    )
    enabled = await api.execute(
        USERS_PAGE, {"first": 10, "filter": {"enabled": True}}, token=admin.token
    )

    assert usernames([disabled.data["users"]]) == ["dora"]
    assert usernames([enabled.data["users"]]) == ["alice", ADMIN_USERNAME]


@pytest.mark.parametrize(
    "search,expected",
    [
        ("LIK", ["malik"]),
        ("Lice", ["alice"]),
        ("a_b", ["a_b"]),
        ("_", ["a_b"]),
        ("%", []),
        ("a%b", []),
        ("\\", []),
        ("@example.com", ["a_b", "axb", "alice", "malik"]),
        # Fullwidth letters match after NFKC normalisation, as emails are compared.
        ("\uff2c\uff29\uff2b", ["malik"]),
    ],
)
async def test_users_filter_search_literal(api, admin, engine, search, expected):
    await insert_regular_users(engine, ["alice", "malik", "a_b", "axb"])

    result = await api.execute(
        USERS_PAGE, {"first": 10, "filter": {"search": search}}, token=admin.token
    )

    found = usernames([result.data["users"]])
    assert sorted(found) == sorted(expected)
    assert result.data["users"]["totalCount"] == len(expected)


async def test_users_filter_search_percent_in_email(api, admin, make_user):
    await make_user("percent", "per%cent@example.com")
    await make_user("plain", "perxcent@example.com")

    result = await api.execute(
        USERS_PAGE, {"first": 10, "filter": {"search": "r%c"}}, token=admin.token
    )

    assert usernames([result.data["users"]]) == ["percent"]


async def test_users_filter_search_control_character_rejected(api, admin):
    result = await api.execute(
        USERS_PAGE, {"first": 10, "filter": {"search": "a\x07b"}}, token=admin.token
    )

    assert result.status == 200
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == ["filter", "search"]


async def test_users_filters_combine_and_page(api, admin, engine):
    await insert_regular_users(engine, ["team-a", "team-b", "team-c", "other"])
    await insert_regular_users(engine, ["team-off"], enabled=False)
    variables = {"first": 1, "filter": {"search": "team", "enabled": True}}

    pages = await page_through(api, admin.token, USERS_PAGE, ["users"], variables)

    assert usernames(pages) == ["team-a", "team-b", "team-c"]
    assert {page["totalCount"] for page in pages} == {3}


async def test_role_users_page_per_parent(api, admin, engine):
    analysts = await create_role(api, admin.token, "Analysts", [])
    auditors = await create_role(api, admin.token, "Auditors", [])
    await insert_regular_users(engine, ["a1", "a2", "a3", "a4", "a5"], role_ids=[analysts])
    await insert_regular_users(engine, ["b1", "b2"], role_ids=[auditors])
    await insert_regular_users(engine, ["both"], role_ids=[analysts, auditors])

    analyst_pages = await page_through(
        api, admin.token, ROLE_USERS_PAGE, ["role", "users"], {"id": analysts, "first": 2}
    )
    auditor_pages = await page_through(
        api, admin.token, ROLE_USERS_PAGE, ["role", "users"], {"id": auditors, "first": 2}
    )

    assert usernames(analyst_pages) == ["a1", "a2", "a3", "a4", "a5", "both"]
    assert {page["totalCount"] for page in analyst_pages} == {6}
    assert usernames(auditor_pages) == ["b1", "b2", "both"]
    assert {page["totalCount"] for page in auditor_pages} == {3}


async def test_role_users_one_query_per_parent(api, admin, engine):
    analysts = await create_role(api, admin.token, "Analysts", [])
    auditors = await create_role(api, admin.token, "Auditors", [])
    await insert_regular_users(engine, ["a1", "a2", "a3"], role_ids=[analysts])
    await insert_regular_users(engine, ["b1"], role_ids=[auditors])
    document = """
    { roles { edges { node { name users(first: 2) {
        totalCount edges { node { username } } pageInfo { hasNextPage } } } } } }
    """

    result = await api.execute(document, token=admin.token)

    by_role = {
        edge["node"]["name"]: edge["node"]["users"] for edge in result.data["roles"]["edges"]
    }
    assert usernames([by_role["Analysts"]]) == ["a1", "a2"]
    assert by_role["Analysts"]["totalCount"] == 3
    assert by_role["Analysts"]["pageInfo"]["hasNextPage"] is True
    assert usernames([by_role["Auditors"]]) == ["b1"]
    assert by_role["Auditors"]["totalCount"] == 1
    assert by_role["Auditors"]["pageInfo"]["hasNextPage"] is False
    assert usernames([by_role["SystemRole-SuperAdmin"]]) == [ADMIN_USERNAME]


async def test_tag_members_page_per_parent(api, admin, engine):
    data = await insert_tag(engine, "team", "data")
    ops = await insert_tag(engine, "team", "ops")
    await insert_regular_users(engine, ["d1", "d2", "d3"], tag_ids=[data])
    await insert_regular_users(engine, ["o1"], tag_ids=[ops])
    await insert_regular_users(engine, ["both"], tag_ids=[data, ops])

    data_pages = await page_through(
        api, admin.token, TAG_MEMBERS_PAGE, ["tag", "members"], {"id": data, "first": 2}
    )
    ops_pages = await page_through(
        api, admin.token, TAG_MEMBERS_PAGE, ["tag", "members"], {"id": ops, "first": 2}
    )

    assert usernames(data_pages) == ["both", "d1", "d2", "d3"]
    assert len(data_pages) == 2
    assert {page["totalCount"] for page in data_pages} == {4}
    assert usernames(ops_pages) == ["both", "o1"]
    assert len(ops_pages) == 1


async def test_tag_members_tampered_cursor_rejected(api, admin, engine):
    tag_id = await insert_tag(engine, "team", "data")

    result = await api.execute(
        TAG_MEMBERS_PAGE, {"id": tag_id, "first": 2, "after": encode([1, 2])}, token=admin.token
    )

    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.body["errors"][0]["extensions"]["field"] == ["after"]


async def test_users_nested_fields_statements_constant(api, admin, engine, statements):
    analysts = await create_role(api, admin.token, "Analysts", [])
    tags = [await insert_tag(engine, "team", value) for value in ("data", "ops")]

    async def measure(count: int, prefix: str) -> int:
        await insert_regular_users(
            engine,
            [f"{prefix}{i:02d}" for i in range(count)],
            created_by_id=admin.user_id,
            role_ids=[DEFAULT_USERS_ROLE_ID, analysts],
            tag_ids=tags,
        )
        statements.reset()
        result = await api.execute(USERS_WITH_EVERYTHING, token=admin.token)
        edges = result.data["users"]["edges"]
        assert any(len(edge["node"]["tags"]) == 2 for edge in edges)
        assert any(edge["node"]["createdBy"] == {"username": ADMIN_USERNAME} for edge in edges)
        return statements.count

    with_five = await measure(5, "few")
    with_fifty = await measure(44, "many")

    assert with_five == with_fifty, statements.statements


async def test_roles_nested_users_statements_constant(api, admin, engine, statements):
    async def measure(count: int, prefix: str) -> int:
        for i in range(count):
            role_id = await create_role(api, admin.token, f"{prefix}{i:02d}", [])
            await insert_regular_users(engine, [f"{prefix}-user{i:02d}"], role_ids=[role_id])
        statements.reset()
        result = await api.execute(ROLES_WITH_USERS, token=admin.token)
        edges = result.data["roles"]["edges"]
        assert all(edge["node"]["users"]["totalCount"] >= 1 for edge in edges)
        return statements.count

    # Two system roles come with the database, so 0 + 2 and 8 + 2 roles are measured.
    with_two = await measure(0, "few")
    with_ten = await measure(8, "many")

    assert with_two == with_ten, statements.statements
