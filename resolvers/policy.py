"""Authorisation policy: every permission and ownership rule, written once.

Use cases call these checks; each raises UseCaseError with the code returned to the client.
"""

from collections.abc import Collection

from sqlalchemy import CompoundSelect, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from auth.identity import Identity
from db.tables import AuditEvent, Permission, RoleAttachment, Share, Tag, TagMember, User
from db.tables.roles import SUPER_ADMIN_ROLE_ID
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


def owner_share_exists(
    user_id: str | ColumnElement, resource_type: ResourceType, resource_id: str | ColumnElement
) -> ColumnElement[bool]:
    """Return the SQL condition that a user has an OWNER share, directly or through a tag.

    `user_id` and `resource_id` may be columns of an enclosing statement, which the EXISTS
    subqueries then correlate with.
    """
    direct = exists().where(
        Share.resource_type == resource_type,
        Share.resource_id == resource_id,
        Share.access_type == AccessType.OWNER,
        Share.grantee_user_id == user_id,
    )
    through_tag = exists().where(
        Share.resource_type == resource_type,
        Share.resource_id == resource_id,
        Share.access_type == AccessType.OWNER,
        TagMember.tag_id == Share.grantee_tag_id,
        TagMember.user_id == user_id,
    )
    return or_(direct, through_tag)


def person_owner_access_condition(
    person_id: str | ColumnElement, resource_type: ResourceType, resource_id: str | ColumnElement
) -> ColumnElement[bool]:
    """Return the SQL condition that a person keeps Owner access outside of any request.

    That is an OWNER share directly or through a tag, or SystemRole-SuperAdmin attached to the
    person. Service-user tokens and the PATs a person created while acting as a service user
    depend on it, whatever role a request acts under.
    """
    holds_super_admin = exists().where(
        RoleAttachment.user_id == person_id, RoleAttachment.role_id == SUPER_ADMIN_ROLE_ID
    )
    return or_(owner_share_exists(person_id, resource_type, resource_id), holds_super_admin)


async def user_has_owner_access(
    session: AsyncSession, user_id: str, resource_type: ResourceType, resource_id: str
) -> bool:
    """Tell whether a user has an OWNER share on a resource, directly or through a tag."""
    statement = select(owner_share_exists(user_id, resource_type, resource_id))
    return bool((await session.execute(statement)).scalar())


async def person_has_owner_access(
    session: AsyncSession, person: User, resource_type: ResourceType, resource_id: str
) -> bool:
    """Tell whether a person keeps Owner access outside of any one request's active role.

    Checked on every request with a service-user token, and with a PAT created while acting
    as a service user.
    """
    statement = select(person_owner_access_condition(person.id, resource_type, resource_id))
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


async def require_token_revoker(
    session: AsyncSession, identity: Identity, token_id: str, issued_by_id: str, service_user: User
) -> Identity:
    """Allow the person who issued a service-user token, and owners of its service user."""
    if identity.person.id == issued_by_id:
        return identity
    if await has_owner_access(session, identity, ResourceType.SERVICE_USER, service_user.id):
        return identity
    raise fail(
        ErrorCode.FORBIDDEN,
        f"Only owners of service user '{service_user.username}' and the person who issued "
        f"token '{token_id}' can revoke it.",
        "tokenId",
    )


async def require_user_manager(
    session: AsyncSession, identity: Identity | None, target: User
) -> Identity:
    """Require the right to manage a user: Owner access for a service user, else USERS_MANAGE.

    A regular user who has SystemRole-SuperAdmin is managed only under that role, so that
    USERS_MANAGE alone cannot disable, sign out or strip the administrators.
    """
    if target.is_service_user:
        return await require_owner_access(
            session,
            identity,
            ResourceType.SERVICE_USER,
            target.id,
            f"service user '{target.username}'",
        )
    identity = require_permission(identity, Permission.USERS_MANAGE)
    if identity.is_super_admin or identity.user.id == target.id:
        return identity
    holds_super_admin = select(
        exists().where(
            RoleAttachment.user_id == target.id, RoleAttachment.role_id == SUPER_ADMIN_ROLE_ID
        )
    )
    if (await session.execute(holds_super_admin)).scalar():
        raise fail(
            ErrorCode.FORBIDDEN,
            f"User '{target.username}' holds SystemRole-SuperAdmin; only the active role "
            "SystemRole-SuperAdmin can manage it.",
            "userId",
        )
    return identity


async def require_role_grantable(
    session: AsyncSession, identity: Identity, role_id: str, role_name: str
) -> None:
    """Require that the caller has a role before handing it to someone else."""
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


async def require_service_user_sharer(
    session: AsyncSession, identity: Identity | None, service_user: User
) -> Identity:
    """Require a person with Owner access to share a service user or take a share away.

    Service-user identities never share service users, so that no chain of service users
    can reach one.
    """
    identity = require_person(identity, "share service users or remove their shares")
    return await require_owner_access(
        session,
        identity,
        ResourceType.SERVICE_USER,
        service_user.id,
        f"service user '{service_user.username}'",
    )


async def require_tag_member_manager(
    session: AsyncSession, identity: Identity | None, tag: Tag
) -> Identity:
    """Require Owner access to a tag to add or remove its members.

    Owner access here is an OWNER share on the tag granted to the caller directly, or the
    active role SystemRole-SuperAdmin. TAGS_MANAGE only creates tags, because a member of a
    tag reaches every resource shared with it, service users included. Service-user
    identities never change tag members, so that no chain of service users can reach one.
    """
    identity = require_person(identity, "add or remove tag members")
    if identity.is_super_admin:
        return identity
    direct_owner = exists().where(
        Share.resource_type == ResourceType.TAG,
        Share.resource_id == tag.id,
        Share.access_type == AccessType.OWNER,
        Share.grantee_user_id == identity.user.id,
    )
    if not (await session.execute(select(direct_owner))).scalar():
        raise fail(
            ErrorCode.FORBIDDEN,
            f"Owner access to tag '{tag.tag_key}={tag.tag_value}' is required to change its "
            "members: an OWNER share on the tag granted to you directly, or the active role "
            "SystemRole-SuperAdmin. TAGS_MANAGE only lets you create tags.",
            "tagId",
        )
    return identity


def require_application_access(
    identity: Identity | None, permission: Permission, application: str
) -> Identity:
    """Reject service users whatever their role, and people whose role lacks `permission`."""
    identity = require_identity(identity)
    if identity.is_service_user:
        raise fail(
            ErrorCode.NOT_SUPPORTED_FOR_SERVICE_USER,
            f"Service user '{identity.user.username}' cannot use the {application} application "
            "whatever its role; vertical applications are for regular users only.",
            "application",
        )
    return require_permission(identity, permission)


def shared_resource_ids(
    user_id: str, resource_type: ResourceType, access_type: AccessType | None = None
) -> CompoundSelect:
    """Select the ids of resources of one type shared with a user, directly or through a tag.

    With `access_type`, only shares of that access type count.
    """
    direct = select(Share.resource_id).where(
        Share.resource_type == resource_type, Share.grantee_user_id == user_id
    )
    through_tags = (
        select(Share.resource_id)
        .join(TagMember, TagMember.tag_id == Share.grantee_tag_id)
        .where(Share.resource_type == resource_type, TagMember.user_id == user_id)
    )
    if access_type is not None:
        direct = direct.where(Share.access_type == access_type)
        through_tags = through_tags.where(Share.access_type == access_type)
    return direct.union(through_tags)


async def has_any_access(
    session: AsyncSession, identity: Identity, resource_type: ResourceType, resource_id: str
) -> bool:
    """Tell whether the identity may see a resource: super admin role, or a share of any type."""
    return resource_id in await accessible_resource_ids(
        session, identity, resource_type, [resource_id]
    )


async def accessible_resource_ids(
    session: AsyncSession,
    identity: Identity,
    resource_type: ResourceType,
    resource_ids: Collection[str],
) -> set[str]:
    """Return which of the resources the identity may see, in one query.

    Super admins see every resource; others see those shared with them or with a tag they have
    access to, whatever the access type.
    """
    if identity.is_super_admin:
        return set(resource_ids)
    shared = shared_resource_ids(identity.user.id, resource_type).subquery()
    statement = select(shared.c.resource_id).where(shared.c.resource_id.in_(resource_ids))
    return set((await session.execute(statement)).scalars())


def visible_audit_events(identity: Identity) -> ColumnElement | None:
    """Return the condition on audit events an identity may read, or None for all of them.

    Super admins read every event. Others read the events they caused (as the person or as
    the effective identity) and the events about resources they have Owner access to.
    """
    if identity.is_super_admin:
        return None
    own = or_(AuditEvent.actor_id == identity.user.id, AuditEvent.user_id == identity.user.id)
    owned_targets = [
        and_(
            AuditEvent.target_type == resource_type.value,
            AuditEvent.target_id.in_(
                shared_resource_ids(identity.user.id, resource_type, AccessType.OWNER)
            ),
        )
        for resource_type in ResourceType
    ]
    return or_(own, *owned_targets)


async def require_transfer_rights(
    session: AsyncSession, identity: Identity | None, resources: list[tuple[ResourceType, str]]
) -> None:
    """Require Owner access to every resource a deletion would hand to the transfer user.

    USERS_MANAGE lets one delete a regular user, but moving that user's resources is a grant of
    Owner access, so a caller who does not own them (and is not acting as SystemRole-SuperAdmin)
    could otherwise hand them to themselves. Owners of a deleted service user pass already,
    because they control everything the service user owns by assuming it.
    """
    identity = require_identity(identity)
    if identity.is_super_admin:
        return
    for resource_type, resource_id in resources:
        if not await has_owner_access(session, identity, resource_type, resource_id):
            raise fail(
                ErrorCode.FORBIDDEN,
                f"Deleting this user would transfer {resource_type.value} '{resource_id}', which "
                "you do not own; only its owners or the active role SystemRole-SuperAdmin can "
                "transfer it. Ask a super admin to delete the user.",
                "transferToUserId",
            )
