"""Users, roles and access tokens that tests set up through the API or in the database."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_session_factory
from db.tables import RoleAttachment, Tag, TagMember, User
from db.tables.roles import DEFAULT_USERS_ROLE_ID
from tests.support.api import Api

CREATE_ROLE = """
mutation CreateRole($input: CreateRoleInput!) {
  createRole(input: $input) { role { roleId name permissions } errors { code message field } }
}
"""

ATTACH_ROLE = """
mutation AttachRole($input: RoleAttachmentInput!) {
  attachRole(input: $input) { user { userId roles { name } } errors { code message field } }
}
"""

SET_DEFAULT_ROLE = """
mutation SetDefaultRole($input: RoleAttachmentInput!) {
  setDefaultRole(input: $input) {
    user { userId defaultRole { name } }
    errors { code message field }
  }
}
"""

CREATE_ACCESS_TOKEN = """
mutation CreateAccessToken($input: CreateAccessTokenInput!) {
  createAccessToken(input: $input) {
    secret
    accessToken { tokenId name status displayPrefix lastUsedAt role { name } }
    errors { code message field }
  }
}
"""


async def create_role(api: Api, token: str, name: str, permissions: Sequence[str]) -> str:
    """Create a role and return its id."""
    variables = {"input": {"name": name, "permissions": list(permissions)}}
    payload = (await api.execute(CREATE_ROLE, variables, token=token)).data["createRole"]
    assert payload["errors"] == [], payload
    return payload["role"]["roleId"]


async def attach_role(api: Api, token: str, user_id: str, role_id: str) -> None:
    """Attach a role to a user."""
    variables = {"input": {"userId": user_id, "roleId": role_id}}
    payload = (await api.execute(ATTACH_ROLE, variables, token=token)).data["attachRole"]
    assert payload["errors"] == [], payload


async def set_default_role(api: Api, token: str, user_id: str, role_id: str) -> None:
    """Make an attached role the user's default role."""
    variables = {"input": {"userId": user_id, "roleId": role_id}}
    payload = (await api.execute(SET_DEFAULT_ROLE, variables, token=token)).data["setDefaultRole"]
    assert payload["errors"] == [], payload


async def grant_permissions(
    api: Api, admin_token: str, user_id: str, role_name: str, permissions: Sequence[str]
) -> str:
    """Create a role with `permissions`, attach it and make it the user's default; return its id.

    The user keeps SystemRole-DefaultUsers as a second role.
    """
    role_id = await create_role(api, admin_token, role_name, permissions)
    await attach_role(api, admin_token, user_id, role_id)
    await set_default_role(api, admin_token, user_id, role_id)
    return role_id


async def create_access_token(
    api: Api, token: str, role_id: str, expires_at: datetime, name: str = "ci"
) -> dict:
    """Create a personal access token and return the mutation payload."""
    variables = {"input": {"name": name, "roleId": role_id, "expiresAt": expires_at.isoformat()}}
    payload = (await api.execute(CREATE_ACCESS_TOKEN, variables, token=token)).data[
        "createAccessToken"
    ]
    assert payload["errors"] == [], payload
    return payload


async def insert_service_user(engine: AsyncEngine, username: str, *, enabled: bool = True) -> str:
    """Insert a service user row directly and return its id.

    The user lists only read rows, so these tests need no service-user mutation.
    """
    sessions = create_session_factory(engine)
    async with sessions() as session:
        user = User(
            username=username,
            username_key=username.lower(),
            description="inserted by a test",
            is_service_user=True,
            enabled=enabled,
            default_role_id=DEFAULT_USERS_ROLE_ID,
        )
        session.add(user)
        await session.flush()
        session.add(RoleAttachment(user_id=user.id, role_id=DEFAULT_USERS_ROLE_ID))
        await session.commit()
        return user.id


async def insert_regular_users(
    engine: AsyncEngine,
    usernames: Sequence[str],
    *,
    created_by_id: str | None = None,
    role_ids: Sequence[str] = (DEFAULT_USERS_ROLE_ID,),
    tag_ids: Sequence[str] = (),
    enabled: bool = True,
) -> list[str]:
    """Insert regular users without passwords (fast, no argon2) and return their ids.

    Each user gets `role_ids` attached (the first is its default role) and access to `tag_ids`.
    """
    sessions = create_session_factory(engine)
    ids = []
    async with sessions() as session:
        for username in usernames:
            user = User(
                username=username,
                username_key=username.lower(),
                email=f"{username.lower()}@example.com",
                email_key=f"{username.lower()}@example.com",
                enabled=enabled,
                default_role_id=role_ids[0],
                created_by_id=created_by_id,
            )
            session.add(user)
            await session.flush()
            session.add_all(RoleAttachment(user_id=user.id, role_id=r) for r in role_ids)
            session.add_all(TagMember(tag_id=t, user_id=user.id) for t in tag_ids)
            ids.append(user.id)
        await session.commit()
    return ids


async def insert_tag(engine: AsyncEngine, key: str, value: str) -> str:
    """Insert a tag without an owner and return its id."""
    sessions = create_session_factory(engine)
    async with sessions() as session:
        tag = Tag(tag_key=key, tag_value=value)
        session.add(tag)
        await session.commit()
        return tag.id
