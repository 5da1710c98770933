"""End to end: a real uvicorn process, real HTTP and a real GraphQL client (gql)."""

import re
import subprocess
import sys

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

from tests.support.live_server import REPOSITORY, live_server

SIGN_IN = gql(
    """
    mutation SignIn($username: String!, $password: String!) {
      signIn(input: {username: $username, password: $password}) { token errors { code message } }
    }
    """
)
ME = gql("{ me { user { username isServiceUser } activeRole { name } } }")
CREATE_USER = gql(
    """
    mutation CreateUser($input: CreateUserInput!) {
      createUser(input: $input) { user { userId } errors { code message } }
    }
    """
)
NESTED_USERS = gql(
    """
    { users(first: 50) { totalCount edges { node { username roles { name } tags { tagKey } } } } }
    """
)
PASSWORD_LINE = re.compile(r"shown once; store it now:\s*\n\s*(\S+)")


def client(url: str, headers: dict[str, str] | None = None) -> Client:
    """Build a gql client for the server's /graphql endpoint."""
    return Client(transport=HTTPXAsyncTransport(url=f"{url}/graphql", headers=headers or {}))


async def sign_in(url: str, username: str, password: str) -> str:
    async with client(url) as session:
        request = GraphQLRequest(
            SIGN_IN, variable_values={"username": username, "password": password}
        )
        result = await session.execute(request)
    assert result["signIn"]["errors"] == []
    return result["signIn"]["token"]


async def test_fresh_embedded_server_bootstraps_admin(tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": ""}

    with live_server(env, tmp_path) as server:
        password = PASSWORD_LINE.search(server.output()).group(1)
        token = await sign_in(server.url, "admin", password)
        async with client(server.url, {"Authorization": f"Bearer {token}"}) as session:
            me = (await session.execute(ME))["me"]

    assert "empty, so a first super admin was created" in server.output()
    assert me == {
        "user": {"username": "admin", "isServiceUser": False},
        "activeRole": {"name": "SystemRole-SuperAdmin"},
    }


async def test_restarted_server_does_not_bootstrap_again(tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": ""}
    with live_server(env, tmp_path):
        pass

    with live_server(env, tmp_path) as server:
        output = server.output()

    assert "shown once" not in output


async def test_bootstrap_command_reads_password_from_stdin(tmp_path, app, database_url):
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "data")}
    completed = subprocess.run(
        [
            sys.executable,
            str(REPOSITORY / "server.py"),
            "bootstrap",
            "--username",
            "ops-admin",
            "--password-stdin",
        ],
        input="a-password-from-stdin\n",
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **env},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "a-password-from-stdin" not in completed.stdout

    with live_server(env, tmp_path) as server:
        token = await sign_in(server.url, "ops-admin", "a-password-from-stdin")
        async with client(server.url, {"Authorization": token}) as session:
            me = (await session.execute(ME))["me"]

    assert me["user"]["username"] == "ops-admin"


async def test_live_server_rejects_bad_token_with_401(tmp_path, app, database_url, admin):
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "data")}

    with live_server(env, tmp_path) as server:
        async with client(server.url, {"Authorization": "Bearer sus_not-a-session"}) as session:
            with pytest.raises(TransportQueryError) as raised:
                await session.execute(ME)
        async with client(server.url, {"Authorization": admin.token}) as session:
            created = await session.execute(
                GraphQLRequest(
                    CREATE_USER,
                    variable_values={
                        "input": {
                            "username": "eve",
                            "email": "eve@example.com",
                            "password": "eve-password-long",
                        }
                    },
                )
            )
            listed = await session.execute(NESTED_USERS)

    assert raised.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert created["createUser"]["errors"] == []
    usernames = [edge["node"]["username"] for edge in listed["users"]["edges"]]
    assert usernames == ["eve", "root-admin"]
