"""Health, readiness, metrics and the protective limits of the HTTP surface."""

import logging

import httpx
import pytest
from sqlalchemy import text

from server import create_app
from settings import Settings
from tests.support.databases import snapshot

ME = "{ me { user { username } } }"
INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_healthz_answers_ok(api):
    response = await api.client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_database(api):
    response = await api.client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["database"] == "reachable"


async def test_readyz_unreachable_database_is_503(tmp_path):
    settings = Settings(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
        data_dir=tmp_path,
        _env_file=None,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_metrics_counts_graphql_requests(api, admin):
    await api.execute(ME, token=admin.token)

    response = await api.client.get("/metrics")

    assert response.status_code == 200
    assert 'service_users_graphql_requests_total{outcome="ok"}' in response.text


async def test_request_id_echoed(api, admin):
    result = await api.execute(ME, token=admin.token, headers={"X-Request-Id": "trace-12345678"})

    assert result.headers["x-request-id"] == "trace-12345678"


async def test_body_over_limit_is_413(api, settings):
    padding = "#" + "x" * settings.max_body_bytes
    result = await api.client.post("/graphql", json={"query": ME + padding})

    assert result.status_code == 413
    assert result.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_query_via_get_rejected(api, admin):
    response = await api.client.get(
        "/graphql", params={"query": ME}, headers={"Authorization": f"Bearer {admin.token}"}
    )

    assert response.status_code in {400, 404, 405}
    assert "root-admin" not in response.text


async def test_depth_limit_rejects_deep_query(api, admin, settings):
    nested = (
        "createdBy { " * (settings.max_query_depth + 1)
        + "username"
        + " }" * (settings.max_query_depth + 1)
    )
    result = await api.execute("{ me { user { " + nested + " } } }", token=admin.token)

    assert result.body["errors"]
    assert "exceeds maximum operation depth" in result.body["errors"][0]["message"]


async def test_alias_limit_rejects_many_aliases(api, admin, settings):
    aliases = " ".join(f"a{i}: me {{ credential }}" for i in range(settings.max_aliases + 1))
    result = await api.execute("{ " + aliases + " }", token=admin.token)

    assert result.body["errors"]
    assert "aliases" in result.body["errors"][0]["message"]


@pytest.fixture
def production_settings(settings):
    return settings.model_copy(update={"enable_introspection": False})


async def test_introspection_off_by_default(production_settings, admin):
    app = create_app(production_settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            "/graphql",
            json={"query": INTROSPECTION},
            headers={"Authorization": f"Bearer {admin.token}"},
        )
    await app.state.app_state.engine.dispose()

    body = response.json()
    assert body["errors"]
    assert "introspection" in body["errors"][0]["message"].lower()


async def test_field_suggestions_hidden(api, admin):
    result = await api.execute("{ me { usr { username } } }", token=admin.token)

    message = result.body["errors"][0]["message"]
    assert "Did you mean" not in message


async def test_unexpected_error_masked_with_request_id(api, admin, engine):
    # A role row with permissions the enum does not know makes the resolver raise.
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO roles (id, name, name_key, is_system, permissions, created_at,"
                " updated_at) VALUES ('bad-role', 'Broken', 'broken', false, '[\"NOPE\"]',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )

    result = await api.execute(
        '{ role(roleId: "bad-role") { permissions } }',
        token=admin.token,
        headers={"X-Request-Id": "masked-error-1"},
    )

    error = result.body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "masked-error-1" in error["message"]
    assert "NOPE" not in error["message"]


async def test_graphiql_served_only_when_enabled(settings, api):
    disabled = await api.client.get("/graphql", headers={"Accept": "text/html"})
    app = create_app(settings.model_copy(update={"enable_graphiql": True}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        enabled = await client.get("/graphql", headers={"Accept": "text/html"})
    await app.state.app_state.engine.dispose()

    assert "graphiql" not in disabled.text.lower()
    assert enabled.status_code == 200
    assert "graphiql" in enabled.text.lower()


async def test_nul_character_in_variables_rejected(api, admin, engine):
    before = await snapshot(engine)

    result = await api.execute(
        "query($id: ID!) { user(userId: $id) { username } }",
        {"id": "abc\x00def"},
        token=admin.token,
    )

    assert result.status == 400
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert await snapshot(engine) == before


async def test_nul_escape_in_document_rejected(api, admin):
    result = await api.execute('{ user(userId: "abc\\u0000def") { username } }', token=admin.token)

    assert result.status == 400
    assert result.error_codes == ["BAD_USER_INPUT"]


async def test_lone_surrogate_in_variables_rejected(api, admin):
    body = '{"query": "query($s: String) { users(filter: {search: $s}) { totalCount } }",'
    body += ' "variables": {"s": "\\ud800"}}'
    response = await api.client.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": admin.token},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_nul_in_rest_query_string_rejected(api, admin):
    response = await api.client.get(
        "/users?action=get%00service_users", headers={"Authorization": admin.token}
    )

    assert response.status_code == 400


async def test_graphql_documents_never_logged(api, admin, caplog):
    secret = "a-password-nobody-may-log"
    document = (
        'mutation { signIn(input: {username: "root-admin", password: "' + secret + '"}) '
        "{ token errors { code mesage } } }"
    )
    invalid_variable = (
        "mutation($p: String!) { signIn(input: {username: 1, password: $p}) { token } }"
    )

    with caplog.at_level(logging.DEBUG):
        await api.execute(document)
        await api.execute(invalid_variable, {"p": 12345})
        await api.execute(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { errors { code } } }",
            {"i": {"username": "x", "email": "x@example.com", "password": [secret]}},
            token=admin.token,
        )

    assert secret not in caplog.text
    assert "ERROR" not in [record.levelname for record in caplog.records]
