"""Fixtures: a migrated database per test session, emptied before each test, and the app."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_session_factory
from resolvers.bootstrap import create_super_admin
from server import create_app
from settings import Settings
from tests.support.api import Api
from tests.support.databases import create_database, drop_database, reset_database

ADMIN_USERNAME = "root-admin"
ADMIN_PASSWORD = "correct-horse-battery"
USER_PASSWORD = "a-long-user-password"

CREATE_USER = """
mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) { user { userId username } errors { code message field } }
}
"""


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = create_database(tmp_path_factory.mktemp("database"))
    yield url
    drop_database(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        enable_introspection=True,
        sign_in_max_failures_per_address=1000,
        _env_file=None,
    )


@pytest.fixture
async def app(settings: Settings):
    application = create_app(settings)
    engine = application.state.app_state.engine
    await reset_database(engine)
    yield application
    await engine.dispose()


@pytest.fixture
def engine(app) -> AsyncEngine:
    return app.state.app_state.engine


@pytest.fixture
async def api(app) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client)


@dataclass
class Account:
    """A user created for a test, with its password and a session token."""

    user_id: str
    username: str
    password: str
    token: str


@pytest.fixture
async def admin(app, api: Api) -> Account:
    sessions = create_session_factory(app.state.app_state.engine)
    async with sessions() as session:
        result = await create_super_admin(session, ADMIN_USERNAME, None, ADMIN_PASSWORD)
    token = await api.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)
    return Account(result.user.id, ADMIN_USERNAME, ADMIN_PASSWORD, token)


@pytest.fixture
def make_user(api: Api, admin: Account):
    """Create regular users through the API as the super admin, and sign them in."""

    async def make(username: str, email: str | None = None) -> Account:
        variables = {
            "input": {
                "username": username,
                "email": email or f"{username}@example.com",
                "password": USER_PASSWORD,
            }
        }
        payload = (await api.execute(CREATE_USER, variables, token=admin.token)).data["createUser"]
        assert payload["errors"] == [], payload
        token = await api.sign_in(username, USER_PASSWORD)
        return Account(payload["user"]["userId"], username, USER_PASSWORD, token)

    return make


class StatementCounter:
    """Count SQL statements sent through an engine while enabled."""

    def __init__(self, engine: AsyncEngine):
        self.count = 0
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement, *_args) -> None:
        self.count += 1
        self.statements.append(statement)

    def reset(self) -> None:
        self.count = 0
        self.statements.clear()


@pytest.fixture
def statements(engine: AsyncEngine) -> StatementCounter:
    return StatementCounter(engine)
