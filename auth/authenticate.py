"""Resolve the request identity from its headers, checking every credential against the database."""

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.identity import AuthenticationError, CredentialKind, Identity
from auth.secrets import ACCESS_TOKEN_PREFIX, SESSION_TOKEN_PREFIX, hash_secret
from db.clock import utcnow
from db.tables import AccessToken, AccessTokenStatus, Role, RoleAttachment, Session, User
from db.tables.shares import ResourceType
from resolvers.policy import person_has_owner_access

logger = logging.getLogger(__name__)

ROLE_HEADERS = ("role_id", "x-amorphic-role-id")
SERVICE_USER_HEADER = "x-amorphic-service-user"
# "Last used" and "last seen" columns are written at most this often per credential.
USAGE_WRITE_INTERVAL = timedelta(minutes=1)

ServiceUserTokenAuthenticator = Callable[
    [AsyncSession, str, str | None, str | None], Awaitable[Identity]
]


def bearer_credential(authorization: str | None) -> str | None:
    """Return the credential of an `Authorization` value, with or without the Bearer scheme."""
    if not authorization:
        return None
    value = authorization.strip()
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


def requested_role_id(headers: Mapping[str, str]) -> str | None:
    """Return the role id from `role_id` or its alias `X-Amorphic-Role-Id`; both must agree."""
    values = {headers[name].strip() for name in ROLE_HEADERS if headers.get(name)}
    if len(values) > 1:
        raise AuthenticationError(
            "The role_id and X-Amorphic-Role-Id headers name different roles; send only one.",
            status=400,
            code="BAD_USER_INPUT",
        )
    return values.pop() if values else None


async def attached_role(session: AsyncSession, user: User, role_id: str) -> Role | None:
    """Return the role if it is attached to the user, else None."""
    statement = (
        select(Role)
        .join(RoleAttachment, RoleAttachment.role_id == Role.id)
        .where(RoleAttachment.user_id == user.id, Role.id == role_id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def active_role(session: AsyncSession, user: User, role_id: str | None) -> Role:
    """Return the role a request acts under: the requested one, else the user's default."""
    chosen = role_id or user.default_role_id
    if chosen is None:
        raise AuthenticationError(
            f"User '{user.username}' has no default role; send a role_id header.",
            status=403,
            code="FORBIDDEN",
        )
    role = await attached_role(session, user, chosen)
    if role is None:
        named = await session.get(Role, chosen)
        shown = f"Role '{named.name}' ({chosen})" if named else f"Role id '{chosen[:64]}'"
        raise AuthenticationError(
            f"{shown} is not attached to user '{user.username}'; send the id of one of the "
            "user's roles in the role_id (or X-Amorphic-Role-Id) header, or no header to act "
            "under the default role.",
            status=403,
            code="FORBIDDEN",
        )
    return role


def ensure_enabled(user: User | None) -> User:
    """Reject a credential whose user was deleted or disabled."""
    if user is None:
        raise AuthenticationError("The user of this credential no longer exists.")
    if not user.enabled:
        raise AuthenticationError(f"User '{user.username}' is disabled.")
    return user


async def _authenticate_session(db: AsyncSession, secret: str, role_id: str | None) -> Identity:
    now = utcnow()
    record = (
        await db.execute(select(Session).where(Session.token_hash == hash_secret(secret)))
    ).scalar_one_or_none()
    if record is None:
        raise AuthenticationError("The session token is not valid; sign in again.")
    # The user's state is checked first because disabling a user also signs its sessions out,
    # and "disabled" is more useful to the client than "signed out".
    user = ensure_enabled(await db.get(User, record.user_id))
    if record.revoked_at is not None:
        raise AuthenticationError("The session was signed out; sign in again.")
    if record.expires_at <= now:
        raise AuthenticationError("The session has expired; sign in again.")
    role = await active_role(db, user, role_id)
    if now - record.last_seen_at >= USAGE_WRITE_INTERVAL:
        await db.execute(update(Session).where(Session.id == record.id).values(last_seen_at=now))
        await db.commit()
    return Identity(user, role, CredentialKind.SESSION, record.id, expires_at=record.expires_at)


async def _creating_person(db: AsyncSession, token: AccessToken, service_user: User) -> User:
    """Return the person who created a PAT while acting as a service user, if still allowed.

    Such a PAT acts in place of an assumption, so it has the same conditions as a service-user
    token: the person exists, is enabled and keeps Owner access to the service user.
    """
    person = await db.get(User, token.created_by_actor_id)
    if person is None or person.is_service_user:
        raise AuthenticationError(
            f"The person who created access token '{token.name}' while acting as service user "
            f"'{service_user.username}' no longer exists, so the token stops working; an owner "
            "of the service user can create a new one."
        )
    if not person.enabled:
        raise AuthenticationError(
            f"User '{person.username}', who created access token '{token.name}' while acting "
            f"as service user '{service_user.username}', is disabled, so the token stops working."
        )
    if not await person_has_owner_access(db, person, ResourceType.SERVICE_USER, service_user.id):
        raise AuthenticationError(
            f"'{person.username}', who created access token '{token.name}' while acting as "
            f"service user '{service_user.username}', no longer has Owner access to it, so the "
            "token stops working; an owner of the service user can create a new one."
        )
    return person


async def _authenticate_access_token(
    db: AsyncSession, secret: str, role_id: str | None
) -> Identity:
    now = utcnow()
    token = (
        await db.execute(select(AccessToken).where(AccessToken.secret_hash == hash_secret(secret)))
    ).scalar_one_or_none()

    if token is None:
        raise AuthenticationError("The access token is not valid; it may have been deleted.")
    if token.status != AccessTokenStatus.ACTIVE:
        raise AuthenticationError(
            f"Access token '{token.name}' is deactivated; activate it again or use another "
            "credential."
        )
    if token.expires_at <= now:
        raise AuthenticationError(
            f"Access token '{token.name}' has expired; create a new access token."
        )

    user = ensure_enabled(await db.get(User, token.user_id))
    actor = None
    if token.created_by_actor_id is not None:
        actor = await _creating_person(db, token, user)

    if role_id is not None and role_id != token.role_id:
        raise AuthenticationError(
            f"Access token '{token.name}' acts under its own role '{token.role_id}', but the "
            f"role header names '{role_id[:64]}'; drop the role header or send that role.",
            status=403,
            code="FORBIDDEN",
        )
    role = await attached_role(db, user, token.role_id)
    if role is None:
        raise AuthenticationError(
            f"The role of access token '{token.name}' is no longer attached to user "
            f"'{user.username}'; create a new access token with one of the user's roles."
        )

    if token.last_used_at is None or now - token.last_used_at >= USAGE_WRITE_INTERVAL:
        await db.execute(
            update(AccessToken).where(AccessToken.id == token.id).values(last_used_at=now)
        )
        await db.commit()
    return Identity(
        user,
        role,
        CredentialKind.ACCESS_TOKEN,
        token.id,
        actor=actor,
        expires_at=token.expires_at,
    )


async def authenticate(
    db: AsyncSession,
    headers: Mapping[str, str],
    service_user_tokens: ServiceUserTokenAuthenticator | None = None,
) -> Identity | None:
    """Return the identity the headers authenticate, None without credentials.

    Raises AuthenticationError for a credential that was sent but is not acceptable.
    """
    role_id = requested_role_id(headers)
    credential = bearer_credential(headers.get("authorization"))
    service_user_token = headers.get(SERVICE_USER_HEADER, "").strip() or None

    if service_user_token is not None:
        if service_user_tokens is None:
            raise AuthenticationError("Service-user tokens are not accepted by this server.")
        return await service_user_tokens(db, service_user_token, credential, role_id)
    if credential is None:
        return None
    return await authenticate_person_credential(db, credential, role_id)


async def authenticate_person_credential(
    db: AsyncSession, credential: str, role_id: str | None
) -> Identity:
    """Authenticate a session token or a personal access token."""
    if credential.startswith(ACCESS_TOKEN_PREFIX):
        return await _authenticate_access_token(db, credential, role_id)
    if credential.startswith(SESSION_TOKEN_PREFIX):
        return await _authenticate_session(db, credential, role_id)
    raise AuthenticationError(
        "The Authorization header contains no recognised credential; send a session token "
        f"('{SESSION_TOKEN_PREFIX}...') or a personal access token ('{ACCESS_TOKEN_PREFIX}...')."
    )
