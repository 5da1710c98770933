"""Sharing rules: who may be a grantee, which access types apply, and the last-owner rule.

The use cases that share service users live here too; datasources reuse `grant` and `revoke`.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select

from db.tables import Datasource, Share, Tag, User
from db.tables.shares import AccessType, ResourceType, grantee_key_for_tag, grantee_key_for_user
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, fail
from resolvers.input_ids import check_ids
from resolvers.lookups import get_service_user, get_tag, get_user
from resolvers.token_revocation import revoke_tokens_without_owner_access

logger = logging.getLogger(__name__)

# The table holding each kind of resource, to lock its row while its shares change.
RESOURCE_TABLES = {
    ResourceType.SERVICE_USER: User,
    ResourceType.DATASOURCE: Datasource,
    ResourceType.TAG: Tag,
}


@dataclass(frozen=True)
class Grantee:
    """The regular user or the tag a share is granted to."""

    user: User | None = None
    tag: Tag | None = None

    @property
    def key(self) -> str:
        """Return the `grantee_key` of a share to this grantee."""
        if self.user is not None:
            return grantee_key_for_user(self.user.id)
        return grantee_key_for_tag(self.tag.id)

    @property
    def label(self) -> str:
        """Return a description of the grantee for messages."""
        if self.user is not None:
            return f"user '{self.user.username}'"
        return f"tag '{self.tag.tag_key}={self.tag.tag_value}'"

    @property
    def field(self) -> str:
        """Return the input field that named the grantee."""
        return "userId" if self.user is not None else "tagId"

    def details(self) -> dict[str, str]:
        """Return the audit details that name the grantee."""
        if self.user is not None:
            return {"granteeUserId": self.user.id}
        return {"granteeTagId": self.tag.id}


async def resolve_grantee(ctx: RequestContext, user_id: str | None, tag_id: str | None) -> Grantee:
    """Return the grantee named by exactly one of `userId` and `tagId`.

    Grantees are regular users and tags; a service user is never a grantee, so that no chain
    of service users can reach a resource.
    """
    if user_id is None and tag_id is None:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            "No grantee given: pass `userId` (a regular user) or `tagId`.",
            "userId",
        )
    if user_id is not None and tag_id is not None:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            "Both `userId` and `tagId` given: a share has one grantee, so pass only one of them.",
            "tagId",
        )
    if tag_id is not None:
        return Grantee(tag=await get_tag(ctx.session, tag_id))
    user = await get_user(ctx.session, user_id)
    if user.is_service_user:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"User '{user.username}' is a service user; resources are shared with regular users "
            "and tags only.",
            "userId",
        )
    return Grantee(user=user)


def check_access_type(access_type: AccessType, accepted: Collection[AccessType]) -> AccessType:
    """Reject an access type the resource kind does not support."""
    if access_type not in accepted:
        values = ", ".join(a.value for a in accepted)
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Access type {access_type.value} is not accepted here; the accepted "
            f"{'value is' if len(accepted) == 1 else 'values are'} {values}.",
            "accessType",
        )
    return access_type


async def lock_resource(ctx: RequestContext, resource_type: ResourceType, resource_id: str):
    """Lock a resource row until the transaction ends and return it, or None if it is gone.

    Changes to one resource's shares run one after the other, so the last-owner count cannot
    be passed by two concurrent removals. On SQLite the mutation's BEGIN IMMEDIATE already
    serialises writers and FOR UPDATE is left out of the SQL.
    """
    table = RESOURCE_TABLES[resource_type]
    statement = select(table).where(table.id == resource_id).with_for_update()
    return (await ctx.session.execute(statement)).scalar_one_or_none()


async def _share_of(
    ctx: RequestContext, resource_type: ResourceType, resource_id: str, grantee: Grantee
) -> Share | None:
    statement = select(Share).where(
        Share.resource_type == resource_type,
        Share.resource_id == resource_id,
        Share.grantee_key == grantee.key,
    )
    return (await ctx.session.execute(statement)).scalar_one_or_none()


async def _ensure_another_owner(
    ctx: RequestContext, share: Share, description: str, grantee: Grantee
) -> None:
    statement = select(func.count()).where(
        Share.resource_type == share.resource_type,
        Share.resource_id == share.resource_id,
        Share.access_type == AccessType.OWNER,
        Share.id != share.id,
    )
    if (await ctx.session.execute(statement)).scalar_one() == 0:
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            f"The OWNER share of {grantee.label} is the last one on {description}; share it "
            "with another owner first.",
            grantee.field,
        )


async def grant(
    ctx: RequestContext,
    resource_type: ResourceType,
    resource_id: str,
    grantee: Grantee,
    access_type: AccessType,
    description: str,
) -> Share:
    """Share a locked resource with a grantee, or change the access type of its share."""
    identity = policy.require_identity(ctx.identity)
    share = await _share_of(ctx, resource_type, resource_id, grantee)
    if share is not None:
        if share.access_type == access_type:
            raise fail(
                ErrorCode.CONFLICT,
                f"The share of {description} with {grantee.label} already grants "
                f"{access_type.value}.",
                grantee.field,
            )
        if share.access_type == AccessType.OWNER:
            await _ensure_another_owner(ctx, share, description, grantee)
        share.access_type = access_type
        share.granted_by_id = identity.person.id
    else:
        share = Share(
            resource_type=resource_type,
            resource_id=resource_id,
            grantee_key=grantee.key,
            grantee_user_id=grantee.user.id if grantee.user else None,
            grantee_tag_id=grantee.tag.id if grantee.tag else None,
            access_type=access_type,
            granted_by_id=identity.person.id,
        )
    ctx.session.add(share)
    await ctx.session.flush()
    logger.info(
        "shared %s:%s with %s as %s (request %s)",
        resource_type.value,
        resource_id,
        grantee.key,
        access_type.value,
        ctx.request_id,
    )
    return share


async def revoke(
    ctx: RequestContext,
    resource_type: ResourceType,
    resource_id: str,
    grantee: Grantee,
    description: str,
) -> None:
    """Remove a grantee's share on a locked resource; the last OWNER share stays."""
    share = await _share_of(ctx, resource_type, resource_id, grantee)
    if share is None:
        raise fail(
            ErrorCode.NOT_FOUND,
            f"There is no share of {description} with {grantee.label}.",
            grantee.field,
        )
    if share.access_type == AccessType.OWNER:
        await _ensure_another_owner(ctx, share, description, grantee)
    await ctx.session.delete(share)
    await ctx.session.flush()


async def _locked_service_user(ctx: RequestContext, service_user_id: str) -> User:
    await lock_resource(ctx, ResourceType.SERVICE_USER, service_user_id)
    # The locked row is in the session now, so this look-up sends no second query.
    return await get_service_user(ctx.session, service_user_id)


async def share_service_user(
    ctx: RequestContext,
    note: AuditNote,
    *,
    service_user_id: str,
    user_id: str | None,
    tag_id: str | None,
    access_type: AccessType,
) -> tuple[User, Share]:
    """Give a regular user or a tag OWNER access to a service user; needs Owner access."""
    check_ids({"serviceUserId": service_user_id, "userId": user_id, "tagId": tag_id})
    note.target(ResourceType.SERVICE_USER, service_user_id)
    service_user = await _locked_service_user(ctx, service_user_id)
    await policy.require_service_user_sharer(ctx.session, ctx.identity, service_user)
    check_access_type(access_type, (AccessType.OWNER,))
    grantee = await resolve_grantee(ctx, user_id, tag_id)
    note.details.update(grantee.details())
    share = await grant(
        ctx,
        ResourceType.SERVICE_USER,
        service_user.id,
        grantee,
        access_type,
        f"service user '{service_user.username}'",
    )
    return service_user, share


async def unshare_service_user(
    ctx: RequestContext,
    note: AuditNote,
    *,
    service_user_id: str,
    user_id: str | None,
    tag_id: str | None,
) -> User:
    """Take a regular user's or a tag's access to a service user away; needs Owner access.

    Tokens of the service user whose issuing person no longer has Owner access afterwards are
    revoked in the same transaction.
    """
    check_ids({"serviceUserId": service_user_id, "userId": user_id, "tagId": tag_id})
    note.target(ResourceType.SERVICE_USER, service_user_id)
    service_user = await _locked_service_user(ctx, service_user_id)
    identity = await policy.require_service_user_sharer(ctx.session, ctx.identity, service_user)
    grantee = await resolve_grantee(ctx, user_id, tag_id)
    note.details.update(grantee.details())
    await revoke(
        ctx,
        ResourceType.SERVICE_USER,
        service_user.id,
        grantee,
        f"service user '{service_user.username}'",
    )
    note.details["revokedServiceUserTokens"] = await revoke_tokens_without_owner_access(
        ctx.session, identity.person.id, service_user_ids=[service_user.id]
    )
    return service_user
