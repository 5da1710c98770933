"""Service users, roles, tags and OWNER shares written straight to the database for tests.

The assumption tests build their fixtures here so that they depend only on the tables, not on
the mutations that create service users and shares.
"""

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.passwords import hash_password
from auth.secrets import SESSION_TOKEN_PREFIX, hash_secret, new_secret
from db.clock import new_id, utcnow
from db.engine import create_session_factory
from db.tables import Role, RoleAttachment, Session, Share, Tag, TagMember, User
from db.tables.roles import DEFAULT_USERS_ROLE_ID
from db.tables.shares import AccessType, ResourceType, grantee_key_for_tag, grantee_key_for_user
from tests.conftest import USER_PASSWORD, Account
from tests.support.api import Api


async def _add(engine: AsyncEngine, *rows) -> None:
    async with create_session_factory(engine)() as session:
        for row in rows:
            session.add(row)
            await session.flush()
        await session.commit()


async def create_service_user(
    engine: AsyncEngine, username: str, *, created_by_id: str | None = None
) -> str:
    """Create an enabled service user holding SystemRole-DefaultUsers as its default role."""
    user = User(
        username=username,
        username_key=username.lower(),
        description=f"{username} for tests",
        is_service_user=True,
        default_role_id=DEFAULT_USERS_ROLE_ID,
        created_by_id=created_by_id,
    )
    await _add(engine, user, RoleAttachment(user_id=user.id, role_id=DEFAULT_USERS_ROLE_ID))
    return user.id


async def create_role(engine: AsyncEngine, name: str, permissions: list[str]) -> str:
    """Create a custom role with permissions given by name."""
    role = Role(name=name, name_key=name.lower(), permissions=permissions)
    await _add(engine, role)
    return role.id


async def attach_role(engine: AsyncEngine, user_id: str, role_id: str) -> None:
    """Attach a role to a user or service user."""
    await _add(engine, RoleAttachment(user_id=user_id, role_id=role_id))


async def create_tag(engine: AsyncEngine, tag_key: str, tag_value: str) -> str:
    """Create a tag."""
    tag = Tag(tag_key=tag_key, tag_value=tag_value)
    await _add(engine, tag)
    return tag.id


async def add_tag_member(engine: AsyncEngine, tag_id: str, user_id: str) -> None:
    """Give a user access to a tag."""
    await _add(engine, TagMember(tag_id=tag_id, user_id=user_id))


async def share_owner(
    engine: AsyncEngine,
    service_user_id: str,
    *,
    user_id: str | None = None,
    tag_id: str | None = None,
) -> str:
    """Grant OWNER on a service user to one user or one tag; return the share id."""
    share = Share(
        id=new_id(),
        resource_type=ResourceType.SERVICE_USER,
        resource_id=service_user_id,
        grantee_key=grantee_key_for_user(user_id) if user_id else grantee_key_for_tag(tag_id),
        grantee_user_id=user_id,
        grantee_tag_id=tag_id,
        access_type=AccessType.OWNER,
    )
    await _add(engine, share)
    return share.id


async def remove_share(engine: AsyncEngine, share_id: str) -> None:
    """Delete a share."""
    async with create_session_factory(engine)() as session:
        await session.execute(delete(Share).where(Share.id == share_id))
        await session.commit()


async def remove_tag_member(engine: AsyncEngine, tag_id: str, user_id: str) -> None:
    """Take a user's access to a tag away."""
    async with create_session_factory(engine)() as session:
        await session.execute(
            delete(TagMember).where(TagMember.tag_id == tag_id, TagMember.user_id == user_id)
        )
        await session.commit()


async def delete_user(engine: AsyncEngine, user_id: str) -> None:
    """Delete a user row; shares, role attachments and tokens go with it by cascade."""
    async with create_session_factory(engine)() as session:
        await session.execute(delete(User).where(User.id == user_id))
        await session.commit()


SERVICE_USER_HEADER = "X-Amorphic-Service-User"

ASSUME = """
mutation Assume($input: AssumeServiceUserInput!) {
  assumeServiceUser(input: $input) {
    token
    tokenId
    expiresAt
    serviceUser { userId username isServiceUser }
    role { roleId name }
    serviceUserToken { tokenId reason issuedBy { username } }
    errors { code message field }
  }
}
"""


@dataclass
class AssumableServiceUser:
    """A service user with two roles attached, and people with and without Owner access."""

    service_user_id: str
    ingest_role_id: str
    reader_role_id: str
    unattached_role_id: str
    owner: Account
    owner_share_id: str
    tag_member: Account
    tag_id: str
    stranger: Account


async def create_person(engine: AsyncEngine, username: str) -> Account:
    """Create an enabled regular user with SystemRole-DefaultUsers and an open session.

    The password hash is computed once per test run, because argon2 is slow on purpose.
    """
    user = User(
        username=username,
        username_key=username.lower(),
        email=f"{username}@example.com",
        email_key=f"{username}@example.com",
        password_hash=_user_password_hash(),
        default_role_id=DEFAULT_USERS_ROLE_ID,
    )
    token = new_secret(SESSION_TOKEN_PREFIX)
    now = utcnow()
    session = Session(
        user_id=user.id,
        token_hash=hash_secret(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=8),
    )
    await _add(
        engine, user, RoleAttachment(user_id=user.id, role_id=DEFAULT_USERS_ROLE_ID), session
    )
    return Account(user.id, username, USER_PASSWORD, token)


@functools.cache
def _user_password_hash() -> str:
    return hash_password(USER_PASSWORD)


async def setup_assumable_service_user(engine: AsyncEngine) -> AssumableServiceUser:
    """Create `etl-bot` with roles Ingest (DATASOURCES_CREATE) and Reader (USERS_READ).

    `alice` owns it through a direct OWNER share, `bob` through the tag team=data, and
    `carol` has no access.
    """
    owner = await create_person(engine, "alice")
    tag_member = await create_person(engine, "bob")
    stranger = await create_person(engine, "carol")
    service_user_id = await create_service_user(engine, "etl-bot")
    ingest_role_id = await create_role(engine, "Ingest", ["DATASOURCES_CREATE"])
    reader_role_id = await create_role(engine, "Reader", ["USERS_READ"])
    unattached_role_id = await create_role(engine, "Unattached", ["TAGS_MANAGE"])
    await attach_role(engine, service_user_id, ingest_role_id)
    await attach_role(engine, service_user_id, reader_role_id)
    owner_share_id = await share_owner(engine, service_user_id, user_id=owner.user_id)
    tag_id = await create_tag(engine, "team", "data")
    await add_tag_member(engine, tag_id, tag_member.user_id)
    await share_owner(engine, service_user_id, tag_id=tag_id)
    return AssumableServiceUser(
        service_user_id=service_user_id,
        ingest_role_id=ingest_role_id,
        reader_role_id=reader_role_id,
        unattached_role_id=unattached_role_id,
        owner=owner,
        owner_share_id=owner_share_id,
        tag_member=tag_member,
        tag_id=tag_id,
        stranger=stranger,
    )


async def assume(
    api: Api,
    credential: str,
    service_user_id: str,
    role_id: str,
    minutes: int | None = 30,
    reason: str | None = None,
) -> dict[str, Any]:
    """Run assumeServiceUser with a person's credential and return its payload."""
    variables = {
        "input": {
            "serviceUserId": service_user_id,
            "roleId": role_id,
            "expiresInMinutes": minutes,
            "reason": reason,
        }
    }
    result = await api.execute(ASSUME, variables, token=credential)
    return result.data["assumeServiceUser"]


async def assumed_token(api: Api, credential: str, service_user_id: str, role_id: str) -> str:
    """Assume a service user for 30 minutes and return the token, failing on any error."""
    payload = await assume(api, credential, service_user_id, role_id)
    assert payload["errors"] == [], payload
    return payload["token"]


def as_service_user(token: str) -> dict[str, str]:
    """Return the headers that authenticate with a service-user token alone."""
    return {SERVICE_USER_HEADER: token}


CREATE_ACCESS_TOKEN = """
mutation Create($input: CreateAccessTokenInput!) {
  createAccessToken(input: $input) {
    secret
    accessToken { tokenId createdByActor { username } user { username } }
    errors { code message field }
  }
}
"""


async def create_access_token(
    api: Api,
    role_id: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    name: str = "automation",
) -> dict[str, Any]:
    """Create a PAT valid for five days with the given credentials; return the payload."""
    variables = {
        "input": {
            "name": name,
            "roleId": role_id,
            "expiresAt": (utcnow() + timedelta(days=5)).isoformat(),
        }
    }
    result = await api.execute(CREATE_ACCESS_TOKEN, variables, token=token, headers=headers)
    payload = result.data["createAccessToken"]
    assert payload["errors"] == [], payload
    return payload
