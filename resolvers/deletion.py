"""Deleting a user or service user: ownership moves to a transfer user, everything else goes.

A user is deleted only while disabled. Each resource the user owns through a direct OWNER
share (service users, datasources, tags) gets an OWNER share for the transfer user. Then the
user's shares, role attachments, tag access, access tokens, service-user tokens, sessions
and the user row are deleted. All of it happens in the mutation's one transaction.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from db.tables import (
    AccessToken,
    RoleAttachment,
    ServiceUserToken,
    Session,
    Share,
    TagMember,
    User,
)
from db.tables.shares import AccessType, ResourceType, grantee_key_for_user
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, UseCaseError, UserError, fail
from resolvers.input_ids import check_ids
from resolvers.lookups import get_user
from resolvers.super_admins import ensure_not_last_super_admin

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MovedResource:
    """A resource the deleted user owns directly, and whether the transfer user owns it already."""

    resource_type: ResourceType
    resource_id: str
    transfer_user_is_owner: bool


@dataclass
class DeletionPlan:
    """The resources a deletion moves to the transfer user, and the records it removes."""

    user: User
    transfer_user: User
    moved_resources: list[MovedResource] = field(default_factory=list)
    # Number of rows each kind of removed record has, keyed like `_removed_records`.
    removed: dict[str, int] = field(default_factory=dict)
    # Preconditions that are not met yet, such as the user still being enabled.
    blockers: list[UserError] = field(default_factory=list)


def _removed_records(user: User) -> dict[str, tuple[type, ColumnElement[bool]]]:
    """Return, per kind of record a deletion removes, its table and the rows' condition."""
    return {
        "shares_as_grantee": (Share, Share.grantee_user_id == user.id),
        # Shares on the user as a resource, which only a service user can have.
        "shares_on_service_user": (
            Share,
            and_(Share.resource_type == ResourceType.SERVICE_USER, Share.resource_id == user.id),
        ),
        "role_attachments": (RoleAttachment, RoleAttachment.user_id == user.id),
        "tag_memberships": (TagMember, TagMember.user_id == user.id),
        # The user's own PATs, and those it created while acting as a service user: these
        # need their creator, and the foreign key would only set the creator to NULL.
        "access_tokens": (
            AccessToken,
            or_(AccessToken.user_id == user.id, AccessToken.created_by_actor_id == user.id),
        ),
        # Tokens issued for the user as a service user, and those it issued as a person.
        "service_user_tokens": (
            ServiceUserToken,
            or_(
                ServiceUserToken.service_user_id == user.id,
                ServiceUserToken.issued_by_id == user.id,
            ),
        ),
        "sessions": (Session, Session.user_id == user.id),
    }


async def _authorised_pair(
    ctx: RequestContext, user_id: str, transfer_user_id: str
) -> tuple[User, User]:
    """Return the user to delete and the transfer user, rejecting bad ids and kinds."""
    user = await get_user(ctx.session, user_id)
    await policy.require_user_manager(ctx.session, ctx.identity, user)
    transfer_user = await get_user(ctx.session, transfer_user_id, "transferToUserId")
    if transfer_user.id == user.id:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"User '{user.username}' cannot receive its own resources; choose another transfer "
            "user.",
            "transferToUserId",
        )
    if transfer_user.is_service_user:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"User '{transfer_user.username}' is a service user; the transfer user must be an "
            "enabled regular user.",
            "transferToUserId",
        )
    return user, transfer_user


def _blockers(user: User, transfer_user: User) -> list[UserError]:
    blockers = []
    if user.enabled:
        blockers.append(
            UserError(
                ErrorCode.PRECONDITION_FAILED,
                f"User '{user.username}' is enabled; disable it before deleting it.",
                ["userId"],
            )
        )
    if not transfer_user.enabled:
        blockers.append(
            UserError(
                ErrorCode.PRECONDITION_FAILED,
                f"Transfer user '{transfer_user.username}' is disabled; enable it or choose an "
                "enabled regular user.",
                ["transferToUserId"],
            )
        )
    return blockers


async def _plan(ctx: RequestContext, user: User, transfer_user: User) -> DeletionPlan:
    owned = (
        await ctx.session.execute(
            select(Share.resource_type, Share.resource_id)
            .where(Share.grantee_user_id == user.id, Share.access_type == AccessType.OWNER)
            .order_by(Share.created_at, Share.id)
        )
    ).all()
    transfer_owned = {
        (resource_type, resource_id)
        for resource_type, resource_id in await ctx.session.execute(
            select(Share.resource_type, Share.resource_id).where(
                Share.grantee_user_id == transfer_user.id, Share.access_type == AccessType.OWNER
            )
        )
    }
    plan = DeletionPlan(user, transfer_user, blockers=_blockers(user, transfer_user))
    plan.moved_resources = [
        MovedResource(
            ResourceType(resource_type), resource_id, (resource_type, resource_id) in transfer_owned
        )
        for resource_type, resource_id in owned
    ]
    for kind, (table, condition) in _removed_records(user).items():
        counted = select(func.count()).select_from(table).where(condition)
        plan.removed[kind] = (await ctx.session.execute(counted)).scalar_one()
    return plan


async def preview_deletion(
    ctx: RequestContext, user_id: str, transfer_user_id: str
) -> DeletionPlan:
    """Return what deleting a user would move and remove, and what still blocks the delete."""
    check_ids({"userId": user_id, "transferToUserId": transfer_user_id})
    user, transfer_user = await _authorised_pair(ctx, user_id, transfer_user_id)
    return await _plan(ctx, user, transfer_user)


async def _lock_users(ctx: RequestContext, *user_ids: str) -> None:
    # Serialises with concurrent shares, enables and disables of these users on PostgreSQL.
    # On SQLite the mutation's BEGIN IMMEDIATE already holds the write lock.
    statement = select(User.id).where(User.id.in_(user_ids)).order_by(User.id).with_for_update()
    await ctx.session.execute(statement)


async def _transfer_ownership(ctx: RequestContext, plan: DeletionPlan) -> None:
    transfer_key = grantee_key_for_user(plan.transfer_user.id)
    granted_by = policy.require_identity(ctx.identity).person.id
    for moved in plan.moved_resources:
        if moved.transfer_user_is_owner:
            continue
        existing = (
            await ctx.session.execute(
                select(Share).where(
                    Share.resource_type == moved.resource_type,
                    Share.resource_id == moved.resource_id,
                    Share.grantee_key == transfer_key,
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            # A grantee has one share per resource, so a lesser share is raised to OWNER.
            existing.access_type = AccessType.OWNER
            existing.granted_by_id = granted_by
            ctx.session.add(existing)
            continue
        ctx.session.add(
            Share(
                resource_type=moved.resource_type,
                resource_id=moved.resource_id,
                grantee_key=transfer_key,
                grantee_user_id=plan.transfer_user.id,
                access_type=AccessType.OWNER,
                granted_by_id=granted_by,
            )
        )
    await ctx.session.flush()


async def _remove_user(ctx: RequestContext, user: User) -> None:
    for table, condition in _removed_records(user).values():
        await ctx.session.execute(delete(table).where(condition))
    await ctx.session.execute(delete(User).where(User.id == user.id))


async def delete_user(
    ctx: RequestContext, note: AuditNote, user_id: str, transfer_user_id: str
) -> DeletionPlan:
    """Delete a disabled user after moving what it owns to an enabled regular user."""
    check_ids({"userId": user_id, "transferToUserId": transfer_user_id})
    note.target("USER", user_id)
    note.details["transferToUserId"] = transfer_user_id
    user, transfer_user = await _authorised_pair(ctx, user_id, transfer_user_id)
    if user.is_service_user:
        note.target(ResourceType.SERVICE_USER, user.id)
    await _lock_users(ctx, user.id, transfer_user.id)
    # Re-read both rows under the lock, so the enabled checks see committed changes.
    await ctx.session.refresh(user)
    await ctx.session.refresh(transfer_user)
    blockers = _blockers(user, transfer_user)
    if blockers:
        raise UseCaseError(blockers)
    await ensure_not_last_super_admin(ctx.session, user, "deleted")

    plan = await _plan(ctx, user, transfer_user)
    if not user.is_service_user:
        await policy.require_transfer_rights(
            ctx.session,
            ctx.identity,
            [(m.resource_type, m.resource_id) for m in plan.moved_resources],
        )
    await _transfer_ownership(ctx, plan)
    await _remove_user(ctx, user)
    note.details["movedResources"] = sum(not m.transfer_user_is_owner for m in plan.moved_resources)
    logger.info(
        "deleted user=%s transfer_user=%s moved=%d (request %s)",
        user.id,
        transfer_user.id,
        note.details["movedResources"],
        ctx.request_id,
    )
    return plan
