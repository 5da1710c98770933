"""Hostile or broken requests get clear 4xx responses, never an internal error."""

import base64
import json

import pytest

ME = "{ me { credential } }"


def _headers(admin, **extra) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": admin.token, **extra}


@pytest.mark.parametrize("path", ["/healthz", "/graphql", "/users", "/metrics"])
async def test_non_utf8_header_not_internal_error(api, admin, path):
    response = await api.client.get(
        path, headers=[("Authorization", admin.token), ("User-Agent", b"\xff\xfe")]
    )

    assert response.status_code < 500


@pytest.mark.parametrize(
    "body", ['"x"', "5", "null", "true", '[{"query": "{ me { credential } }"}]']
)
async def test_non_object_json_body_rejected(api, admin, body):
    response = await api.client.post("/graphql", content=body, headers=_headers(admin))

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "JSON object" in response.json()["errors"][0]["message"]


async def test_deeply_nested_json_rejected(api, admin):
    nested = "{}"
    for _ in range(400):
        nested = '{"a":' + nested + "}"
    body = '{"query": "{ me { credential } }", "variables": ' + nested + "}"

    response = await api.client.post("/graphql", content=body, headers=_headers(admin))

    assert response.status_code == 400
    assert "nested deeper" in response.json()["errors"][0]["message"]


async def test_invalid_utf8_body_rejected(api, admin):
    body = b'{"query": "{ me { credential } }", "x": "\xff"}'

    response = await api.client.post("/graphql", content=body, headers=_headers(admin))

    assert response.status_code == 400
    assert "not valid JSON in UTF-8" in response.json()["errors"][0]["message"]


async def test_huge_integer_literal_rejected(api, admin):
    body = '{"query": "{ me { credential } }", "variables": {"n": ' + "9" * 5000 + "}}"

    response = await api.client.post("/graphql", content=body, headers=_headers(admin))

    assert response.status_code == 400


async def test_literal_backslash_u0000_in_variable_accepted(api, admin):
    document = "query($s: String) { users(filter: {search: $s}) { totalCount } }"

    result = await api.execute(document, {"s": "\\u0000"}, token=admin.token)

    assert result.status == 200
    assert result.data["users"]["totalCount"] == 0


async def test_lone_surrogate_in_non_json_content_type_rejected(api, admin):
    body = '{"RoleId": "\\ud800"}'
    response = await api.client.post(
        "/users/some-id/auth-token",
        content=body,
        headers={"Content-Type": "text/plain", "Authorization": admin.token},
    )

    assert response.status_code == 400


@pytest.mark.parametrize("kid", [None, 123, ["a"], {"k": 1}])
async def test_service_user_token_with_non_string_kid_is_401(api, kid):
    header = {"alg": "EdDSA", "typ": "at+jwt", "kid": kid}
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    token = f"{encoded}.e30.AA"

    result = await api.execute(ME, headers={"X-Amorphic-Service-User": token})

    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("first", ["\u00b2", "\uff11", "\u0661\u0662", "-1", "1e2", "0"])
async def test_rest_first_rejects_non_ascii_digits(api, admin, first):
    response = await api.client.get(
        "/users", params={"first": first}, headers={"Authorization": admin.token}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
