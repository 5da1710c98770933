"""Authorisation policy: every permission and ownership rule, written once.

Use cases call these checks; each raises UseCaseError with the code the client sees.
"""

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.identity import Identity
from db.tables import Permission, RoleAttachment, Share, TagMember, User
from db.tables.shares import AccessType, ResourceType
from resolvers.errors import ErrorCode, fail


def require_identity(identity: Identity | None) -> Identity:
    """Reject anonymous requests."""
    if identity is None:
        raise fail(
            ErrorCode.UNAUTHENTICATED,
            "Authentication required: send a session token or access token in the "
            "Authorization header, or a service-user token in X-Amorphic-Service-User.",
        )
    return identity


def require_permission(identity: Identity | None, permission: Permission) -> Identity:
    """Reject identities whose active role lacks a permission."""
    identity = require_identity(identity)
    if not identity.has_permission(permission):
        raise fail(
            ErrorCode.FORBIDDEN,
            f"The active role '{identity.role.name}' lacks the {permission.value} permission; "
            "switch to a role that grants it with the role_id header.",
        )
    return identity


def require_person(identity: Identity | None, action: str) -> Identity:
    """Reject service-user identities for actions that only people may take."""
    identity = require_identity(identity)
    if identity.is_service_user:
        raise fail(
            ErrorCode.NOT_SUPPORTED_FOR_SERVICE_USER,
            f"Service user '{identity.user.username}' cannot {action}; "
            "only a regular user (a person) can.",
        )
    return identity


def require_super_admin(identity: Identity | None, action: str) -> Identity:
    """Reject identities whose active role is not `SystemRole-SuperAdmin`."""
    identity = require_identity(identity)
    if not identity.is_super_admin:
        raise fail(
            ErrorCode.FORBIDDEN,
            f"Only the active role SystemRole-SuperAdmin can {action}; the active role is "
            f"'{identity.role.name}'.",
        )
    return identity


def require_session_capable(identity: Identity | None) -> Identity:
    """Reject service users for sessions and sign-out, which only regular users have."""
    identity = require_identity(identity)
    if identity.is_service_user:
        raise fail(
            ErrorCode.NOT_SUPPORTED_FOR_SERVICE_USER,
            f"Service user '{identity.user.username}' has no sessions; it authenticates with "
            "service-user tokens or access tokens instead.",
        )
    return identity


async def user_has_owner_access(
    session: AsyncSession, user_id: str, resource_type: ResourceType, resource_id: str
) -> bool:
    """Tell whether a user holds an OWNER share on a resource, directly or through a tag."""
    direct = select(Share.id).where(
        Share.resource_type == resource_type,
        Share.resource_id == resource_id,
        Share.access_type == AccessType.OWNER,
        Share.grantee_user_id == user_id,
    )
    through_tag = (
        select(Share.id)
        .join(TagMember, TagMember.tag_id == Share.grantee_tag_id)
        .where(
            Share.resource_type == resource_type,
            Share.resource_id == resource_id,
            Share.access_type == AccessType.OWNER,
            TagMember.user_id == user_id,
        )
    )
    statement = select(exists(direct) | exists(through_tag))
    return bool((await session.execute(statement)).scalar())


async def has_owner_access(
    session: AsyncSession, identity: Identity, resource_type: ResourceType, resource_id: str
) -> bool:
    """Tell whether the identity has Owner access: super admin role, or an OWNER share."""
    if identity.is_super_admin:
        return True
    return await user_has_owner_access(session, identity.user.id, resource_type, resource_id)


async def require_owner_access(
    session: AsyncSession,
    identity: Identity | None,
    resource_type: ResourceType,
    resource_id: str,
    description: str,
) -> Identity:
    """Reject identities without Owner access to a resource."""
    identity = require_identity(identity)
    if not await has_owner_access(session, identity, resource_type, resource_id):
        raise fail(
            ErrorCode.FORBIDDEN,
            f"Owner access to {description} is required: an OWNER share to you or to a tag "
            "you belong to, or the active role SystemRole-SuperAdmin.",
        )
    return identity


async def require_user_manager(
    session: AsyncSession, identity: Identity | None, target: User
) -> Identity:
    """Require the right to manage a user: Owner access for a service user, else USERS_MANAGE."""
    if target.is_service_user:
        return await require_owner_access(
            session,
            identity,
            ResourceType.SERVICE_USER,
            target.id,
            f"service user '{target.username}'",
        )
    return require_permission(identity, Permission.USERS_MANAGE)


async def require_role_grantable(
    session: AsyncSession, identity: Identity, role_id: str, role_name: str
) -> None:
    """Require that the caller holds a role before handing it to someone else."""
    if identity.is_super_admin:
        return
    statement = select(
        exists().where(
            RoleAttachment.user_id == identity.user.id, RoleAttachment.role_id == role_id
        )
    )
    if not (await session.execute(statement)).scalar():
        raise fail(
            ErrorCode.FORBIDDEN,
            f"You can only attach or detach roles you hold yourself; role '{role_name}' is not "
            "attached to you.",
            "roleId",
        )
