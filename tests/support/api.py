"""A small GraphQL client over httpx, used by the in-process and the end-to-end tests."""

from dataclasses import dataclass, field
from typing import Any

import httpx

SIGN_IN = """
mutation SignIn($username: String!, $password: String!) {
  signIn(input: {username: $username, password: $password}) {
    token
    errors { code message field }
  }
}
"""


@dataclass
class GraphQLResponse:
    """Status, JSON body and headers of one GraphQL request."""

    status: int
    body: dict[str, Any]
    headers: httpx.Headers = field(repr=False)

    @property
    def data(self) -> dict[str, Any]:
        """Return `data`, failing loudly when the response has top-level errors."""
        assert "errors" not in self.body, self.body
        return self.body["data"]

    @property
    def error_codes(self) -> list[str]:
        """Return `extensions.code` of every top-level error."""
        return [e.get("extensions", {}).get("code") for e in self.body.get("errors", [])]


class Api:
    """Send GraphQL documents with credentials to one server."""

    def __init__(self, client: httpx.AsyncClient):
        self.client = client

    async def execute(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> GraphQLResponse:
        """POST a document; `token` goes into the Authorization header."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await self.client.post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=all_headers
        )
        return GraphQLResponse(response.status_code, response.json(), response.headers)

    async def sign_in(self, username: str, password: str) -> str:
        """Sign in and return the session token."""
        result = await self.execute(SIGN_IN, {"username": username, "password": password})
        payload = result.data["signIn"]
        assert payload["errors"] == [], payload
        return payload["token"]
