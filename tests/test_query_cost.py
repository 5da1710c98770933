"""Query cost limit: expensive operations are rejected before anything runs, realistic ones pass."""

import time

from graphql import get_introspection_query, parse

from schema.build import build_schema
from schema.cost import ASSUMED_LIST_SIZE, operation_cost
from settings import Settings
from tests.conftest import CREATE_USER, USER_PASSWORD
from tests.support.accounts import insert_regular_users, insert_tag
from tests.support.databases import snapshot

NESTED_USERS = (
    "users(first: 100) { edges { node { roles { users(first: 100) "
    "{ edges { node { username email roles { name } } } } } } } }"
)
# Thirty aliases of a nested users page: within the depth, alias and token limits, but able
# to return tens of millions of fields.
ATTACK = "{\n" + "\n".join(f"  page{i}: {NESTED_USERS}" for i in range(30)) + "\n}"
ATTACK_COST = 42_066_060

ATTACK_WITH_FRAGMENTS = (
    "{\n"
    + "\n".join(f"  page{i}: users(first: 100) {{ ...UserPage }}" for i in range(30))
    + """
}
fragment UserPage on UserConnection { edges { node { ...RoleUsers } } }
fragment RoleUsers on User {
  roles { ... on Role { users(first: 100) { edges { node { ...UserFields } } } } }
}
fragment UserFields on User { username email roles { name } }
"""
)

REALISTIC_PAGE = "{ users(first: 100) { edges { node { roles { name } tags { tagKey } } } } }"

USER_DIRECTORY_PAGE = """
query Directory($first: Int!) {
  users(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        userId username displayName email isServiceUser enabled createdAt
        createdBy { username }
        defaultRole { name }
        roles { roleId name permissions }
        tags { tagId tagKey tagValue }
        shares { accessType grantee { ... on User { username } ... on Tag { tagKey } } }
        accessTokens { tokenId name status expiresAt }
        activeSessions { sessionId expiresAt }
        ownedResources(first: 20) { totalCount edges { node { accessType } } }
      }
    }
  }
}
"""

NESTED_WITH_VARIABLE = """
query Nested($first: Int!) {
  users(first: $first) {
    edges { node { roles { users(first: $first) { edges { node { username roles { name } } } } } } }
  }
}
"""

NESTED_WITH_VARIABLE_DEFAULT = """
query Nested($first: Int = 100) {
  users(first: $first) {
    edges { node { roles { users(first: $first) { edges { node { username roles { name } } } } } } }
  }
}
"""

TWO_OPERATIONS = (
    "query Cheap { users(first: 5) { totalCount } }\n"
    f"query Expensive {{ {NESTED_USERS} }}\n"
    "query AlsoExpensive { ...Pages }\n"
    f"fragment Pages on Query {{ a: {NESTED_USERS} b: {NESTED_USERS} }}\n"
)

CREATE_USER_WITH_NESTED_PAYLOAD = """
mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) {
    user {
      roles { users(first: 100) { edges { node {
        roles { users(first: 100) { edges { node { username } } } }
      } } } }
    }
    errors { code message field }
  }
}
"""

TYPENAME = "{ __typename }"


def cost_of(document: str, variables: dict | None = None, operation_name: str | None = None):
    schema = build_schema(Settings(_env_file=None))
    return operation_cost(schema._schema, parse(document), operation_name, variables)


async def post(api, document: str, token: str, operation_name: str | None = None):
    response = await api.client.post(
        "/graphql",
        json={"query": document, "operationName": operation_name},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()


def assert_too_complex(body: dict, cost: int, max_cost: int) -> None:
    assert body.get("data") is None, body
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] == cost
    assert error["extensions"]["maxCost"] == max_cost
    assert f"Query cost {cost} exceeds the maximum of {max_cost}" in error["message"]
    assert "Lower `first`" in error["message"]
    assert "fewer aliases" in error["message"]


def test_cost_counts_page_size_times_fields():
    # users 1 + edges 1 + 3 nodes * (node 1 + username 1)
    assert cost_of("{ users(first: 3) { edges { node { username } } } }") == 8


def test_cost_connection_without_first_uses_default():
    assert cost_of("{ users { edges { node { username } } } }") == 1 + 1 + 20 * 2


def test_cost_plain_list_uses_assumed_size():
    document = "{ me { user { roles { name } } } }"

    # me 1 + user 1 + roles 1 + ASSUMED_LIST_SIZE names
    assert cost_of(document) == 3 + ASSUMED_LIST_SIZE


def test_cost_first_above_maximum_counts_maximum():
    # The resolver rejects first: 1000, so it can never return more than a full page.
    assert cost_of("{ users(first: 1000) { edges { cursor } } }") == 1 + 1 + 100


def test_cost_of_attack():
    assert cost_of(ATTACK) == ATTACK_COST


def test_cost_fragments_equal_inline_selections():
    assert cost_of(ATTACK_WITH_FRAGMENTS) == ATTACK_COST


def test_cost_repeated_fragment_spreads_computed_quickly():
    # Each fragment spreads the next one twice: 2**40 expansions if walked naively.
    levels = 40
    fragments = [f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    document = "\n".join(
        ["{ me { user { ...F0 } } }", *fragments, f"fragment F{levels} on User {{ username }}"]
    )

    started = time.perf_counter()
    cost = cost_of(document)

    assert cost == 2 + 2**levels
    assert time.perf_counter() - started < 1


def test_cost_variables_for_first():
    document = "query Page($first: Int!) { users(first: $first) { edges { cursor } } }"

    assert cost_of(document, {"first": 7}) == 1 + 1 + 7


def test_cost_invalid_variables_left_to_execution():
    document = "query Page($first: Int!) { users(first: $first) { edges { cursor } } }"

    assert cost_of(document, {"first": "many"}) is None


def test_cost_limit_boundary_inclusive():
    document = get_introspection_query()
    cost = cost_of(document)

    def run_with_limit(max_cost: int):
        settings = Settings(max_query_cost=max_cost, enable_introspection=True, _env_file=None)
        return build_schema(settings).execute_sync(document)

    assert run_with_limit(cost).errors is None
    rejected = run_with_limit(cost - 1)
    assert rejected.data is None
    assert rejected.errors[0].extensions["code"] == "QUERY_TOO_COMPLEX"


async def test_attack_rejected_without_statements(api, make_user, settings, statements):
    user = await make_user("curious")
    await api.execute(TYPENAME, token=user.token)
    statements.reset()
    await api.execute(TYPENAME, token=user.token)
    authentication_only = statements.count

    statements.reset()
    result = await api.execute(ATTACK, token=user.token)

    assert result.status == 200
    assert_too_complex(result.body, ATTACK_COST, settings.max_query_cost)
    assert statements.count == authentication_only, statements.statements


def test_attack_far_over_default_limit():
    default = Settings.model_fields["max_query_cost"].default

    assert 100 * default < ATTACK_COST


async def test_fragments_cannot_hide_cost(api, admin, settings, statements):
    statements.reset()
    await api.execute(TYPENAME, token=admin.token)
    authentication_only = statements.count

    statements.reset()
    result = await api.execute(ATTACK_WITH_FRAGMENTS, token=admin.token)

    assert_too_complex(result.body, ATTACK_COST, settings.max_query_cost)
    assert statements.count == authentication_only, statements.statements


async def test_realistic_page_passes(api, admin, engine):
    tag_ids = [await insert_tag(engine, "team", value) for value in ("data", "ops")]
    await insert_regular_users(engine, [f"user{i:03d}" for i in range(30)], tag_ids=tag_ids)
    # users 1 + edges 1 + 100 nodes * (node 1 + roles 1 + 10 names + tags 1 + 10 tag keys)
    assert cost_of(REALISTIC_PAGE) == 2 + 100 * 23

    result = await api.execute(REALISTIC_PAGE, token=admin.token)

    edges = result.data["users"]["edges"]
    assert len(edges) == 31
    assert edges[-1]["node"]["tags"] == [{"tagKey": "team"}, {"tagKey": "team"}]


async def test_full_directory_page_passes(api, admin, engine):
    await insert_regular_users(engine, [f"user{i:03d}" for i in range(5)])

    result = await api.execute(USER_DIRECTORY_PAGE, {"first": 100}, token=admin.token)

    assert result.data["users"]["totalCount"] == 6


async def test_variable_first_honoured(api, admin, settings):
    small = await api.execute(NESTED_WITH_VARIABLE, {"first": 5}, token=admin.token)
    large = await api.execute(NESTED_WITH_VARIABLE, {"first": 100}, token=admin.token)

    assert small.data["users"]["edges"][0]["node"]["roles"]
    expected = cost_of(NESTED_WITH_VARIABLE, {"first": 100})
    assert expected > settings.max_query_cost
    assert_too_complex(large.body, expected, settings.max_query_cost)


async def test_variable_default_honoured(api, admin, settings):
    result = await api.execute(NESTED_WITH_VARIABLE_DEFAULT, token=admin.token)

    expected = cost_of(NESTED_WITH_VARIABLE, {"first": 100})
    assert_too_complex(result.body, expected, settings.max_query_cost)


async def test_operation_name_selects_costed_operation(api, admin, settings):
    cheap = await post(api, TWO_OPERATIONS, admin.token, "Cheap")
    expensive = await post(api, TWO_OPERATIONS, admin.token, "Expensive")
    also_expensive = await post(api, TWO_OPERATIONS, admin.token, "AlsoExpensive")

    assert "errors" not in cheap, cheap
    assert cheap["data"]["users"]["totalCount"] == 1
    single = cost_of(TWO_OPERATIONS, operation_name="Expensive")
    assert_too_complex(expensive, single, settings.max_query_cost)
    assert_too_complex(also_expensive, 2 * single, settings.max_query_cost)


async def test_mutation_payload_costed(api, admin, engine, settings, statements):
    variables = {
        "input": {"username": "nested", "email": "nested@example.com", "password": USER_PASSWORD}
    }
    before = await snapshot(engine)
    statements.reset()
    await api.execute(TYPENAME, token=admin.token)
    authentication_only = statements.count

    statements.reset()
    result = await api.execute(CREATE_USER_WITH_NESTED_PAYLOAD, variables, token=admin.token)

    expected = cost_of(CREATE_USER_WITH_NESTED_PAYLOAD, variables)
    assert_too_complex(result.body, expected, settings.max_query_cost)
    assert statements.count == authentication_only, statements.statements
    assert await snapshot(engine) == before


async def test_mutation_small_payload_passes(api, admin):
    variables = {
        "input": {"username": "plain", "email": "plain@example.com", "password": USER_PASSWORD}
    }

    result = await api.execute(CREATE_USER, variables, token=admin.token)

    assert result.data["createUser"]["errors"] == []
    assert result.data["createUser"]["user"]["username"] == "plain"


async def test_introspection_query_passes(api, admin, settings):
    document = get_introspection_query(descriptions=True)
    assert cost_of(document) < settings.max_query_cost

    result = await api.execute(document, token=admin.token)

    type_names = {t["name"] for t in result.data["__schema"]["types"]}
    assert {"User", "Role", "UserConnection"} <= type_names
