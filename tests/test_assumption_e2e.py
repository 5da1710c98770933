"""End to end: a person assumes a service user on a real uvicorn process, through gql.

The service user, its role and its tag share are made with the public mutations. The token
then creates a datasource with the X-Amorphic-Service-User header alone and verifies against
the published JWK Set with an independent PyJWT call. It stops working on the very next request
after a revocation, or after the service user is disabled.
"""

import httpx
import jwt
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

from settings import Settings
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.support.live_server import live_server

USER_PASSWORD = "a-long-e2e-password"

SIGN_IN = gql(
    """
    mutation SignIn($username: String!, $password: String!) {
      signIn(input: {username: $username, password: $password}) { token errors { code message } }
    }
    """
)
CREATE_USER = gql(
    """
    mutation CreateUser($input: CreateUserInput!) {
      createUser(input: $input) { user { userId } errors { code message } }
    }
    """
)
CREATE_ROLE = gql(
    """
    mutation CreateRole($input: CreateRoleInput!) {
      createRole(input: $input) { role { roleId } errors { code message } }
    }
    """
)
CREATE_SERVICE_USER = gql(
    """
    mutation CreateServiceUser($input: CreateServiceUserInput!) {
      createServiceUser(input: $input) { serviceUser { userId } errors { code message } }
    }
    """
)
ATTACH_ROLE = gql(
    """
    mutation AttachRole($input: RoleAttachmentInput!) {
      attachRole(input: $input) { errors { code message } }
    }
    """
)
CREATE_TAG = gql(
    """
    mutation CreateTag($input: CreateTagInput!) {
      createTag(input: $input) { tag { tagId } errors { code message } }
    }
    """
)
ADD_TAG_MEMBER = gql(
    """
    mutation AddTagMember($input: TagMemberInput!) {
      addTagMember(input: $input) { errors { code message } }
    }
    """
)
SHARE_SERVICE_USER = gql(
    """
    mutation Share($input: ShareServiceUserInput!) {
      shareServiceUser(input: $input) { errors { code message } }
    }
    """
)
ASSUME = gql(
    """
    mutation Assume($input: AssumeServiceUserInput!) {
      assumeServiceUser(input: $input) { token tokenId expiresAt errors { code message field } }
    }
    """
)
ME = gql("{ me { user { username isServiceUser } activeRole { name } actor { username } } }")
CREATE_DATASOURCE = gql(
    """
    mutation CreateDatasource($input: CreateDatasourceInput!) {
      createDatasource(input: $input) {
        datasource { datasourceId name owners { username isServiceUser } }
        errors { code message }
      }
    }
    """
)
AUDIT_EVENTS = gql(
    """
    query Audit($filter: AuditEventFilter) {
      auditEvents(filter: $filter) {
        edges { node { action outcome targetId actor { username } user { username } } }
      }
    }
    """
)
REVOKE = gql(
    """
    mutation Revoke($tokenId: ID!) {
      revokeServiceUserToken(input: {tokenId: $tokenId}) { errors { code message } }
    }
    """
)
DISABLE_USER = gql(
    """
    mutation Disable($id: ID!) { disableUser(input: {userId: $id}) { errors { code message } } }
    """
)


def client(url: str, headers: dict[str, str]) -> Client:
    """Build a gql client for /graphql that sends fixed headers."""
    return Client(transport=HTTPXAsyncTransport(url=f"{url}/graphql", headers=headers))


async def run(url: str, headers: dict[str, str], document, **variables) -> dict:
    """Execute one document and return its data; GraphQL errors raise TransportQueryError."""
    async with client(url, headers) as session:
        return await session.execute(GraphQLRequest(document, variable_values=variables))


async def mutate(url: str, headers: dict[str, str], document, name: str, **variables) -> dict:
    """Run a mutation and return its payload, failing when it reports errors."""
    payload = (await run(url, headers, document, **variables))[name]
    assert payload["errors"] == [], payload
    return payload


async def sign_in(url: str, username: str, password: str) -> dict[str, str]:
    """Sign in and return the Authorization header of the new session."""
    payload = await mutate(url, {}, SIGN_IN, "signIn", username=username, password=password)
    return {"Authorization": f"Bearer {payload['token']}"}


async def expect_401(url: str, headers: dict[str, str], expected: str) -> None:
    """Check that the credentials are rejected, through gql and at the HTTP level."""
    with pytest.raises(TransportQueryError) as raised:
        await run(url, headers, ME)
    error = raised.value.errors[0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert expected in error["message"]

    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{url}/graphql", json={"query": "{ me { user { username } } }"}, headers=headers
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def prepare_service_user(url: str, admin: dict[str, str]) -> dict[str, str]:
    """Create dana, the Ingest role, etl-bot and its tag share, and return their ids.

    dana reaches etl-bot only through the tag team=data, which has an OWNER share on it.
    """
    dana = await mutate(
        url,
        admin,
        CREATE_USER,
        "createUser",
        input={"username": "dana", "email": "dana@example.com", "password": USER_PASSWORD},
    )
    role = await mutate(
        url,
        admin,
        CREATE_ROLE,
        "createRole",
        input={"name": "Ingest", "permissions": ["DATASOURCES_CREATE"]},
    )
    service_user = await mutate(
        url,
        admin,
        CREATE_SERVICE_USER,
        "createServiceUser",
        input={"username": "etl-bot", "description": "Loads the nightly files"},
    )
    service_user_id = service_user["serviceUser"]["userId"]
    role_id = role["role"]["roleId"]

    await mutate(
        url,
        admin,
        ATTACH_ROLE,
        "attachRole",
        input={"userId": service_user_id, "roleId": role_id},
    )
    tag = await mutate(
        url, admin, CREATE_TAG, "createTag", input={"tagKey": "team", "tagValue": "data"}
    )
    tag_id = tag["tag"]["tagId"]

    await mutate(
        url,
        admin,
        ADD_TAG_MEMBER,
        "addTagMember",
        input={"tagId": tag_id, "userId": dana["user"]["userId"]},
    )
    await mutate(
        url,
        admin,
        SHARE_SERVICE_USER,
        "shareServiceUser",
        input={"serviceUserId": service_user_id, "tagId": tag_id, "accessType": "OWNER"},
    )
    return {
        "dana_id": dana["user"]["userId"],
        "service_user_id": service_user_id,
        "role_id": role_id,
    }


async def assume(url: str, person: dict[str, str], ids: dict[str, str], reason: str) -> dict:
    """Assume etl-bot under Ingest for 30 minutes."""
    return await mutate(
        url,
        person,
        ASSUME,
        "assumeServiceUser",
        input={
            "serviceUserId": ids["service_user_id"],
            "roleId": ids["role_id"],
            "expiresInMinutes": 30,
            "reason": reason,
        },
    )


@pytest.fixture
def server_env(app, admin, database_url, tmp_path) -> dict[str, str]:
    # `app` empties the database and `admin` creates the super admin the server then serves.
    return {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "data")}


async def test_assumed_service_user_creates_datasource_then_revoked(server_env, tmp_path):
    with live_server(server_env, tmp_path) as server:
        url = server.url
        admin = await sign_in(url, ADMIN_USERNAME, ADMIN_PASSWORD)
        ids = await prepare_service_user(url, admin)
        dana = await sign_in(url, "dana", USER_PASSWORD)

        assumed = await assume(url, dana, ids, "load the nightly files")
        as_bot = {"X-Amorphic-Service-User": assumed["token"]}
        me = (await run(url, as_bot, ME))["me"]
        created = await mutate(
            url, as_bot, CREATE_DATASOURCE, "createDatasource", input={"name": "nightly-files"}
        )
        audit = await run(url, admin, AUDIT_EVENTS, filter={"action": "createDatasource"})
        assumption_audit = await run(
            url, admin, AUDIT_EVENTS, filter={"action": "assumeServiceUser"}
        )
        async with httpx.AsyncClient() as http:
            jwks = (await http.get(f"{url}/.well-known/jwks.json")).json()

        await mutate(url, admin, REVOKE, "revokeServiceUserToken", tokenId=assumed["tokenId"])
        await expect_401(url, as_bot, "was revoked")

    assert me == {
        "user": {"username": "etl-bot", "isServiceUser": True},
        "activeRole": {"name": "Ingest"},
        "actor": {"username": "dana"},
    }
    datasource = created["datasource"]
    assert datasource["owners"] == [{"username": "etl-bot", "isServiceUser": True}]
    events = [edge["node"] for edge in audit["auditEvents"]["edges"]]
    assert events == [
        {
            "action": "createDatasource",
            "outcome": "SUCCESS",
            "targetId": datasource["datasourceId"],
            "actor": {"username": "dana"},
            "user": {"username": "etl-bot"},
        }
    ]
    assumption_events = [edge["node"] for edge in assumption_audit["auditEvents"]["edges"]]
    assert [(e["actor"], e["outcome"]) for e in assumption_events] == [
        ({"username": "dana"}, "SUCCESS")
    ]

    # An independent verifier needs nothing but the published JWK Set.
    header = jwt.get_unverified_header(assumed["token"])
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    defaults = Settings(_env_file=None)
    claims = jwt.decode(
        assumed["token"],
        key,
        algorithms=["EdDSA"],
        audience=defaults.audience,
        issuer=defaults.issuer,
        options={"require": ["exp", "iat", "nbf", "jti", "sub"]},
    )
    assert header["typ"] == "at+jwt"
    assert claims["sub"] == ids["service_user_id"]
    assert claims["client_id"] == ids["service_user_id"]
    assert claims["act"] == {"sub": ids["dana_id"]}
    assert claims["role"] == ids["role_id"]
    assert claims["jti"] == assumed["tokenId"]
    assert claims["exp"] - claims["iat"] == 30 * 60


async def test_disabled_service_user_token_rejected_next_request(server_env, tmp_path):
    with live_server(server_env, tmp_path) as server:
        url = server.url
        admin = await sign_in(url, ADMIN_USERNAME, ADMIN_PASSWORD)
        ids = await prepare_service_user(url, admin)
        dana = await sign_in(url, "dana", USER_PASSWORD)
        assumed = await assume(url, dana, ids, "one-off fix")
        as_bot = {"X-Amorphic-Service-User": assumed["token"]}
        before = (await run(url, as_bot, ME))["me"]["user"]

        await mutate(url, admin, DISABLE_USER, "disableUser", id=ids["service_user_id"])
        await expect_401(url, as_bot, "Service user 'etl-bot' is disabled")

    assert before == {"username": "etl-bot", "isServiceUser": True}
